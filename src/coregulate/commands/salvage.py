"""`coregulate salvage`: copy every intact row of a damaged session file into a new file."""

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
from coregulate.commands._progress import add_progress_option, reporting, stage

ORDER = 70
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `salvage` parser."""
    p = add_command(
        sub,
        "salvage",
        run,
        help="recover every intact row of a damaged session file",
        description="Read a damaged or truncated session file (never changing it) and copy "
        "every intact message into a new session file.",
    )
    add_file_argument(p, "the damaged session file")
    add_path_option(p, "--out", "new file to write (default: FILE's name + '-salvaged')")
    add_progress_option(p)


def run(args: argparse.Namespace) -> int:
    """Run `coregulate salvage`; return the exit code."""
    from coregulate.recordings.salvage import salvage
    from coregulate.sessionfile.access import SessionFileError

    out = args.out or args.file.with_name(f"{args.file.stem}-salvaged{args.file.suffix}")
    if out.exists():
        log.error("%s already exists; choose another --out (salvage never overwrites)", out)
        return ex.USAGE
    if not output_ok(out):
        return ex.CANNOT_CREATE
    try:
        with reporting(args):
            stage(f"salvaging {args.file.name}")
            report = salvage(args.file, out)
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    except OSError as exc:
        log.error("cannot write %s: %s; nothing was kept", out, exc.strerror or exc)
        return ex.WRITE_FAILED
    print(  # noqa: T201 - the command's own output
        f"recovered {report.rows} messages into {report.out}; {report.missing_ids} message "
        f"ids before the last recovered one are on lost or damaged pages, "
        f"{report.unreadable_cells} damaged cells, {report.invalid_rows} invalid rows"
    )
    return ex.OK
