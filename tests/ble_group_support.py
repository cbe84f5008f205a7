"""A simulated group recorded through emulated BLE straps (bumble) and bleak's real API.

`record_group_over_ble(path, config, speed)` plays every person's simulated
notifications from their own emulated strap at their simulated arrival times (scaled by
`speed`), through `BleStrap` sources, the acquisition's `run_sources` and a hub that
knows the session's people, into a session file whose session message names them. The
beats are what a live session over Bluetooth would record; the synchrony stage's tests
can read the file as any other (`coregulate sync FILE`).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import HubThread
from coregulate.acquisition.ble_source import BleStrap
from coregulate.acquisition.process import run_sources
from coregulate.acquisition.simulator import GroupConfig, simulate_group
from coregulate.acquisition.specs import BleStrapSpec, ReconnectPolicy
from coregulate.bus.endpoints import Endpoints
from coregulate.bus.envelope import TOPIC_SESSION
from coregulate.bus.producer import BusProducer
from coregulate.clock import SessionClock
from coregulate.signal.people import make_person, people_meta
from emulated_ble import EmulatedRadio, EmulatedStrap, wait_for

FAST = ReconnectPolicy(initial_backoff_s=0.05, max_backoff_s=0.2, scan_timeout_s=0.3)


async def _play(config: GroupConfig, clock: SessionClock, producer: BusProducer) -> int:
    """Connect a strap per person, then send the simulation's notifications; return t0 (ns)."""
    sim = simulate_group(config)
    radio = EmulatedRadio()
    await radio.power_on()
    straps = {
        k: EmulatedStrap(radio, f"C1:00:00:00:00:{i + 1:02X}", f"Polar H10 {i:08X}")
        for i, k in enumerate(config.keys)
    }
    for strap in straps.values():
        await strap.start()
    sources = [
        BleStrap(BleStrapSpec(k, s.address, policy=FAST), clock, backends=radio.backends())
        for k, s in straps.items()
    ]
    task = asyncio.create_task(run_sources(sources, producer))
    await wait_for(lambda: all(s.connections == 1 for s in sources))
    t0_ns = clock.now_ns()  # the simulation's time 0 on the session clock
    for event in sim.events:
        if event.kind != "notification":
            continue  # a simulated drop: the strap just sends nothing meanwhile
        delay_s = clock.host_seconds_until(t0_ns + event.arrival_ns)
        if delay_s > 0:
            await asyncio.sleep(delay_s)
        await straps[event.role].notify(event.data)
    await asyncio.sleep(0.3)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return t0_ns


def record_group_over_ble(path: Path, config: GroupConfig, speed: float = 30.0) -> tuple[Path, int]:
    """Return the recorded file and t0 (ns): the simulation's time 0 on its session clock.

    Beats are stamped on arrival (session clock), so they lie `t0` after the offline
    simulation's (`write_simulated_session(config=config)`), give or take the host's jitter
    times `speed`.
    """
    people = tuple(make_person(k, f"sim-{k}") for k in config.keys)
    meta = people_meta(people)
    hub = HubThread(Endpoints.loopback(), path, meta=meta)
    hub.start()
    clock = SessionClock.start(speed)
    producer = BusProducer(hub.endpoints.input, "acq")
    session = BusProducer(hub.endpoints.input, TOPIC_SESSION)
    session.send(TOPIC_SESSION, {"clock": clock.to_dict(), "mode": "emulated BLE", **meta}, 0)
    try:
        assert session.flush(timeout_s=10)
        t0_ns = asyncio.run(_play(config, clock, producer))
        assert producer.flush(timeout_s=10)
    finally:
        producer.close()
        session.close()
        hub.stop()
    return path, t0_ns
