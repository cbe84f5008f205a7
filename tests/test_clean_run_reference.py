"""The kill tests' "clean run" feeds the signal stage every topic it reads, statuses too.

Found in CI (2026-11-30, `test_supervisor.py`, about 1 run in 10): after kill -9 of
the straps' process, `metrics.client` held 264 updates against 263 in the clean run,
update 41 different. The file showed why: the client's last beat at 0:38.995, the
restarted process's `status.client` at 0:54.117 (which gave "no signal" updates at
+5, +10 and +15 s, the last at 0:53.995), then its first notification, whose first
beat lay at 0:53.647, before that last step. The live stage was right to say "no
signal" when the status came (no beat had arrived); the reference, fed the beats
alone, learnt of the time only from that notification and stopped at its first beat.
This reproduces that order of messages without processes.
"""

from __future__ import annotations

from pathlib import Path

from coregulate.bus.envelope import TOPIC_SESSION, make_message
from coregulate.recordings.writer import SessionWriter
from coregulate.stages.registry import stage_spec
from process_support import metrics_differences

S = 1_000_000_000


def _messages() -> list[tuple[str, dict, int]]:
    """Return (topic, payload, t_ns): beats each second, a gap, statuses, beats again."""
    out = []
    for k in range(1, 21):  # both people beat once a second until 0:20
        for role in ("client", "therapist"):
            beats = {"t_ns": [k * S], "rr_ms": [1000.0], "gap_before": False}
            out.append((f"beat.{role}", beats, k * S))
    # The straps' process died; its successor says each strap's status at 0:25.5 ...
    for role in ("client", "therapist"):
        out.append((f"status.{role}", {"status": "streaming"}, 25 * S + S // 2))
    # ... and its first notifications carry beats from before it: 0:24.8 < 0:25 (step).
    out.append(
        (
            "beat.client",
            {
                "t_ns": [24_800_000_000, 25_800_000_000],
                "rr_ms": [1000.0, 1000.0],
                "gap_before": True,
            },
            26 * S,
        )
    )
    out.append(
        (
            "beat.therapist",
            {"t_ns": [26 * S], "rr_ms": [1000.0], "gap_before": True},
            26 * S + S // 10,
        )
    )
    for k in range(27, 31):
        for role in ("client", "therapist"):
            beats = {"t_ns": [k * S], "rr_ms": [1000.0], "gap_before": False}
            out.append((f"beat.{role}", beats, k * S))
    return out


def _client_updates(topics: tuple[str, ...]) -> list[dict]:
    """Return metrics.client from a fresh stage fed the scenario's messages of `topics`."""
    stage = stage_spec("signal").make("signal", baseline_s=60.0)
    updates = []
    for seq, (topic, payload, t_ns) in enumerate(_messages(), 1):
        if topic.startswith(topics):
            msg = make_message(topic, "acq", seq, t_ns, payload)
            updates += [o.payload for o in stage.update(msg) if o.topic == "metrics.client"]
    return updates


def test_a_status_between_a_step_and_the_first_beats_gives_no_signal_there() -> None:
    live = _client_updates(tuple(stage_spec("signal").consumes))
    beats_only = _client_updates(("beat.",))
    no_signal = [u["t_ns"] for u in live if u["no_signal_since_ns"] is not None]
    assert no_signal == [25 * S]  # last beat 0:20 + 5 s, said at the status (0:25.5)
    assert [u for u in beats_only if u["no_signal_since_ns"] is not None] == []
    assert len(live) == len(beats_only) + 1  # what the CI run found: one update more


def test_the_kill_tests_reference_equals_the_live_stage_on_such_a_file(tmp_path: Path) -> None:
    path = tmp_path / "restart.sqlite"
    stage = stage_spec("signal").make("signal", baseline_s=60.0)
    with SessionWriter(path, "acq") as writer:
        writer.send(TOPIC_SESSION, {"client_id": "c", "therapist_id": "t", "baseline_s": 60}, 0)
        for seq, (topic, payload, t_ns) in enumerate(_messages(), 1):
            writer.send(topic, payload, t_ns)  # recorded, then what the stage made of it
            for out in stage.update(make_message(topic, "acq", seq, t_ns, payload)):
                writer.send(out.topic, out.payload, out.t_ns)
    assert metrics_differences(path) == []
