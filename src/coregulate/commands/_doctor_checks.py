"""The checks of `coregulate doctor`: each says what it found and, if wrong, the fix.

Every check is a plain function returning a `Check`; what it probes (Bluetooth, the
display, the disk) comes in as an argument with the real probe as default, so tests
drive each pass and fail path without changing the machine.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Final

OK: Final = "ok"
WARN: Final = "warn"  # worth knowing; a session can still start
FAIL: Final = "fail"  # a session cannot start until this is fixed

# A 90-minute session with two straps: 15 simulated minutes wrote 5.7 MB
# (`coregulate demo --headless --duration 900 --speed 60`), so 90 minutes ~34 MB;
# Polar ECG at 130 Hz adds ~4 MB of raw frames per person. 200 MB leaves room for the
# write-ahead log, an export and a report.
SESSION_NEED_BYTES: Final = 200 * 1024 * 1024
MIN_PYTHON: Final = (3, 11)


@dataclass(slots=True)
class Check:
    """One check's verdict: a one-line summary, the fix when not ok, details for --json."""

    name: str
    status: str
    summary: str
    advice: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    private: dict[str, Any] = field(default_factory=dict)  # ids/addresses: --show-ids only


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        # A built app without the package's metadata still has the package.
        return "bundled" if getattr(sys, "frozen", False) else None


def check_python(
    python: tuple[int, int] = sys.version_info[:2], pyside: str | None = None
) -> Check:
    """Python and the packages a session needs, with the known PySide6 crash."""
    import coregulate

    pyside = pyside or _version("PySide6-Essentials") or _version("PySide6") or "missing"
    details = {
        "python": ".".join(map(str, python)),
        "coregulate": coregulate.__version__,
        "PySide6": pyside,
        **{d: _version(d) or "missing" for d in ("bleak", "numpy", "pyzmq", "pyqtgraph")},
    }
    summary = ", ".join(f"{k} {v}" for k, v in details.items())
    if python < MIN_PYTHON:
        return Check("python", FAIL, summary, "install Python 3.11 or newer (python.org)", details)
    missing = [k for k, v in details.items() if v == "missing"]
    if missing:
        return Check(
            "python",
            FAIL,
            summary,
            f"reinstall coregulate (pip install -e .): missing {', '.join(missing)}",
            details,
        )
    if python == (3, 11) and pyside.startswith("6.12"):
        # PySide6 6.12 on Python 3.11 crashes on the first repaint (none_dealloc).
        return Check(
            "python",
            FAIL,
            summary,
            'PySide6 6.12 crashes on Python 3.11: pip install "PySide6-Essentials<6.12"',
            details,
        )
    return Check("python", OK, summary, details=details)


def _bluez_version() -> str | None:
    tool = shutil.which("bluetoothctl")
    if tool is None:
        return None
    try:
        done = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip().split()[-1] if done.stdout.strip() else None


def probe_bluetooth(backend: str | None = None) -> None:
    """Scan briefly for advertisements; raise `BluetoothUnavailableError` if none can be."""
    from coregulate.acquisition.ble import resolve_backends
    from coregulate.acquisition.ble_scan import check_bluetooth

    asyncio.run(check_bluetooth(resolve_backends(backend), listen_s=1.0))


def check_bluetooth(probe: Callable[[], None] = probe_bluetooth) -> Check:
    """A Bluetooth adapter present, powered and usable (on Linux: BlueZ's version)."""
    from coregulate.acquisition.ble import BluetoothUnavailableError

    details: dict[str, Any] = {}
    if sys.platform.startswith("linux"):
        details["bluez"] = _bluez_version() or "not found"
    try:
        probe()
    except BluetoothUnavailableError as exc:
        text = str(exc)
        summary, _, advice = text.partition(": ")
        return Check("bluetooth", FAIL, summary, advice or text, details)
    extra = (
        f" (BlueZ {details['bluez']})" if details.get("bluez", "not found") != "not found" else ""
    )
    return Check("bluetooth", OK, f"adapter present and scanning{extra}", details=details)


def check_display(problem: Callable[[], Any] | None = None) -> Check:
    """A display for the window, and every library its Qt platform plugin loads."""
    from coregulate.commands._qt_platform import platform_name, qt_platform_problem

    found = (problem or qt_platform_problem)()
    platform = platform_name() or "none"
    if found is None:
        return Check(
            "display", OK, f'Qt can open a window ("{platform}")', details={"qt": platform}
        )
    lines = found.advice()
    summary = lines[0]
    if found.platform == "none":
        advice = (
            "run coregulate on a desktop session (on a server: ssh -X or a remote desktop); "
            "sessions still record with --headless"
        )
    else:
        advice = "\n".join(lines[1:]) or "see docs/connecting-straps.md (Troubleshooting)"
    details = {"qt": found.platform, "missing": list(found.missing)}
    return Check("display", FAIL, summary, advice, details)


