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
KIND_LSL_REFUSED: Final = "lsl-refused"  # data: JSON {"kind", "error"}
MIN_BEAT_SPACING_S: Final = 0.2  # a chunk of RR samples closer than this (>300 bpm): absurd
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

    def _event(self, **fields: Any) -> SourceEvent:
        return SourceEvent(self.role, self._clock.now_ns(), **fields)

    def _refused(self, kind: str, error: str) -> SourceEvent:
        self._gap = True
        return self._event(data=_json({"kind": kind, "error": error}), kind=KIND_LSL_REFUSED)

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

    def _rr(self, rr_ms: np.ndarray, stamps: np.ndarray) -> list[SourceEvent]:
        """Return one event per run of acceptable beats, and one per refused sample."""
        assert self._map is not None
        if len(stamps) >= 5 and np.median(np.diff(stamps)) < MIN_BEAT_SPACING_S:
            return [
                self._refused(
                    "absurd rate",
                    f"{len(stamps)} RR samples {np.median(np.diff(stamps)) * 1e3:.0f} ms apart "
                    f"(a heart beats at most every {MIN_BEAT_SPACING_S * 1e3:.0f} ms); left out",
                )
            ]
        events: list[SourceEvent] = []
        run: dict[str, list[Any]] = {"beat_t_ns": [], "rr_ms": [], "lsl_s": []}
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
            problem = (
                ("not a number", f"RR sample {rr!r}: not a number")
                if not np.isfinite(rr)
                else ("implausible RR", f"RR {rr:g} ms outside (0, {MAX_RR_MS:g}]")
                if not 0 < rr <= MAX_RR_MS
                else ("time in the future", f"beat stamped {(t_ns - latest_ns) / 1e9:.1f} s ahead")
                if t_ns > latest_ns
                else None
            )
            if problem is None:
                run["beat_t_ns"].append(t_ns)
                run["rr_ms"].append(rr)
                run["lsl_s"].append(lsl_s)
                continue
            close_run()
            events.append(self._refused(*problem))
        close_run()
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
