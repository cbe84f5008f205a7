"""A real simulated session: the session-info file, how `coregulate view` gets in, real data."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from coregulate.commands._exit_codes import FAILED, USAGE
from coregulate.session import DemoOptions, Session
from coregulate.session_info import (
    RUNTIME_DIR_ENV,
    SessionInfo,
    read_session_info,
    running_sessions,
    write_session_info,
)
from coregulate.ui.live_window import LiveWindow


def test_session_info_is_owner_only_and_stale_files_are_skipped(tmp_path: Path) -> None:
    info = SessionInfo("tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "/x.sqlite", {"speed": 1.0})
    path = write_session_info(info, tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_session_info(path) == info
    assert running_sessions(tmp_path) == [(path, info)]
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    write_session_info(SessionInfo("a", "b", "c", {}, pid=int(dead.stdout)), tmp_path)
    assert running_sessions(tmp_path) == [(path, info)]  # the ended process's file is ignored


def test_session_info_names_the_file_absolutely(tmp_path: Path, monkeypatch) -> None:
    # `coregulate demo --out s.sqlite` in one folder, `coregulate view` from another.
    from coregulate.clock import SessionClock
    from coregulate.session import _write_info

    monkeypatch.setenv(RUNTIME_DIR_ENV, str(tmp_path / "run"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    path = _write_info(DemoOptions(out=Path("s.sqlite")), SessionClock.start())
    assert path is not None
    monkeypatch.chdir(tmp_path)
    info = read_session_info(path)
    assert info.session_file == str(tmp_path / "work" / "s.sqlite")


def test_view_without_a_running_session_says_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, RUNTIME_DIR_ENV: str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    cli = [sys.executable, "-m", "coregulate.cli", "view"]
    run = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == FAILED
    assert "no running session found" in run.stderr and "Traceback" not in run.stderr


def test_a_viewer_attached_to_a_simulated_session_shows_its_data(
    qtbot, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv(RUNTIME_DIR_ENV, str(tmp_path / "run"))
    options = DemoOptions(out=tmp_path / "s.sqlite", duration_s=240, speed=40, seed=1)
    with Session(options) as session:
        session.start()
        # What `coregulate view` does: find the session, attach, backfill, go live.
        found = running_sessions()
        assert len(found) == 1
        info = found[0][1]
        assert info.session_file == str(options.out)
        time.sleep(2.0)  # the viewer opens late: the first seconds come from the file
        window = LiveWindow(
            info.output_endpoint,
            info.input_endpoint,
            info.session_file,
            info.clock,
            view="full",
            poll_ms=20,
            redraw_ms=100,
        )
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.model.now_s > 120, timeout=30_000)
        window.redraw(force=True)
        for role in ("client", "therapist"):
            _, hr = window.full.curves[(role, "hr_bpm")].getData()
            finite = hr[np.isfinite(hr)]
            assert finite.size > 60 and 40 < np.median(finite) < 120
        assert window.feed.from_file > 0  # it did backfill
        assert window.model.people["client"].metrics.t_s[0] < 5  # from the very start
        window.close()
        path = found[0][0]
        assert path.exists()
    assert not path.exists()  # the ended session is no longer offered to viewers


def test_view_refuses_a_bad_marker_kinds_file_in_one_line(tmp_path: Path) -> None:
    kinds = tmp_path / "markers.toml"
    kinds.write_text(
        '[[kind]]\nkind = "self-disclosure"\nkey = "D"\nlabel = "x"\ncolour = "pink"\n'
    )
    env = {**os.environ, RUNTIME_DIR_ENV: str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    cli = [sys.executable, "-m", "coregulate.cli", "view", "--marker-kinds", str(kinds)]
    run = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == USAGE and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if "markers.toml" in line]
    assert len(lines) == 1 and "'colour' must be" in lines[0]
