"""Real bleak API against straps emulated with bumble: find, stream, drop, come back."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import numpy as np
import pytest

from coregulate.acquisition.ble_source import BleStrap
from coregulate.acquisition.hrm import encode_heart_rate_measurement
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.specs import BleStrapSpec, ReconnectPolicy
from coregulate.clock import SessionClock
from emulated_ble import EmulatedRadio, EmulatedStrap, wait_for

# Short timings so a reconnection takes milliseconds, not seconds.
FAST = ReconnectPolicy(
    initial_backoff_s=0.05,
    max_backoff_s=0.2,
    scan_timeout_s=0.3,
    connect_timeout_s=2.0,
    silence_s=5.0,
    battery_interval_s=0.2,
)


class Recorder:
    """Collects what a publisher sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, int]] = []

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        self.sent.append((topic, payload, t_ns))

    def payloads(self, topic: str) -> list[Any]:
        return [p for t, p, _ in self.sent if t == topic]

    def statuses(self, role: str) -> list[str]:
        """Status words in order, repeats collapsed (details re-send the same word)."""
        words: list[str] = []
        for p in self.payloads(f"status.{role}"):
            if not words or words[-1] != p["status"]:
                words.append(p["status"])
        return words


class Session:
    """Emulated straps, BLE sources and publishers running in the test's loop."""

    def __init__(
        self,
        radio: EmulatedRadio,
        straps: dict[str, EmulatedStrap],
        speed: float = 1.0,
        **spec: Any,
    ):
        self.radio = radio
        self.straps = straps
        self.rec = Recorder()
        self.clock = SessionClock.start(speed)
        self.sources = {
            role: BleStrap(
                BleStrapSpec(role, strap.address, policy=spec.pop("policy", FAST), **spec),
                self.clock,
                backends=radio.backends(),
                rng=random.Random(7),
            )
            for role, strap in straps.items()
        }
        self.tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Session:
        for role, source in self.sources.items():
            pub = StrapPublisher(role, self.rec)

            async def pump(source: BleStrap = source, pub: StrapPublisher = pub) -> None:
                async for event in source.events():
                    pub.handle(event)

            self.tasks.append(asyncio.create_task(pump()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def hrm(rr_ticks: tuple[int, ...] = (870,), hr: int = 70, contact: bool | None = True) -> bytes:
    return encode_heart_rate_measurement(hr, contact=contact, rr_ticks=rr_ticks)


async def two_straps(**kw: Any) -> tuple[EmulatedRadio, dict[str, EmulatedStrap]]:
    radio = EmulatedRadio()
    await radio.power_on()
    straps = {
        "client": EmulatedStrap(radio, "C1:00:00:00:00:01", "Polar H10 0A1B2C3D", **kw),
        "therapist": EmulatedStrap(radio, "C1:00:00:00:00:02", "TICKR 5E6F", **kw),
    }
    for strap in straps.values():
        await strap.start()
    return radio, straps


def test_two_straps_stream_at_once() -> None:
    async def main() -> None:
        radio, straps = await two_straps()
        async with Session(radio, straps) as s:
            await wait_for(lambda: all(x.is_connected for x in straps.values()))
            await wait_for(lambda: all("streaming" in s.rec.statuses(r) for r in straps))
            for k in range(5):
                await straps["client"].notify(hrm((800 + k,)))
                await straps["therapist"].notify(hrm((900 + k, 901 + k)))
                await asyncio.sleep(0.01)
            await wait_for(lambda: len(s.rec.payloads("beat.therapist")) == 5)
            await wait_for(lambda: len(s.rec.payloads("beat.client")) == 5)
        # Every notification arrives raw and as beats, in order, for both at once.
        assert s.rec.payloads("hrm.client") == [hrm((800 + k,)) for k in range(5)]
        ticks = [b["rr_ticks"] for b in s.rec.payloads("beat.therapist")]
        assert ticks == [[900 + k, 901 + k] for k in range(5)]
        assert s.rec.statuses("client")[:2] == ["connecting", "streaming"]
        streaming = next(p for p in s.rec.payloads("status.client") if p["status"] == "streaming")
        assert streaming["name"] == "Polar H10 0A1B2C3D"

    asyncio.run(main())


def test_strap_that_drops_and_stays_away_is_reconnected_with_the_gap_recorded() -> None:
    async def main() -> None:
        radio, straps = await two_straps()
        async with Session(radio, straps) as s:
            await wait_for(lambda: all(x.is_connected for x in straps.values()))
            await wait_for(lambda: all("streaming" in s.rec.statuses(r) for r in straps))
            await straps["client"].notify(hrm((800,)))
            await straps["client"].go_away()
            await wait_for(lambda: "disconnected" in s.rec.statuses("client"))
            # While the client strap is away (several failed searches), the therapist
            # strap streams undisturbed.
            for k in range(10):
                await straps["therapist"].notify(hrm((900 + k,)))
                await asyncio.sleep(0.1)
            await straps["client"].come_back()
            await wait_for(lambda: s.sources["client"].connections == 2)
            await straps["client"].notify(hrm((810,)))
            await wait_for(lambda: len(s.rec.payloads("beat.client")) == 2)
            await wait_for(lambda: len(s.rec.payloads("beat.therapist")) == 10)
        client = s.rec.statuses("client")
        # connecting, streaming, disconnected, reconnecting (+ retry details)..., streaming
        assert client[:3] == ["connecting", "streaming", "disconnected"]
        assert client[3] == "reconnecting" and client[-1] == "streaming"
        retries = [p for p in s.rec.payloads("status.client") if "retry_in_s" in p]
        assert len(retries) >= 2, "the strap stayed away for several searches"
        assert all(0 < p["retry_in_s"] <= FAST.max_backoff_s * 1.25 for p in retries)
        beats = s.rec.payloads("beat.client")
        assert [b["gap_before"] for b in beats] == [True, True]  # the gap is a gap
        assert "disconnected" not in s.rec.statuses("therapist")
        assert s.sources["therapist"].connections == 1
        assert s.sources["client"].connections == 2

    asyncio.run(main())


def test_absent_strap_is_waited_for_and_gives_up_only_when_told() -> None:
    async def main() -> None:
        radio = EmulatedRadio()
        await radio.power_on()
        late = EmulatedStrap(radio, "C1:00:00:00:00:03", "Polar H10 LATE")
        never = EmulatedStrap(radio, "C1:00:00:00:00:04", "Polar H10 NEVER")
        await late.device.power_on()
        await never.device.power_on()
        policy = ReconnectPolicy(
            initial_backoff_s=0.02, max_backoff_s=0.05, scan_timeout_s=0.1, max_attempts=3
        )
        async with Session(radio, {"client": late}) as s:
            await asyncio.sleep(0.5)  # several searches find nothing: no error, it waits
            assert s.rec.statuses("client")[0] == "connecting"
            assert "gave up" not in s.rec.statuses("client")
            await late.advertise()
            await wait_for(lambda: "streaming" in s.rec.statuses("client"))
        async with Session(radio, {"therapist": never}, policy=policy) as s2:
            await wait_for(lambda: "gave up" in s2.rec.statuses("therapist"))
        gave_up = s2.rec.payloads("status.therapist")[-1]
        assert gave_up["attempts"] == 3 and "not found" in gave_up["error"]

    asyncio.run(main())


def test_garbage_battery_and_contact_loss_are_reported_and_streaming_goes_on() -> None:
    async def main() -> None:
        radio, straps = await two_straps()
        strap = straps["client"]
        async with Session(radio, {"client": strap}) as s:
            await wait_for(lambda: "streaming" in s.rec.statuses("client"))
            await wait_for(
                lambda: any(p.get("battery_pct") == 90 for p in s.rec.payloads("status.client"))
            )
            strap.battery_pct = 41
            await wait_for(
                lambda: any(p.get("battery_pct") == 41 for p in s.rec.payloads("status.client"))
            )
            for payload in (
                b"",  # empty
                b"\x01\x48",  # uint16 HR cut off
                b"\x10\x48\x01",  # odd trailing byte
                hrm((0, 870)),  # RR of 0
                hrm((3500,)),  # RR > 3 s
                hrm((870,), hr=0),  # HR 0 while in contact
                hrm((), hr=0, contact=False),  # contact lost
                hrm((880,)),  # contact back
            ):
                await strap.notify(payload)
            await wait_for(lambda: len(s.rec.payloads("hrm.client")) == 8)
        flags = [p for p in s.rec.payloads("status.client") if p["status"] == "bad payload"]
        kinds = [f["kind"] for f in flags]
        assert kinds.count("implausible RR") == 2
        assert "zero heart rate" in kinds
        assert sum(1 for k in kinds if k.startswith(("truncated", "odd", "empty"))) == 3
        assert flags[-1]["count"] == len(flags)
        assert "contact lost" in s.rec.statuses("client")
        assert s.rec.payloads("status.client")[-1] == {
            **s.rec.payloads("status.client")[-1],
            "status": "streaming",
            "contact": "restored",
        }
        # The good RR values were kept; the bad ones were left out and each left a
        # gap (time is missing from the chain), as did the contact loss.
        beats = s.rec.payloads("beat.client")
        assert [b["rr_ticks"] for b in beats] == [[870], [870], [880]]
        assert [b["gap_before"] for b in beats] == [True, True, True]
        assert s.rec.payloads("hrm.client")[0] == b""  # raw bytes kept, even garbage

    asyncio.run(main())


def test_silent_strap_is_treated_as_dropped() -> None:
    async def main() -> None:
        radio, straps = await two_straps()
        policy = ReconnectPolicy(initial_backoff_s=0.02, scan_timeout_s=0.2, silence_s=0.3)
        async with Session(radio, {"client": straps["client"]}, policy=policy) as s:
            await wait_for(lambda: "disconnected" in s.rec.statuses("client"))
            await wait_for(lambda: s.rec.statuses("client").count("streaming") >= 2)
        dropped = next(p for p in s.rec.payloads("status.client") if p["status"] == "disconnected")
        assert dropped["reason"].startswith("no notification for")

    asyncio.run(main())


@pytest.mark.parametrize("wanted", ["Polar H10 0A1B2C3D", "polar h10", "c1:00:00:00:00:01"])
def test_strap_is_found_by_name_prefix_or_address(wanted: str) -> None:
    async def main() -> None:
        radio, _straps = await two_straps()
        clock = SessionClock.start()
        source = BleStrap(
            BleStrapSpec("client", wanted, policy=FAST), clock, backends=radio.backends()
        )
        events = source.events()
        seen = []
        async with asyncio.timeout(10):
            async for event in events:
                seen.append(event.status)
                if event.status == "streaming":
                    break
        await events.aclose()
        assert seen[-1] == "streaming" and source.name == "Polar H10 0A1B2C3D"

    asyncio.run(main())


def test_polar_ecg_is_started_streamed_and_preferred_for_beats() -> None:
    from coregulate.acquisition.pmd import START_ECG_130HZ, encode_ecg_frame
    from test_pmd import _ecg_stream

    async def main() -> None:
        radio = EmulatedRadio()
        await radio.power_on()
        polar = EmulatedStrap(radio, "C1:00:00:00:00:05", "Polar H10 ECG", with_pmd=True)
        charging = EmulatedStrap(
            radio, "C1:00:00:00:00:06", "Polar H10 CHRG", with_pmd=True, pmd_error=13
        )
        for strap in (polar, charging):
            await strap.start()
        _, frames = _ecg_stream(30.0, seed=3)
        speed = 40.0  # session time runs 40x: 30 s of ECG in under a second
        async with Session(
            radio, {"client": polar, "therapist": charging}, speed=speed, ecg=True
        ) as s:
            await wait_for(lambda: polar.ecg_started.is_set())
            await wait_for(lambda: "streaming" in s.rec.statuses("therapist"))
            await polar.notify(hrm((800,)))  # strap RR first: ECG starts 20-30 s late
            await wait_for(lambda: len(s.rec.payloads("beat.client")) == 1)
            for _, frame in frames:
                await polar.notify_ecg(encode_ecg_frame(frame.timestamp_ns, frame.samples_uv))
                await asyncio.sleep(73 / 130 / speed)  # a frame every 73 samples
            await polar.notify(hrm((810,)))  # now covered by the ECG's beats
            await wait_for(lambda: len(s.rec.payloads("hrm.client")) == 2)
            await wait_for(lambda: len(s.rec.payloads("ecg.client")) == len(frames))
            details = lambda role: [p.get("ecg") for p in s.rec.payloads(f"status.{role}")]  # noqa: E731
            await wait_for(lambda: "refused: device in charger" in details("therapist"))
        assert polar.pmd_commands == [START_ECG_130HZ]
        assert "started" in details("client")
        beats = s.rec.payloads("beat.client")
        assert beats[0]["source"] == "strap" and beats[0]["rr_ticks"] == [800]
        ecg_beats = beats[1:]
        assert ecg_beats and all(b["source"] == "ecg" for b in ecg_beats)
        assert ecg_beats[0]["gap_before"] is True  # a new series starts at the switch
        rr = [r for b in ecg_beats for r in b["rr_ms"]]
        assert 60000 / np.median(rr) == pytest.approx(68.0, abs=5.0)  # simulated at 68 bpm
        assert s.rec.payloads("status.client")[-1]["beats_from"] == "ecg"
        raw = s.rec.payloads("ecg.client")
        assert raw[0] == encode_ecg_frame(frames[0][1].timestamp_ns, frames[0][1].samples_uv)

    asyncio.run(main())


def test_acquisition_records_two_ble_straps_through_the_hub(hub_thread) -> None:
    from coregulate.acquisition.process import run_sources
    from coregulate.bus.producer import BusProducer
    from coregulate.recordings.summary import integrity_ok
    from coregulate.sessionfile.access import read_messages

    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "acq")

    async def main() -> None:
        radio, straps = await two_straps()
        clock = SessionClock.start()
        sources = [
            BleStrap(BleStrapSpec(r, s.address, policy=FAST), clock, backends=radio.backends())
            for r, s in straps.items()
        ]
        task = asyncio.create_task(run_sources(sources, producer))
        await wait_for(lambda: all(s.connections == 1 for s in sources))
        for k in range(20):
            for strap in straps.values():
                await strap.notify(hrm((850 + k,)))
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    assert producer.flush(timeout_s=10)
    producer.close()
    hub_thread.stop()
    assert integrity_ok(hub_thread.path)
    for role in ("client", "therapist"):
        raw = [m.payload for m in read_messages(hub_thread.path, (f"hrm.{role}",))]
        assert raw == [hrm((850 + k,)) for k in range(20)]
        beats = [m.json() for m in read_messages(hub_thread.path, (f"beat.{role}",))]
        assert [b["rr_ticks"][0] for b in beats] == [850 + k for k in range(20)]
        status = [m.json()["status"] for m in read_messages(hub_thread.path, (f"status.{role}",))]
        assert status[:2] == ["connecting", "streaming"]


def test_a_fault_in_one_source_never_stops_the_other(hub_thread) -> None:
    from coregulate.acquisition.process import run_sources
    from coregulate.acquisition.source import SourceEvent
    from coregulate.bus.producer import BusProducer
    from coregulate.sessionfile.access import read_messages

    class Broken:
        role, name = "client", "broken"

        async def events(self):
            yield SourceEvent("client", 0, status="connecting")
            raise RuntimeError("a bug")

    class Steady:
        role, name = "therapist", "steady"

        async def events(self):
            for k in range(5):
                await asyncio.sleep(0.01)
                yield SourceEvent("therapist", k * 10**9, data=hrm((850 + k,)))

    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "acq")
    asyncio.run(run_sources([Broken(), Steady()], producer, SessionClock.start()))
    assert producer.flush(timeout_s=10)
    producer.close()
    hub_thread.stop()
    client = [m.json() for m in read_messages(hub_thread.path, ("status.client",))]
    assert client[-1]["status"] == "gave up" and "a bug" in client[-1]["error"]
    assert len(list(read_messages(hub_thread.path, ("beat.therapist",)))) == 5


