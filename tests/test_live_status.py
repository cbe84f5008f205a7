"""A headless session prints a one-line live status every few seconds (issue 20 item 5)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from coregulate.bus.envelope import make_message
from coregulate.commands._live_status import LiveTally

CLI = [sys.executable, "-m", "coregulate.cli"]


def test_the_line_says_time_beats_states_recorded_and_trouble() -> None:
    tally = LiveTally(total_s=5400.0)
    msgs = [
        make_message("beat.client", "strap.client", 1, 750_000_000_000, {"t_ns": [1, 2, 3]}),
        make_message("beat.therapist", "strap.therapist", 1, 750_000_000_000, {"t_ns": [1, 2]}),
        make_message("metrics.client", "signal.client", 1, 750_000_000_000, {"state": "settled"}),
        make_message(
            "metrics.therapist",
            "signal.therapist",
            1,
            750_000_000_000,
            {"state": None, "unavailable": {"state": "no baseline yet (collecting)"}},
        ),
        make_message(
            "status.client", "strap.client", 2, 751_000_000_000, {"status": "reconnecting"}
        ),
        make_message("status.client", "strap.client", 3, 752_000_000_000, {"status": "streaming"}),
        make_message(
            "status.hub", "hub", 1, 752_500_000_000, {"status": "running", "stored": 6424}
        ),
    ]
    for msg in msgs:
        tally.add(msg)
    assert tally.line() == (
        "12:32 of 90:00 | client 3 beats, settled | therapist 2 beats, no baseline yet "
        "(collecting) | 6424 messages recorded | strap trouble: client reconnecting"
    )
    # A drop that is over is mentioned once, in the next line only.
    assert tally.line().endswith("| straps fine")


def test_headless_demo_prints_the_live_status_every_few_seconds(tmp_path: Path) -> None:
    env = {**os.environ, "COREGULATE_STATUS_EVERY_S": "1"}
    out = tmp_path / "d.sqlite"
    argv = ["demo", "--headless", "--duration", "240", "--speed", "40", "--out", str(out)]
    run = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    pattern = re.compile(
        r"^\d+:\d\d of 4:00 \| client \d+ beats, [^|]+ \| therapist \d+ beats, [^|]+ \| "
        r"\d+ messages recorded \| (straps fine|strap trouble: .+)$"
    )
    lines = [line for line in run.stderr.splitlines() if pattern.match(line)]
    assert len(lines) >= 3, run.stderr  # about 6 s of session: a line a second
    beats = [int(re.search(r"client (\d+) beats", line).group(1)) for line in lines]
    assert beats == sorted(beats) and beats[-1] > 100  # they count up
