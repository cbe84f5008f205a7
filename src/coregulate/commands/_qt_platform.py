"""Can Qt open a window here? Finds what its platform plugin lacks, before Qt aborts.

Qt loads its platform plugin (``xcb`` for X11, ``wayland``...) when the first window
object is made; if a system library that plugin links is missing, Qt prints "Could
not load the Qt platform plugin" and aborts the whole process (SIGABRT, exit 134),
taking a session with it. Qt 6.5+ needs ``libxcb-cursor0`` and several xcb
utility libraries that a minimal Debian/Ubuntu/Fedora lacks. This module asks the
dynamic linker (``ldd``) which of the plugin's libraries are missing, and says which
packages provide them on each distribution.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

# soname -> (Debian/Ubuntu package, Fedora package): what Qt 6's xcb plugin links
# (ldd of PySide6 6.11's libqxcb.so and libQt6XcbQpa.so.6) and a few common others.
PACKAGES: Final[dict[str, tuple[str, str]]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)
_CANNOT_OPEN = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


@dataclass(frozen=True, slots=True)
class QtPlatformProblem:
    """Why Qt cannot open a window: the plugin, the missing libraries, what to run."""

    platform: str
    reason: str
    missing: tuple[str, ...] = ()
    fix: str = ""

    def advice(self) -> list[str]:
        """Return the lines that tell a user what is missing and how to install it."""
        lines = [f"the window cannot open: {self.reason}"]
        if self.fix:
            lines.append(self.fix)
        if self.missing:
            debian = sorted({PACKAGES.get(m, (m, m))[0] for m in self.missing})
            fedora = sorted({PACKAGES.get(m, (m, m))[1] for m in self.missing})
            lines += [
                f"missing system libraries: {', '.join(self.missing)}",
                f"Debian/Ubuntu: sudo apt-get install {' '.join(debian)}",
                f"Fedora: sudo dnf install {' '.join(fedora)}",
            ]
        return lines


def platform_name(env: dict[str, str] | None = None) -> str | None:
    """Return the Qt platform plugin a window would use here, None if there is no display."""
    env = dict(os.environ) if env is None else env
    asked = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if asked:
        return asked
    if not sys.platform.startswith("linux"):
        return {"darwin": "cocoa", "win32": "windows"}.get(sys.platform, sys.platform)
    if env.get("DISPLAY"):
        return "xcb"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return None


def plugin_path(platform: str) -> Path | None:
    """Return the file of Qt's `platform` plugin (Linux), None if PySide6 has none."""
    from PySide6.QtCore import QLibraryInfo

    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    path = folder / f"libq{platform}.so"
    return path if path.exists() else None


def run_ldd(path: Path) -> str:
    """Return ``ldd``'s report on `path` ("" if ldd is not installed)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return ""
    done = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def load_error(path: Path) -> str:
    """Return the dynamic linker's error when loading `path`, "" if it loads."""
    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        return str(exc)
    return ""


def missing_libraries(
    path: Path,
    ldd: Callable[[Path], str] = run_ldd,
    load: Callable[[Path], str] = load_error,
) -> tuple[str, ...]:
    """Return the shared libraries `path` needs that this system lacks, in ldd's order.

    ``ldd`` lists every missing one at once; without ldd, loading the plugin names
    the first.
    """
    report = ldd(path)
    if report:
        return tuple(dict.fromkeys(_NOT_FOUND.findall(report)))
    match = _CANNOT_OPEN.search(load(path))
    return (match.group(1),) if match else ()


def x_server_reachable(display: str) -> bool:
    """Return False if `display` is a local X display whose socket does not exist."""
    match = re.fullmatch(r"(unix)?:(\d+)(\.\d+)?", display)
    if match is None:
        return True  # a remote or unusual display: let Qt try
    return Path(f"/tmp/.X11-unix/X{match.group(2)}").exists()


def qt_platform_problem(
    env: dict[str, str] | None = None,
    find_plugin: Callable[[str], Path | None] = plugin_path,
    missing: Callable[[Path], tuple[str, ...]] = missing_libraries,
) -> QtPlatformProblem | None:
    """Return why Qt could not open a window here, None if it should.

    Checks the display, that the platform plugin exists and that every library it
    links is installed (Linux only: elsewhere Qt ships what it needs).
    """
    env = dict(os.environ) if env is None else env
    platform = platform_name(env)
    if platform is None:
        return QtPlatformProblem("none", "no display found (neither DISPLAY nor WAYLAND_DISPLAY)")
    if not sys.platform.startswith("linux") or platform in ("offscreen", "minimal"):
        return None
    if platform == "xcb" and env.get("DISPLAY") and not x_server_reachable(env["DISPLAY"]):
        return QtPlatformProblem(
            platform,
            f"no X server answers at DISPLAY={env['DISPLAY']}",
            fix="log in to the desktop first, or set DISPLAY to the running one (echo $DISPLAY "
            "in a desktop terminal)",
        )
    path = find_plugin(platform)
    if path is None:
        return QtPlatformProblem(
            platform,
            f'Qt has no "{platform}" platform plugin here',
            fix="unset QT_QPA_PLATFORM, or set it to xcb (X11) or wayland",
        )
    lacking = missing(path)
    if lacking:
        return QtPlatformProblem(
            platform, f'Qt\'s "{platform}" platform plugin cannot load', lacking
        )
    return None
