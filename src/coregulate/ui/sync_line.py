"""The calm view's synchrony line: a summary of the last 2 minutes, changed every 30 s.

The per-window "who leads" word of the synchrony stage changes several times a
minute on real and simulated sessions (issue 14: 7-9 times), and a single 30 s
window says little. The calm view therefore shows a summary that:

- covers the last `SUMMARY_S` (2 min) of windows and is recomputed only at each
  `UPDATE_S` (30 s) step of the session clock, so the words change at most twice
  a minute and are the same in a replay;
- names a leader only when most of the available windows (`LEAD_SHARE`) are
  evidence for that same leader, where a window is evidence only if its peak r is
  positive, it is not marked below chance (`above_chance` false) and its r is above
  its chance band (`chance_abs_r95`) when the stage gives one;
- never names a leader when the median r of the 2 minutes is not positive, nor
  while the session's synchrony is not above chance (SUSY `above_chance` false):
  then it says "no clear lead", and why in the tooltip.

Qt-free: the calm view calls `summarise` with columns of the model's buffer.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

SUMMARY_S: Final = 120.0  # the line summarises the windows of the last 2 minutes
UPDATE_S: Final = 30.0  # ...recomputed at each 30 s step of session time
MIN_COVERAGE: Final = 0.5  # at least half of the 2 minutes must have windows
LEAD_SHARE: Final = 2 / 3  # share of available windows that must back one leader
DEFAULT_SIMULTANEOUS_S: Final = 0.5  # |lag| up to this is "no lag" (SyncParams default)
WINDOW_STEP_S: Final = 1.0  # the synchrony stage's step: one window a second
NO_LEAD: Final = "no clear lead"


@dataclass(frozen=True, slots=True)
class SyncSummary:
    """What the calm view says about synchrony: two short lines and the reasoning."""

    text: str  # "HR synchrony, last 2 min\nr +0.42\ntherapist leads by ~1.5 s"
    leader: str | None  # "therapist", "client", "simultaneous" or None (no clear lead)
    tip: str  # why: coverage, evidence shares, the session's verdict


def step_start(now_s: float) -> float:
    """Return the session time (s) of the newest `UPDATE_S` step at or before `now_s`."""
    return math.floor(now_s / UPDATE_S) * UPDATE_S


def summarise(
    t_s: np.ndarray,
    peak_r: np.ndarray,
    lag_s: np.ndarray,
    chance_r: np.ndarray,
    above: np.ndarray,
    at_s: float,
    latest: dict[str, Any],
    names: tuple[str, str] = ("client", "therapist"),
) -> SyncSummary:
    """Return the summary of the windows in (`at_s` − 2 min, `at_s`].

    Parameters
    ----------
    t_s, peak_r, lag_s
        Every window's time (s), peak r and lag of the peak (s, + therapist leads).
    chance_r, above
        Every window's chance band ``chance_abs_r95`` and ``above_chance`` (1, 0),
        NaN where the stage does not give them.
    at_s
        The step the summary is for (`step_start`).
    latest
        The newest synchrony message (its SUSY verdict and parameters).
    names
        What to call the pair's first and second person (a positive lag: the second leads).
    """
    keep = (t_s > at_s - SUMMARY_S) & (t_s <= at_s)
    r, lag, chance, ok = peak_r[keep], lag_s[keep], chance_r[keep], above[keep]
    available = np.isfinite(r) & np.isfinite(lag)
    n = int(available.sum())
    needed = math.ceil(MIN_COVERAGE * SUMMARY_S / WINDOW_STEP_S)
    if n < needed:
        return SyncSummary(
            "HR synchrony\ngathering 2 minutes",
            None,
            f"The synchrony line summarises 2 minutes of 30 s windows; {n} of the "
            f"{needed} it needs are in so far.",
        )
    median_r = float(np.median(r[available]))
    # Three short lines: the strip's plot keeps its width when the words change.
    head = f"HR synchrony, last 2 min\nr {median_r:+.2f}"
    with np.errstate(invalid="ignore"):
        evidence = available & (r > 0) & (ok != 0) & ~(r <= chance)
    band = chance[available & np.isfinite(chance)]
    within = band.size > 0 and median_r <= float(np.median(band))
    if within:
        head += " (chance level)"
    session_above = (latest.get("susy") or {}).get("above_chance")
    leader, lead_lag_s, share = _leader(lag, evidence, n, _simultaneous_s(latest), names)
    if median_r <= 0 or session_above is False:
        leader = None  # never a leader for r < 0, nor while the session is at chance
    lead = _lead_words(leader, lead_lag_s)
    if session_above is False:
        lead += " · not above chance"
    tip = _reasons(n, int(evidence.sum()), median_r, session_above, leader, share)
    return SyncSummary(f"{head}\n{lead}", leader, tip)


def _reasons(
    n: int,
    n_evidence: int,
    median_r: float,
    session_above: object,
    leader: str | None,
    share: float,
) -> str:
    """Return the tooltip: what the line is based on and why it names no leader."""
    reasons = [
        f"{n} windows in the last 2 minutes, {n_evidence} of them evidence "
        "(positive r, above their chance band)."
    ]
    if median_r <= 0:
        reasons.append("The heart rates did not move together (median r not positive).")
    if session_above is False:
        reasons.append("This session's synchrony is not above chance so far (SUSY).")
    if leader is None and median_r > 0 and session_above is not False:
        reasons.append(
            f"No leader has the backing of {LEAD_SHARE:.0%} of the windows (best {share:.0%})."
        )
    reasons.append("Synchrony is information, not a goal: higher is not better.")
    return " ".join(reasons)


def _simultaneous_s(latest: dict[str, Any]) -> float:
    value = (latest.get("params") or {}).get("simultaneous_s")
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return DEFAULT_SIMULTANEOUS_S


def _leader(
    lag_s: np.ndarray,
    evidence: np.ndarray,
    n_available: int,
    simultaneous_s: float,
    names: tuple[str, str],
) -> tuple[str | None, float, float]:
    """Return (leader or None, its median lag in s, the best leader's share of windows)."""
    groups = {
        names[1]: evidence & (lag_s > simultaneous_s),
        names[0]: evidence & (lag_s < -simultaneous_s),
        "simultaneous": evidence & (np.abs(lag_s) <= simultaneous_s),
    }
    best = max(groups, key=lambda k: int(groups[k].sum()))
    share = int(groups[best].sum()) / n_available
    if share < LEAD_SHARE:
        return None, math.nan, share
    return best, float(np.median(lag_s[groups[best]])), share


def _lead_words(leader: str | None, lag_s: float) -> str:
    if leader is None:
        return NO_LEAD
    if leader == "simultaneous":
        return "in step, no lag"
    return f"{leader} leads by ~{abs(lag_s):.1f} s"


def word_changes_per_minute(times_s: np.ndarray, words: list[str | None]) -> float:
    """Return how often a sequence of words sampled at `times_s` changed, per minute."""
    changes = sum(1 for a, b in itertools.pairwise(words) if a != b)
    span_min = (float(times_s[-1]) - float(times_s[0])) / 60 if len(times_s) > 1 else 0.0
    return changes / span_min if span_min > 0 else 0.0


def summarise_sync(
    sync: Any, at_s: float, names: tuple[str, str] = ("client", "therapist")
) -> SyncSummary:
    """Return `summarise` of a pair's buffered windows (`ui.model.Sync`) at step `at_s`."""
    buf = sync.windows
    return summarise(
        buf.t_s,
        buf.column("peak_r"),
        buf.column("peak_lag_s"),
        buf.column("chance_abs_r95"),
        buf.column("above_chance"),
        at_s,
        sync.latest,
        names,
    )
