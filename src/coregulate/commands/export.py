"""`coregulate export`: a session file as CSV tables or a BIDS-style folder."""

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
from coregulate.recordings.formats import EXPORT_FORMATS

ORDER = 45
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `export` parser."""
    p = add_command(
        sub,
        "export",
        run,
        help="export a session as CSV tables or BIDS-style physio files",
        description="Write a session file's streams (beats, metrics, status, synchrony, "
        "markers, ratings, ECG) as CSV tables with units in column names, or as BIDS-style "
        "physio TSV.gz files with JSON sidecars; a README in the folder says what each is.",
    )
    add_file_argument(p, "the session file")
    p.add_argument("--format", choices=tuple(EXPORT_FORMATS), required=True)
    add_path_option(
        p,
        "--out",
        "folder to write (created owner-only; must be empty or new)",
        metavar="DIR",
        required=True,
    )
    add_progress_option(p)


def run(args: argparse.Namespace) -> int:
    """Run `coregulate export`; return the exit code."""
    from coregulate.recordings.formats import write_export
    from coregulate.sessionfile.access import SessionFileError, check_intact

    if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
        from coregulate.recordings.export_bids import is_coregulate_dataset

        # A client's sessions share one BIDS dataset: add to one this command started.
        if not (args.format == "bids" and is_coregulate_dataset(args.out)):
            log.error(
                "%s exists and is not an empty folder (nor, for --format bids, a dataset "
                "coregulate exported); choose a new --out",
                args.out,
            )
            return ex.USAGE
    if not output_ok(args.out, folder=True):
        return ex.CANNOT_CREATE
    try:
        check_intact(args.file)
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    try:
        with reporting(args):
            stage(f"exporting {args.file.name} as {args.format}")
            files = write_export(args.file, args.out, args.format)
    except SessionFileError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    except ValueError as exc:  # BidsDatasetError: this session is already in the dataset
        log.error("%s", exc)
        return ex.USAGE
    except OSError as exc:
        log.error("cannot write into %s: %s", args.out, exc.strerror or exc)
        return ex.WRITE_FAILED
    print(f"wrote {len(files)} files to {args.out}")  # noqa: T201 - the command's own output
    return ex.OK
