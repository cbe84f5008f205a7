"""`coregulate hrv-report`: NeuroKit2's full HRV set of a recorded session, as JSON."""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import (
    add_command,
    add_file_argument,
    add_path_option,
    output_ok,
)
from coregulate.commands._progress import add_progress_option, reporting, stage

ORDER = 30
log = logging.getLogger("coregulate")
NS_PER_S = 1_000_000_000


def _segment(text: str) -> tuple[str, float, float]:
    """Parse LABEL:START_S:END_S into its parts, or raise an argparse error."""
    label, _, rest = text.partition(":")
    start, _, end = rest.partition(":")
    try:
        start_s, end_s = float(start), float(end)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: write a segment as LABEL:START_S:END_S, e.g. rupture:600:900"
        ) from None
    if not label or not (math.isfinite(start_s) and math.isfinite(end_s)) or end_s <= start_s:
        raise argparse.ArgumentTypeError(
            f"{text!r}: needs a label and START_S < END_S (session seconds)"
        )
    return label, start_s, end_s


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `hrv-report` parser."""
    cmd = add_command(
        sub,
        "hrv-report",
        run,
        help="NeuroKit2's full HRV report of a session file, per person and segment",
        description="Compute NeuroKit2's hrv_time, hrv_frequency and (for short series) "
        "hrv_nonlinear for each person of a recorded session, for the whole session and "
        "for each --segment, after the same artifact correction as the live session. "
        "Definitions: docs/metrics.md.",
    )
    add_file_argument(cmd, "session file (.sqlite)", name="session")
    cmd.add_argument(
        "--segment",
        type=_segment,
        action="append",
        default=[],
        metavar="LABEL:START_S:END_S",
        help="a marked part of the session, in session seconds (repeatable)",
    )
    cmd.add_argument(
        "--nonlinear-max-beats",
        type=int,
        default=1200,
        metavar="N",
        help="compute nonlinear indices only for series of at most N beats (default 1200)",
    )
    add_path_option(cmd, "--out", "write the JSON here (owner-only)")
    add_progress_option(cmd)


def read_beats(path: Path) -> dict[str, tuple[list[int], list[float], list[bool]]]:
    """Return each role's recorded beats as (t_ns, rr_ms, gap_before) per beat."""
    from coregulate.sessionfile.beats import beats_from_messages
    from coregulate.sessionfile.record import read_session

    beats: dict[str, tuple[list[int], list[float], list[bool]]] = {}
    for role, series in sorted(read_session(path, ("beats",)).beats.items()):
        # In time order of each message's first beat, whatever order they arrived in.
        ordered = sorted(series.messages, key=lambda m: m.json()["t_ns"][:1] or [0])
        s = beats_from_messages(role, ordered)
        beats[role] = (s.t_ns.tolist(), s.rr_ms.tolist(), s.gap_before.tolist())
    return beats


def run(args: argparse.Namespace) -> int:
    """Run `coregulate hrv-report`; return the exit code."""
    from coregulate.sessionfile.access import SessionFileError
    from coregulate.signal.full_report import Segment, full_report

    if args.out is not None and args.out.exists():
        log.error("%s already exists; choose another --out (a report never overwrites)", args.out)
        return ex.USAGE
    if not output_ok(args.out):
        return ex.CANNOT_CREATE
    try:
        beats = read_beats(args.session)
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    except (KeyError, TypeError, ValueError) as exc:
        log.error(
            "%s has a malformed beat message (%s); the file may be damaged", args.session, exc
        )
        return ex.BAD_INPUT
    if not beats:
        log.error("%s holds no beats: nothing to report", args.session)
        return ex.FAILED
    segments = [
        Segment(label, int(start * NS_PER_S), int(end * NS_PER_S))
        for label, start, end in args.segment
    ]
    with reporting(args):
        stage(f"computing the HRV report of {args.session.name} (NeuroKit2)")
        report = full_report(beats, segments, max_nonlinear_beats=args.nonlinear_max_beats)
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    if args.out is None:
        print(text, end="")  # noqa: T201 - the command's own output
        return ex.OK
    from coregulate.security.files import write_private_file

    try:
        write_private_file(args.out, text, exclusive=True)  # never overwrites
    except FileExistsError:
        log.error(
            "%s appeared meanwhile; choose another --out (a report never overwrites)", args.out
        )
        return ex.USAGE
    except OSError as exc:
        log.error("cannot write %s: %s", args.out, exc.strerror or exc)
        return ex.WRITE_FAILED
    print(f"report: {args.out}")  # noqa: T201
    return ex.OK
