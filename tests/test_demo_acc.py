"""`coregulate demo --acc`: the demo dyad with simulated accelerometers (issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coregulate.sessionfile.access import read_messages

CLI = [sys.executable, "-m", "coregulate.cli"]


def _topics(path: Path) -> set[str]:
    return {m.topic for m in read_messages(path, ("acc.", "breath.", "sync"))}


def test_demo_with_acc_records_breathing_and_movement_for_both(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    demo = ["demo", "--acc", "--headless", "--duration", "240", "--speed", "40", "--seed", "1"]
    run = subprocess.run(
        [*CLI, *demo, "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    topics = _topics(out)
    for role in ("client", "therapist"):
        assert {f"acc.{role}", f"breath.{role}"} <= topics, topics
    series = {m.json()["series"] for m in read_messages(out, ("sync",)) if m.topic == "sync"}
    assert "breathing_rate_bpm" in series  # breathing synchrony is computed live
    report = tmp_path / "a.json"
    run = subprocess.run(
        [*CLI, "analyze", str(out), "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    people = json.loads(report.read_text())
    # The simulated profiles breathe at their RSA rate: 0.27 Hz and 0.20 Hz.
    assert abs(people["client"]["breathing_rate_bpm"] - 16.2) <= 1.0
    assert abs(people["therapist"]["breathing_rate_bpm"] - 12.0) <= 1.0
    assert people["client"]["breathing_source"] == "acc"
    # The gesture at 40 % (10 s) and the lean at 70 % of 240 s are "moving".
    assert 0 < people["client"]["movement_share"] < 0.1


def test_demo_without_acc_records_no_accelerometer(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    demo = ["demo", "--headless", "--duration", "60", "--speed", "60", "--seed", "1"]
    run = subprocess.run(
        [*CLI, *demo, "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert not {t for t in _topics(out) if t.startswith(("acc.", "breath."))}


def test_demo_with_acc_at_speed_100_has_no_late_breathing_values(tmp_path: Path) -> None:
    """The simulated ACC reaches the sync stage on the session clock, beside the beats.

    Before the fix the simulator made a session's ACC frames up front, in the
    acquisition process while the session clock already ran: at speed 100 the first
    strap then streamed its backlog in one burst before the other strap started
    (the therapist's first beats and frames 54-107 s behind the client's, and
    `late_values` 7 and 14 for `breathing_rate_bpm` in two runs of this session).
    A value is late when it reaches the stage more than `settle_s` (20 s,
    SLOW_PARAMS) after the newest time it saw. Checked up to 500 s: the demo's
    20 s disconnection at 510 s holds back the step that ends as the link drops
    (one late value, whatever the speed; docs/breathing.md).
    """
    out = tmp_path / "s.sqlite"
    demo = ["demo", "--acc", "--headless", "--duration", "600", "--speed", "100", "--seed", "1"]
    run = subprocess.run(
        [*CLI, *demo, "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    until_ns = 500 * 10**9
    newest_ns, behind_s = 0, {}
    for m in read_messages(out, ("beat.", "breath.", "acc.")):
        newest_ns = max(newest_ns, m.t_ns)
        if m.t_ns < until_ns:
            behind_s[m.topic] = max(behind_s.get(m.topic, 0.0), (newest_ns - m.t_ns) / 1e9)
    assert len(behind_s) == 6 and max(behind_s.values()) < 20.0, behind_s
    breathing = [
        m.json() for m in read_messages(out, ("sync",)) if m.topic == "sync" and m.t_ns < until_ns
    ]
    breathing = [b for b in breathing if b["series"] == "breathing_rate_bpm"]
    assert breathing and breathing[-1]["late_values"] == 0, breathing[-1]
