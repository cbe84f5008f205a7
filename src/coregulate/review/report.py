"""The one-page session report a supervisor reads: physiology, synchrony, markers, ratings, quality.

A4 portrait, written as PDF or PNG by matplotlib's Agg backend (no display needed).
Top to bottom: the session's events (markers and ratings) on the session clock;
each person's arousal index with its states when the metrics carry them, else HR and
lnRMSSD with each person's baseline band; HR synchrony (peak r and the lag at the
peak, positive = therapist leads); then the ratings, time in each state and data
quality as tables. Everything is an indicator relative to each person's own
baseline, never a diagnosis; synchrony is information, not a score, so it is drawn
in neutral grey.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.review.quality import (
    baseline_band,
    marker_counts,
    person_quality,
    state_shares,
    sync_summary,
)
from coregulate.review.session_data import STATES, SessionData
from coregulate.signal.dyad import ROLES

# The live window's Okabe–Ito colour-blind-safe pair.
ROLE_COLOURS = {"client": "#E69F00", "therapist": "#56B4E9"}
MARKER_STYLE = {
    "rupture": ("#D55E00", "--"),
    "repair": ("#009E73", "-"),
    "note": ("#777777", ":"),
}
STATE_COLOURS = {"settled": "#FFFFFF", "activated": "#FBE3C4", "highly activated": "#F4B183"}
ACTIVATED_AT, HIGHLY_AT = 1.5, 3.0  # arousal thresholds of docs/metrics.md (entering)


def _fmt(value: Any, spec: str = ".2f", unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{format(value, spec)}{unit}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _markers(ax, data: SessionData, label: bool = False) -> None:
    for m in data.markers:
        colour, style = MARKER_STYLE[m.category]
        ax.axvline(m.t_s / 60, color=colour, ls=style, lw=0.9, zorder=1)


def _gaps(ax, data: SessionData, role: str) -> None:
    for start, end in data.people[role].gaps:
        ax.axvspan(start / 60, end / 60, color="#BBBBBB", alpha=0.5, lw=0, zorder=0)


def _events_axis(ax, data: SessionData) -> None:
    """Markers (upper row) and ratings (lower row) along the session."""
    ax.set_ylim(0, 2)
    ax.set_yticks([0.55, 1.45], ["ratings", "markers"], fontsize=7)
    ax.tick_params(axis="x", labelbottom=False)
    for i, m in enumerate(data.markers):
        colour, _ = MARKER_STYLE[m.category]
        ax.plot(m.t_s / 60, 1.45, marker="v", color=colour, ms=6)
        # The kind only (notes are in the markers table), alternating above and
        # below so that neighbouring markers do not overwrite each other.
        ax.annotate(
            m.label,
            (m.t_s / 60, 1.45),
            xytext=(3, 5 if i % 2 == 0 else -9),
            textcoords="offset points",
            fontsize=5.5,
            color=colour,
        )
    # Ratings given together (e.g. SRS and WAI-SR at the end) share one label.
    groups: list[list] = []
    for r in sorted(data.ratings, key=lambda r: r.t_ns):
        if groups and r.t_ns - groups[-1][-1].t_ns < 0.02 * data.duration_s * 1e9:
            groups[-1].append(r)
        else:
            groups.append([r])
    for group in groups:
        t_min = group[0].t_ns / 60e9
        flag = any(any(r.score.flags.values()) for r in group)
        text = " · ".join(
            f"{r.score.instrument} {r.score.total:g}"
            + (" ⚑" if any(r.score.flags.values()) else "")
            for r in group
        )
        late = t_min > data.duration_s / 120  # label on the side with room
        colour = "#CC0000" if flag else "#333333"
        ax.plot(t_min, 0.55, marker="D", ms=5, color=colour)
        ax.annotate(
            text,
            (t_min, 0.55),
            xytext=(-7, -3) if late else (7, -3),
            textcoords="offset points",
            fontsize=6.5,
            color=colour,
            ha="right" if late else "left",
        )
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _state_background(ax, t_min: np.ndarray, states: list[str | None]) -> None:
    start = 0
    for i in range(1, len(states) + 1):
        if i == len(states) or states[i] != states[start]:
            colour = STATE_COLOURS.get(states[start] or "")
            if colour and states[start] != "settled" and i < len(t_min):
                ax.axvspan(t_min[start], t_min[i], color=colour, lw=0, zorder=0)
            start = i


def _arousal_axis(ax, data: SessionData, role: str) -> None:
    p = data.people[role]
    t_min = p.t_s / 60
    if p.state is not None:
        _state_background(ax, t_min, p.state)
    ax.axhspan(-1, 1, color=ROLE_COLOURS[role], alpha=0.15, lw=0, zorder=0)
    for y in (ACTIVATED_AT, HIGHLY_AT):
        ax.axhline(y, color="#999999", lw=0.6, ls=":")
    ax.plot(t_min, p.arousal_index, color=ROLE_COLOURS[role], lw=0.9, zorder=3)
    ax.set_ylabel(f"{role}\narousal index", fontsize=7)
    from matplotlib.patches import Patch

    handles = [Patch(color=ROLE_COLOURS[role], alpha=0.3, label="baseline ±1 (z)")]
    handles += [Patch(color=STATE_COLOURS[s], label=s) for s in STATES[1:]]
    if p.baseline_window_s:
        start, end = p.baseline_window_s
        ax.axvspan(
            start / 60, end / 60, facecolor="none", hatch="///", edgecolor="#BBBBBB", lw=0, zorder=0
        )
        handles.append(
            Patch(
                facecolor="none", hatch="///", edgecolor="#BBBBBB", label="resting baseline taken"
            )
        )
    ax.legend(handles=handles, fontsize=5.5, loc="upper right", ncols=len(handles), frameon=False)
    ax.set_ylim(top=max(ax.get_ylim()[1], HIGHLY_AT + 0.5) * 1.15)


def _metric_axis(ax, data: SessionData, key: str, label: str) -> None:
    for role in ROLES:
        p = data.people.get(role)
        if p is None:
            continue
        ax.plot(p.t_s / 60, getattr(p, key), color=ROLE_COLOURS[role], lw=0.8, label=role, zorder=3)
        band = baseline_band(p, key)
        if band:
            mean, sd, _ = band
            ax.axhspan(mean - sd, mean + sd, color=ROLE_COLOURS[role], alpha=0.18, lw=0)
    sources = {b[2] for r in ROLES if r in data.people if (b := baseline_band(data.people[r], key))}
    ax.set_ylabel(label, fontsize=7)
    title = f"bands: each person's {' / '.join(sorted(sources))} mean ±1 SD" if sources else None
    ax.legend(fontsize=6, loc="best", frameon=False, ncols=2, title=title, title_fontsize=5.5)


def _sync_axes(ax_r, ax_lag, data: SessionData) -> None:
    s = data.sync
    if s is None or not s.t_s.size:
        ax_r.text(
            0.5,
            0.5,
            "no synchrony recorded in this file",
            ha="center",
            transform=ax_r.transAxes,
            fontsize=8,
        )
        return
    t_min = s.t_s / 60
    # Break the line where windows are missing (a gap in someone's data) instead
    # of drawing a straight line across it.
    steps = np.diff(t_min)
    breaks = np.flatnonzero(steps > 1.5 * np.median(steps)) + 1 if steps.size else []
    ax_r.plot(
        np.insert(t_min, breaks, np.nan),
        np.insert(s.peak_r, breaks, np.nan),
        color="#444444",
        lw=0.6,
    )
    ax_r.set_ylim(-1, 1)
    ax_r.axhline(0, color="#999999", lw=0.5)
    ax_r.set_ylabel("HR synchrony\npeak r (30 s)", fontsize=7)
    lag = s.peak_lag_s
    ax_lag.scatter(
        t_min,
        lag,
        s=1.5,
        c=np.where(
            lag > 0, ROLE_COLOURS["therapist"], np.where(lag < 0, ROLE_COLOURS["client"], "#777777")
        ),
        lw=0,
    )
    ax_lag.axhline(0, color="#999999", lw=0.5)
    ax_lag.set_ylabel("lag at peak (s)\n+ therapist leads", fontsize=7)
    sm = sync_summary(data)
    if sm:
        ax_r.set_title(
            f"session: SUSY ES {_fmt(sm['susy_es'], '+.2f')} (p {_fmt(sm['susy_p'], '.3f')}, "
            f"{sm['n_surrogates'] or 0} surrogates); "
            f"mean peak z {_fmt(sm['mean_peak_z'], '+.2f')}; "
            f"median lag {_fmt(sm['median_peak_lag_s'], '+.1f', ' s')}; therapist leads "
            f"{_fmt(sm['share_therapist_leads'], '.0%')}, client leads "
            f"{_fmt(sm['share_client_leads'], '.0%')}",
            fontsize=6.5,
            loc="left",
        )


def _table(
    ax,
    title: str,
    header: list[str],
    rows: list[list[str]],
    empty: str,
    widths: list[float] | None = None,
) -> None:
    ax.axis("off")
    ax.set_title(title, fontsize=8, loc="left", fontweight="bold")
    if not rows:
        ax.text(0, 0.8, empty, fontsize=7, va="top", transform=ax.transAxes)
        return
    height_in = ax.get_position().height * ax.figure.get_figheight()
    frac = min(1.0, 0.17 * (len(rows) + 1) / height_in)
    table = ax.table(
        cellText=rows,
        colLabels=header,
        cellLoc="left",
        # Fill the axes' width; every row 0.17 inch high, from the top.
        bbox=[0, 1 - frac, 1, frac],
        colLoc="left",
        colWidths=widths,
        edges="horizontal",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)


def _rating_rows(data: SessionData) -> list[list[str]]:
    rows = []
    for r in data.ratings:
        s = r.score
        subs = ", ".join(f"{k} {v:g}" for k, v in s.subscales.items() if not k.endswith("_mean"))
        flags = ", ".join(k.replace("_", " ") for k, on in s.flags.items() if on) or "–"
        rows.append(
            [s.instrument, r.phase, f"{r.t_ns / 60e9:.1f}", f"{s.total:g}", subs or "–", flags]
        )
    return rows


def _state_rows(data: SessionData) -> list[list[str]]:
    rows = []
    for role in ROLES:
        p = data.people.get(role)
        shares = state_shares(p) if p else None
        if shares:
            rows.append([role] + [_fmt(shares[s], ".0%") for s in (*STATES, "unavailable")])
    return rows


def _quality_rows(data: SessionData) -> list[list[str]]:
    rows = []
    for role in ROLES:
        p = data.people.get(role)
        if p is None:
            rows.append([role, "no data", "", "", ""])
            continue
        q = person_quality(p)
        rows.append(
            [
                role,
                f"{q['beats']:.0f}",
                _fmt(q["mean_artifact_share"], ".1%"),
                _fmt(q["hr_unavailable_share"], ".1%"),
                f"{q['n_gaps']:.0f} ({q['gap_s']:.0f} s)",
            ]
        )
    return rows


def _subtitle(data: SessionData) -> str:
    start = data.wall_start_ns
    when = (
        dt.datetime.fromtimestamp(start / 1e9, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if start
        else "date not recorded"
    )
    counts = marker_counts(data)
    return (
        f"client {data.client_id} · therapist {data.info.get('therapist_id', 'unknown')} · "
        f"{when} · {data.duration_s / 60:.0f} min · {data.info.get('mode', '')} · "
        f"ruptures {counts['rupture']}, repairs {counts['repair']} · file {data.path.name}"
    )


def write_report(data: SessionData, out: str | os.PathLike[str]) -> Path:
    """Write the one-page report as PDF or PNG (by the suffix of `out`); return its path."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".png"):
        raise ValueError(f"{out}: the report is written as .pdf or .png; change the suffix")
    has_arousal = all(
        data.people.get(r) is not None and data.people[r].arousal_index is not None for r in ROLES
    )
    fig = plt.figure(figsize=(8.27, 11.69))
    grid = fig.add_gridspec(
        10,
        1,
        height_ratios=[0.55, 1.4, 1.4, 1.0, 0.55, 0.12, 0.8, 0.55, 0.55, 0.25],
        left=0.1,
        right=0.97,
        top=0.93,
        bottom=0.03,
        hspace=0.35,
    )
    fig.suptitle("Session report", x=0.1, ha="left", fontsize=13, fontweight="bold", y=0.985)
    fig.text(0.1, 0.962, _subtitle(data), fontsize=6.5)
    fig.text(
        0.1,
        0.947,
        "Indicators relative to each person's own baseline, never a diagnosis. "
        "Synchrony is information, not a score.",
        fontsize=6.5,
        color="#555555",
    )
    ax_events = fig.add_subplot(grid[0])
    ax_a = fig.add_subplot(grid[1], sharex=ax_events)
    ax_b = fig.add_subplot(grid[2], sharex=ax_events)
    ax_r = fig.add_subplot(grid[3], sharex=ax_events)
    ax_lag = fig.add_subplot(grid[4], sharex=ax_events)
    _events_axis(ax_events, data)
    if has_arousal:
        _arousal_axis(ax_a, data, "client")
        _arousal_axis(ax_b, data, "therapist")
        _gaps(ax_a, data, "client")
        _gaps(ax_b, data, "therapist")
    else:
        _metric_axis(ax_a, data, "hr_bpm", "HR (bpm)")
        _metric_axis(ax_b, data, "ln_rmssd", "lnRMSSD (ln ms)")
        for role in data.people:
            _gaps(ax_a, data, role)
            _gaps(ax_b, data, role)
    _sync_axes(ax_r, ax_lag, data)
    for ax in (ax_a, ax_b, ax_r, ax_lag):
        _markers(ax, data)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelbottom=False)
        ax.grid(False)
    ax_lag.tick_params(axis="x", labelbottom=True)
    ax_lag.set_xlabel("session time (min)   grey spans: a strap's data lost", fontsize=7)
    ax_events.set_xlim(0, max(data.duration_s, 1) / 60)
    top = grid[6].subgridspec(1, 2, width_ratios=[1.25, 1], wspace=0.06)
    _table(
        fig.add_subplot(top[1]),
        "Markers",
        ["at (min)", "kind", "note"],
        [[f"{m.t_s / 60:.1f}", m.label, _clip(m.text, 30)] for m in data.markers],
        "no markers recorded in this session",
        [0.14, 0.36, 0.5],
    )
    _table(
        fig.add_subplot(top[0]),
        "Ratings",
        ["instrument", "phase", "at (min)", "total", "subscales", "flags"],
        _rating_rows(data),
        "no ratings recorded in this session",
        [0.15, 0.08, 0.11, 0.09, 0.35, 0.22],
    )
    _table(
        fig.add_subplot(grid[7]),
        "Time in state",
        ["person", *STATES, "n/a (baseline, gaps)"],
        _state_rows(data),
        "not available: this session's metrics carry no states (recorded before the "
        "per-person baseline and states existed)",
    )
    _table(
        fig.add_subplot(grid[8]),
        "Data quality",
        ["person", "beats", "mean artifact share", "HR unavailable", "gaps (total)"],
        _quality_rows(data),
        "",
    )
    notes = [f"{data.lost_messages} bus messages missing (sequence gaps)", *data.problems]
    ax_notes = fig.add_subplot(grid[9])
    ax_notes.axis("off")
    ax_notes.text(0, 1, "\n".join(notes[:6]), fontsize=6.5, va="top", transform=ax_notes.transAxes)
    from coregulate.recordings.store import create_private_file

    create_private_file(out)  # health data: owner-only, like the session file
    fig.savefig(out, dpi=150)
    plt.close(fig)
    return out
