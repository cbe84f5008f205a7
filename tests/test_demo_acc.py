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
