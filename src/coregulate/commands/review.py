"""`coregulate review FILE`: replay a recorded session in the live window, with review notes."""

from __future__ import annotations

import argparse
import logging

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, add_file_argument, display_ok

ORDER = 42
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `review` parser."""
    parser = add_command(
        sub,
        "review",
        run,
        help="replay a recorded session in the live window, with review notes",
        description="Open a recorded session in the live window's views: play, pause, "
        "speed 0.5-16x, scrub, previous/next marker, and review notes kept in "
        "FILE.review.jsonl beside the recording (the recording is never changed).",
    )
    add_file_argument(parser, "a coregulate session file")
    parser.add_argument("--author", default="", help="your name or initials for the notes")
    parser.add_argument("--view", choices=("calm", "full"), default="full")
    parser.add_argument(
        "--window-min",
        type=_half_window_min,
        default=3.0,
        help="minutes shown either side of the playhead (default 3)",
    )


def _half_window_min(text: str) -> float:
    """Return the review window's half width in minutes (0.5 to 60)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not 0.5 <= value <= 60:
        raise argparse.ArgumentTypeError(f"must be 0.5 to 60 minutes, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Run `coregulate review`; return the exit code."""
    from coregulate.sessionfile.access import SessionFileError, open_readonly

    if not display_ok("review"):
        return ex.NO_DISPLAY
    try:
        open_readonly(args.file).close()
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    from PySide6 import QtWidgets

    from coregulate.ui.review_window import ReviewWindow

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    window = ReviewWindow(
        args.file, author=args.author, half_window_s=args.window_min * 60, view=args.view
    )
    window.show()
    app.exec()
    return ex.OK
