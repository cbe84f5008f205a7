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
