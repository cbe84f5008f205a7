"""`coregulate report FILE`: the one-page session report for supervision (PDF or PNG)."""

from __future__ import annotations

import argparse
import logging

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import (
    add_command,
    add_file_argument,
    add_path_option,
    output_ok,
)

ORDER = 40
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `report` parser."""
    parser = add_command(
        sub,
        "report",
        run,
        help="write a one-page session report (PDF or PNG)",
        description="Write the one-page report a supervisor reads: both people's arousal "
        "(or HR and lnRMSSD with baseline bands), synchrony with lead/lag, markers, ratings, "
        "time in each state and data quality. Indicators, never a diagnosis.",
    )
    add_file_argument(parser, "a coregulate session file")
    add_path_option(
        parser,
        "--out",
        "where to write it (default: beside FILE, same name with .pdf)",
        metavar="PDF|PNG",
    )


def run(args: argparse.Namespace) -> int:
    """Run `coregulate report`; return the exit code."""
    from coregulate.recordings.stage_replay import has_live_metrics
    from coregulate.review.derived import derived_analysis
    from coregulate.review.from_analysis import session_from_analysis
    from coregulate.review.report import write_report
    from coregulate.review.session_data import load_session
    from coregulate.sessionfile.access import SessionFileError

    out = args.out or args.file.with_suffix(".pdf")
    if out.suffix.lower() not in (".pdf", ".png"):
        log.error("%s: the report is written as .pdf or .png; change the --out suffix", out)
        return ex.USAGE
    if out.resolve() == args.file.resolve():
        log.error("--out would overwrite the session file; choose another name")
        return ex.USAGE
    if not output_ok(out):
        return ex.CANNOT_CREATE
    try:
        data = load_session(args.file)
        if data.people and not has_live_metrics(args.file):
            # An import holds beats only: the page comes from analyze's numbers, not empty.
            data = session_from_analysis(derived_analysis(args.file, parallel=True))
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    if not data.people:
        log.error("%s has no heartbeats or metrics to report on", args.file)
        return ex.FAILED
    for problem in data.problems:
        log.warning("%s", problem)
    try:
        path = write_report(data, out)
    except OSError as exc:
        log.error("cannot write %s: %s", out, exc.strerror or exc)
        return ex.WRITE_FAILED
    print(f"wrote {path}")  # noqa: T201 - the command's own output
    return ex.OK
