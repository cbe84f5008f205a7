"""The client-history figure: ORS, SRS and WAI-SR trends beside session-level physiology.

One column of panels over session number: ORS with the adult cut-off (25) and the
band of ±5 points around the intake ORS (inside it, change is not reliable); SRS
with the concern line (36; sessions at or below it marked); WAI-SR sums; each
person's session mean arousal index (or mean HR when the sessions carry no arousal)
with time in the activated states; HR synchrony (SUSY ES) and rupture/repair counts.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.alliance.instruments import (
    ORS_CLINICAL_CUTOFF,
    ORS_RELIABLE_CHANGE,
    SRS_CONCERN_MAX,
)
from coregulate.palette import MARKER_CATEGORY_COLOURS, ROLE_COLOURS
from coregulate.review.history import other_clients
from coregulate.signal.dyad import ROLES


def _col(rows: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([math.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=float)


def _ors_panel(ax, rows: list[dict[str, Any]], n: np.ndarray) -> None:
    """Draw ORS totals, the clinical cut-off, the intake ±5 band and reliable change."""
    ors = _col(rows, "ors_total_0to40")
    ax.plot(n, ors, "o-", color="#333333", ms=4)
    ax.axhline(ORS_CLINICAL_CUTOFF, color="#999999", ls="--", lw=0.8)
    ax.text(
        n.min(),
        ORS_CLINICAL_CUTOFF,
        " clinical cut-off 25",
        fontsize=6,
        va="bottom",
        color="#777777",
    )
    first = ors[np.isfinite(ors)]
    if first.size:
        ax.axhspan(
            first[0] - ORS_RELIABLE_CHANGE,
            first[0] + ORS_RELIABLE_CHANGE,
            color="#DDDDDD",
            alpha=0.6,
            lw=0,
        )
    for key, marker, colour, text in (
        ("ors_reliable_improvement", "^", "#009E73", "reliable improvement (≥ +5)"),
        ("ors_reliable_deterioration", "v", "#D55E00", "reliable deterioration (≤ −5)"),
        ("ors_clinically_significant", "*", "#0072B2", "clinically significant change"),
    ):
        hit = np.array([bool(r.get(key)) for r in rows])
        if hit.any():
            ax.plot(
                n[hit],
                ors[hit],
                marker,
                color=colour,
                ms=9 if marker == "*" else 7,
                label=text,
                ls="none",
            )
    _other_clients_lines(ax, rows, n, "ors_total_0to40")
    ax.set_ylim(0, 40)
    ax.set_ylabel("ORS total (0-40)\ngrey: intake ±5", fontsize=7)
    ax.legend(fontsize=6, frameon=False, loc="lower right")


def _other_clients_lines(ax, rows: list[dict[str, Any]], n: np.ndarray, column: str) -> bool:
    """Draw each other client's own totals (a couple's partner), dashed; return if any."""
    others = other_clients(rows)
    for key, marker in zip(others, "sD^v<", strict=False):
        ax.plot(n, _col(rows, f"{key}_{column}"), marker + "--", color="#777777", ms=4, label=key)
    return bool(others)


def _srs_panel(ax, rows: list[dict[str, Any]], n: np.ndarray) -> None:
    """Draw SRS totals with the concern line; sessions at or below it marked."""
    srs = _col(rows, "srs_total_0to40")
    ax.plot(n, srs, "o-", color="#333333", ms=4)
    concern = np.array([bool(r.get("srs_concern")) for r in rows])
    if concern.any():
        ax.plot(
            n[concern],
            srs[concern],
            "o",
            color="#CC0000",
            ms=7,
            ls="none",
            label="SRS ≤ 36: talk about the alliance",
        )
    if _other_clients_lines(ax, rows, n, "srs_total_0to40") or concern.any():
        ax.legend(fontsize=6, frameon=False, loc="lower right")
    ax.axhline(SRS_CONCERN_MAX, color="#CC0000", ls="--", lw=0.8)
    ax.set_ylim(max(0, np.nanmin(srs) - 4) if np.isfinite(srs).any() else 0, 40.5)
    ax.set_ylabel("SRS total (0-40)", fontsize=7)


def _wai_panel(ax, rows: list[dict[str, Any]], n: np.ndarray) -> None:
    """Draw the WAI-SR subscale sums, each session's total written above."""
    wai = _col(rows, "wai_sr_total_sum")
    for k, (key, colour) in enumerate(
        (("task", "#0072B2"), ("bond", "#CC79A7"), ("goal", "#009E73"))
    ):
        ax.plot(
            n + (k - 1) * 0.12, _col(rows, f"wai_sr_{key}_sum"), "o", color=colour, ms=5, label=key
        )
    for x, total in zip(n, wai, strict=True):
        if np.isfinite(total):
            ax.annotate(
                f"total {total:g}",
                (x, 20),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=6,
            )
    ax.set_ylim(4, 22.5)
    ax.set_ylabel("WAI-SR subscale\nsums (4-20)", fontsize=7)
    if np.isfinite(wai).any():
        ax.legend(fontsize=6, frameon=False, loc="lower right", ncols=3)
    else:
        ax.text(
            0.5,
            0.5,
            "no WAI-SR in these sessions",
            ha="center",
            fontsize=7,
            transform=ax.transAxes,
        )


