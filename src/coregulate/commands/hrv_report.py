"""`coregulate hrv-report`: NeuroKit2's full HRV set of a recorded session, as JSON."""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path
from typing import Any

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
    cmd = sub.add_parser(
        "hrv-report",
        help="NeuroKit2's full HRV report of a session file, per person and segment",
        description="Compute NeuroKit2's hrv_time, hrv_frequency and (for short series) "
        "hrv_nonlinear for each person of a recorded session, for the whole session and "
        "for each --segment, after the same artifact correction as the live session. "
        "Definitions: docs/metrics.md.",
    )
    cmd.add_argument("session", type=Path, help="session file (.sqlite)")
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
    cmd.add_argument(
        "--out", type=Path, default=None, metavar="FILE", help="write the JSON here (owner-only)"
    )
    cmd.set_defaults(func=run)


def read_beats(path: Path) -> dict[str, tuple[list[int], list[float], list[bool]]]:
    """Return each role's recorded beats as (t_ns, rr_ms, gap_before) per beat."""
    from coregulate.recordings.store import read_messages

    payloads: dict[str, dict[tuple[str, int], Any]] = {}
    for msg in read_messages(path, ("beat.",)):
        # (source, seq) identifies a message: a resend after a hub restart is one.
        payloads.setdefault(msg.topic.partition(".")[2], {})[(msg.source, msg.seq)] = msg.json()
    beats: dict[str, tuple[list[int], list[float], list[bool]]] = {}
    for role, by_id in sorted(payloads.items()):
        t: list[int] = []
        rr: list[float] = []
        gap: list[bool] = []
        for body in sorted(by_id.values(), key=lambda b: b["t_ns"][0] if b["t_ns"] else 0):
            t += [int(x) for x in body["t_ns"]]
            rr += [float(x) for x in body["rr_ms"]]
            gap += [bool(body["gap_before"])] + [False] * (len(body["rr_ms"]) - 1)
        beats[role] = (t, rr, gap)
    return beats


def run(args: argparse.Namespace) -> int:
    """Run `coregulate hrv-report`; return the exit code."""
    from coregulate.recordings.store import SessionFileError
    from coregulate.signal.report import Segment, full_report

    if args.out is not None and args.out.exists():
        log.error("%s already exists; choose another --out (a report never overwrites)", args.out)
        return 2
    try:
        beats = read_beats(args.session)
    except SessionFileError as exc:
        log.error("%s", exc)
        return 2
    except (KeyError, TypeError, ValueError) as exc:
        log.error(
            "%s has a malformed beat message (%s); the file may be damaged", args.session, exc
        )
        return 1
    if not beats:
        log.error("%s holds no beats: nothing to report", args.session)
        return 1
    segments = [
        Segment(label, int(start * NS_PER_S), int(end * NS_PER_S))
        for label, start, end in args.segment
    ]
    report = full_report(beats, segments, max_nonlinear_beats=args.nonlinear_max_beats)
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    if args.out is None:
        print(text, end="")  # noqa: T201 - the command's own output
        return 0
    from coregulate.security.files import write_private_file

    write_private_file(args.out, text, exclusive=True)  # never overwrites
    print(f"report: {args.out}")  # noqa: T201
    return 0
