"""Nothing a local process sends can poison a session (issue 15, items 5-7).

Each test sends what an attacker on this machine could send to a real hub on
loopback, beside a valid producer, and checks that the hub refuses it (counted by
kind), that the valid producer is still acknowledged, and that what a reader,
stage or offline analysis does with the file stays sane.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import zmq

from coregulate.bus.envelope import Message, encode_header, make_message
from coregulate.bus.payload import MAX_STREAMS_PER_SOURCE, PAYLOAD_REJECT_KINDS
from coregulate.bus.producer import BusProducer
from coregulate.recordings.store import SessionStore
from coregulate.sessionfile.access import read_messages
from coregulate.sessionfile.record import read_session
from coregulate.signal.dyad import MAX_BEAT_LEAP_NS, SESSION_T_LIMIT_NS
from coregulate.stages.metrics_stage import PersonMetricsStage
from coregulate.stages.sync_stage import SyncStage

PRODUCER = "valid-producer-0"
S = 1_000_000_000


def _beat(t_ns: list[int], rr_ms: list[float] | None = None, gap: bool = False) -> dict:
    return {
        "t_ns": t_ns,
        "rr_ms": rr_ms or [800.0] * len(t_ns),
        "rr_ticks": None,
        "gap_before": gap,
        "hr_bpm": 75,
        "contact": True,
        "source": "strap",
    }


def _raw(hub_thread) -> zmq.Socket:
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.connect(hub_thread.endpoints.input)
    return raw


def _attack(hub_thread, frames: list[list[bytes]], expect_rejected: int) -> dict[str, int]:
    """Send `frames` raw beside a valid producer; return the hub's rejections by kind."""
    hub = hub_thread.start()
    raw = _raw(hub_thread)
    producer = BusProducer(hub_thread.endpoints.input, PRODUCER)
    for i, f in enumerate(frames, 1):
        raw.send_multipart(f)
        producer.send("beat.client", _beat([i * S]), i * S)
        producer.pump()
    assert producer.flush(timeout_s=15), "the attack stalled the valid producer"
    deadline = time.monotonic() + 15
    while sum(hub.rejected.values()) < expect_rejected and time.monotonic() < deadline:
        time.sleep(0.02)
    hub_thread.stop()
    raw.close()
    producer.close()
    mine = [m.seq for m in read_messages(hub_thread.path) if m.source == PRODUCER]
    assert mine == list(range(1, len(frames) + 1))  # acknowledged and stored, in order
    assert set(hub.rejected) <= set(PAYLOAD_REJECT_KINDS) | {"frames", "not_json"}
    return dict(hub.rejected)


def _others(path: Path) -> list[Message]:
    return [m for m in read_messages(path) if m.source != PRODUCER]


# Item 5: payloads that do not parse.
def test_hub_refuses_a_json_payload_that_does_not_parse(hub_thread) -> None:
    bad = [
        b"{not json",
        b"\xff\xfe",
        b"[" * 5000,  # nesting bomb
        b'{"t_ns": NaN}',  # JSON has no NaN
        b'{"x": Infinity}',
    ]
    frames = [[b"marker", encode_header("fz", i, 0), p] for i, p in enumerate(bad, 1)]
    rejected = _attack(hub_thread, frames, len(bad))
    assert rejected == {"payload_json": len(bad)}
    assert _others(hub_thread.path) == []


def test_readers_skip_and_count_rows_that_do_not_parse(tmp_path: Path) -> None:
    """A file written before the hub checked payloads: readers go on and say so."""
    path = tmp_path / "old.sqlite"
    store = SessionStore(path)
    good = [make_message("beat.client", "acq", i, i * S, _beat([i * S])) for i in range(1, 6)]
    poison = [
        Message("beat.client", "acq", 6, 6 * S, b"{oops"),
        Message("metrics.client", "signal", 1, 6 * S, b"\x00"),
        Message("sync", "sync", 1, 6 * S, b"["),
        Message("marker", "ui-1", 1, 6 * S, b"nope"),
        Message("beat.client", "acq", 7, 7 * S, b'{"t_ns": "x"}'),  # parses, wrong shape
    ]
    for m in good + poison:
        store.add(m, m.header_bytes(), 0)
    store.commit()
    store.close()
    record = read_session(path)
    assert len(record.beats["client"].t_ns) == 5
    assert record.unreadable == 5
    assert any("3 messages whose payload does not parse" in p for p in record.problems)
    assert any("2 beat messages" in p for p in record.problems), record.problems