def fake_backends() -> tuple[type, type]:
    """A backend factory named by "module:attribute" in a spec."""
    return (int, str)


def test_specs_are_picklable_and_open_the_right_source() -> None:
    import pickle

    from coregulate.acquisition.ble import resolve_backends
    from coregulate.acquisition.sim_source import SimulatedStrap
    from coregulate.acquisition.specs import SimulatedStrapSpec, make_source

    ble = BleStrapSpec("client", "Polar H10", ecg=True, backend="test_ble_source:fake_backends")
    sim = SimulatedStrapSpec("therapist", seed=2, duration_s=60.0)
    assert pickle.loads(pickle.dumps([ble, sim])) == [ble, sim]
    assert resolve_backends(ble.backend) == (int, str)
    assert resolve_backends(None) == (None, None)
    clock = SessionClock.start()
    source = make_source(ble, clock)
    assert isinstance(source, BleStrap) and source.role == "client" and source.spec.ecg
    assert isinstance(make_source(sim, clock), SimulatedStrap)
    with pytest.raises(TypeError, match="not a source spec"):
        make_source("sim", clock)  # type: ignore[arg-type]
    # Backoff: exponential, capped, jittered within ±25 %.
    policy = ReconnectPolicy()
    assert [policy.backoff_s(n, 0.5) for n in (1, 2, 3, 6, 20)] == [1.0, 2.0, 4.0, 30.0, 30.0]
    assert policy.backoff_s(1, 0.0) == 0.75 and policy.backoff_s(1, 0.999999) < 1.25


def test_missing_bluetooth_is_reported_and_retried_not_fatal(monkeypatch) -> None:
    from coregulate.acquisition import ble_source

    calls = []

    async def no_dbus(*args: object, **kwargs: object) -> None:
        calls.append(1)
        raise FileNotFoundError(2, "No such file or directory")  # what BlueZ-less Linux gives

    monkeypatch.setattr(ble_source.BleakScanner, "find_device_by_filter", no_dbus)

    async def main() -> list[dict[str, Any]]:
        rec = Recorder()
        pub = StrapPublisher("client", rec)
        source = BleStrap(BleStrapSpec("client", "Polar H10", policy=FAST), SessionClock.start())
        events = source.events()
        async with asyncio.timeout(10):
            async for event in events:
                pub.handle(event)
                if len(calls) >= 3:
                    break
        await events.aclose()
        return rec.payloads("status.client")

    statuses = asyncio.run(main())
    words = [p["status"] for p in statuses]
    assert "no bluetooth" in words and "gave up" not in words
    flagged = next(p for p in statuses if p["status"] == "no bluetooth")
    assert "D-Bus" in flagged["error"] and "bluetooth" in flagged["error"]
