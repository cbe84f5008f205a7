"""The bus options every session command shares: a private bus by default, remote viewers.

On Linux and macOS a session's hub listens on Unix sockets in a fresh owner-only
(0700) folder, so no other account on the computer can publish to it or read it
(docs/security.md, threat 4). `--tcp-bus` opts back into loopback TCP (any account on
this computer can then connect), for a tool that only speaks TCP; on other systems
TCP on 127.0.0.1 is the only choice.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coregulate.bus.endpoints import Endpoints
    from coregulate.security.access import ViewerAccess

log = logging.getLogger("coregulate")

# Where Unix sockets in an owner-only folder keep other accounts out.
PRIVATE_BUS_PLATFORMS = ("linux", "darwin")
MAX_SOCKET_FOLDER_CHARS = 80  # Endpoints.private_ipc refuses longer (sun_path: 104 bytes)


def private_bus_supported() -> bool:
    """Return True if this system can keep the bus to this account (Unix sockets)."""
    return sys.platform.startswith(PRIVATE_BUS_PLATFORMS)


def add_bus_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --private-bus / --tcp-bus (which transport the hub uses) and --viewers."""
    bus = parser.add_mutually_exclusive_group()
    bus.add_argument(
        "--private-bus",
        dest="tcp_bus",
        action="store_false",
        help="use Unix sockets in an owner-only folder, so no other account on this "
        "computer can connect (the default on Linux and macOS)",
    )
    bus.add_argument(
        "--tcp-bus",
        dest="tcp_bus",
        action="store_true",
        help="use loopback TCP (127.0.0.1) instead: every account on this computer can "
        "then connect; only for a local tool that cannot use Unix sockets",
    )
    parser.set_defaults(tcp_bus=False)
    parser.add_argument(
        "--viewers",
        default=None,
        metavar="ENDPOINT",
        help="let allow-listed viewers on other machines watch, encrypted, at ENDPOINT "
        "(e.g. tcp://192.0.2.10:5603); needs `coregulate keys` first (docs/security.md)",
    )


def viewer_access(args: argparse.Namespace) -> ViewerAccess | bool | None:
    """Return the remote viewers' access (None: none asked), or False (said why) if refused."""
    if not args.viewers:
        return None
    from coregulate.security.access import BindRefused, ViewerAccess

    try:
        return ViewerAccess.from_keystore(args.viewers)
    except BindRefused as exc:
        log.error("%s", exc)
        return False


@contextlib.contextmanager
def session_bus(tcp: bool) -> Iterator[Endpoints]:
    """Yield the endpoints of one session's bus; a private bus's folder is removed after."""
    from coregulate.bus.endpoints import Endpoints

    if tcp or not private_bus_supported():
        if not tcp:
            log.info("no Unix sockets on %s: the bus uses loopback TCP", sys.platform)
        yield Endpoints.loopback()
        return
    folder = Path(tempfile.mkdtemp(prefix="coregulate-"))  # mode 0700, ours
    if len(str(folder)) > MAX_SOCKET_FOLDER_CHARS:  # a long TMPDIR (macOS): sun_path is short
        folder.rmdir()
        folder = Path(tempfile.mkdtemp(prefix="coregulate-", dir="/tmp"))
    try:
        yield Endpoints.private_ipc(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
