"""Three people's straps over bleak's real API (bumble-emulated), recorded through the hub."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

import emulated_group_backend as group_backend
from ble_group_support import record_group_over_ble
from conftest import HubThread
from coregulate.acquisition.ble_source import BleStrap
from coregulate.acquisition.hrm import parse_heart_rate_measurement
from coregulate.acquisition.process import run_sources
from coregulate.acquisition.simulator import demo_group_config, simulate_group
from coregulate.acquisition.specs import BleStrapSpec, ReconnectPolicy
from coregulate.bus.endpoints import Endpoints
from coregulate.bus.producer import BusProducer
from coregulate.bus.shutdown import StopRequested
from coregulate.clock import SessionClock
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.summary import integrity_ok
from coregulate.session import DemoOptions, Session
from coregulate.sessionfile.access import read_messages, read_meta, read_session_payload
from coregulate.signal.people import demo_people, keys_of, people_from_session, people_meta
from emulated_ble import EmulatedRadio, EmulatedStrap, wait_for

FAST = ReconnectPolicy(initial_backoff_s=0.05, max_backoff_s=0.2, scan_timeout_s=0.3)
NOTIFICATIONS = 20  # per person: 20 s of the simulated group
BACKEND = "emulated_group_backend:backends"  # imported by the session's acquisition process


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


def test_a_simulated_group_over_ble_records_the_offline_simulations_beats(tmp_path: Path) -> None:
    """Three people through emulated straps: the same RRs as offline, at the same times."""
    config = demo_group_config(3, seed=6, duration_s=60.0)
    path, t0_ns = record_group_over_ble(tmp_path / "ble.sqlite", config, speed=10.0)
    offline = write_simulated_session(tmp_path / "offline.sqlite", config=config)
    assert people_from_session(read_session_payload(path)) == demo_people(3)
    assert read_meta(path)["hub_rejected"] == {}
    for key in config.keys:
        live, sim = _beats(path, key), _beats(offline, key)
        assert len(sim) >= 50
        assert [b["rr_ms"] for b in live] == [b["rr_ms"] for b in sim]
        # Stamped on arrival: t0 later, give or take the host's jitter times the speed
        # (measured at speed 20 on a busy machine: median 50-90 ms, 95th percentile
        # 110-420 ms, i.e. 2.5-21 ms of host time; speed 10 halves them).
        shift_ms = [
            (t - t0_ns - s) / 1e6
            for b, c in zip(live, sim, strict=True)
            for t, s in zip(b["t_ns"], c["t_ns"], strict=True)
        ]
        assert abs(float(np.median(shift_ms))) < 150.0, key
        assert float(np.percentile(np.abs(shift_ms), 95)) < 600.0, key


def _beats(path: Path, key: str) -> list[dict]:
    return [m.json() for m in read_messages(path, (f"beat.{key}",)) if m.topic == f"beat.{key}"]


def test_a_three_person_session_over_ble_records_everyone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A whole session (hub, acquisition, stages: processes) with three emulated straps."""
    duration_s, speed, seed = 40.0, 10.0, 2
    for name, value in (
        (group_backend.N_ENV, 3),
        (group_backend.SEED_ENV, seed),
        (group_backend.DURATION_ENV, duration_s),
        (group_backend.SPEED_ENV, speed),
    ):
        monkeypatch.setenv(name, str(value))  # read in the spawned acquisition process
    people = demo_people(3)
    specs = tuple(
        BleStrapSpec(p.key, group_backend.address_of(i), policy=FAST, backend=BACKEND)
        for i, p in enumerate(people)
    )
    out = tmp_path / "three.sqlite"
    options = DemoOptions(
        out=out, speed=speed, sources=specs, mode="live (emulated)", people=people
    )
    # Until everyone's straps have sent 25 notifications: connecting takes host time,
    # which a session clock 10x as fast would turn into a lost half of a fixed duration.
    with StopRequested() as stop, Session(options) as session:
        session.start()
        deadline_s = time.monotonic() + 90.0
        while not stop.requested and time.monotonic() < deadline_s:
            session.supervise()
            if all(_count(out, f"hrm.{p.key}") >= 25 for p in people):
                break
            time.sleep(0.5)
    assert integrity_ok(out)
    assert people_from_session(read_session_payload(out)) == people
    assert read_meta(out)["hub_rejected"] == {}
    sim = simulate_group(demo_group_config(3, seed=seed, duration_s=duration_s))
    for p in people:
        sent = iter([e.data for e in sim.events if e.role == p.key and e.kind == "notification"])
        raw = [
            m.payload for m in read_messages(out, (f"hrm.{p.key}",)) if m.topic == f"hrm.{p.key}"
        ]
        assert len(raw) >= 25, p.key
        # The person's own notifications, in order (before the host subscribed, and while
        # an emulated link reconnected on a busy machine, some may be missing).
        assert all(any(got == s for s in sent) for got in raw), p.key
        with_rr = sum(bool(parse_heart_rate_measurement(d).rr_ticks) for d in raw)
        assert len(_beats(out, p.key)) == with_rr
        assert _count(out, f"metrics.{p.key}") >= 10


def _count(path: Path, topic: str) -> int:
    return sum(m.topic == topic for m in read_messages(path, (topic,)))