def _dyad_file(path: Path, extra: list[Message]) -> Path:
    """A two-minute dyad written straight to a file (as an older hub would have)."""
    store = SessionStore(path)
    session = make_message(
        "session",
        "session",
        1,
        0,
        {
            "clock": {"monotonic_anchor_ns": 0, "wall_anchor_ns": 1_700_000_000 * S, "speed": 1.0},
            "mode": "test",
        },
    )
    store.add(session, session.header_bytes(), 0)
    for k in range(1, 150):
        t = k * 800_000_000
        for role in ("client", "therapist"):
            m = make_message(f"beat.{role}", "acq", k, t, _beat([t], [800.0 + 20 * (k % 3)]))
            store.add(m, m.header_bytes(), 0)
    for m in extra:
        store.add(m, m.header_bytes(), 0)
    store.commit()
    store.close()
    return path


def _commands_succeed(path: Path, out: Path) -> None:
    from coregulate.cli import main

    assert main(["analyze", str(path), "--json", str(out / "a.json")]) == 0
    assert main(["sync", str(path), "--json", str(out / "s.json")]) == 0
    # `export` reads the file's SQL views through temp copies that skip such rows.
    assert main(["export", str(path), "--format", "csv", "--out", str(out / "csv")]) == 0
    assert main(["export", str(path), "--format", "bids", "--out", str(out / "bids")]) == 0
    assert main(["report", "--out", str(out / "r.png"), str(path)]) == 0
    assert main(["hrv-report", "--out", str(out / "h.txt"), str(path)]) == 0


def test_analyze_export_and_report_survive_a_row_that_does_not_parse(tmp_path: Path) -> None:
    bad = Message("beat.therapist", "fz", 1, 5 * S, b"{oops")
    _commands_succeed(_dyad_file(tmp_path / "poisoned.sqlite", [bad]), tmp_path)


# Item 6: times far from the session's.
def test_hub_refuses_beats_at_implausible_times(hub_thread) -> None:
    forged = [
        _beat([9 * 10**18]),
        _beat([1 * S, 9 * 10**18]),
        _beat([-9 * 10**18]),
        _beat([1.5e9]),  # a float where the protocol says int
        {"t_ns": [S], "rr_ms": []},
    ]
    frames = [
        [b"beat.therapist", encode_header("fz", i, 1 * S), json.dumps(b).encode()]
        for i, b in enumerate(forged, 1)
    ]
    frames.append(
        [b"beat.therapist", encode_header("fz", 9, 9 * 10**18), json.dumps(_beat([S])).encode()]
    )
    rejected = _attack(hub_thread, frames, len(frames))
    assert rejected == {"time": 5, "payload": 1}
    assert _others(hub_thread.path) == []


def test_hub_refuses_a_beat_ahead_of_the_session_clock(hub_thread) -> None:
    """Within the static bound, but an hour ahead of the running session's clock."""
    from coregulate.clock import SessionClock

    clock = SessionClock.start()
    session = make_message("session", "session", 1, 0, {"clock": clock.to_dict()})
    future = 3600 * S
    frames = [
        session.frames(),
        [b"beat.therapist", encode_header("fz", 1, future), json.dumps(_beat([future])).encode()],
        [b"beat.therapist", encode_header("fz", 2, 2 * S), json.dumps(_beat([future])).encode()],
    ]
    assert future < SESSION_T_LIMIT_NS
    rejected = _attack(hub_thread, frames, 2)
    assert rejected == {"time": 2}
    assert [m.topic for m in _others(hub_thread.path)] == ["session"]


