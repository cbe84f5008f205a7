"""One person's breathing and movement, live: ACC frames in, an update every few seconds.

Fed by the strap publisher (acquisition/publisher.py), which decodes the frames.
Driven by the accelerometer frames alone (never by beats or the wall clock), so a
replay of the same frames gives the same updates whatever else interleaves with
them. Samples are placed on the session clock by the strap's own stamps, tied to
arrival by the first frame (the strap's clock drifts by ppm: 0.4 ms an hour at
100 ppm, nothing against a 60 s window). Every :data:`STEP_S` of strap time the
tracker returns an update: the breathing rate over the last :data:`WINDOW_S`
seconds (signal/breathing.py), whether the person moved during the step
(signal/movement.py) and, when the rate leaves 9-24/min, the note that HF power
and RSA are not vagal indices now.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Final

import numpy as np

from coregulate.signal.breathing import DECIMATED_HZ, WINDOW_S, breathing_rate, hf_band_note
from coregulate.signal.movement import MOVING_MG, POSTURE_DEG

STEP_S: Final = 5.0
GAP_NS: Final = 1_000_000_000  # frames missing for longer: the window restarts
ACC_RATE_HZ: Final = 200  # what the strap is started at (acquisition/pmd_acc.py)
NS: Final = 1_000_000_000
_BLOCK = round(ACC_RATE_HZ / DECIMATED_HZ)  # 20 samples -> one 10 Hz row
_EPOCH = ACC_RATE_HZ  # 1 s of samples per movement epoch


class BreathingTracker:
    """Keeps one person's recent accelerometer data; see the module docstring."""

    def __init__(self) -> None:
        self._offset_ns: int | None = None  # session time - strap time
        self._next_ns: int | None = None  # session time of the next update
        self._pending = np.empty((0, 3))  # samples not yet in a 10 Hz row
        self._epoch = np.empty((0, 3))  # samples of the current movement epoch
        self._rows: deque[np.ndarray] = deque(maxlen=int(WINDOW_S * DECIMATED_HZ))
        self._gravity: deque[np.ndarray] = deque(maxlen=3)
        self._index_mg = 0.0  # the step's largest movement index
        self._turned = False  # a posture change during the step
        self._moved_ns: int | None = None  # the end of the last step with movement
        self._last_stamp_ns: int | None = None

    def add(self, arrival_ns: int, stamp_ns: int, mg: np.ndarray) -> list[dict[str, Any]]:
        """Take one frame's (n, 3) samples in mg, its last one stamped `stamp_ns` by the strap.

        Return the updates whose time the frame passed (usually none).
        """
        if not len(mg):
            return []
        frame_ns = len(mg) * NS // ACC_RATE_HZ
        if self._last_stamp_ns is not None and stamp_ns - self._last_stamp_ns > GAP_NS + frame_ns:
            self._restart()  # frames were lost: no window spans the hole
        self._last_stamp_ns = stamp_ns
        if self._offset_ns is None:
            self._offset_ns = arrival_ns - stamp_ns
            step_ns = int(STEP_S * NS)
            self._next_ns = (arrival_ns // step_ns + 1) * step_ns  # on the session's 5 s grid
        end_ns = stamp_ns + self._offset_ns
        out = []
        # Samples up to each due update are taken before it is computed, so where a
        # frame ends never changes an update.
        start = 0
        while self._next_ns is not None and end_ns >= self._next_ns:
            # The sample times only when an update falls in this frame (1 frame in 28).
            t_ns = end_ns - (len(mg) - 1 - np.arange(len(mg))) * (NS / ACC_RATE_HZ)
            cut = int(np.searchsorted(t_ns, self._next_ns, side="right"))
            self._take(mg[start:cut])
            start = cut
            out.append(self._update(self._next_ns))
            self._next_ns += int(STEP_S * NS)
        self._take(mg[start:])
        return out

    def _take(self, mg: np.ndarray) -> None:
        if not len(mg):
            return
        pending = np.concatenate([self._pending, mg])
        n = len(pending) // _BLOCK * _BLOCK
        # sum / 20 is what mean computes, without its per-call overhead (same bits).
        self._rows.extend(pending[:n].reshape(-1, _BLOCK, 3).sum(axis=1) / _BLOCK)
        self._pending = pending[n:]
        epoch = np.concatenate([self._epoch, mg])
        while len(epoch) >= _EPOCH:
            self._close_epoch(epoch[:_EPOCH])
            epoch = epoch[_EPOCH:]
        self._epoch = epoch

    def _restart(self) -> None:
        """Start the breathing window afresh (after movement or lost frames)."""
        self._rows.clear()
        self._pending = np.empty((0, 3))

    def _close_epoch(self, samples: np.ndarray) -> None:
        index = float(np.sqrt((samples**2).sum(axis=1)).std())
        self._index_mg = max(self._index_mg, index)
        g = samples.mean(axis=0)
        g = g / max(float(np.linalg.norm(g)), 1e-9)
        turned = False
        if len(self._gravity) == 3:
            cos = float(np.clip(g @ self._gravity[1], -1.0, 1.0))
            turned = bool(np.degrees(np.arccos(cos)) > POSTURE_DEG)
        self._turned |= turned
        self._gravity.append(g)
        if index > MOVING_MG or turned:
            # Gestures swamp the chest's tilt and a new posture shifts every axis: the
            # rate restarts from still data (30 s later at the earliest, MIN_WINDOW_S).
            self._restart()

    def _update(self, t_ns: int) -> dict[str, Any]:
        est = breathing_rate(np.array(self._rows), DECIMATED_HZ)
        rate = None if est.rate_bpm is None else round(est.rate_bpm, 2)
        note = hf_band_note(rate)
        moving = self._index_mg > MOVING_MG or self._turned
        if moving:
            self._moved_ns = t_ns
        reason = est.reason
        if rate is None and self._moved_ns is not None and t_ns - self._moved_ns <= 35 * NS:
            reason = "movement in the last 30 s"
        update = {
            "t_ns": int(t_ns),
            "breathing_rate_bpm": rate,
            "breathing_source": "acc",
            "window_s": WINDOW_S,
            "movement_mg": round(self._index_mg, 1),
            "moving": moving,
            "posture_change": self._turned,
            "hf_note": note,
            # HF power and RSA read as vagal indices only with breathing in the HF band.
            "flags": {"hf_power_ms2": note, "rsa_ln_ms2": note} if note else {},
            "unavailable": {} if rate is not None else {"breathing_rate_bpm": reason},
        }
        self._index_mg, self._turned = 0.0, False
        return update


def apply_breathing(payload: dict[str, Any], breath: dict[str, Any] | None) -> dict[str, Any]:
    """Return a `metrics.<role>` payload marked by the person's latest breathing update.

    Only an update from one step after to two steps before the payload counts.
    While the person moves, the state word is "moving" and the arousal index is
    withheld with the reason (heart rate then follows the body, not arousal); with
    breathing outside the HF band, `flags` names HF power and RSA. Without a recent
    update the payload is returned as it is, so sessions without ACC read as before.
    """
    t_ns = payload.get("t_ns")
    if breath is None or not isinstance(t_ns, int) or payload.get("state") is None:
        return payload
    # The update covers the step before it; beats are classified a little late.
    if not -STEP_S * NS <= t_ns - breath["t_ns"] <= 2 * STEP_S * NS:
        return payload
    out = dict(payload)
    if breath["flags"]:
        out["flags"] = dict(breath["flags"])
    if breath["moving"]:
        out["state"] = "moving"
        out["arousal_index"] = None
        out["unavailable"] = {
            **payload.get("unavailable", {}),
            "arousal_index": f"moving (movement index {breath['movement_mg']:.0f} mg): "
            "heart rate follows the body now, not arousal",
        }
    return out
