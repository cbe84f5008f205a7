"""`coregulate demo`: a whole session with two simulated straps."""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import (
    CANCELLED,
    SIM_DURATION_HEADLESS_S,
    SIM_DURATION_WINDOW_S,
    add_command,
    add_path_option,
    add_session_arguments,
    new_session_options,
    print_summary,
    run_session,
    simulated_duration_s,
    want_headless,
)

ORDER = 10
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` parser."""
    demo = add_command(
        sub,
        "demo",
        run,
        help="run a session with two simulated straps",
        description="Run a whole session (hub, straps, metrics, window) with simulated "
        "client and therapist straps. Everything is recorded to the session file.",
    )
    add_session_arguments(
        demo,
        f"session length in session seconds (default: {SIM_DURATION_HEADLESS_S:g} headless, "
        f"{SIM_DURATION_WINDOW_S:g} with a window)",
        "run X times faster than real time (default 1)",
    )
    demo.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    add_path_option(demo, "--out", "session file to create")
    demo.add_argument(
        "--no-dialog",
        action="store_true",
        help="skip the start dialog (client id sim-client, baseline on)",
    )
    demo.add_argument(
        "--private-bus",
        action="store_true",
        help="use Unix sockets in an owner-only folder instead of loopback TCP, so other "
        "accounts on this computer cannot connect (Linux, macOS)",
    )
    demo.add_argument(
        "--viewers",
        default=None,
        metavar="ENDPOINT",
        help="let allow-listed viewers on other machines watch, encrypted, at ENDPOINT "
        "(e.g. tcp://192.0.2.10:5603); needs `coregulate keys` first (docs/security.md)",
    )


def run(args: argparse.Namespace) -> int:
    """Run `coregulate demo`; return the exit code."""
    from coregulate.bus.endpoints import Endpoints

    headless = want_headless(args.headless)
    duration_s = simulated_duration_s(args.duration, headless)
    viewers = None
    if args.viewers:
        from coregulate.security.access import BindRefused, ViewerAccess

        try:
            viewers = ViewerAccess.from_keystore(args.viewers)
        except BindRefused as exc:
            log.error("%s", exc)
            return ex.USAGE
    options = new_session_options(
        args, "demo", duration_s=duration_s, seed=args.seed, viewers=viewers
    )
    if isinstance(options, int):
        return options
    with _bus_folder(args.private_bus) as folder:
        if folder is not None:
            options.endpoints = Endpoints.private_ipc(folder)
        code = run_session(options, headless, ask=not args.no_dialog)
    if code == CANCELLED:
        return ex.OK
    if code == ex.OK:
        print_summary(options.out)
    return code


@contextlib.contextmanager
def _bus_folder(private: bool) -> Iterator[Path | None]:
    """Yield a fresh owner-only folder for the bus sockets (removed after), or None."""
    if not private:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="coregulate-"))  # mode 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
