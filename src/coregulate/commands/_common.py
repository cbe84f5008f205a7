"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from coregulate.commands import _exit_codes

if TYPE_CHECKING:
    from coregulate.session import DemoOptions

log = logging.getLogger("coregulate")

# A simulated session without a set --duration lasts this long (session seconds):
# short when nobody watches, 90 minutes (a long therapy session) with the window.
SIM_DURATION_HEADLESS_S: Final = 600.0
SIM_DURATION_WINDOW_S: Final = 5400.0


def simulated_duration_s(asked_s: float | None, headless: bool) -> float:
    """Return the simulated session's length: `asked_s`, or the default for the mode."""
    return asked_s or (SIM_DURATION_HEADLESS_S if headless else SIM_DURATION_WINDOW_S)


def add_command(
    sub: argparse._SubParsersAction,
    name: str,
    run: Callable[[argparse.Namespace], int],
    help: str,
    description: str,
) -> argparse.ArgumentParser:
    """Return the parser of subcommand `name`, which calls `run` (`help` in the list)."""
    parser = sub.add_parser(name, help=help, description=description)
    parser.set_defaults(func=run)
    return parser


def add_file_argument(parser: argparse.ArgumentParser, help: str, name: str = "file") -> None:
    """Add the positional session file argument (a `Path`)."""
    parser.add_argument(name, type=Path, help=help)


MARKER_KINDS_HELP: Final = (
    "a TOML file of the clinic's marker kinds (key, label, colour; README); default W/C/R/N"
)


