"""Stages without sockets: messages in, outputs out (the timeflux way)."""

from __future__ import annotations

from coregulate.acquisition.hrm import encode_heart_rate_measurement
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.source import SourceEvent
from coregulate.bus.envelope import make_message
from coregulate.stages.metrics_stage import PersonMetricsStage


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object, int]] = []

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        self.sent.append((topic, payload, t_ns))


def test_metrics_stage_turns_beats_into_metrics() -> None:
    stage = PersonMetricsStage()
    out = []
    for i in range(20):
        beat = {
            "t_ns": [(i + 1) * 800_000_000],
            "rr_ms": [800.0 + (i % 2) * 20],
            "gap_before": i == 0,
        }
        out += stage.update(make_message("beat.client", "acq", i + 1, beat["t_ns"][0], beat))
    assert [o.topic for o in out] == ["metrics.client"] * 20
    last = out[-1].payload
    # Artifact detection looks two beats ahead: 18 of the 20 beats are classified.
    assert last["rmssd_ms"] == 20.0 and last["n_diffs"] == 17
    assert last["t_ns"] == 18 * 800_000_000


NS = 1_000_000_000


def _beats(role: str, seq: int, t_s: list[float]) -> object:
    beat = {"t_ns": [int(t * NS) for t in t_s], "rr_ms": [800.0] * len(t_s), "gap_before": False}
    return make_message(f"beat.{role}", "acq", seq, beat["t_ns"][-1], beat)


def test_no_signal_is_published_from_message_times_and_repeats_every_5_s() -> None:
    # The client's beats stop after 10 s; the therapist's go on. The stage has no
    # clock: the therapist's beats tell it time has passed.
    stage = PersonMetricsStage()
    out = []
    seq = {"client": 0, "therapist": 0}

    def send(role: str, t_s: float) -> None:
        seq[role] += 1
        out.extend(stage.update(_beats(role, seq[role], [t_s])))

    for i in range(1, 41):  # a beat every 0.8 s
        t = i * 0.8
        send("therapist", t)
        if t <= 10.0 or t >= 25.0:
            send("client", t + 0.1)
    silent = [o for o in out if o.payload["no_signal_since_ns"] is not None]
    assert {o.topic for o in silent} == {"metrics.client"}
    last_ns = int(9.7 * NS)  # the client's last beat before the gap (12 x 0.8 + 0.1)
    # At most 5 s after the last beat, then every 5 s while it lasts; never after it ends.
    assert [o.t_ns for o in silent] == [last_ns + 5 * NS, last_ns + 10 * NS, last_ns + 15 * NS]
    for o in silent:
        p = o.payload
        assert p["state"] is None and p["hr_bpm"] is None and p["ln_rmssd"] is None
        assert p["no_signal_since_ns"] == last_ns and o.t_ns == p["t_ns"]
        assert p["unavailable"]["state"].startswith("no signal since 0:09")
    # Each "no signal" update is published in the client's stream before the client's
    # next real update, so the stream stays in time order.
    client = [o.t_ns for o in out if o.topic == "metrics.client"]
    assert client.index(silent[0].t_ns) < client.index(silent[-1].t_ns)
    # Once the client's beats are back, they carry values again.
    assert out[-1].topic == "metrics.client" and out[-1].payload["no_signal_since_ns"] is None
    assert out[-1].payload["hr_bpm"] is not None


def test_no_signal_when_both_are_silent_comes_with_the_next_beat() -> None:
    # No message carries the time while both straps are silent: the gap's updates
    # are published, stamped with their due times, when the first beat returns.
    stage = PersonMetricsStage()
    for i, t in enumerate((1.0, 1.8, 2.6)):
        stage.update(_beats("client", i + 1, [t]))
        stage.update(_beats("therapist", i + 1, [t + 0.2]))
    out = stage.update(_beats("client", 4, [14.0]))
    silent = [(o.topic, o.t_ns) for o in out if o.payload["no_signal_since_ns"] is not None]
    assert silent == [
        ("metrics.client", int(7.6 * NS)),
        ("metrics.client", int(12.6 * NS)),
        ("metrics.therapist", int(7.8 * NS)),
        ("metrics.therapist", int(12.8 * NS)),
    ]


def test_metrics_stage_ignores_malformed_beats() -> None:
    stage = PersonMetricsStage()
    assert stage.update(make_message("beat.client", "acq", 1, 0, {"nope": 1})) == []
    assert stage.update(make_message("beat.client", "acq", 2, 0, b"\x00")) == []
    half_bad = {"t_ns": [1, 2], "rr_ms": [800.0, "x"], "gap_before": True}
    assert stage.update(make_message("beat.client", "acq", 3, 0, half_bad)) == []
    uneven = {"t_ns": [1, 2], "rr_ms": [800.0], "gap_before": True}
    assert stage.update(make_message("beat.client", "acq", 4, 0, uneven)) == []
    assert "client" not in stage._people or len(stage.person("client")._ring) == 0


