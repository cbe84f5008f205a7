"""An LSL stream as one person's strap (`monitor --client lsl:NAME`): RR directly, or ECG.

The stream is looked for by name; type ``RR`` gives one beat per sample (the
sample's value in ms, its LSL time the beat's time), type ``ECG`` gives samples
whose R peaks NeuroKit2 finds in the publisher (`acquisition/lsl_feed.py`), as for
a Polar H10's ECG. Times are mapped onto the session clock through `ClockMap`.

It behaves as a strap: ``connecting`` until the stream is found, ``streaming``
while it is read, ``disconnected`` (a recorded gap) when it vanishes, and
``streaming`` again when it returns; beats after a return start a new segment.
A stream or a sample that cannot be a heartbeat is refused, counted and flagged
(``bad payload``), never passed on and never fatal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import numpy as np

from coregulate.acquisition.lsl import ClockMap, LslUnavailable, load_pylsl
from coregulate.acquisition.lsl_inlet import LslInlet, StreamLost, StreamRefused
from coregulate.acquisition.source import (
    STATUS_CONNECTING,
    STATUS_DISCONNECTED,
    STATUS_GAVE_UP,
    STATUS_RECONNECTING,
    STATUS_STREAMING,
    SourceEvent,
)
from coregulate.clock import SessionClock
from coregulate.signal.artifacts import MAX_RR_MS

log = logging.getLogger(__name__)

# data: JSON {"beat_t_ns", "rr_ms", "lsl_s", "gap_before"} ("t_ns" is the envelope's scalar)
KIND_LSL_RR: Final = "lsl-rr"
KIND_LSL_ECG: Final = "lsl-ecg"  # data: JSON {"rate_hz", "t_last_ns", "uv", "lsl_s_last"}
KIND_LSL_REFUSED: Final = "lsl-refused"  # data: JSON {"kind", "error", "n"}
MIN_BEAT_SPACING_S: Final = 0.2  # a beat closer than this to the last (>300 bpm): absurd
FUTURE_SLACK_NS: Final = 2_000_000_000  # a beat stamped further ahead than this: refused
POLL_S: Final = 0.02
MAX_PER_EVENT: Final = 64  # beats (or 4x as many ECG samples) per event, well inside the bus limits


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


class LslStrap:
    """The LSL stream named in an `LslStrapSpec`, as one role's `HeartRateSource`."""

    def __init__(self, spec: Any, clock: SessionClock, retry_s: float = 1.0) -> None:
        self.role = spec.role
        self.name = f"lsl:{spec.stream}"
        self._spec = spec
        self._clock = clock
        self._retry_s = retry_s
        self._map: ClockMap | None = None
        self._gap = True  # the next beat starts a segment
        self._last_ns: int | None = None  # the last beat passed on

    def _event(self, **fields: Any) -> SourceEvent:
        return SourceEvent(self.role, self._clock.now_ns(), **fields)

    def _refused(self, kind: str, error: str, n: int = 1) -> SourceEvent:
        self._gap = True
        body = {"kind": kind, "error": error, "n": n}
        return self._event(data=_json(body), kind=KIND_LSL_REFUSED)

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield status changes and samples until cancelled (a vanished stream is waited for)."""
        try:
            pylsl = load_pylsl(self._spec.lab)
        except LslUnavailable as exc:
            yield self._event(status=STATUS_GAVE_UP, detail={"error": str(exc)})
            return
        clock = self._clock
        self._map = ClockMap.measure(clock.monotonic_anchor_ns, clock.speed, pylsl.local_clock)
        reader = LslInlet(pylsl, self._spec.stream, ("RR", "ECG"), self._spec.resolve_timeout_s)
        yield self._event(status=STATUS_CONNECTING, detail={"name": self.name})
        try:
            while True:
                try:
                    found = await asyncio.to_thread(reader.find)
                except StreamRefused as exc:
                    log.error("%s strap: %s; refused", self.role, exc)
                    yield self._refused(exc.kind, str(exc))
                    found = False
                if not found:
                    await asyncio.sleep(self._retry_s)
                    continue
                self._gap = True
                yield self._event(status=STATUS_STREAMING, detail=self._details(reader))
                try:
                    while True:
                        samples, stamps = reader.pull()
                        for event in self._convert(reader, samples, stamps):
                            yield event
                        await asyncio.sleep(POLL_S)
                except StreamLost as exc:
                    log.warning("%s strap: %s; waiting for it to return", self.role, exc)
                    yield self._event(status=STATUS_DISCONNECTED, detail={"reason": str(exc)})
                    yield self._event(status=STATUS_RECONNECTING)
        finally:
            reader.close()

    def _details(self, reader: LslInlet) -> dict[str, Any]:
        return {
            "name": self.name,
            "lsl_type": reader.type.upper(),
            "lsl_source_id": reader.source_id,
            "lsl_rate_hz": reader.rate_hz,
        }

    def _convert(self, reader: LslInlet, samples: Any, stamps: np.ndarray) -> list[SourceEvent]:
        if not len(stamps):
            return []
        values = np.asarray(samples, dtype=float).reshape(len(stamps), -1)[:, 0]
        if reader.type != "ecg":
            return self._rr(values, stamps)
        step = 4 * MAX_PER_EVENT
        return [
            event
            for i in range(0, len(stamps), step)
            for event in self._ecg(
                reader, values[i : i + step] * reader.uv_per_unit, stamps[i : i + step]
            )
        ]

    def _problem(self, rr: float, t_ns: int, latest_ns: int) -> tuple[str, str] | None:
        """Return why the beat (`rr` ms at session time `t_ns`) is refused, or None."""
        if not np.isfinite(rr):
            return "not a number", f"RR sample {rr!r}: not a number"
        if not 0 < rr <= MAX_RR_MS:
            return "implausible RR", f"RR {rr:g} ms outside (0, {MAX_RR_MS:g}]"
        if t_ns > latest_ns:
            return "time in the future", f"beat stamped {(t_ns - latest_ns) / 1e9:.1f} s ahead"
        if self._last_ns is not None and t_ns - self._last_ns < MIN_BEAT_SPACING_S * 1e9:
            return (
                "absurd rate",
                f"beats {(t_ns - self._last_ns) / 1e6:.0f} ms apart (a heart beats at most "
                f"every {MIN_BEAT_SPACING_S * 1e3:.0f} ms)",
            )
        return None

    def _rr(self, rr_ms: np.ndarray, stamps: np.ndarray) -> list[SourceEvent]:
        """Return one event per run of acceptable beats, and one per kind of refusal.

        Refusals of one chunk are reported once per kind with their number, so a
        flood of bad samples is one flag, not a flood of bus messages.
        """
        assert self._map is not None
        events: list[SourceEvent] = []
        run: dict[str, list[Any]] = {"beat_t_ns": [], "rr_ms": [], "lsl_s": []}
        refused: dict[str, list[Any]] = {}
        latest_ns = self._clock.now_ns() + FUTURE_SLACK_NS

        def close_run() -> None:
            if run["beat_t_ns"]:
                body = {**run, "gap_before": self._gap}
                events.append(self._event(data=_json(body), kind=KIND_LSL_RR))
                self._gap = False
                run.update(beat_t_ns=[], rr_ms=[], lsl_s=[])

        for rr, lsl_s in zip(rr_ms.tolist(), stamps.tolist(), strict=True):
            if len(run["beat_t_ns"]) >= MAX_PER_EVENT:
                close_run()
            t_ns = self._map.session_ns(lsl_s)
            problem = self._problem(rr, t_ns, latest_ns)
            if problem is None:
                self._last_ns = t_ns
                run["beat_t_ns"].append(t_ns)
                run["rr_ms"].append(rr)
                run["lsl_s"].append(lsl_s)
                continue
            close_run()
            self._gap = True
            refused.setdefault(problem[0], [problem[1], 0])[1] += 1
        close_run()
        for kind, (error, n) in refused.items():
            events.append(
                self._refused(kind, error if n == 1 else f"{error} (and {n - 1} more)", n)
            )
        return events

    def _ecg(self, reader: LslInlet, uv: np.ndarray, stamps: np.ndarray) -> list[SourceEvent]:
        """Return the chunk as one ECG event, or a refusal (the detector then restarts)."""
        assert self._map is not None
        if not np.all(np.isfinite(uv)) or np.any(np.abs(uv) > 2**23 - 1):
            bad = int(np.sum(~np.isfinite(uv) | (np.abs(np.nan_to_num(uv)) > 2**23 - 1)))
            return [
                self._refused("not a number", f"{bad} ECG samples not finite or out of range"),
                self._event(data=_json({"gap": True}), kind=KIND_LSL_ECG),
            ]
        body = {
            "rate_hz": reader.rate_hz,
            "t_last_ns": self._map.session_ns(float(stamps[-1])),
            "lsl_s_last": float(stamps[-1]),
            "uv": np.rint(uv).astype(int).tolist(),
        }
        return [self._event(data=_json(body), kind=KIND_LSL_ECG)]
