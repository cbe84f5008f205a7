"""Build coregulate as a one-folder app (PyInstaller) for the platform this runs on.

    pip install -e ".[app]"
    python scripts/build_app.py            # -> dist/coregulate/coregulate(.exe)
    python scripts/build_app.py --smoke    # ...then run the app's own smoke test

The folder holds Python, Qt and every library: copy it to a computer without
Python and run ``coregulate/coregulate demo``. PyInstaller does not cross-compile:
build the Windows app on Windows and the macOS app on a Mac (docs/install.md says
how, with the macOS Bluetooth usage string and signing). The smoke test runs
``<app>/coregulate demo --headless --duration 60 --speed 60`` and ``<app>/coregulate
doctor`` and prints build time, size and their results.
"""

from __future__ import annotations

import argparse
import logging
import os
import plistlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("build_app")

# The spawned session processes start through this file too, so it must call
# freeze_support() before anything else (multiprocessing's rule for frozen apps).
LAUNCHER = """\
import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from coregulate.cli import main

    sys.exit(main())
"""

# macOS refuses Bluetooth to an app bundle without this entry (it is asked once).
BLUETOOTH_USAGE = (
    "coregulate connects to the heart-rate chest straps worn by the client and the therapist."
)

METADATA = ("coregulate", "PySide6-Essentials", "bleak", "numpy", "pyzmq", "pyqtgraph")
# Test-only and unused packages PyInstaller would otherwise follow into the app.
EXCLUDE = (
    "pytest",
    "bumble",
    "hypothesis",
    "ruff",
    "tkinter",
    "IPython",
    "PyInstaller",
    "pyqtgraph.examples",
    "pyqtgraph.opengl",
)


def pyinstaller_args(dist: Path, work: Path, launcher: Path, name: str) -> list[str]:
    """Return PyInstaller's command line for a one-folder build of `launcher`."""
    args = [
        str(launcher),
        "--name",
        name,
        "--onedir",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--specpath",
        str(work),
        "--paths",
        str(ROOT / "src"),
        # Subcommands and stages are found by walking their packages at run time,
        # which PyInstaller's import analysis cannot see.
        "--collect-submodules",
        "coregulate",
        "--collect-data",
        "coregulate",
    ]
    # `coregulate doctor` reports these versions from the packages' metadata.
    for dist_name in METADATA:
        args += ["--copy-metadata", dist_name]
    for module in EXCLUDE:
        args += ["--exclude-module", module]
    if sys.platform == "darwin":
        args += ["--windowed", "--osx-bundle-identifier", "org.coregulate.app"]
    return args


def add_bluetooth_usage(dist: Path, name: str) -> None:
    """Write NSBluetoothAlwaysUsageDescription into the macOS bundle's Info.plist."""
    plist = dist / f"{name}.app" / "Contents" / "Info.plist"
    if not plist.exists():
        return
    with plist.open("rb") as f:
        info = plistlib.load(f)
    info["NSBluetoothAlwaysUsageDescription"] = BLUETOOTH_USAGE
    with plist.open("wb") as f:
        plistlib.dump(info, f)


def folder_size_mb(folder: Path) -> float:
    """Return the total size of the files under `folder`, in MB (2**20 bytes)."""
    files = (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    return sum(p.stat().st_size for p in files) / 2**20


def build(dist: Path, name: str = "coregulate") -> Path:
    """Build the app into `dist`/`name`; return the path of its executable."""
    import PyInstaller.__main__

    # PyInstaller imports packages to analyse them; a Qt import must not look for a
    # display (on a build server there is none, and Qt would abort the analysis).
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    with tempfile.TemporaryDirectory(prefix="coregulate-build-") as tmp:
        work = Path(tmp)
        # Not "coregulate.py": a script of the package's name would shadow the package.
        launcher = work / "launch_coregulate.py"
        launcher.write_text(LAUNCHER)
        PyInstaller.__main__.run(pyinstaller_args(dist, work, launcher, name))
    if sys.platform == "darwin":
        add_bluetooth_usage(dist, name)
    exe = dist / name / (f"{name}.exe" if sys.platform == "win32" else name)
    if not exe.exists():
        raise SystemExit(f"PyInstaller finished but {exe} is missing")
    return exe


def smoke(exe: Path) -> bool:
    """Run the built app's demo (60 s at 60x, headless) and doctor; True if both ran."""
    with tempfile.TemporaryDirectory(prefix="coregulate-smoke-") as tmp:
        env = {**os.environ, "XDG_DATA_HOME": tmp, "XDG_CONFIG_HOME": tmp}
        env.pop("PYTHONPATH", None)  # the app must not borrow the checkout's sources
        env.pop("QT_QPA_PLATFORM", None)  # set for the build only: doctor sees the real display
        out = Path(tmp) / "smoke.sqlite"
        argv = [str(exe), "demo", "--headless", "--duration", "60", "--speed", "60"]
        started = time.monotonic()
        demo = subprocess.run([*argv, "--out", str(out)], env=env, capture_output=True, text=True)
        log.info(
            "demo: exit %d in %.1f s\n%s", demo.returncode, time.monotonic() - started, demo.stdout
        )
        if demo.returncode != 0 or not out.exists():
            log.error("the app's demo failed:\n%s", demo.stderr)
            return False
        doctor = subprocess.run([str(exe), "doctor"], env=env, capture_output=True, text=True)
        # doctor exits 1 where no Bluetooth or display exists (a build machine): it must
        # still run and report every check.
        log.info("doctor: exit %d\n%s", doctor.returncode, doctor.stdout)
        return "straps:" in doctor.stdout and "Traceback" not in doctor.stderr


def main(argv: list[str] | None = None) -> int:
    """Build (and with --smoke test) the app; return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--smoke", action="store_true", help="run the app's smoke test after")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    shutil.rmtree(args.dist / "coregulate", ignore_errors=True)
    started = time.monotonic()
    exe = build(args.dist)
    log.info(
        "built %s in %.0f s; folder %.0f MB",
        exe,
        time.monotonic() - started,
        folder_size_mb(exe.parent),
    )
    if args.smoke and not smoke(exe):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
