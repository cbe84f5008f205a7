"""The `coregulate` command."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import coregulate

log = logging.getLogger("coregulate")


def default_session_path(prefix: str) -> Path:
    """Return a new session file path in the per-user data directory (owner-only)."""
    from platformdirs import user_data_path

    folder = user_data_path("coregulate", appauthor=False) / "sessions"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return folder / f"{prefix}-{stamp}.sqlite"


def _positive(kind: type) -> object:
    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `coregulate` command."""
    parser = argparse.ArgumentParser(
        prog="coregulate",
        description="Real-time physiological co-regulation monitor for therapy sessions.",
    )
    parser.add_argument("--version", action="version", version=coregulate.__version__)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run a session with two simulated straps",
        description="Run a whole session (hub, straps, metrics, window) with simulated "
        "client and therapist straps. Everything is recorded to the session file.",
    )
    demo.add_argument("--headless", action="store_true", help="no window; print a summary")
    demo.add_argument(
        "--duration",
        type=_positive(float),
        default=None,
        metavar="SECONDS",
        help="session length in session seconds (default: 600 headless, 5400 with a window)",
    )
    demo.add_argument(
        "--speed",
        type=_positive(float),
        default=1.0,
        metavar="X",
        help="run X times faster than real time (default 1)",
    )
    demo.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    demo.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="session file to create"
    )
    return parser


def _has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def cmd_demo(args: argparse.Namespace, log_level: int) -> int:
    """Run `coregulate demo`; return the exit code."""
    from coregulate.recordings.summary import format_summary
    from coregulate.session import DemoOptions, SessionError, StopRequested, run_headless

    headless = args.headless
    if not headless and not _has_display():
        log.warning("no display found; running without a window (use --headless to say so)")
        headless = True
    duration_s = args.duration or (600.0 if headless else 5400.0)
    out = args.out or default_session_path("demo")
    if out.exists():
        log.error("%s already exists; choose another --out (a session never overwrites)", out)
        return 2
    options = DemoOptions(
        out=out, duration_s=duration_s, speed=args.speed, seed=args.seed, log_level=log_level
    )
    try:
        with StopRequested() as stop:
            if headless:
                run_headless(options, stop)
            else:
                from coregulate.session import run_window_session

                run_window_session(options, stop)
    except SessionError as exc:
        log.error("%s", exc)
        return 1
    print(format_summary(out))  # noqa: T201 - the command's own output
    print(f"session file: {out}")  # noqa: T201
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `coregulate` command line; return the exit code."""
    args = build_parser().parse_args(argv)
    log_level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=log_level, format="%(levelname)s %(message)s")
    if args.command == "demo":
        return cmd_demo(args, log_level)
    return 2


if __name__ == "__main__":
    sys.exit(main())
