"""Window commands on a machine without a display say so and exit NO_DISPLAY (4), never
Qt's abort (134); the exit code table is the one the commands use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.commands._exit_codes import NO_DISPLAY
from review_support import session_file

CLI = [sys.executable, "-m", "coregulate.cli"]


def _without_display() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="display detection: Linux")
@pytest.mark.parametrize("command", ["view", "review", "rate"])
def test_a_window_command_without_a_display_says_so(command: str, tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=30)
    argv = {"view": ["view", "--file", str(path)], "review": ["review", str(path)]}.get(
        command, [command, str(path)]
    )
    run = subprocess.run(
        [*CLI, *argv], capture_output=True, text=True, timeout=60, env=_without_display()
    )
    assert run.returncode == NO_DISPLAY, (run.returncode, run.stderr)
    assert "no display" in run.stderr and "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
