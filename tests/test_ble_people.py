"""Three people's straps over bleak's real API (bumble-emulated), recorded through the hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

from conftest import HubThread
from coregulate.acquisition.ble_source import BleStrap
from coregulate.acquisition.hrm import parse_heart_rate_measurement
from coregulate.acquisition.process import run_sources
from coregulate.acquisition.simulator import demo_group_config, simulate_group
from coregulate.acquisition.specs import BleStrapSpec, ReconnectPolicy
from coregulate.bus.endpoints import Endpoints
from coregulate.bus.producer import BusProducer
from coregulate.clock import SessionClock
from coregulate.recordings.summary import integrity_ok
from coregulate.sessionfile.access import read_messages, read_meta
from coregulate.signal.people import demo_people, keys_of, people_meta
from emulated_ble import EmulatedRadio, EmulatedStrap, wait_for

FAST = ReconnectPolicy(initial_backoff_s=0.05, max_backoff_s=0.2, scan_timeout_s=0.3)
NOTIFICATIONS = 20  # per person: 20 s of the simulated group


def test_three_people_over_ble_are_recorded_with_their_beats(tmp_path: Path) -> None:
    people = demo_people(3)
    keys = keys_of(people)
    sim = simulate_group(demo_group_config(3, seed=4, duration_s=60.0))
    sent = {
        k: [e.data for e in sim.events if e.role == k and e.kind == "notification"][:NOTIFICATIONS]
        for k in keys
    }
    hub = HubThread(Endpoints.loopback(), tmp_path / "three.sqlite", meta=people_meta(people))
    hub.start()
    producer = BusProducer(hub.endpoints.input, "acq")

    async def main() -> None:
        radio = EmulatedRadio()
        await radio.power_on()
        straps = {
            k: EmulatedStrap(radio, f"C1:00:00:00:00:0{i + 1}", f"Polar H10 {i:08X}")
            for i, k in enumerate(keys)
        }
        for strap in straps.values():
            await strap.start()
        clock = SessionClock.start()
        sources = [
            BleStrap(BleStrapSpec(k, s.address, policy=FAST), clock, backends=radio.backends())
            for k, s in straps.items()
        ]
        task = asyncio.create_task(run_sources(sources, producer))
        await wait_for(lambda: all(s.connections == 1 for s in sources))
        for n in range(NOTIFICATIONS):
            for k, strap in straps.items():
                await strap.notify(sent[k][n])
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.3)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    assert producer.flush(timeout_s=10)
    producer.close()
    hub.stop()
    assert integrity_ok(hub.path)
    assert read_meta(hub.path)["hub_rejected"] == {}
    for k in keys:
        raw = [m.payload for m in read_messages(hub.path, (f"hrm.{k}",)) if m.topic == f"hrm.{k}"]
        assert raw == sent[k]
        ticks = [
            t
            for m in read_messages(hub.path, (f"beat.{k}",))
            if m.topic == f"beat.{k}"
            for t in m.json()["rr_ticks"]
        ]
        expected = [t for data in sent[k] for t in parse_heart_rate_measurement(data).rr_ticks]
        assert len(expected) >= 15  # about one beat a second each
        assert ticks == expected
