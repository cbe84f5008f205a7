"""Each person's series on one common grid of the session clock, gaps kept.

The grid is t_j = j * period (ns since session start). Each person's values are
events (t_ns, value); the grid value at t_j is interpolated linearly between the
event at or before t_j and the next one, if both exist, both are finite and they
are at most `max_hold_s` apart; an event exactly at t_j gives its own value.
Otherwise the grid is missing (NaN): a disconnection stays a gap, and nothing is
extrapolated past a person's newest value.

Heart rate comes from the per-person corrected beats, classified by the same
Lipponen & Tarvainen classifier as the metrics chain (`signal/artifacts.py`,
`CausalArtifactClassifier`, 45 beats of look-ahead: its final classes), with the same plausibility
rule (`implausible_reason`): one artifact decision per beat in the program
(`tests/test_sync_beats.py` checks that the sync's decisions equal the signal
stage's). Each corrected interval nn becomes the value 60000 / nn (or nn itself
for "ibi_ms") placed at the **midpoint of its interval**, where that heart rate
was actually in force, not at the interval's end. Sample-and-hold at the end time
delays a person's series by about half a beat, a delay that differs between a
slow and a fast heart and so reads as a lag (−0.25 s at 1.5x the rate, measured;
docs/synchrony.md section 1); midpoints with linear interpolation have no such
delay. A missed beat's interval (corrected to two halves) gives a value at each
half's midpoint; a dropped extra detection gives none (its interval is merged
into the next); a beat moved by the correction has its interval end at the
corrected beat time.
"""

from __future__ import annotations

import math

import numpy as np

from coregulate.signal.artifacts import (
    ECTOPIC,
    LONGSHORT,
    MISSED,
    CausalArtifactClassifier,
    classify_series,
    implausible_reason,
    plausible_beats,
)

_MOVED_KINDS = (ECTOPIC, LONGSHORT)  # the correction moves these beats


def beat_value(nn_ms: float, kind: str) -> float:
    """Return the grid value of one corrected interval: "hr_bpm" (60000 / nn) or "ibi_ms"."""
    return 60000.0 / nn_ms if kind == "hr_bpm" else float(nn_ms)


class BeatEvents:
    """Turns one person's classified beats into (midpoint t_ns, value) events, in order.

    Parameters
    ----------
    series : {"hr_bpm", "ibi_ms"}
        Which value each corrected interval gives.
    """

    def __init__(self, series: str = "hr_bpm") -> None:
        self.series = series
        self.end_ns: int | None = None  # corrected end time of the newest interval so far

    def events(self, t_ns: int, nn_ms: float, kind: int) -> list[tuple[int, float]]:
        """Return the events of one classified beat (none for a dropped extra detection)."""
        if not math.isfinite(nn_ms) or nn_ms <= 0:
            return []
        nn_ns = nn_ms * 1e6
        end = t_ns
        if kind in _MOVED_KINDS and self.end_ns is not None:
            moved = self.end_ns + nn_ns
            # The correction moves a beat by less than one interval; farther means the
            # previous end belongs to an earlier run (a gap), so the raw time stands.
            if abs(moved - t_ns) < nn_ns:
                end = round(moved)
        self.end_ns = end
        value = beat_value(nn_ms, self.series)
        if kind == MISSED:  # two beats' halves, each with the corrected interval
            return [(round(end - 1.5 * nn_ns), value), (round(end - 0.5 * nn_ns), value)]
        return [(round(end - 0.5 * nn_ns), value)]


