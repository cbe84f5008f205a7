"""Progress on stderr for the commands that take more than a few seconds (issue 20 item 5):
shown when asked (or on a terminal), silent on a pipe otherwise, never in stdout."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.commands._progress import reporting, stage, step
from review_support import session_file

CLI = [sys.executable, "-m", "coregulate.cli"]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("asked", "stream", "shown"),
    [
        (True, io.StringIO, True),
        (None, io.StringIO, False),
        (False, _Tty, False),
        (None, _Tty, True),
    ],
)
def test_progress_is_shown_when_asked_or_on_a_terminal(asked, stream, shown) -> None:
    out = stream()
    with reporting(argparse.Namespace(progress=asked), out, tick=False):
        stage("reading x.sqlite")
        for i in range(1, 4):
            step("analysing pairs", i, 3)
    stage("after the command")  # no handler left behind
    text = out.getvalue()
    assert ("reading x.sqlite" in text) is shown
    assert ("analysing pairs [########################] 3/3" in text) is shown
    assert "after the command" not in text
    if shown and isinstance(out, _Tty):
        assert "\r" in text and text.endswith("\n")  # redrawn in place, then ended
    elif shown:
        assert "\r" not in text  # plain lines on a pipe


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=120)


def test_analyze_progress_goes_to_stderr_and_json_stdout_stays_clean(tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=120)
    run = _run(["analyze", str(path), "--progress"])
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)  # stdout is the JSON and nothing else
    assert "client" in json.dumps(summary)
    assert "analysing s.sqlite" in run.stderr
    assert "computing metrics and synchrony over" in run.stderr
    quiet = _run(["analyze", str(path)])  # stderr is a pipe here: silent unless asked
    assert quiet.returncode == 0 and "analysing" not in quiet.stderr
    assert json.loads(quiet.stdout) == summary


def test_hrv_report_progress_does_not_corrupt_its_json(tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=120)
    run = _run(["hrv-report", str(path), "--progress"])
    assert run.returncode == 0, run.stderr
    assert isinstance(json.loads(run.stdout), dict)
    assert "computing the HRV report of s.sqlite" in run.stderr


def test_sync_progress_stays_out_of_its_printed_result(tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=120)
    run = _run(["sync", str(path), "--progress"])
    assert run.returncode == 0, run.stderr
    assert "recomputing synchrony of s.sqlite" in run.stderr
    assert "recomputing" not in run.stdout and "replay vs. live" in run.stdout


@pytest.mark.parametrize("command", ["import", "export", "salvage", "sync"])
def test_every_long_command_offers_progress(command: str) -> None:
    run = _run([command, "--help"])
    assert "--progress" in run.stdout and "--no-progress" in run.stdout