def add_marker_kinds_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--marker-kinds FILE`` (the window's marker kinds; `marker_kinds_option`)."""
    add_path_option(parser, "--marker-kinds", MARKER_KINDS_HELP)


def marker_kinds_option(args: argparse.Namespace) -> tuple[Any, ...] | int | None:
    """Return the kinds of ``--marker-kinds`` (None: the default set), or USAGE after one line.

    Read before anything starts, so a bad file costs nothing: no session, no file.
    """
    if getattr(args, "marker_kinds", None) is None:
        return None
    from coregulate.ui.markers import MarkerKindsError, load_marker_kinds

    try:
        return load_marker_kinds(args.marker_kinds)
    except MarkerKindsError as exc:
        log.error("%s", exc)
        return _exit_codes.USAGE


def add_path_option(
    parser: argparse.ArgumentParser,
    flag: str,
    help: str,
    metavar: str = "FILE",
    required: bool = False,
) -> None:
    """Add an option `flag` that takes a path (default None), e.g. ``--out FILE``."""
    parser.add_argument(
        flag, type=Path, default=None, required=required, metavar=metavar, help=help
    )


def add_viewer_key_options(parser: argparse.ArgumentParser) -> None:
    """Add --key and --dir: this machine's key pair for encrypted viewing, and its folder."""
    parser.add_argument("--key", default="viewer", help="this machine's key pair (default viewer)")
    parser.add_argument("--dir", type=Path, default=None, metavar="FOLDER", help="keys folder")


def sessions_folder() -> Path:
    """Return the per-user folder where sessions are written by default."""
    from platformdirs import user_data_path

    return user_data_path("coregulate", appauthor=False) / "sessions"


def default_session_path(prefix: str) -> Path:
    """Return a new session file path in the per-user data directory (owner-only)."""
    from coregulate.security.files import private_dir

    # The name holds the kind of session and the time only: never an id or a name.
    folder = private_dir(sessions_folder())
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return folder / f"{prefix}-{stamp}.sqlite"


def new_session_path(out: Path | None, prefix: str) -> Path | None:
    """Return `out` (default: a new file in the data folder), None (said why) if it exists."""
    out = out or default_session_path(prefix)
    if out.exists():
        log.error("%s already exists; choose another --out (a session never overwrites)", out)
        return None
    return out


def session_out_error(out: Path | None) -> int | None:
    """Return the exit code if the session file --out cannot be created (said why), else None.

    Checked before any process starts, like every other command's output: an existing
    file is USAGE (a session never overwrites), a missing or unwritable folder
    CANNOT_CREATE, and nothing is created either way.
    """
    if out is None:
        return None
    if new_session_path(out, "") is None:
        return _exit_codes.USAGE
    if not output_ok(out):
        return _exit_codes.CANNOT_CREATE
    return None


def new_session_options(args: argparse.Namespace, prefix: str, **fields: Any) -> DemoOptions | int:
    """Return the options of a session recorded to --out (default: a new file), or an exit code.

    The exit code (said why in one line) when --out exists or cannot be created there.
    The speed and log level are the command line's; `fields` set the rest of `DemoOptions`.
    """
    from coregulate.session import DemoOptions

    code = session_out_error(args.out)
    if code is not None:
        return code
    out = new_session_path(args.out, prefix)
    if out is None:
        return _exit_codes.USAGE
    return DemoOptions(out=out, speed=args.speed, log_level=args.log_level, **fields)


def output_ok(*paths: Path | None, folder: bool = False) -> bool:
    """Return True if every given output can be created; else say why in one line.

    The caller then returns `CANNOT_CREATE`, before any work and with nothing created.
    `folder`: the outputs are folders (an export), not files.
    """
    from coregulate.security.files import OutputPathError, check_output_path

    for path in paths:
        if path is None:
            continue
        try:
            check_output_path(path, folder=folder)
        except OutputPathError as exc:
            log.error("%s", exc)
            return False
    return True


def positive(kind: type) -> Callable[[str], object]:
    """Return an argparse type that accepts numbers of `kind` greater than 0."""

    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    return parse


def add_session_arguments(
    parser: argparse.ArgumentParser, duration_help: str | None, speed_help: str
) -> None:
    """Add the options every session command shares: --headless, --speed and --duration.

    `duration_help` None leaves --duration out (a replay lasts as long as its recording).
    """
    parser.add_argument("--headless", action="store_true", help="no window; print a summary")
    if duration_help is not None:
        parser.add_argument(
            "--duration",
            type=positive(float),
            default=None,
            metavar="SECONDS",
            help=duration_help,
        )
    parser.add_argument("--speed", type=positive(float), default=1.0, metavar="X", help=speed_help)


def has_display() -> bool:
    """Return True if a window can be shown (a display, or an explicit Qt platform)."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def display_ok(command: str) -> bool:
    """Return True if `command`'s window can be shown; else say so in one line.

    The caller then returns `NO_DISPLAY`: without this check Qt aborts the process
    (exit 134) with a page of its own text.
    """
    if not has_display():
        log.error(
            "no display found: `coregulate %s` opens a window; run it on a desktop session "
            "(on a server, ssh -X or a remote desktop)",
            command,
        )
        return False
    return window_ok(command, offer_headless=False)


def window_ok(command: str, offer_headless: bool = True) -> bool:
    """Return True unless Qt's platform plugin cannot load here; else say what is missing.

    Checked before a session starts: Qt would otherwise abort the whole process.
    """
    from coregulate.commands._qt_platform import qt_platform_problem

    if not has_display():
        return True  # no display at all: the caller's own rule applies (headless or exit)
    problem = qt_platform_problem()
    if problem is None:
        return True
    lines = problem.advice()
    if offer_headless:
        lines.append(f"or run without a window now: coregulate {command} --headless")
    log.error("%s", "\n".join(lines))
    return False


def want_headless(asked: bool) -> bool:
    """Return True if the session must run without a window (asked, or no display)."""
    if not asked and not has_display():
        log.warning("no display found; running without a window (use --headless to say so)")
        return True
    return asked


CANCELLED = -1  # the start dialog was cancelled: no session, no file


def run_session(
    options: DemoOptions,
    headless: bool,
    ask: bool = False,
    label: str = "session file",
    marker_kinds: tuple[Any, ...] | None = None,
) -> int:
    """Run a session headless or with the window; return OK, FAILED or CANCELLED.

    A session whose last messages were not all confirmed prints its summary with
    what is missing (`label` names the file) and returns FAILED.
    """
    from coregulate.session import (
        Session,
        SessionError,
        SessionLost,
        StopRequested,
        UnconfirmedAtStop,
        run_headless,
    )

    try:
        with StopRequested() as stop:
            if headless:
                print(headless_banner(options), flush=True)  # noqa: T201 - command output
                from coregulate.commands._live_status import LiveStatus

                every_s = float(os.environ.get("COREGULATE_STATUS_EVERY_S", "5"))
                total_s = options.stop_after_s or (
                    options.duration_s if options.simulated_only() else None
                )
                people = options.people_keys()
                with LiveStatus(options.endpoints.output, total_s, every_s, people):
                    run_headless(options, stop)
            else:
                from coregulate.ui.app import run_window_session

                window_session = run_window_session(
                    options, stop, Session, ask=ask, marker_kinds=marker_kinds
                )
                if not window_session:
                    how = "stopped by a signal" if stop.requested else "cancelled"
                    log.warning("start dialog %s: no session was recorded", how)
                    return CANCELLED
    except UnconfirmedAtStop as exc:
        log.error("%s", exc)
        print_summary(options.out, label, unconfirmed=exc.names)
        return _exit_codes.FAILED
    except SessionLost as exc:
        log.error("%s", exc)
        if options.out.exists():  # what was recorded until then, and what was lost
            print_summary(options.out, label, exc.unconfirmed, exc.lost_after)
        return _exit_codes.FAILED
    except SessionError as exc:
        log.error("%s", exc)
        return _exit_codes.FAILED
    return _exit_codes.OK


def headless_banner(options: DemoOptions) -> str:
    """Return the line that tells a user what a session without a window is doing."""
    line = f"recording to {options.out} (no window)"
    if not options.sources:  # the simulated demo: say how long it will take
        wall_s = options.duration_s / options.speed
        wall = f"{wall_s:.0f} s" if wall_s < 120 else f"{wall_s / 60:.0f} min"
        line += f"; {options.duration_s / 60:g} simulated min at {options.speed:g}x, about {wall}"
    return line + ". Ctrl-C ends the session and keeps everything recorded."


def print_summary(
    path: Path,
    label: str = "session file",
    unconfirmed: Sequence[str] = (),
    lost_after: str | None = None,
) -> None:
    """Print the per-person summary of a finished session and where its file is.

    `unconfirmed` names the processes whose last messages never reached the file;
    `lost_after` the session time after which nothing was recorded (a session lost).
    """
    from coregulate.recordings.summary import format_summary

    print(format_summary(path, unconfirmed, lost_after))  # noqa: T201 - the command's own output
    print(f"{label}: {path}")  # noqa: T201
