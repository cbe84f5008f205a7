"""Measure what the baseline floors and state thresholds give on a real recording.

Usage: ``PYTHONPATH=src:tests python scripts/baseline_sensitivity.py`` (about 10 s).
Data: pyhrv's real 1-hour NN series (tests/data/pyhrv, BSD licence), run through
the live chain (``metrics_at_every_beat``, no baseline) for the displayed 10 s HR
and 60 s lnRMSSD at every beat.

Prints:

1. the spread of a 3-minute baseline: SD and robust SD (1.4826 × MAD) of the
   displayed HR and lnRMSSD within each 3 minutes (a start every minute), and the
   SD across the hour of the 3-minute medians (consecutive blocks);
2. the state's sensitivity to where the baseline is taken: for a baseline starting
   at every whole minute with at least 10 minutes after it, the share of the later
   time not "settled" (median, quartiles, 90th percentile, range), for the rule
   before issue 13 (mean and SD, floors 3 bpm / 0.15), robust statistics alone,
   the new floors alone, both (now), and both with a 5-minute baseline;
3. the same (now) for other state thresholds (enter / exit "activated").
"""

from __future__ import annotations

import statistics
import sys

import numpy as np

from coregulate.signal import baseline
from coregulate.signal.baseline import BaselineProfile
from signal_support import displayed_hr_and_ln_rmssd, not_settled_after_baselines, pyhrv_nn


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


def mean_sd_profile(hr: np.ndarray, ln: np.ndarray) -> BaselineProfile:
    """The rule before issue 13: mean and sample SD."""
    return BaselineProfile(
        float(hr.mean()), float(hr.std(ddof=1)), float(ln.mean()), float(ln.std(ddof=1)), hr.size, 0
    )


def _spread(t: np.ndarray, hr: np.ndarray, ln: np.ndarray) -> None:
    both = np.isfinite(hr) & np.isfinite(ln)
    rows = []
    for start in np.arange(0.0, t[-1] - 180.0, 60.0):
        sel = both & (t >= start) & (t < start + 180.0)
        h, v = hr[sel], ln[sel]
        mad = [baseline.MAD_TO_SD * statistics.median(abs(x - statistics.median(a)) for x in a)
               for a in (h.tolist(), v.tolist())]  # fmt: skip
        rows.append((h.std(ddof=1), mad[0], v.std(ddof=1), mad[1]))
    q = np.percentile(np.array(rows), [25, 50, 75], axis=0)
    _say("1. Within 3 minutes (quartiles 25/50/75 %):")
    _say(f"   HR SD {q[0, 0]:.2f} / {q[1, 0]:.2f} / {q[2, 0]:.2f} bpm,"
         f" robust SD {q[0, 1]:.2f} / {q[1, 1]:.2f} / {q[2, 1]:.2f}")  # fmt: skip
    _say(f"   lnRMSSD SD {q[0, 2]:.3f} / {q[1, 2]:.3f} / {q[2, 2]:.3f},"
         f" robust SD {q[0, 3]:.3f} / {q[1, 3]:.3f} / {q[2, 3]:.3f}")  # fmt: skip
    blocks = [both & (t >= s) & (t < s + 180.0) for s in np.arange(0.0, t[-1] - 180.0, 180.0)]
    medians = np.array([(np.median(hr[b]), np.median(ln[b])) for b in blocks])
    sd = np.std(medians, axis=0, ddof=1)
    _say(f"   across the hour, SD of the 3-minute medians: HR {sd[0]:.2f} bpm, lnRMSSD {sd[1]:.3f}")


def _row(label: str, share: np.ndarray) -> None:
    p = np.percentile(share, [25, 50, 75, 90]) * 100
    _say(f"   {label}: median {p[1]:4.1f} %, quartiles {p[0]:4.1f}-{p[2]:4.1f} %,"
         f" 90th {p[3]:4.1f} %, range {share.min():.0%}-{share.max():.0%}")  # fmt: skip


def sensitivity(t: np.ndarray, hr: np.ndarray, ln: np.ndarray) -> None:
    """Print the share of time not settled for baselines at every minute, by rule."""
    floors = (baseline.HR_SD_FLOOR_BPM, baseline.LN_RMSSD_SD_FLOOR)
    starts = np.arange(0.0, t[-1] - 300.0 - 600.0, 60.0)
    _say(f"2. Share of the later time not settled, baseline at {starts.size} placements")
    for label, old_floors, rule, duration in (
        ("before: mean/SD, floors 3 / 0.15  ", True, mean_sd_profile, 180.0),
        ("median/MAD, floors 3 / 0.15       ", True, None, 180.0),
        ("mean/SD, floors 5 / 0.2           ", False, mean_sd_profile, 180.0),
        ("now: median/MAD, floors 5 / 0.2   ", False, None, 180.0),
        ("now, 5-minute baseline            ", False, None, 300.0),
    ):
        baseline.HR_SD_FLOOR_BPM, baseline.LN_RMSSD_SD_FLOOR = (3.0, 0.15) if old_floors else floors
        try:
            _row(label, not_settled_after_baselines(t, hr, ln, starts, duration, rule))
        finally:
            baseline.HR_SD_FLOOR_BPM, baseline.LN_RMSSD_SD_FLOOR = floors


def thresholds(t: np.ndarray, hr: np.ndarray, ln: np.ndarray) -> None:
    """Print the share of time not settled (rule now) for other "activated" thresholds."""
    starts = np.arange(0.0, t[-1] - 300.0 - 600.0, 60.0)
    _say('3. The same, rule now, other thresholds for entering / leaving "activated"')
    for enter, leave in ((1.0, 0.5), (1.5, 1.0), (2.0, 1.5)):
        th = baseline.StateThresholds(activated_enter=enter, activated_exit=leave)
        share = not_settled_after_baselines(t, hr, ln, starts, thresholds=th)
        _row(f"{enter:.1f} / {leave:.1f}{' (now)' if enter == 1.5 else '      '}        ", share)


def main() -> None:
    t, hr, ln = displayed_hr_and_ln_rmssd(pyhrv_nn("Long"))
    _spread(t, hr, ln)
    sensitivity(t, hr, ln)
    thresholds(t, hr, ln)


if __name__ == "__main__":
    main()
