"""`coregulate doctor`: every check's pass and fail path, with the exact advice printed
(issue 20 item 1), and the exit code that says whether a session can start."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import namedtuple
from pathlib import Path

import pytest

from coregulate.acquisition.ble import BluetoothUnavailableError, explain_unavailable
from coregulate.commands import _doctor_checks as dc
from coregulate.commands import doctor
from coregulate.commands._qt_platform import QtPlatformProblem, missing_libraries

CLI = [sys.executable, "-m", "coregulate.cli"]
Usage = namedtuple("Usage", "total used free")

# What ldd printed for PySide6 6.11's libqxcb.so on a fresh Debian 12 with Xvfb
# (the report in issue 20), shortened to the lines that matter.
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd5b7f6000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f0e1c000000)
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f0e1bf00000)
\tlibxcb-icccm.so.4 => not found
"""


def report(checks: list[dc.Check]) -> str:
    return doctor.format_text(checks)


def test_python_check_passes_here_and_fails_for_the_known_pyside_crash() -> None:
    assert dc.check_python().status == dc.OK
    bad = dc.check_python((3, 11), "6.12.0")
    assert bad.status == dc.FAIL
    assert (
        bad.advice == 'PySide6 6.12 crashes on Python 3.11: pip install "PySide6-Essentials<6.12"'
    )
    assert dc.check_python((3, 12), "6.12.0").status == dc.OK  # 6.12 is fine on 3.12
    old = dc.check_python((3, 10), "6.11.3")
    assert old.status == dc.FAIL and old.advice == "install Python 3.11 or newer (python.org)"


def test_no_bluetooth_adapter_fails_with_the_fix() -> None:
    def no_adapter() -> None:
        # What bleak raises on Linux when BlueZ's D-Bus socket is missing.
        raise BluetoothUnavailableError(explain_unavailable(FileNotFoundError(2, "No such file")))

    check = dc.check_bluetooth(no_adapter)
    assert check.status == dc.FAIL
    text = report([check])
    assert text.splitlines()[:2] == [
        "FAIL  bluetooth: no Bluetooth stack found (the D-Bus system bus is not reachable)",
        "      fix: check that this computer has Bluetooth (a USB Bluetooth 4.0+ dongle works), "
        "that it is switched on, and on Linux that the bluetooth service runs "
        "(`systemctl status bluetooth`) and you may use it (group `bluetooth`)",
    ]
    assert text.endswith("a session cannot start until the FAIL lines are fixed")


def test_bluetooth_present_passes() -> None:
    check = dc.check_bluetooth(lambda: None)
    assert check.status == dc.OK and check.summary.startswith("adapter present and scanning")


def test_no_display_fails_with_the_fix() -> None:
    check = dc.check_display(lambda: QtPlatformProblem("none", "no display found"))
    assert check.status == dc.FAIL
    assert report([check]).splitlines()[:2] == [
        "FAIL  display: the window cannot open: no display found",
        "      fix: run coregulate on a desktop session (on a server: ssh -X or a remote "
        "desktop); sessions still record with --headless",
    ]


def test_qt_plugin_that_cannot_load_names_the_libraries_and_the_install_lines() -> None:
    missing = missing_libraries(Path("libqxcb.so"), ldd=lambda _p: LDD_FRESH_DEBIAN)
    assert missing == ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    problem = QtPlatformProblem("xcb", 'Qt\'s "xcb" platform plugin cannot load', missing)
    check = dc.check_display(lambda: problem)
    assert check.status == dc.FAIL
    assert report([check]).splitlines()[:4] == [
        'FAIL  display: the window cannot open: Qt\'s "xcb" platform plugin cannot load',
        "      fix: missing system libraries: libxcb-cursor.so.0, libxcb-icccm.so.4, "
        "libxcb-keysyms.so.1",
        "      fix: Debian/Ubuntu: sudo apt-get install libxcb-cursor0 libxcb-icccm4 "
        "libxcb-keysyms1",
        "      fix: Fedora: sudo dnf install xcb-util-cursor xcb-util-keysyms xcb-util-wm",
    ]


def test_display_that_works_passes() -> None:
    check = dc.check_display(lambda: None)
    assert check.status == dc.OK and check.summary.startswith("Qt can open a window")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc to build a test plugin")
def test_missing_library_is_found_by_the_real_linker(tmp_path: Path) -> None:
    # A real ELF plugin that links a library this system does not have: both ldd and
    # the ctypes fallback (no ldd installed) name it.
    (tmp_path / "stub.c").write_text("int stub(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int stub(void);\nint plugin(void) { return stub(); }\n")
    soname = "libcoregulate-absent.so.1"
    gcc = ["gcc", "-shared", "-fPIC", "-o"]
    subprocess.run(
        [*gcc, tmp_path / soname, tmp_path / "stub.c", f"-Wl,-soname,{soname}"], check=True
    )
    plugin = tmp_path / "libqfake.so"
    subprocess.run([*gcc, plugin, tmp_path / "plugin.c", tmp_path / soname], check=True)
    (tmp_path / soname).unlink()  # the library is not installed
    assert missing_libraries(plugin) == (soname,)
    assert missing_libraries(plugin, ldd=lambda _p: "") == (soname,)


