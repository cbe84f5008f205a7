"""Both straps silent: "no signal" still comes on time, decided from the session clock at the
source (status ticks, recorded) so that a replay of the file repeats it exactly."""

from __future__ import annotations

import asyncio

from coregulate.acquisition.process import SILENCE_TICK_S, run_sources
from coregulate.acquisition.replay_source import recorded_events
from coregulate.acquisition.source import SourceEvent
from coregulate.bus.envelope import make_message
from coregulate.bus.producer import BusProducer
from coregulate.clock import SessionClock
from coregulate.sessionfile.access import read_messages
from coregulate.stages.metrics_stage import PersonMetricsStage

NS = 1_000_000_000
SPEED = 5.0  # session s per host s: ~4 s; at 20 a 50 ms stall of a loaded machine was 1 s late
BEATING_S, SILENT_S = 4.0, 9.0


def _hrm(rr_ms: float) -> bytes:
    """A 0x2A37 notification: contact, HR 75, one RR interval (1/1024 s)."""
    return bytes([0x16, 75]) + round(rr_ms * 1.024).to_bytes(2, "little")


class Strap:
    """A strap that gives a beat every 0.8 s for `BEATING_S`, then nothing for `SILENT_S`."""

    def __init__(self, role: str, clock: SessionClock) -> None:
        self.role, self.name, self.clock = role, f"test-{role}", clock

    async def events(self):
        yield SourceEvent(self.role, self.clock.now_ns(), status="streaming")
        while self.clock.now_ns() < BEATING_S * NS:
            await asyncio.sleep(0.8 / SPEED)
            yield SourceEvent(self.role, self.clock.now_ns(), data=_hrm(800.0))
        await asyncio.sleep(SILENT_S / SPEED)


def _feed(stage: PersonMetricsStage, path) -> list:
    """Run the metrics stage over the recorded messages in order, as the bus runner does."""
    outputs = []
    for msg in read_messages(path, ("beat.", "status.")):
        if msg.topic.startswith(stage.topics):
            outputs += stage.update(msg)
    return outputs


def test_both_straps_silent_get_no_signal_within_6_s_and_replay_repeats_it(hub_thread) -> None:
    hub_thread.start()
    producer = BusProducer(hub_thread.endpoints.input, "acq")
    clock = SessionClock.start(SPEED)
    sources = [Strap(role, clock) for role in ("client", "therapist")]
    asyncio.run(run_sources(sources, producer, clock))
    assert producer.flush(timeout_s=10)
    producer.close()
    hub_thread.stop()
    path = hub_thread.path

    ticks = [m for m in read_messages(path, ("status.client",)) if "silent_s" in (m.json() or {})]
    last_beat_ns = max(t for m in read_messages(path, ("beat.",)) for t in m.json()["t_ns"])
    # Ticks only once no strap gives beats, one a second of session time after that.
    assert ticks and all(m.t_ns >= last_beat_ns + 0.9 * SILENCE_TICK_S * NS for m in ticks)
    assert len(ticks) >= SILENT_S - 3

    outputs = _feed(PersonMetricsStage(), path)
    for role in ("client", "therapist"):
        silent = [
            o for o in outputs if o.topic == f"metrics.{role}" and o.payload["no_signal_since_ns"]
        ]
        assert silent, role  # on main: nothing until the next beat, which never came
        first = silent[0]
        assert first.payload["state"] is None
        # Due at last beat + 5 s; said by the first tick after it: within 6 s of the last beat.
        assert first.t_ns - first.payload["no_signal_since_ns"] == 5 * NS
        emitted_at = min(m.t_ns for m in ticks if m.t_ns >= first.t_ns)
        assert emitted_at - first.payload["no_signal_since_ns"] <= 6 * NS

    # A replay plays the ticks back as they were (time passing, no status change)...
    replayed = [e for e in recorded_events(path, "client") if "silent_s" in e.detail]
    assert [(e.t_ns, e.status) for e in replayed] == [(m.t_ns, None) for m in ticks]
    # ...and the stage run over the same messages again gives the same updates.
    again = _feed(PersonMetricsStage(), path)
    assert [(o.topic, o.t_ns, o.payload) for o in again] == [
        (o.topic, o.t_ns, o.payload) for o in outputs
    ]


def test_a_strap_status_far_from_the_session_time_is_ignored() -> None:
    stage = PersonMetricsStage()
    beat = {"t_ns": [NS], "rr_ms": [800.0], "gap_before": True}
    stage.update(make_message("beat.client", "acq", 1, NS, beat))
    forged = make_message("status.therapist", "acq", 2, 10**6 * NS, {"status": "streaming"})
    assert stage.update(forged) == []  # would otherwise be ~200 000 "no signal" updates
    fine = make_message("status.therapist", "acq", 3, 12 * NS, {"status": "streaming"})
    assert [o.t_ns for o in stage.update(fine)] == [6 * NS, 11 * NS]
