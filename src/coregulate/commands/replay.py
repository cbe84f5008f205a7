"""`coregulate replay`: push a recording's raw notifications through the live pipeline again."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from coregulate.commands._common import (
    add_session_arguments,
    new_session_path,
    print_summary,
    run_session,
    want_headless,
)

ORDER = 20
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `replay` parser."""
    p = sub.add_parser(
        "replay",
        help="replay a recorded session through the pipeline into a review file",
        description="Replay the raw strap notifications of a session file, with their "
        "original timing scaled by --speed, through the same pipeline as a live session. "
        "The results go to a new review file; the original is only read, never changed.",
    )
    p.add_argument("file", type=Path, help="the recorded session file")
    p.add_argument(
        "--from",
        dest="from_s",
        type=float,
        default=0.0,
        metavar="T",
        help="start T seconds into the recording (default 0)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="REVIEW_FILE",
        help="review file to create (default: a new file in the data folder)",
    )
    add_session_arguments(p, None, "X times faster than recorded (default 1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run `coregulate replay`; return the exit code."""
    from coregulate.acquisition.specs import ReplayStrapSpec
    from coregulate.recordings.store import (
        SessionFileError,
        check_intact,
        read_messages,
        read_session_payload,
    )
    from coregulate.session import DemoOptions

    try:
        check_intact(args.file)
        original = read_session_payload(args.file)
        has_raw = any(True for _ in read_messages(args.file, ("hrm.",)))
    except SessionFileError as exc:
        log.error("%s", exc)
        return 1
    if not has_raw:
        log.error(
            "%s holds no raw strap notifications (an imported file?), so there is nothing to "
            "replay; `coregulate analyze` and `coregulate export` read its beats",
            args.file,
        )
        return 1
    if args.from_s < 0:
        log.error("--from must be 0 or more seconds, got %g", args.from_s)
        return 2
    out = new_session_path(args.out, "review")
    if out is None:
        return 2
    if out.resolve() == args.file.resolve():
        log.error("the review file must not be the original")
        return 2
    duration_s = float(original.get("duration_s") or 0.0)
    options = DemoOptions(
        out=out,
        duration_s=duration_s,
        speed=args.speed,
        log_level=args.log_level,
        sources=tuple(
            ReplayStrapSpec(role, str(args.file.resolve()), args.from_s)
            for role in ("client", "therapist")
        ),
        mode="replay",
        client_id=str(original.get("client_id", "unknown")),
        therapist_id=str(original.get("therapist_id", "unknown")),
        meta={"replay_of": args.file.name, "replay_from_s": args.from_s},
    )
    code = run_session(options, want_headless(args.headless))
    if code == 0:
        print_summary(out, "review file")
    return code
