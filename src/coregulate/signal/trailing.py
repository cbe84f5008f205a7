"""Trailing-window HR and RMSSD for one person, updated causally beat by beat.

This was the foundation's minimal per-person stage. The metrics stage now uses
:class:`coregulate.signal.person.PersonSignal` (artifact correction, spectral
indices, RSA, baselines); this module stays only for code written against it
(the synchrony benchmark) and can go once nothing imports it.

Definitions (NeuroKit2 ``hrv_time``, Task Force 1996):

- RMSSD = sqrt(mean(ΔRR²)) over *successive* intervals only: a difference is taken
  between two beats of the same contiguous segment, never across a gap.
- HR = 60000 / mean(RR) over the last `hr_window_s` seconds.
- Screening: a beat whose RR differs from the median of the previous (up to) five
  accepted beats of its segment by more than `max_change` (20 %, the Malik et al.
  1989 criterion) is excluded, and so is every difference it takes part in. An
  ectopic beat's short-long pair would otherwise dominate a minute's RMSSD. The
  share excluded is reported; the signal issue replaces this with Lipponen &
  Tarvainen (2019) detection and correction.

Windows are defined in seconds on the session clock, not in beats.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

NS_PER_S = 1_000_000_000


def successive_differences_ms(rr_ms: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """Return ΔRR (ms) between consecutive beats that share a segment id."""
    rr = np.asarray(rr_ms, dtype=float)
    seg = np.asarray(segment)
    same = seg[1:] == seg[:-1]
    return np.diff(rr)[same]


def rmssd_ms(rr_ms: np.ndarray, segment: np.ndarray | None = None) -> float:
    """Return RMSSD (ms) of `rr_ms`, skipping differences across segment changes.

    Examples
    --------
    >>> round(rmssd_ms(np.array([800.0, 810.0, 790.0])), 6)
    15.811388
    """
    seg = np.zeros(len(rr_ms), dtype=int) if segment is None else segment
    d = successive_differences_ms(rr_ms, seg)
    if d.size == 0:
        return math.nan
    return float(np.sqrt(np.mean(d * d)))


@dataclass(frozen=True, slots=True)
class PersonMetrics:
    """One update of a person's metrics; None values are "not available" (see `unavailable`)."""

    t_ns: int
    hr_bpm: float | None
    rmssd_ms: float | None
    ln_rmssd: float | None
    n_beats: int
    n_diffs: int
    artifact_share: float
    window_s: float
    hr_window_s: float
    unavailable: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as a JSON-ready dict (the `metrics.<role>` payload)."""
        return asdict(self)


class TrailingHrv:
    """Keeps one person's recent beats and returns their metrics after each update.

    Parameters
    ----------
    window_s
        Trailing window for RMSSD, seconds (default 60).
    hr_window_s
        Trailing window for HR, seconds (default 10: responsive but not jumpy).
    min_diffs
        Fewest successive differences for RMSSD to be reported.
    max_change
        Relative deviation from the recent median RR beyond which a beat is excluded.
    """

    def __init__(
        self,
        window_s: float = 60.0,
        hr_window_s: float = 10.0,
        min_diffs: int = 10,
        max_change: float = 0.2,
    ) -> None:
        self.window_s = window_s
        self.hr_window_s = hr_window_s
        self.min_diffs = min_diffs
        self.max_change = max_change
        # (t_ns, rr_ms, segment, accepted)
        self._beats: deque[tuple[int, float, int, bool]] = deque()
        self._recent: deque[float] = deque(maxlen=5)  # accepted RRs of this segment
        self._segment = 0

    def update(self, t_ns: list[int], rr_ms: list[float], gap_before: bool) -> PersonMetrics:
        """Add the beats of one notification and return the metrics at its last beat."""
        if gap_before:
            self._segment += 1
            self._recent.clear()
        for t, rr in zip(t_ns, rr_ms, strict=True):
            rr = float(rr)
            accepted = True
            if self._recent:
                reference = float(np.median(self._recent))
                accepted = abs(rr - reference) <= self.max_change * reference
            if accepted:
                self._recent.append(rr)
            self._beats.append((int(t), rr, self._segment, accepted))
        now_ns = self._beats[-1][0] if self._beats else 0
        cutoff = now_ns - int(self.window_s * NS_PER_S)
        while self._beats and self._beats[0][0] <= cutoff:
            self._beats.popleft()
        return self.metrics(now_ns)

    def metrics(self, now_ns: int) -> PersonMetrics:
        """Return the metrics over the windows ending at `now_ns`."""
        if self._beats:
            t, rr, seg, ok = (np.array(c) for c in zip(*self._beats, strict=True))
        else:
            t, rr, seg = np.zeros(0, np.int64), np.zeros(0), np.zeros(0, int)
            ok = np.zeros(0, bool)
        n_beats = int(rr.size)
        artifact_share = float(1.0 - ok.mean()) if n_beats else 0.0
        # Excluded beats split the segment: no difference is taken across them.
        seg = np.where(ok, seg * 2 * (n_beats + 1) + np.cumsum(~ok), -1 - np.arange(n_beats))
        unavailable: dict[str, str] = {}
        hr_mask = (t > now_ns - int(self.hr_window_s * NS_PER_S)) & ok
        hr_bpm: float | None = None
        if hr_mask.any():
            hr_bpm = 60000.0 / float(np.mean(rr[hr_mask]))
        else:
            unavailable["hr_bpm"] = f"no artifact-free beats in the last {self.hr_window_s:g} s"
        diffs = successive_differences_ms(rr, seg)
        rmssd: float | None = None
        ln_rmssd: float | None = None
        if diffs.size >= self.min_diffs:
            rmssd = float(np.sqrt(np.mean(diffs * diffs)))
            if rmssd > 0:
                ln_rmssd = math.log(rmssd)
            else:
                unavailable["ln_rmssd"] = "RMSSD is 0 (identical intervals): no logarithm"
        else:
            reason = (
                f"{diffs.size} successive intervals in the last {self.window_s:g} s "
                f"(needs {self.min_diffs})"
            )
            unavailable["rmssd_ms"] = reason
            unavailable["ln_rmssd"] = reason
        return PersonMetrics(
            t_ns=int(now_ns),
            hr_bpm=hr_bpm,
            rmssd_ms=rmssd,
            ln_rmssd=ln_rmssd,
            n_beats=n_beats,
            n_diffs=int(diffs.size),
            artifact_share=artifact_share,
            window_s=self.window_s,
            hr_window_s=self.hr_window_s,
            unavailable=unavailable,
        )
