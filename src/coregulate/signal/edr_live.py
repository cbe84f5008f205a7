"""One person's breathing from their ECG, live: ECG frames in, an update every few seconds.

For a strap that streams ECG but no accelerometer (ACC refused, or not started):
the strap publisher feeds each decoded ECG frame here until an ACC frame arrives,
which then takes over for good (signal/breathing_live.py). Like the ACC tracker it
is driven by the frames alone: samples are placed on the session clock by the
strap's stamps (tied to arrival by the first frame), and every :data:`STEP_S` of
strap time, on the session's 5 s grid, it returns an update with the breathing rate
of the last :data:`WINDOW_S` seconds of ECG (signal/edr.py; the first rate after 30 s,
a change shows fully after one window). So a replay of the same frames gives the
same updates. Nothing is returned before 30 s of ECG have been seen, which leaves
a strap's accelerometer, started just after its ECG, the time to take over without
an ECG update before it. The ECG cannot tell movement: ``moving``,
``posture_change`` and ``movement_mg`` are None. Lost frames (over 1 s missing)
restart the window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from coregulate.signal.breathing import MIN_WINDOW_S, WINDOW_S, hf_band_note
from coregulate.signal.edr import edr_rate

STEP_S: Final = 5.0
GAP_NS: Final = 1_000_000_000
NS: Final = 1_000_000_000


class EcgBreathingTracker:
    """Keeps one person's last minute of ECG; see the module docstring."""

    def __init__(self, rate_hz: float = 130.0) -> None:
        self.rate_hz = rate_hz
        self._uv: deque[float] = deque(maxlen=int(WINDOW_S * rate_hz))
        self._offset_ns: int | None = None  # session time - strap time
        self._next_ns: int | None = None
        self._last_stamp_ns: int | None = None
        self._seen = 0  # samples since the first frame

    def add(self, arrival_ns: int, stamp_ns: int, uv: Sequence[int]) -> list[dict[str, Any]]:
        """Take one frame's samples (µV), its last one stamped `stamp_ns` by the strap.

        Return the updates whose time the frame passed (usually none).
        """
        if not len(uv):
            return []
        per_ns = NS / self.rate_hz
        last = self._last_stamp_ns
        if last is not None and stamp_ns - last > GAP_NS + len(uv) * per_ns:
            self._uv.clear()  # frames were lost: no window spans the hole
        self._last_stamp_ns = stamp_ns
        if self._offset_ns is None:
            self._offset_ns = arrival_ns - stamp_ns
            step_ns = int(STEP_S * NS)
            self._next_ns = (arrival_ns // step_ns + 1) * step_ns
        t_ns = stamp_ns + self._offset_ns - (len(uv) - 1 - np.arange(len(uv))) * per_ns
        out, start = [], 0
        # Samples up to each due update are taken first: where a frame ends changes nothing.
        while self._next_ns is not None and t_ns[-1] >= self._next_ns:
            cut = int(np.searchsorted(t_ns, self._next_ns, side="right"))
            self._take(uv[start:cut])
            start = cut
            if self._seen >= MIN_WINDOW_S * self.rate_hz:
                out.append(self._update(self._next_ns))
            self._next_ns += int(STEP_S * NS)
        self._take(uv[start:])
        return out

    def _take(self, uv: Sequence[int]) -> None:
        self._uv.extend(float(v) for v in uv)
        self._seen += len(uv)

    def _update(self, t_ns: int) -> dict[str, Any]:
        est = edr_rate(np.array(self._uv), self.rate_hz)
        rate = None if est.rate_bpm is None else round(est.rate_bpm, 2)
        note = hf_band_note(rate)
        return {
            "t_ns": int(t_ns),
            "breathing_rate_bpm": rate,
            "breathing_source": "ecg",
            "window_s": WINDOW_S,
            "movement_mg": None,
            "moving": None,
            "posture_change": None,
            "hf_note": note,
            "flags": {"hf_power_ms2": note, "rsa_ln_ms2": note} if note else {},
            "unavailable": {} if rate is not None else {"breathing_rate_bpm": est.reason},
        }
