"""Beats from Polar PMD ECG: R peaks by NeuroKit2, placed on the session clock.

ECG frames carry the strap's own timestamp of their last sample (ns since
2000-01-01 on the strap's clock). The strap clock is mapped to the session clock by
the trailing lower envelope of ``arrival - stamp``: a frame cannot arrive before its
last sample was taken, and the fastest frame of the window bounds the offset best
(late by the link's minimum latency, as for the strap's RR; see beat_timing.py).

Every `step_s` of new signal, NeuroKit2 (`ecg_clean`, then `ecg_peaks`, its
default method; NeuroKit2 is the definition of record) runs on the trailing
`window_s` of samples; peaks closer than `settle_s` to the newest sample wait for
the next run, since a peak at the edge of a window may move. Each peak is refined
to a fraction of a sample by a parabola through the cleaned signal's three samples
around it, so beats have millisecond precision at 130 Hz (7.7 ms per sample).
Lost frames (a jump in the sample timestamps) or a disconnection start a new
segment: the first beat after it has no interval and is not emitted.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import numpy as np

from coregulate.acquisition.pmd import ECG_RATE_HZ, EcgFrame

log = logging.getLogger(__name__)

REFRACTORY_NS = 250_000_000  # two R peaks are at least this far apart (240 bpm)
MAX_RR_NS = 3_000_000_000  # a longer interval means beats were missed: a gap


class EcgBeatDetector:
    """Turns a stream of ECG frames into `beat.<role>` payloads.

    Parameters
    ----------
    rate_hz
        ECG sampling rate (130 Hz on the Polar H10).
    window_s, step_s, settle_s
        Length of signal analysed per run, new signal between runs, and how far from
        the newest sample a peak must be before it is emitted.
    offset_window_s
        Trailing window of the strap-to-session clock envelope.
    """

    def __init__(
        self,
        rate_hz: float = ECG_RATE_HZ,
        window_s: float = 10.0,
        step_s: float = 2.0,
        settle_s: float = 1.0,
        offset_window_s: float = 120.0,
    ) -> None:
        self.rate_hz = rate_hz
        self._dt_ns = 1e9 / rate_hz
        self._max_samples = int(window_s * rate_hz)
        self._step = int(step_s * rate_hz)
        self._settle = int(settle_s * rate_hz)
        self._offset_window_ns = int(offset_window_s * 1e9)
        self._offsets: deque[tuple[int, int]] = deque()  # (arrival_ns, arrival - stamp)
        self._t_ns: deque[int] = deque()  # strap-clock time of each buffered sample
        self._uv: deque[int] = deque()
        self._new = 0
        self._last_peak_ns: float | None = None  # strap clock
        self._gap = True

    def mark_gap(self) -> None:
        """Forget the signal so far: the strap dropped; the next beat starts a segment."""
        self._t_ns.clear()
        self._uv.clear()
        self._new = 0
        self._last_peak_ns = None
        self._gap = True

    def _offset_ns(self, arrival_ns: int, stamp_ns: int) -> int:
        self._offsets.append((arrival_ns, arrival_ns - stamp_ns))
        while self._offsets[0][0] < arrival_ns - self._offset_window_ns:
            self._offsets.popleft()
        return min(o for _, o in self._offsets)

    def add_frame(self, arrival_ns: int, frame: EcgFrame) -> list[dict[str, Any]]:
        """Take one frame; return the beat payloads of newly settled R peaks (often none)."""
        times = frame.sample_times_ns(self.rate_hz)
        if self._t_ns:
            step_ns = times[0] - self._t_ns[-1]
            if not 0 < step_ns < 3 * self._dt_ns:
                log.info("ECG frames lost or out of order (%.0f ms jump)", step_ns / 1e6)
                self.mark_gap()
        offset_ns = self._offset_ns(arrival_ns, frame.timestamp_ns)
        self._t_ns.extend(times)
        self._uv.extend(frame.samples_uv)
        while len(self._t_ns) > self._max_samples:
            self._t_ns.popleft()
            self._uv.popleft()
        self._new += len(times)
        if self._new < self._step or len(self._uv) < 2 * self._settle + 3 * self.rate_hz:
            return []
        self._new = 0
        return self._beats(self._peaks(), offset_ns)

    def _peaks(self) -> list[float]:
        """Return the strap-clock times of the settled R peaks in the buffer."""
        import neurokit2 as nk

        signal = np.asarray(self._uv, dtype=float)
        cleaned = nk.ecg_clean(signal, sampling_rate=self.rate_hz)
        _, info = nk.ecg_peaks(cleaned, sampling_rate=self.rate_hz)
        times = np.asarray(self._t_ns, dtype=np.int64)
        peaks = []
        for p in np.asarray(info["ECG_R_Peaks"], dtype=int):
            if p < 1 or p >= len(cleaned) - self._settle:
                continue
            y0, y1, y2 = cleaned[p - 1], cleaned[p], cleaned[p + 1]
            den = y0 - 2 * y1 + y2
            frac = 0.5 * (y0 - y2) / den if den < 0 else 0.0  # vertex of the parabola
            peaks.append(float(times[p]) + max(-0.5, min(0.5, frac)) * self._dt_ns)
        return peaks

    def _beats(self, peaks: list[float], offset_ns: int) -> list[dict[str, Any]]:
        segments: list[tuple[list[int], list[float], bool]] = []
        for t in peaks:
            last = self._last_peak_ns
            if last is not None and t <= last + REFRACTORY_NS:
                continue  # already emitted (windows overlap) or too close to be a beat
            self._last_peak_ns = t
            if last is None or t - last > MAX_RR_NS:
                self._gap = True  # no interval to the previous beat: a new segment
                continue
            if not segments or self._gap:
                segments.append(([], [], self._gap))
                self._gap = False
            segments[-1][0].append(round(t + offset_ns))
            segments[-1][1].append((t - last) / 1e6)
        return [
            {
                "t_ns": t_ns,
                "rr_ms": rr_ms,
                "rr_ticks": None,
                "gap_before": gap,
                "hr_bpm": round(60000.0 / float(np.mean(rr_ms))),
                "contact": True,
                "source": "ecg",
            }
            for t_ns, rr_ms, gap in segments
        ]