def test_unwritable_folder_fails_with_the_fix(tmp_path: Path) -> None:
    def denied(_folder: Path) -> None:
        raise PermissionError(13, "Permission denied")

    folder = tmp_path / "sessions"
    check = dc.check_folder(folder, denied)
    assert check.status == dc.FAIL
    assert report([check]).splitlines()[:2] == [
        f"FAIL  data folder: cannot write session files in {folder} (Permission denied)",
        f"      fix: make the folder yours and writable: mkdir -p {folder} && chmod 700 "
        f"{folder} (or give --out a folder you can write)",
    ]


def test_folder_that_is_a_file_fails_and_a_good_one_passes(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert dc.check_folder(tmp_path / "file" / "sessions").status == dc.FAIL
    good = dc.check_folder(tmp_path / "sessions")
    assert good.status == dc.OK and good.summary.endswith("writable, owner-only")
    assert (tmp_path / "sessions").stat().st_mode & 0o077 == 0
    os.chmod(tmp_path / "sessions", 0o755)
    shared = dc.check_folder(tmp_path / "sessions")
    assert shared.status == dc.WARN and shared.advice == f"chmod 700 {tmp_path / 'sessions'}"


def test_full_disk_fails_with_the_fix(tmp_path: Path) -> None:
    full = dc.check_disk(
        tmp_path, lambda _p: Usage(10 * 2**30, 10 * 2**30 - 50 * 2**20, 50 * 2**20)
    )
    assert full.status == dc.FAIL
    assert report([full]).splitlines()[:2] == [
        "FAIL  disk: only 50 MB free for sessions; a 90-minute session needs 200 MB",
        f"      fix: free at least 150 MB on the disk of {tmp_path} (empty the trash, move old "
        "session files), or record elsewhere with --out",
    ]
    roomy = dc.check_disk(tmp_path, lambda _p: Usage(10 * 2**30, 0, 5 * 2**30))
    assert roomy.status == dc.OK


def test_clock_in_the_past_warns_but_does_not_block() -> None:
    assert dc.check_clock().status == dc.OK
    past = dc.check_clock(wall_s=0.0)  # a dead RTC battery: 1970
    assert past.status == dc.WARN and past.summary == "the computer's date is 1970-01-01"


def test_remembered_pair_in_and_out_of_range() -> None:
    pair = {"client": "Polar H10 0A1B2C3D", "therapist": "D4:5E:6F:70:81:92"}
    seen = [("C1:00:00:00:00:01", "Polar H10 0A1B2C3D"), ("d4:5e:6f:70:81:92", None)]
    assert dc.check_pair(pair, seen).status == dc.OK
    away = dc.check_pair(pair, seen[:1])
    assert away.status == dc.WARN and away.summary == "not in range: therapist's strap"
    assert dc.check_pair({}).status == dc.OK


def _ran(
    checks: list[dc.Check], *flags: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    args = argparse.Namespace(json="--json" in flags, show_ids="--show-ids" in flags, scan=False)
    code = doctor.run(args, checks_of=lambda _scan: checks)
    return code, capsys.readouterr().out


def test_exit_0_only_when_a_session_can_start(capsys: pytest.CaptureFixture[str]) -> None:
    good = [dc.Check("python", dc.OK, "fine"), dc.Check("clock", dc.WARN, "odd", "set it")]
    code, out = _ran(good, capsys=capsys)
    assert code == 0 and out.strip().endswith("a session can start")
    code, _ = _ran([*good, dc.Check("disk", dc.FAIL, "full", "free it")], capsys=capsys)
    assert code == 1


def test_json_has_no_ids_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    pair = {"client": "Polar H10 0A1B2C3D", "therapist": "D4:5E:6F:70:81:92"}
    checks = [dc.check_pair(pair), dc.check_folder(Path.home() / ".coregulate-doctor-test")]
    shutil.rmtree(Path.home() / ".coregulate-doctor-test", ignore_errors=True)
    code, out = _ran(checks, "--json", capsys=capsys)
    data = json.loads(out)
    assert code == 0 and data["can_start_session"] is True
    assert "0A1B2C3D" not in out and "D4:5E" not in out
    assert str(Path.home()) not in out  # the folder is shown as ~/...
    _, shown = _ran(checks, "--json", "--show-ids", capsys=capsys)
    assert json.loads(shown)["checks"][0]["details"]["ids"] == pair


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="no-display rule: Linux")
def test_doctor_command_runs_and_reports_every_check(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    run = subprocess.run(
        [*CLI, "doctor", "--json"], capture_output=True, text=True, env=env, timeout=60
    )
    data = json.loads(run.stdout)
    names = [c["name"] for c in data["checks"]]
    assert names == ["python", "bluetooth", "display", "data folder", "disk", "clock", "straps"]
    display = data["checks"][2]
    assert display["status"] == "fail"  # no display in this environment
    assert run.returncode == 1 and data["can_start_session"] is False
