"""Window commands check that Qt's platform plugin can load before they start, and say
what is missing instead of Qt's abort (exit 134); demo and monitor offer the headless
run (issue 20 item 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.commands._exit_codes import NO_DISPLAY
from coregulate.commands._qt_platform import qt_platform_problem
from review_support import session_file

CLI = [sys.executable, "-m", "coregulate.cli"]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux plugins")

# A display number with no X server behind it (no socket in /tmp/.X11-unix).
DEAD_DISPLAY = next(f":{n}" for n in range(180, 400) if not Path(f"/tmp/.X11-unix/X{n}").exists())


def _env(tmp_path: Path, **set_: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    env.update(XDG_DATA_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path), **set_)
    return env


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=60, env=env)


def test_demo_with_a_plugin_that_cannot_load_says_so_and_offers_headless(tmp_path: Path) -> None:
    run = _run(
        ["demo", "--out", str(tmp_path / "d.sqlite")], _env(tmp_path, QT_QPA_PLATFORM="nosuch")
    )
    assert run.returncode == NO_DISPLAY, run.stderr
    assert "Traceback" not in run.stderr and "Aborted" not in run.stderr
    assert 'the window cannot open: Qt has no "nosuch" platform plugin here' in run.stderr
    assert "or run without a window now: coregulate demo --headless" in run.stderr
    assert not (tmp_path / "d.sqlite").exists()  # nothing started


def test_replay_with_a_plugin_that_cannot_load_says_so_and_offers_headless(
    tmp_path: Path,
) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=30)
    out = tmp_path / "r.sqlite"
    env = _env(tmp_path, QT_QPA_PLATFORM="nosuch")
    run = _run(["replay", str(path), "--out", str(out)], env)
    assert run.returncode == NO_DISPLAY, run.stderr
    assert "Traceback" not in run.stderr and "Aborted" not in run.stderr
    assert 'the window cannot open: Qt has no "nosuch" platform plugin here' in run.stderr
    assert "or run without a window now: coregulate replay --headless" in run.stderr
    assert not out.exists()  # nothing started


def test_monitor_with_no_x_server_says_so_and_offers_headless(tmp_path: Path) -> None:
    argv = ["monitor", "--client", "sim", "--therapist", "sim", "--out", str(tmp_path / "m.sqlite")]
    run = _run(argv, _env(tmp_path, DISPLAY=DEAD_DISPLAY))
    assert run.returncode == NO_DISPLAY, run.stderr
    assert f"no X server answers at DISPLAY={DEAD_DISPLAY}" in run.stderr
    assert "coregulate monitor --headless" in run.stderr


@pytest.mark.parametrize("command", ["view", "review", "rate"])
def test_view_review_rate_with_no_x_server_say_so(command: str, tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=30)
    argv = {"view": ["view", "--file", str(path)], "review": ["review", str(path)]}.get(
        command, [command, str(path)]
    )
    run = _run(argv, _env(tmp_path, DISPLAY=DEAD_DISPLAY))
    assert run.returncode == NO_DISPLAY, run.stderr
    assert f"no X server answers at DISPLAY={DEAD_DISPLAY}" in run.stderr
    assert "--headless" not in run.stderr  # these have no headless run to offer


def test_missing_libraries_are_named_with_their_packages() -> None:
    problem = qt_platform_problem(
        {"DISPLAY": "remote:0"},
        find_plugin=lambda _name: Path("libqxcb.so"),
        missing=lambda _path: ("libxcb-icccm.so.4", "libxkbcommon-x11.so.0"),
    )
    assert problem is not None
    assert problem.advice() == [
        'the window cannot open: Qt\'s "xcb" platform plugin cannot load',
        "missing system libraries: libxcb-icccm.so.4, libxkbcommon-x11.so.0",
        "Debian/Ubuntu: sudo apt-get install libxcb-icccm4 libxkbcommon-x11-0",
        "Fedora: sudo dnf install libxkbcommon-x11 xcb-util-wm",
    ]
    ok = qt_platform_problem(
        {"DISPLAY": "remote:0"}, find_plugin=lambda _n: Path("p"), missing=lambda _p: ()
    )
    assert ok is None
    assert qt_platform_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