class CorrectedBeats:
    """One person's raw beats in, classified and corrected beats out, as the metrics chain.

    The rule of `signal.person.PersonSignal.update`: an implausible interval enters
    nothing and ends the run; a `gap_before` (first beat of a notification) or an
    implausible interval before a beat flushes the classifier's run; each accepted
    beat gets its final class 45 beats later (`artifacts.LOOKAHEAD_BEATS`).
    """

    def __init__(self) -> None:
        self._classifier = CausalArtifactClassifier()
        self._last_raw_ns: int | None = None
        self._gap_pending = False
        self.pending = 0  # accepted beats not classified yet (at most the look-ahead)

    def update(
        self, t_ns: list[int], rr_ms: list[float], gap_before: bool
    ) -> list[tuple[int, float, int]]:
        """Add one notification's beats; return the beats classified by them (t, nn_ms, kind)."""
        out: list[tuple[int, float, int]] = []
        for i, (t_raw, rr_raw) in enumerate(zip(t_ns, rr_ms, strict=True)):
            t, rr = int(t_raw), float(rr_raw)
            if implausible_reason(t, rr, self._last_raw_ns) is not None:
                self._gap_pending = True
                continue
            gap = (gap_before and i == 0) or self._gap_pending
            self._gap_pending = False
            if gap and self._last_raw_ns is not None:
                out += self._classifier.flush()
            out += self._classifier.update(t, rr, False)
            self._last_raw_ns = t
            self.pending += 1
        self.pending -= len(out)
        return out

    def flush(self) -> list[tuple[int, float, int]]:
        """Return the last beats of the session, not yet classified, as normal."""
        out = self._classifier.flush()
        self.pending -= len(out)
        return out


def classified_beats(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (t_ns, nn_ms, kind) of a whole recording's plausible beats, as `CorrectedBeats`."""
    t = np.asarray(t_ns, dtype=np.int64)
    keep, gaps = plausible_beats(t, np.asarray(rr_ms, dtype=float), gap_before)
    if not keep.any():
        return t[:0], np.zeros(0), np.zeros(0, dtype=np.int8)
    kind, nn = classify_series(t[keep], np.asarray(rr_ms, dtype=float)[keep], gaps[keep])
    return t[keep], nn, kind


def beat_events(
    t_ns: np.ndarray, rr_ms: np.ndarray, gap_before: np.ndarray, kind: str = "hr_bpm"
) -> tuple[np.ndarray, np.ndarray]:
    """Return (t_ns, value) events of a whole recording's beats, corrected as the live path.

    Parameters
    ----------
    t_ns, rr_ms : array
        Beat end times (session clock) and intervals, oldest first.
    gap_before : array of bool
        True where beats were lost before this one.
    kind : {"hr_bpm", "ibi_ms"}
        Which series the values are.
    """
    t, nn, kinds = classified_beats(t_ns, rr_ms, gap_before)
    maker = BeatEvents(kind)
    out: list[tuple[int, float]] = []
    for ti, v, k in zip(t.tolist(), nn.tolist(), kinds.tolist(), strict=True):
        out += maker.events(ti, v, k)
    return (
        np.array([e[0] for e in out], dtype=np.int64),
        np.array([e[1] for e in out], dtype=np.float64),
    )


def interpolate_on_grid(
    event_t_ns: np.ndarray, event_v: np.ndarray, grid_t_ns: np.ndarray, max_gap_ns: int
) -> np.ndarray:
    """Return each grid time's value, linear between the events around it, NaN across gaps.

    Examples
    --------
    >>> interpolate_on_grid(np.array([0, 10, 40]), np.array([1.0, 2.0, 5.0]),
    ...                     np.array([0, 5, 10, 30]), 15)
    array([1. , 1.5, 2. , nan])
    """
    t = np.asarray(event_t_ns, dtype=np.int64)
    v = np.asarray(event_v, dtype=np.float64)
    g = np.asarray(grid_t_ns, dtype=np.int64)
    out = np.full(g.shape, np.nan)
    prev = np.searchsorted(t, g, side="right") - 1
    has = prev >= 0
    exact = np.zeros_like(has)
    exact[has] = t[prev[has]] == g[has]
    out[exact] = v[prev[exact]]
    inner = has & ~exact & (prev + 1 < t.size)
    a, b = prev[inner], prev[inner] + 1
    span = t[b] - t[a]
    near = span <= max_gap_ns
    frac = (g[inner] - t[a]) / np.where(near, span, 1)
    value = v[a] + (v[b] - v[a]) * frac
    inner_idx = np.flatnonzero(inner)
    out[inner_idx[near]] = value[near]
    return out
