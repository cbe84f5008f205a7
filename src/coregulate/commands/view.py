"""`coregulate view`: attach a window to a running session (also one started elsewhere)."""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coregulate.bus.subscriber import CurveClientKeys
    from coregulate.session_info import SessionInfo

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import (
    add_command,
    add_marker_kinds_option,
    add_path_option,
    add_viewer_key_options,
    display_ok,
    marker_kinds_option,
)

ORDER = 20
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `view` parser."""
    view = add_command(
        sub,
        "view",
        run,
        help="open a window on a running session",
        description="Open a live window on a running session. Without options it attaches to "
        "the newest session running on this machine (its session-info file in the per-user "
        "runtime folder) and first reads what it missed from the session file. Closing the "
        "window never stops the session or its recording.",
    )
    add_path_option(view, "--info", "a session-info file to use")
    view.add_argument("--output", metavar="ENDPOINT", help="the hub's output endpoint")
    view.add_argument("--input", metavar="ENDPOINT", help="the hub's input (for markers)")
    add_path_option(view, "--file", "session file to backfill from")
    view.add_argument(
        "--hub-key",
        metavar="KEY",
        help="the hub's public key, for a session's encrypted viewer output on another "
        "machine (coregulate demo --viewers); written --hub-key='KEY' (docs/security.md)",
    )
    add_viewer_key_options(view)
    view.add_argument("--full", action="store_true", help="start in the full view")
    view.add_argument("--theme", choices=("dark", "light"), default="dark")
    view.add_argument(
        "--hide-therapists",
        action="store_true",
        help="start with the therapists' own tiles hidden from the calm view, for a screen "
        "the clients see (F4 in the window switches them on and off)",
    )
    add_marker_kinds_option(view)


def run(args: argparse.Namespace) -> int:
    """Run `coregulate view`; return the exit code."""
    if not display_ok("view"):
        return ex.NO_DISPLAY
    marker_kinds = marker_kinds_option(args)
    if isinstance(marker_kinds, int):
        return marker_kinds
    clock = None
    client = ""
    curve = None
    if args.hub_key:
        if not args.output:
            log.error("--hub-key needs --output ENDPOINT (the session's viewer output)")
            return ex.USAGE
        curve = _curve_keys(args)
        if curve is None:
            return ex.USAGE
    if args.output:
        output, inp, file = args.output, args.input, args.file
    else:
        info = _running_session_info(args)
        if isinstance(info, int):
            return info
        output, inp, file = info.output_endpoint, info.input_endpoint, Path(info.session_file)
        clock, client = info.clock, info.client_id

    from PySide6 import QtCore, QtWidgets

    from coregulate.ui.live_window import LiveWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = LiveWindow(
        output,
        inp,
        file,
        clock,
        view="full" if args.full else "calm",
        theme=args.theme,
        title=f"coregulate — viewer{f' ({client})' if client else ''}",
        curve=curve,
        marker_kinds=marker_kinds,
        hide_therapists=args.hide_therapists,
    )
    window.show()
    # Ctrl-C or SIGTERM closes the window in order (pending markers reach the hub);
    # the timer lets Python run its signal handlers while Qt's loop waits.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: window.close())
    ticker = QtCore.QTimer()
    ticker.timeout.connect(lambda: None)
    ticker.start(200)
    app.exec()
    return ex.OK


def _running_session_info(args: argparse.Namespace) -> SessionInfo | int:
    """Return the session-info of --info or of the running session, or an exit code (said why)."""
    from coregulate.session_info import SessionInfoError, read_session_info, running_sessions

    try:
        if args.info:
            return read_session_info(args.info)
        found = running_sessions()
    except (SessionInfoError, OSError) as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    if not found:
        log.error(
            "no running session found on this machine; start one (coregulate demo) "
            "or give --output ENDPOINT (and --input, --file) of a session elsewhere"
        )
        return ex.FAILED
    return found[0][1]


def _curve_keys(args: argparse.Namespace) -> CurveClientKeys | None:
    """Return this machine's CURVE credentials for the hub, or None (logged) if unusable."""
    from coregulate.bus.subscriber import CurveClientKeys
    from coregulate.security.keys import KeyStore, KeyStoreError, parse_public_key

    try:
        hub_key = parse_public_key(args.hub_key)
        pair = KeyStore(args.dir).load(args.key)
    except KeyStoreError as exc:
        log.error("%s", exc)
        return None
    if pair.secret_key is None:
        log.error(
            "key %r has no secret half on this machine; create one with coregulate keys", args.key
        )
        return None
    log.warning("viewer key fingerprint %s (the therapist allows this one)", pair.fingerprint)
    return CurveClientKeys(hub_key, pair.public_key, pair.secret_key)
