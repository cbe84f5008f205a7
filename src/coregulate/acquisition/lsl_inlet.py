"""One LSL stream taken in by name: found, checked, opened, read, and noticed when it vanishes.

Blocking (a resolve waits up to `resolve_timeout_s`); callers run `find` in a
thread. Timestamps come out on this computer's LSL clock, corrected as LabRecorder
and pyxdf do: the inlet's clock offsets to the outlet's host (``proc_clocksync``),
jitter removed for regular-rate streams (``proc_dejitter``, the online form of
pyxdf's ``dejitter_timestamps``) and never going backwards (``proc_monotonize``).

A stream that does not fit (wrong type, a channel format that is not numeric, an
absurd nominal rate, a channel count other than the one first seen) is refused
with a `StreamRefused` saying why, once per stream instance, and never opened.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

log = logging.getLogger(__name__)

# Nominal rates accepted (Hz): an ECG amplifier samples 50 Hz-4 kHz; an RR or marker
# stream is irregular (0) or, for a bridge that declares one, at most a few per second.
ECG_RATE_HZ: Final = (50.0, 4000.0)
EVENT_MAX_RATE_HZ: Final = 5.0
MAX_CHUNK_SAMPLES: Final = 4096
# Unit -> factor to µV for ECG channels (desc/channels/channel/unit); absent: µV.
UV_PER_UNIT: Final = {
    "": 1.0, "uv": 1.0, "µv": 1.0, "microvolts": 1.0, "microvolt": 1.0,
    "mv": 1e3, "millivolts": 1e3, "millivolt": 1e3, "v": 1e6, "volts": 1e6, "volt": 1e6,
}  # fmt: skip


class StreamRefused(Exception):
    """A stream of that name exists but cannot be used; `kind` is a short counter key."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class StreamLost(Exception):
    """The stream being read has gone (its outlet closed or its host is unreachable)."""


class LslInlet:
    """The LSL stream called `name`, of one of `types` (case-insensitive).

    Parameters
    ----------
    pylsl
        The module from `coregulate.acquisition.lsl.load_pylsl` (scope already set).
    name, types
        The stream's name, and the content types accepted ("RR", "ECG", "Markers").
    resolve_timeout_s
        How long one search waits for the stream.
    """

    def __init__(
        self, pylsl: Any, name: str, types: Sequence[str], resolve_timeout_s: float = 1.0
    ) -> None:
        self._lsl = pylsl
        self.name = name
        self.types = tuple(t.lower() for t in types)
        self.resolve_timeout_s = resolve_timeout_s
        self.channel_count: int | None = None  # fixed by the first stream accepted
        self.type = ""
        self.rate_hz = 0.0
        self.uv_per_unit = 1.0
        self.source_id = ""
        self._inlet: Any = None
        self._refused: set[str] = set()

    def find(self) -> bool:
        """Open the stream if it is there now; False if not (or only a refused one is).

        Raises StreamRefused the first time a given stream instance does not fit.
        """
        infos = self._lsl.resolve_byprop("name", self.name, 1, self.resolve_timeout_s)
        for info in infos:
            uid = info.uid()
            if uid in self._refused:
                continue
            try:
                self._check(info)
            except StreamRefused:
                self._refused.add(uid)
                raise
            try:
                self._open(info)
            except (self._lsl.util.TimeoutError, self._lsl.util.LostError) as exc:
                # It went between the search and the connection: not there now.
                log.info("%s: could not open (%s); looking again", self.name, exc)
                self.close()
                return False
            return True
        return False

    def _check(self, info: Any) -> None:
        """Raise StreamRefused unless `info` describes a stream this reader can take."""
        kind, rate = info.type().lower(), info.nominal_srate()
        where = f"LSL stream {self.name!r}"
        if kind not in self.types:
            wanted = " or ".join(t.upper() if t != "markers" else "Markers" for t in self.types)
            raise StreamRefused("wrong type", f"{where} has type {info.type()!r}, not {wanted}")
        string = info.channel_format() == self._lsl.cf_string
        if string != (kind == "markers"):
            raise StreamRefused(
                "wrong format", f"{where}: {'text' if string else 'numeric'} samples for {kind}"
            )
        if kind == "ecg" and not ECG_RATE_HZ[0] <= rate <= ECG_RATE_HZ[1]:
            raise StreamRefused(
                "absurd rate",
                f"{where}: ECG at {rate:g} Hz; {ECG_RATE_HZ[0]:g}-{ECG_RATE_HZ[1]:g} Hz accepted",
            )
        if kind != "ecg" and not (rate == 0 or 0 < rate <= EVENT_MAX_RATE_HZ):
            raise StreamRefused(
                "absurd rate",
                f"{where}: {rate:g} samples/s declared; an {info.type()} stream is irregular "
                f"(0) or at most {EVENT_MAX_RATE_HZ:g}/s",
            )
        n = info.channel_count()
        if n < 1 or (kind == "rr" and n != 1):
            raise StreamRefused("channel count", f"{where}: {n} channels (an RR stream has 1)")
        if self.channel_count is not None and n != self.channel_count:
            raise StreamRefused(
                "channel count changed",
                f"{where} came back with {n} channels instead of {self.channel_count}",
            )

    def _open(self, info: Any) -> None:
        lsl = self._lsl
        kind = info.type().lower()
        flags = lsl.proc_clocksync | lsl.proc_monotonize
        if kind == "ecg":
            flags |= lsl.proc_dejitter
        self._inlet = lsl.StreamInlet(info, max_buflen=60, recover=False, processing_flags=flags)
        self._inlet.open_stream(timeout=max(1.0, self.resolve_timeout_s))
        full = self._inlet.info(timeout=max(1.0, self.resolve_timeout_s))
        unit = full.desc().child("channels").child("channel").child_value("unit")
        self.uv_per_unit = UV_PER_UNIT.get(unit.strip().lower(), 1.0)
        if unit.strip().lower() not in UV_PER_UNIT:
            log.warning("%s: unknown ECG unit %r, read as µV", self.name, unit)
        self.channel_count = info.channel_count()
        self.type, self.rate_hz, self.source_id = kind, info.nominal_srate(), info.source_id()

    def pull(self) -> tuple[Any, np.ndarray]:
        """Return the samples waiting (rows) and their LSL times (s); raise StreamLost if gone."""
        if self._inlet is None:
            raise StreamLost(f"LSL stream {self.name!r} is not open")
        try:
            samples, stamps = self._inlet.pull_chunk(timeout=0.0, max_samples=MAX_CHUNK_SAMPLES)
        except self._lsl.util.LostError:
            self.close()
            raise StreamLost(f"LSL stream {self.name!r} vanished") from None
        return samples, np.asarray(stamps, dtype=float)

    def close(self) -> None:
        """Close the inlet (the reader can `find` the stream again)."""
        if self._inlet is not None:
            self._inlet.close_stream()
            self._inlet = None
