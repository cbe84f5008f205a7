"""`coregulate replay`: push a recording's raw notifications through the live pipeline again."""

from __future__ import annotations

import argparse
import logging

from coregulate.commands import _exit_codes as ex
from coregulate.commands._bus import add_bus_arguments, session_bus, viewer_access
from coregulate.commands._common import (
    add_command,
    add_file_argument,
    add_path_option,
    add_session_arguments,
    new_session_options,
    print_summary,
    run_session,
    session_out_error,
    want_headless,
    window_ok,
)
from coregulate.commands._lsl import add_lsl_arguments, lsl_options
from coregulate.signal.people import PeopleError, is_default_dyad, keys_of, people_from_session

ORDER = 20
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `replay` parser."""
    p = add_command(
        sub,
        "replay",
        run,
        help="replay a recorded session through the pipeline into a review file",
        description="Replay the raw strap notifications of a session file, with their "
        "original timing scaled by --speed, through the same pipeline as a live session. "
        "The results go to a new review file; the original is only read, never changed.",
    )
    add_file_argument(p, "the recorded session file")
    p.add_argument(
        "--from",
        dest="from_s",
        type=float,
        default=0.0,
        metavar="T",
        help="start T seconds into the recording (default 0)",
    )
    add_path_option(
        p,
        "--out",
        "review file to create (default: a new file in the data folder)",
        metavar="REVIEW_FILE",
    )
    add_session_arguments(p, None, "X times faster than recorded (default 1)")
    add_bus_arguments(p)
    add_lsl_arguments(p)


def _recording_end_s(args: argparse.Namespace) -> tuple[dict, float] | int:
    """Return the original's session payload and its last notification (s), or an exit code."""
    from coregulate.sessionfile.access import (
        SessionFileError,
        check_intact,
        last_time_ns,
        read_session_payload,
    )

    try:
        check_intact(args.file)
        original = read_session_payload(args.file)
        keys = keys_of(people_from_session(original))
        last_raw_ns = last_time_ns(args.file, ("hrm.", *(f"lsl.{k}" for k in keys)))
    except (SessionFileError, PeopleError) as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    if last_raw_ns is None:
        log.error(
            "%s holds no raw strap notifications (an imported file?), so there is nothing to "
            "replay; `coregulate analyze` and `coregulate export` read its beats",
            args.file,
        )
        return ex.FAILED
    return original, last_raw_ns / 1e9


def _from_ok(args: argparse.Namespace, end_s: float) -> bool:
    """Return whether `--from` lies inside the recording; say why not in one line."""
    if args.from_s < 0:
        log.error("--from must be 0 or more seconds, got %g", args.from_s)
        return False
    if args.from_s >= end_s:
        log.error(
            "--from %g is past the recording: %s ends at %.1f s; give a --from before it",
            args.from_s,
            args.file,
            end_s,
        )
        return False
    return True


def run(args: argparse.Namespace) -> int:
    """Run `coregulate replay`; return the exit code."""
    from coregulate.acquisition.specs import ReplayStrapSpec

    out_error = session_out_error(args.out)  # the output first, as every command does
    if out_error is not None:
        return out_error
    try:
        lsl = lsl_options(args)
    except ValueError as exc:
        log.error("%s", exc)
        return ex.USAGE
    # Before anything is read or made: Qt would otherwise abort the process (exit 134).
    if not args.headless and not window_ok("replay"):
        return ex.NO_DISPLAY
    found = _recording_end_s(args)
    if isinstance(found, int):
        return found
    original, end_s = found
    people = people_from_session(original)
    group = not is_default_dyad(people)
    ids = {p.key: p.id for p in people} if group else {}  # a dyad's ids as before
    viewers = viewer_access(args)
    if viewers is False:
        return ex.USAGE
    if not _from_ok(args, end_s):
        return ex.USAGE
    options = new_session_options(
        args,
        "review",
        duration_s=float(original.get("duration_s") or 0.0),
        sources=tuple(
            ReplayStrapSpec(key, str(args.file.resolve()), args.from_s) for key in keys_of(people)
        ),
        people=people if group else (),
        mode="replay",
        lsl=lsl,
        client_id=str(original.get("client_id", ids.get("client", "unknown"))),
        therapist_id=str(original.get("therapist_id", ids.get("therapist", "unknown"))),
        meta={
            "replay_of": args.file.name,
            "replay_from_s": args.from_s,
            # Not a new session: no catalogue counts a replay as one of the client's.
            "derived": {"kind": "replay", "from": args.file.name},
        },
        viewers=viewers,
    )
    if isinstance(options, int):
        return options
    if options.out.resolve() == args.file.resolve():
        log.error("the review file must not be the original")
        return ex.USAGE
    with session_bus(args.tcp_bus) as endpoints:
        options.endpoints = endpoints
        code = run_session(options, want_headless(args.headless), label="review file")
    if code == ex.OK:
        print_summary(options.out, "review file")
    return code
