"""Hostile or broken LSL outlets: refused with a clear message, counted, never fatal.

Each test runs the real `LslStrap` (pylsl, machine scope) into the real
`StrapPublisher`, with the bus replaced by a list, until what it checks happened.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from coregulate.acquisition.lsl_inlet import LslInlet, StreamRefused
from coregulate.acquisition.lsl_source import LslStrap
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.specs import LslStrapSpec
from coregulate.clock import SessionClock
from lsl_support import ecg_outlet, machine_pylsl, rr_outlet, unique, wait_for_consumer


class _Bus:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, int]] = []

    def send(self, topic: str, payload: Any, t_ns: int, enc: str | None = None) -> None:
        self.sent.append((topic, payload, t_ns))

    def flags(self) -> list[dict]:
        return [p for t, p, _ in self.sent if t == "status.client" and p["status"] == "bad payload"]

    def beats(self) -> list[float]:
        return [r for t, p, _ in self.sent if t == "beat.client" for r in p["rr_ms"]]


def _drive(
    name: str, until: Callable[[_Bus], bool], act: Callable[[], None], timeout_s: float = 20.0
) -> _Bus:
    """Run an LslStrap for stream `name` into a publisher until `until`; `act` once it looks."""
    bus = _Bus()
    publisher = StrapPublisher("client", bus)
    strap = LslStrap(LslStrapSpec("client", name, resolve_timeout_s=0.3), SessionClock.start())

    async def run() -> None:
        acted = False
        deadline = time.monotonic() + timeout_s
        events = strap.events()
        try:
            while time.monotonic() < deadline and not until(bus):
                event = await asyncio.wait_for(events.__anext__(), deadline - time.monotonic())
                publisher.handle(event)
                if not acted:  # in a thread: the loop must go on to open the inlet
                    threading.Thread(target=act, daemon=True).start()
                    acted = True
        finally:
            await events.aclose()

    asyncio.run(run())
    return bus


def test_wrong_type_is_refused_counted_and_a_good_stream_still_taken() -> None:
    pylsl = machine_pylsl()
    name = unique("hostile")
    eeg = rr_outlet(pylsl, name, kind="EEG")
    good: list[Any] = []

    def push_when_read(bus: _Bus) -> bool:
        if bus.flags() and not good:  # refused: now a proper RR outlet of that name appears
            good.append(rr_outlet(pylsl, name))
        if good and good[0].have_consumers() and not bus.beats():
            good[0].push_sample([812.0], pylsl.local_clock())
        return bool(bus.beats())

    bus = _drive(name, push_when_read, lambda: None)
    (flag,) = bus.flags()
    assert flag["kind"] == "wrong type" and flag["count"] == 1
    assert flag["error"] == f"LSL stream {name!r} has type 'EEG', not RR or ECG"
    assert bus.beats() == [812.0]
    del eeg


def test_nan_implausible_and_too_fast_samples_are_refused_and_counted() -> None:
    pylsl = machine_pylsl()
    name = unique("hostile-rr")
    outlet = rr_outlet(pylsl, name)

    def push() -> None:
        wait_for_consumer(outlet, 10.0)
        now = pylsl.local_clock()
        values = [800.0, math.nan, 5000.0, 790.0] + [700.0] * 10
        # ...the last ten "beats" a millisecond apart.
        times = [now - 4, now - 3, now - 2, now - 1] + [now - 1 + (i + 1) * 1e-3 for i in range(10)]
        for rr, t in zip(values, times, strict=True):
            outlet.push_sample([rr], t)

    bus = _drive(name, lambda b: len(b.flags()) >= 3, push)
    assert bus.beats() == [800.0, 790.0]
    assert {f["kind"] for f in bus.flags()} == {"not a number", "implausible RR", "absurd rate"}
    assert bus.flags()[-1]["counts"] == {"not a number": 1, "implausible RR": 1, "absurd rate": 10}
    # The beat after a refused sample starts a new segment.
    beat_msgs = [p for t, p, _ in bus.sent if t == "beat.client"]
    assert [m["gap_before"] for m in beat_msgs] == [True, True]


def test_absurd_rates_and_a_channel_count_change_are_refused() -> None:
    pylsl = machine_pylsl()
    name = unique("hostile-ecg")
    reader = LslInlet(pylsl, name, ("RR", "ECG"), resolve_timeout_s=0.5)
    fast = ecg_outlet(pylsl, name, rate_hz=100_000.0)
    refused = []
    try:
        reader.find()
    except StreamRefused as exc:
        refused.append((exc.kind, str(exc)))
    del fast
    ecg = ecg_outlet(pylsl, name, rate_hz=130.0, channels=1)
    assert _find_soon(reader)
    reader.close()
    del ecg
    time.sleep(0.3)
    wide = ecg_outlet(pylsl, name, rate_hz=130.0, channels=2)
    try:
        _find_soon(reader)
    except StreamRefused as exc:
        refused.append((exc.kind, str(exc)))
    assert refused == [
        ("absurd rate", f"LSL stream {name!r}: ECG at 100000 Hz; 50-4000 Hz accepted"),
        ("channel count changed", f"LSL stream {name!r} came back with 2 channels instead of 1"),
    ]
    # Refused once per stream instance: asking again does not count it again.
    assert reader.find() is False
    del wide


def _find_soon(reader: LslInlet, tries: int = 10) -> bool:
    return any(reader.find() for _ in range(tries))


def test_ecg_samples_that_are_not_numbers_are_refused_and_restart_the_detector() -> None:
    pylsl = machine_pylsl()
    name = unique("hostile-ecg-nan")
    outlet = ecg_outlet(pylsl, name)

    def push() -> None:
        wait_for_consumer(outlet, 10.0)
        chunk = np.zeros(13)
        chunk[5] = np.inf
        outlet.push_chunk([[v] for v in chunk.tolist()])

    bus = _drive(name, lambda b: bool(b.flags()), push)
    (flag,) = bus.flags()
    assert flag["kind"] == "not a number"
    assert flag["error"] == "1 ECG samples not finite or out of range"
