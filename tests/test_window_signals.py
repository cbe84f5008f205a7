"""Signals reach a windowed session: during the start dialog, the live window and every dialog.

Python runs its signal handlers only between bytecodes; a Qt event loop waiting in
C++ runs none, so SIGTERM (from `timeout`, systemd, logout) and Ctrl-C were ignored
while the start dialog was open, until someone clicked (issue 15, item 2).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coregulate.recordings.summary import integrity_ok, stream_counts
from coregulate.sessionfile.access import read_messages
from process_support import count_topic

CLI = [sys.executable, "-m", "coregulate.cli"]


def _start_windowed_demo(out: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    args = ["demo", "--duration", "600", "--speed", "30", "--seed", "3", "--out", str(out)]
    return subprocess.Popen(
        [*CLI, *args, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_start_dialog_ends_the_command(tmp_path: Path, sig: int) -> None:
    """On main the dialog stayed open: only kill -9 ended it."""
    out = tmp_path / "never.sqlite"
    proc = _start_windowed_demo(out)
    time.sleep(4.0)  # Qt and the dialog are up (a signal before that is honoured too)
    sent = time.monotonic()
    os.killpg(proc.pid, sig)
    try:
        _, stderr = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the start dialog ignored the signal for 10 s")
    assert time.monotonic() - sent < 5.0
    assert "start dialog stopped by a signal: no session was recorded" in stderr
    assert "Traceback" not in stderr
    assert not out.exists()  # nothing was started, nothing half-written


def test_a_windowed_session_exits_within_10_s_of_a_group_sigterm(tmp_path: Path) -> None:
    out = tmp_path / "window.sqlite"
    proc = _start_windowed_demo(out, "--no-dialog")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and count_topic(out, "hrm.client") < 60:
        time.sleep(0.5)
    assert count_topic(out, "hrm.client") >= 60, "the session did not start recording"
    sent = time.monotonic()
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        stdout, stderr = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the windowed session was still running 30 s after a group SIGTERM")
    took_s = time.monotonic() - sent
    assert took_s < 10.0, f"took {took_s:.1f} s"
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "not confirmed" not in stderr
    # The summary is true: nothing missing, and every series' final update is there.
    assert "none missing" in stdout
    assert integrity_ok(out)
    assert all(c.missing == 0 for c in stream_counts(out))
    finals = {m.json()["series"] for m in read_messages(out, ("sync",)) if m.json()["final"]}
    assert finals == {"hr_bpm", "ln_rmssd", "arousal_index"}


def test_a_signal_while_a_dialog_is_open_rejects_it() -> None:
    """The end-of-session dialog (and any other) closes on SIGTERM instead of waiting."""
    from PySide6 import QtCore, QtWidgets

    _app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    from coregulate.session import StopRequested
    from coregulate.ui.app import exec_until_stopped

    dialog = QtWidgets.QDialog()
    with StopRequested() as stop:
        QtCore.QTimer.singleShot(300, lambda: os.kill(os.getpid(), signal.SIGTERM))
        started = time.monotonic()
        result = exec_until_stopped(dialog, stop)
    assert stop.requested
    assert result == QtWidgets.QDialog.DialogCode.Rejected
    assert time.monotonic() - started < 3.0