def test_publisher_keeps_raw_bytes_and_flags_malformed_payloads() -> None:
    rec = _Recorder()
    pub = StrapPublisher("client", rec)
    good = encode_heart_rate_measurement(72, contact=True, rr_ticks=(800, 820))
    for data in (good, b"", b"\x10\x48\x01", good):
        pub.handle(SourceEvent("client", 1_000_000_000, data=data))
    topics = [t for t, _, _ in rec.sent]
    # Every notification is recorded raw, even those the parser rejects.
    assert topics.count("hrm.client") == 4
    assert [p for t, p, _ in rec.sent if t == "hrm.client"][1:3] == [b"", b"\x10\x48\x01"]
    bad = [p for t, p, _ in rec.sent if t == "status.client"]
    # Each bad one is flagged; the next good one restores the status word.
    assert [b["status"] for b in bad] == ["bad payload", "bad payload", "streaming"]
    assert bad[1]["count"] == 2
    assert topics.count("beat.client") == 2
    assert sum(pub.bad_payloads.values()) == 2


def test_publisher_reports_contact_loss_and_restarts_the_beat_chain() -> None:
    rec = _Recorder()
    pub = StrapPublisher("therapist", rec)
    pub.handle(
        SourceEvent(
            "therapist",
            1_000_000_000,
            data=encode_heart_rate_measurement(60, contact=True, rr_ticks=(1024,)),
        )
    )
    pub.handle(
        SourceEvent(
            "therapist", 2_000_000_000, data=encode_heart_rate_measurement(0, contact=False)
        )
    )
    pub.handle(
        SourceEvent(
            "therapist",
            3_000_000_000,
            data=encode_heart_rate_measurement(60, contact=True, rr_ticks=(1024,)),
        )
    )
    statuses = [p["status"] for t, p, _ in rec.sent if t == "status.therapist"]
    assert statuses == ["contact lost", "streaming"]
    beats = [p for t, p, _ in rec.sent if t == "beat.therapist"]
    assert [b["gap_before"] for b in beats] == [True, True]


def test_publisher_counts_bad_input_per_kind_and_logs_each_kind_once(caplog) -> None:
    rec = _Recorder()
    pub = StrapPublisher("client", rec)
    for data in (b"\x00\x48\x01", b"\x00\x48\x01\x02", b"", b"", b"\xe0\x48"):
        pub.handle(SourceEvent("client", 1_000_000_000, data=data))
    assert dict(pub.bad_payloads) == {"trailing bytes": 2, "empty payload": 2, "unknown flags": 1}
    assert caplog.text.count("sent bad input") == 3
    flags = [p for t, p, _ in rec.sent if t == "status.client" and p["status"] == "bad payload"]
    assert [f["count"] for f in flags] == [1, 2, 3, 4, 5]
    assert flags[-1]["counts"] == dict(pub.bad_payloads)


def test_zero_heart_rate_is_flagged_with_rr_or_when_it_lasts() -> None:
    rec = _Recorder()
    pub = StrapPublisher("client", rec)
    zero = encode_heart_rate_measurement(0, contact=True)
    # Two notifications of HR 0 without RR (no estimate yet, as after contact returns): fine.
    for _ in range(2):
        pub.handle(SourceEvent("client", 1_000_000_000, data=zero))
    assert not pub.bad_payloads
    pub.handle(SourceEvent("client", 1_000_000_000, data=encode_heart_rate_measurement(72)))
    for _ in range(6):  # five in a row is a strap that reports nothing
        pub.handle(SourceEvent("client", 1_000_000_000, data=zero))
    assert pub.bad_payloads["zero heart rate"] == 1
    with_rr = encode_heart_rate_measurement(0, contact=True, rr_ticks=(870,))
    pub.handle(SourceEvent("client", 1_000_000_000, data=with_rr))
    assert pub.bad_payloads["zero heart rate"] == 2


def test_a_stage_bug_on_one_message_is_skipped_not_fatal(caplog) -> None:
    from collections import Counter

    from coregulate.stages.runner import _update_safely

    class Broken:
        name = "broken"
        topics = ("beat.",)

        def update(self, msg):
            if msg.seq == 2:
                raise ZeroDivisionError("a bug")
            return [msg.seq]

        def terminate(self):
            return []

    failures: Counter[str] = Counter()
    outs = [
        _update_safely(Broken(), make_message("beat.client", "acq", seq, 0, {}), failures)
        for seq in (1, 2, 3, 2)
    ]
    assert outs == [[1], [], [3], []]
    assert failures["beat.client"] == 2
    assert sum("failed on beat.client seq 2" in r.message for r in caplog.records) == 1
