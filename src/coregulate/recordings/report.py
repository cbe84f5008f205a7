"""The one-page session report: HR, lnRMSSD with baseline bands, synchrony, markers, ratings."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from coregulate.recordings.analysis import Analysis
from coregulate.signal.dyad import DEFAULT_BASELINE_S, ROLES

_COLOURS = {"client": "#1f77b4", "therapist": "#d62728"}


def write_report(analysis: Analysis, out: str | os.PathLike[str]) -> Path:
    """Write the report as PDF or PNG (by the suffix of `out`) and return its path."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    out = Path(out)
    fig, axes = plt.subplots(4, 1, figsize=(8.27, 11.69), sharex=True)  # A4 portrait
    summary = analysis.summary()
    fig.suptitle(
        "coregulate session report — indicators relative to each person's baseline, "
        "not a diagnosis",
        fontsize=9,
    )
    ax_hr, ax_ln, ax_r, ax_lag = axes
    for role in ROLES:
        topic = f"metrics.{role}"
        payloads = analysis.result.outputs.get(topic, [])
        if not payloads:
            continue
        t_min = np.array(analysis.result.output_t_ns[topic]) / 60e9
        hr = np.array([p["hr_bpm"] if p["hr_bpm"] is not None else np.nan for p in payloads])
        ln = np.array([p["ln_rmssd"] if p["ln_rmssd"] is not None else np.nan for p in payloads])
        colour = _COLOURS[role]
        ax_hr.plot(t_min, hr, color=colour, lw=0.8, label=role)
        ax_ln.plot(t_min, ln, color=colour, lw=0.8, label=role)
        base = ln[(t_min <= DEFAULT_BASELINE_S / 60) & np.isfinite(ln)]
        if base.size > 2:
            m, s = float(np.mean(base)), float(np.std(base))
            ax_ln.axhspan(m - s, m + s, color=colour, alpha=0.12, lw=0)
    ax_hr.set_ylabel("HR (bpm)")
    ax_ln.set_ylabel("lnRMSSD (ln ms)\nband: baseline ±1 SD")
    updates = analysis.result.sync_updates("hr_bpm")
    if updates:
        # Each window at its centre; a step without a window (a gap) breaks the line.
        t_min = (
            np.array(
                [
                    (u["window"]["start_ns"] + u["window"]["end_ns"]) / 2
                    if u["window"]
                    else u["t_ns"]
                    for u in updates
                ]
            )
            / 60e9
        )
        r = np.array([u["window"]["peak_r"] if u["window"] else np.nan for u in updates])
        lag = np.array([u["window"]["peak_lag_s"] if u["window"] else np.nan for u in updates])
        ax_r.plot(t_min, r, color="k", lw=0.6)
        ax_lag.plot(t_min, lag, ".", color="k", ms=1.5)
    s = summary["synchrony"] or {}
    ax_r.set_ylabel("HR synchrony:\npeak r per window")
    ax_r.set_title(
        f"mean peak z {_f(s.get('mean_peak_z'))}, surrogate ES {_f(s.get('surrogate_es'))} "
        f"({s.get('n_surrogates', 0)} surrogates)",
        fontsize=8,
    )
    ax_lag.set_ylabel("lag at peak (s)\n+ = therapist leads")
    ax_lag.set_xlabel("session time (min)")
    for ax in axes:
        for marker in analysis.markers:
            ax.axvline(marker.t_s / 60, color="0.4", lw=0.6, ls="--")
        for rating in analysis.ratings:
            ax.axvline(rating["t_ns"] / 60e9, color="tab:green", lw=0.6, ls=":")
    for marker in analysis.markers:
        ax_hr.annotate(
            marker.kind,
            (marker.t_s / 60, 1.0),
            xycoords=("data", "axes fraction"),
            fontsize=6,
            rotation=90,
            va="top",
        )
    for rating in analysis.ratings:
        ax_lag.annotate(
            f"{rating.get('instrument', 'rating')} {rating.get('total', '')}",
            (rating["t_ns"] / 60e9, 0.0),
            xycoords=("data", "axes fraction"),
            fontsize=6,
            rotation=90,
            va="bottom",
        )
    lines = []
    for role in ROLES:
        p = summary.get(role) or {}
        lines.append(
            f"{role}: mean HR {_f(p.get('mean_hr_bpm'))} bpm, RMSSD {_f(p.get('rmssd_ms'))} ms, "
            f"artifacts {_f(100 * (p.get('artifact_share') or 0))} %"
        )
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=7, va="bottom")
    ax_hr.legend(fontsize=7, loc="upper right")
    fig.tight_layout(rect=(0, 0.04, 1, 0.98))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    os.chmod(out, 0o600)
    return out


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f}"