def test_metrics_stage_refuses_a_beat_far_from_the_session_time() -> None:
    stage = PersonMetricsStage()
    outs = []
    for i in range(1, 30):
        msg = make_message("beat.therapist", "acq", i, i * S, _beat([i * S]))
        outs += stage.update(msg)
        if i == 10:
            forged = Message(
                "beat.therapist", "fz", 1, 9 * 10**18, json.dumps(_beat([9 * 10**18])).encode()
            )
            assert stage.update(forged) == []
    last = [o for o in outs if o.topic == "metrics.therapist"][-1]
    rejected = last.payload["beats"]["rejected"]
    assert rejected == [] and last.t_ns > 20 * S  # time still advances after the forgery


def test_sync_stage_never_allocates_by_an_attackers_time() -> None:
    stage = SyncStage(phase_at_end=False)
    for i in range(1, 40):
        for role in ("client", "therapist"):
            stage.update(make_message(f"beat.{role}", "acq", i, i * S, _beat([i * S])))
    leap = 2 * MAX_BEAT_LEAP_NS
    for t in (9 * 10**18, 40 * S + leap):
        forged = Message("beat.therapist", "fz", 1, t, json.dumps(_beat([t])).encode())
        assert stage.update(forged) == []
        metrics = Message(
            "metrics.client", "fz", 1, t, json.dumps({"t_ns": t, "ln_rmssd": 3.0}).encode()
        )
        assert stage.update(metrics) == []
    assert stage.now_ns < 41 * S


def test_offline_analysis_of_a_file_with_a_forged_beat(tmp_path: Path) -> None:
    t = 9 * 10**18
    forged = Message("beat.therapist", "fz", 1, t, json.dumps(_beat([t])).encode())
    path = _dyad_file(tmp_path / "forged.sqlite", [forged])
    record = read_session(path, {"beats"})
    assert int(record.beats["therapist"].t_ns.max()) < 200 * S
    assert any("far from" in p for p in record.problems), record.problems
    _commands_succeed(path, tmp_path)


# Item 7: invented roles, streams and hub status.
def test_hub_refuses_invented_roles_and_bounds_streams_per_source(hub_thread) -> None:
    invented = [
        [f"beat.x{i}".encode(), encode_header("fz", 1, S), json.dumps(_beat([S])).encode()]
        for i in range(50)
    ]
    streams = [
        [f"noise.n{i}".encode(), encode_header("fz2", 1, S), b"{}"]
        for i in range(MAX_STREAMS_PER_SOURCE + 20)
    ]
    rejected = _attack(hub_thread, invented + streams, len(invented) + 20)
    assert rejected == {"role": 50, "streams": 20}
    assert len(_others(hub_thread.path)) == MAX_STREAMS_PER_SOURCE


def test_hub_refuses_status_hub_and_session_from_another_source(hub_thread) -> None:
    frames = [
        [b"status.hub", encode_header("fz", 1, S), b'{"status": "running"}'],
        [b"session", encode_header("fz", 1, 0), b'{"clock": {}}'],
        [b"control.baseline", encode_header("fz", 1, S), b'{"action": "retake", "role": "x1"}'],
    ]
    rejected = _attack(hub_thread, frames, 3)
    assert rejected == {"reserved": 2, "role": 1}


def test_metrics_stage_keeps_only_the_declared_people() -> None:
    stage = PersonMetricsStage()
    for i in range(200):
        stage.update(make_message(f"beat.x{i}", "fz", 1, S, _beat([S])))
    stage.update(make_message("control.baseline", "fz", 1, S, {"action": "retake", "role": "x1"}))
    assert set(stage._people) == set()


@pytest.mark.parametrize("kind", PAYLOAD_REJECT_KINDS)
def test_every_payload_reject_kind_is_documented(kind: str) -> None:
    text = (Path(__file__).parents[1] / "docs" / "protocol.md").read_text()
    assert f"`{kind}`" in text
