"""`coregulate import`: RR files people already have become session files."""

from __future__ import annotations

import argparse
import itertools
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, add_path_option, output_ok
from coregulate.commands._progress import add_progress_option, reporting, stage
from coregulate.recordings.formats import AUTO, IMPORT_FORMATS
from coregulate.signal.dyad import ROLES

ORDER = 40
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `import` parser."""
    p = add_command(
        sub,
        "import",
        run,
        help="make a session file from an RR list, a Polar Sensor Logger file or an XDF file",
        description="Read RR intervals from a one-RR-per-line text file (Kubios, Elite HRV, "
        "HRV Logger), a Polar Sensor Logger RR file, or an XDF file (LabRecorder) and write "
        "them as a new session file, which analyze and export read like a recorded session. "
        "With --ecg and no file, the beats are the R peaks NeuroKit2 finds in the ECG.",
    )
    p.add_argument(
        "file",
        type=Path,
        nargs="?",
        help="the file to import (may be left out with --ecg: beats from its R peaks, or "
        "with --person)",
    )
    p.add_argument(
        "--person",
        action="append",
        default=[],
        metavar="KEY=FILE",
        help="one person's RR file (2-6 times; e.g. --person client=A.txt --person "
        "partner=B.txt --person therapist=C.txt): one session of them all",
    )
    p.add_argument(
        "--id",
        action="append",
        default=[],
        metavar="KEY=ID",
        help="with --person: the pseudonymous id of person KEY (default unknown)",
    )
    add_path_option(p, "--out", "session file to create", required=True)
    p.add_argument(
        "--format",
        choices=(AUTO, *IMPORT_FORMATS),
        default=AUTO,
        help="input format (default: detected from the content)",
    )
    p.add_argument(
        "--role",
        choices=ROLES,
        default="client",
        help="whose beats these are (single-person files; default client)",
    )
    p.add_argument("--client-stream", metavar="NAME", help="XDF: the client's RR stream")
    p.add_argument("--therapist-stream", metavar="NAME", help="XDF: the therapist's RR stream")
    add_path_option(p, "--ecg", "a Polar Sensor Logger ECG file of the same recording")
    add_path_option(
        p,
        "--acc",
        "a Polar Sensor Logger ACC file of the same recording (breathing, movement)",
    )
    p.add_argument("--client-id", default="unknown", help="pseudonymous client id to store")
    p.add_argument("--therapist-id", default="unknown", help="pseudonymous therapist id to store")
    add_progress_option(p)


def _read(args: argparse.Namespace) -> tuple[Any, Iterable[tuple[str, bytes, int]]]:
    """Return the recording and the raw PMD frames of --ecg and --acc (Polar Sensor Logger).

    Without a file, the beats are the R peaks of the --ecg file (recordings/import_ecg.py).
    """
    from coregulate.recordings.formats import read_import

    if args.file is None:
        from coregulate.recordings.import_ecg import read_polar_ecg

        stage(f"reading {args.ecg.name} (R peaks by NeuroKit2)")
        recording, extra = read_polar_ecg(args.ecg, args.role)
        frames = _frames(args, recording.wall_anchor_ns, with_ecg=False)
        return recording, itertools.chain(extra, frames)
    streams = {"client": args.client_stream, "therapist": args.therapist_stream}
    stage(f"reading {args.file.name}")
    recording = read_import(
        args.file, args.format, args.role, {r: n for r, n in streams.items() if n}
    )
    return recording, _frames(args, recording.wall_anchor_ns)


def _frames(
    args: argparse.Namespace, wall_anchor_ns: int, with_ecg: bool = True
) -> Iterable[tuple[str, bytes, int]]:
    """Return the raw PMD frames of --ecg and --acc files (Polar Sensor Logger), if given.

    The ACC frames come as a generator, read while the session file is written.
    """
    extra: list[tuple[str, bytes, int]] = []
    if args.ecg is None and args.acc is None:
        return extra
    from coregulate.recordings import import_acc

    if args.ecg is not None and with_ecg:
        extra += import_acc.polar_ecg_messages(args.ecg, args.role, wall_anchor_ns)
    if args.acc is not None:
        return itertools.chain(
            extra, import_acc.polar_acc_messages(args.acc, args.role, wall_anchor_ns)
        )
    return extra


def _import_one(args: argparse.Namespace) -> Any:
    """Read the one FILE (or --ecg alone) and write it as a session; return the recording."""
    from coregulate.recordings.importing import write_import

    recording, extra = _read(args)
    source = (args.file or args.ecg).name
    stage(f"writing {args.out.name}")
    write_import(recording, args.out, source, args.client_id, args.therapist_id, extra)
    return recording


def _import_people(args: argparse.Namespace) -> Any:
    """Read every --person file and write them as one session; return the recording."""
    from coregulate.recordings.formats import read_import
    from coregulate.recordings.import_people import merge_recordings, parse_people
    from coregulate.recordings.importers import ImportFileError
    from coregulate.recordings.importing import write_import

    defaults = {"client": args.client_id, "therapist": args.therapist_id}
    people, files = parse_people(args.person, args.id, defaults)
    parts = {}
    for key, path in files.items():
        stage(f"reading {path.name} ({key})")
        if args.format == "xdf":
            raise ImportFileError("--person takes one person's file each, not XDF")
        parts[key] = read_import(path, args.format, key)
    recording = merge_recordings(parts)
    ids = {p.key: p.id for p in people}
    stage(f"writing {args.out.name}")
    source = ", ".join(f"{key}={path.name}" for key, path in files.items())
    client_id, therapist_id = ids.get("client", "unknown"), ids.get("therapist", "unknown")
    write_import(recording, args.out, source, client_id, therapist_id, people=people)
    return recording


def _usage_ok(args: argparse.Namespace) -> bool:
    """Return whether FILE, --ecg and --person fit together (said why if not)."""
    if args.person:
        if args.file is not None:
            log.error("give one FILE to import, or --person KEY=FILE for each person (2-6)")
            return False
        if args.ecg or args.acc or args.client_stream or args.therapist_stream:
            log.error("--ecg, --acc and the XDF streams take one file: import it without --person")
            return False
    elif args.file is None and args.ecg is None:
        log.error(
            "import needs a file to import, --ecg ECG_FILE (beats from its R peaks), "
            "or --person KEY=FILE for each person"
        )
        return False
    return True


def run(args: argparse.Namespace) -> int:
    """Run `coregulate import`; return the exit code."""
    from coregulate.recordings import importers
    from coregulate.sessionfile.access import SessionFileError
    from coregulate.signal.people import PeopleError

    if not _usage_ok(args):
        return ex.USAGE
    if args.out.exists():
        log.error("%s already exists; choose another --out (a session never overwrites)", args.out)
        return ex.USAGE
    if not output_ok(args.out):
        return ex.CANNOT_CREATE
    try:
        with reporting(args):
            recording = _import_people(args) if args.person else _import_one(args)
    except PeopleError as exc:
        log.error("%s", exc)
        return ex.USAGE
    except (importers.ImportFileError, SessionFileError) as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    except OSError as exc:  # the place was checked: this is a failure part-way (disk full)
        log.error("cannot write %s: %s; nothing was kept", args.out, exc.strerror or exc)
        return ex.WRITE_FAILED
    n = sum(len(x.rr_ms) for notes in recording.notifications.values() for x in notes)
    n_hr = sum(len(s) for s in recording.hr_samples.values())
    roles = ", ".join(sorted({*recording.notifications, *recording.hr_samples}))
    what = f"{n} beats" if n or not n_hr else f"{n_hr} HR samples (no beats)"
    print(f"imported {what} ({roles}) into {args.out}")  # noqa: T201
    return ex.OK
