"""A live session with accelerometers replays byte for byte, "moving" states included."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coregulate.sessionfile.access import read_messages

CLI = [sys.executable, "-m", "coregulate.cli"]


def _payloads(path: Path, topic: str) -> list[bytes]:
    return [m.payload for m in read_messages(path, (topic,)) if m.topic == topic]


def test_acc_session_replays_identically_with_moving_states(tmp_path: Path) -> None:
    live, review = tmp_path / "live.sqlite", tmp_path / "review.sqlite"
    monitor = ["monitor", "--client", "sim", "--therapist", "sim", "--acc", "--headless"]
    monitor += ["--duration", "600", "--speed", "100", "--seed", "3", "--out", str(live)]
    run = subprocess.run([*CLI, *monitor], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    replay = ["replay", str(live), "--speed", "1000", "--headless", "--out", str(review)]
    run = subprocess.run([*CLI, *replay], capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    for role in ("client", "therapist"):
        for kind in ("acc", "breath", "metrics"):
            topic = f"{kind}.{role}"
            assert _payloads(live, topic), topic
            assert _payloads(review, topic) == _payloads(live, topic), topic
    # The simulated gesture (240-250 s) and lean (420 s) show as "moving", arousal withheld.
    moving = [json.loads(p) for p in _payloads(live, "metrics.client") if b'"moving"' in p]
    moving = [m for m in moving if m["state"] == "moving"]
    assert moving and all(m["arousal_index"] is None for m in moving)
    t_s = [m["t_ns"] / 1e9 for m in moving]
    assert all(235 <= t <= 260 or 415 <= t <= 435 for t in t_s), t_s