def _physiology_panel(ax, rows: list[dict[str, Any]], n: np.ndarray) -> None:
    """Draw each person's session mean arousal (or HR) and time activated."""
    arousal = {r: _col(rows, f"{r}_mean_arousal_index_z") for r in ROLES}
    use_arousal = any(np.isfinite(a).any() for a in arousal.values())
    for role in ROLES:
        values = arousal[role] if use_arousal else _col(rows, f"{role}_mean_hr_bpm")
        ax.plot(n, values, "o-", color=ROLE_COLOURS[role], ms=4, label=role)
        if use_arousal:
            act = _col(rows, f"{role}_activated_share_0to1") + _col(
                rows, f"{role}_highly_activated_share_0to1"
            )
            # The share beside each point, above the client's and below the therapist's
            # so the two never overwrite each other.
            dy = 6 if role == "client" else -11
            for x, y, share in zip(n, values, act, strict=True):
                if np.isfinite(share) and np.isfinite(y):
                    ax.annotate(
                        f"{share:.0%}",
                        (x, y),
                        xytext=(0, dy),
                        textcoords="offset points",
                        fontsize=6,
                        color=ROLE_COLOURS[role],
                        ha="center",
                    )
    ax.set_ylabel(
        "session mean arousal\nindex (z); % = time\nactivated or higher"
        if use_arousal
        else "session mean HR (bpm)",
        fontsize=7,
    )
    ax.legend(fontsize=6, frameon=False, loc="center right", ncols=2)
    low, high = ax.get_ylim()
    ax.set_ylim(low - 0.15 * (high - low), high + 0.15 * (high - low))  # room for the %


def _sync_panel(ax, rows: list[dict[str, Any]], n: np.ndarray) -> None:
    """Draw HR synchrony (SUSY ES) and the rupture and repair counts."""
    es = _col(rows, "sync_hr_susy_es")
    ax.bar(n - 0.15, es, width=0.3, color="#888888", label="HR synchrony SUSY ES")
    ax.axhline(0, color="#999999", lw=0.5)
    ax.set_ylabel("SUSY ES (HR)", fontsize=7)
    counts = ax.twinx()
    # On the page both marker colours are dark (palette.py): repairs are also hatched,
    # so the two bars differ without their colour.
    for key, offset, kind, hatch in (
        ("ruptures_n", 0.1, "rupture", None),
        ("repairs_n", 0.25, "repair", "////"),
    ):
        counts.bar(
            n + offset,
            _col(rows, key),
            width=0.14,
            color="white" if hatch else MARKER_CATEGORY_COLOURS[kind],
            edgecolor=MARKER_CATEGORY_COLOURS[kind],
            hatch=hatch,
            label=f"{kind}s (count)",
        )
    counts.set_ylabel("markers (count)", fontsize=7)
    # Head room above the bars for the legend.
    most = np.nanmax([*_col(rows, "ruptures_n"), *_col(rows, "repairs_n"), 1.0])
    counts.set_ylim(0, most * 1.7)
    top = np.nanmax(np.abs(es)) if np.isfinite(es).any() else 1.0
    ax.set_ylim(min(0.0, float(np.nanmin(es)) * 1.7) if np.isfinite(es).any() else 0, top * 1.7)
    counts.tick_params(labelsize=7)
    handles = ax.get_legend_handles_labels()
    more = counts.get_legend_handles_labels()
    ax.legend(
        handles[0] + more[0],
        handles[1] + more[1],
        fontsize=6,
        frameon=False,
        loc="upper left",
        ncols=3,
    )


def write_history_plot(
    rows: list[dict[str, Any]], client_id: str, out: str | os.PathLike[str]
) -> Path:
    """Write the history figure as PDF or PNG (by the suffix of `out`); return its path."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out = Path(out)
    n = _col(rows, "session_number")
    fig, axes = plt.subplots(5, 1, figsize=(8.27, 10.5), sharex=True)
    fig.suptitle(
        f"Client {client_id}: {len(rows)} sessions",
        x=0.1,
        ha="left",
        fontsize=12,
        fontweight="bold",
    )
    for draw, ax in zip(
        (_ors_panel, _srs_panel, _wai_panel, _physiology_panel, _sync_panel), axes, strict=True
    ):
        draw(ax, rows, n)
    for ax in axes:
        ax.tick_params(labelsize=7)
    axes[-1].set_xticks(n)
    axes[-1].set_xlabel("session number", fontsize=8)
    fig.text(
        0.1,
        0.005,
        "Physiology are indicators relative to each person's baseline; "
        "synchrony is information, not a score.",
        fontsize=6,
        color="#555555",
    )
    fig.tight_layout(rect=(0, 0.015, 1, 0.97))
    from coregulate.security.files import private_output

    try:
        with private_output(Path(out)) as tmp:
            fig.savefig(tmp, dpi=130)
    finally:
        plt.close(fig)
    return out