def write_probe(folder: Path) -> None:
    """Create the folder if missing (owner-only), write and delete a file; raise if not."""
    from coregulate.security.files import make_missing_dirs

    make_missing_dirs(folder)
    if not folder.is_dir():
        raise NotADirectoryError(20, "exists and is not a folder", str(folder))
    if folder.stat().st_uid != os.getuid():
        raise PermissionError(13, "belongs to another account", str(folder))
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
        pass


def check_folder(folder: Path, probe: Callable[[Path], None] = write_probe) -> Check:
    """The data folder exists or can be made, is writable, and only its owner may enter."""
    shown = _home_relative(folder)
    try:
        probe(folder)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Check(
            "data folder",
            FAIL,
            f"cannot write session files in {shown} ({reason})",
            f"make the folder yours and writable: mkdir -p {shown} && chmod 700 {shown} "
            "(or give --out a folder you can write)",
            {"folder": shown},
        )
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        return Check(
            "data folder",
            WARN,
            f"{shown} is open to other accounts (mode {mode:o}): sessions hold health data; "
            "the next session makes it owner-only",
            f"chmod 700 {shown}",
            {"folder": shown, "mode": f"{mode:o}"},
        )
    return Check("data folder", OK, f"{shown} writable, owner-only", details={"folder": shown})


def check_disk(
    folder: Path, usage: Callable[[Path], Any] = shutil.disk_usage, need: int = SESSION_NEED_BYTES
) -> Check:
    """Free space in the data folder for a 90-minute session."""
    probe_at = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
    free = usage(probe_at).free
    free_mb, need_mb = free // 2**20, need // 2**20
    details = {"free_mb": free_mb, "need_mb": need_mb}
    if free < need:
        return Check(
            "disk",
            FAIL,
            f"only {free_mb} MB free for sessions; a 90-minute session needs {need_mb} MB",
            f"free at least {need_mb - free_mb} MB on the disk of {_home_relative(folder)} "
            "(empty the trash, move old session files), or record elsewhere with --out",
            details,
        )
    return Check(
        "disk", OK, f"{free_mb} MB free (a 90-minute session needs {need_mb} MB)", details=details
    )


def check_clock(wall_s: float | None = None) -> Check:
    """The wall clock is plausible (session files store one wall-clock anchor)."""
    wall_s = time.time() if wall_s is None else wall_s
    year = time.gmtime(wall_s).tm_year
    resolution_s = time.get_clock_info("monotonic").resolution
    details = {"year": year, "monotonic_resolution_s": resolution_s}
    if not 2024 <= year < 2100:
        return Check(
            "clock",
            WARN,
            f"the computer's date is {time.strftime('%Y-%m-%d', time.gmtime(wall_s))}",
            "set the date and time (turn on automatic time): session files are dated by it",
            details,
        )
    if resolution_s > 0.001:
        return Check(
            "clock",
            WARN,
            f"the monotonic clock ticks every {resolution_s * 1000:.0f} ms",
            "beat times will be coarse; use a newer operating system",
            details,
        )
    return Check(
        "clock", OK, f"date plausible, monotonic clock {resolution_s * 1e9:.0f} ns", details=details
    )


def check_pair(pair: dict[str, str], seen: list[tuple[str, str | None]] | None = None) -> Check:
    """The remembered strap pair, and with a scan (`seen`: address, name) whether in range."""
    if not pair:
        return Check(
            "straps",
            OK,
            "no remembered pair yet (the first `coregulate monitor --client ... --therapist ...` "
            "remembers it)",
        )
    private = dict(pair)
    if seen is None:
        return Check(
            "straps", OK, "a pair is remembered (add --scan to look for it)", private=private
        )
    from coregulate.acquisition.ble_source import matches

    away = [
        role
        for role, device in pair.items()
        if device.lower() != "sim" and not any(matches(a, n, device) for a, n in seen)
    ]
    if away:
        return Check(
            "straps",
            WARN,
            f"not in range: {', '.join(away)}'s strap",
            "wet the strap's electrodes, put it on (it sleeps when not worn), "
            "and check no phone app is connected to it",
            {"away": away},
            private,
        )
    return Check("straps", OK, "both remembered straps are in range", private=private)


def _home_relative(path: Path) -> str:
    """Return `path` with the home folder as ``~`` (a support request needs no user name)."""
    home = str(Path.home())
    text = str(path)
    return "~" + text[len(home) :] if text.startswith(home + os.sep) else text
