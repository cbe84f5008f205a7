"""`coregulate analyze`: run the full pipeline offline over a session or a pair of files."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._batch import add_batch_options, run_batch
from coregulate.commands._common import add_command, add_path_option, output_ok
from coregulate.commands._progress import add_progress_option, reporting, stage

ORDER = 50
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `analyze` parser."""
    p = add_command(
        sub,
        "analyze",
        run,
        help="summarise a session offline (HR, RMSSD, artifacts, synchrony)",
        description="Run the whole pipeline offline over one session file, or over a client "
        "file and a therapist file (e.g. two imports), or over many pairs listed in a CSV "
        "(--batch; columns client,therapist or session, one pair per row; the pairs run as "
        "Dask tasks on all cores, or on a cluster with --scheduler).",
    )
    p.add_argument(
        "session", nargs="?", type=Path, help="a session file (2-6 people: each pair and the group)"
    )
    add_path_option(p, "--client", "the client's session file")
    add_path_option(p, "--therapist", "the therapist's session file")
    add_path_option(p, "--batch", "analyse every pair listed in CSV", metavar="CSV")
    add_path_option(p, "--json", "write the summary as JSON here", metavar="OUT")
    add_path_option(p, "--report", "write a one-page .pdf or .png", metavar="OUT")
    p.add_argument(
        "--phase",
        action="store_true",
        help="add Hilbert phase synchrony (NeuroKit2; about 1.5 s more to start)",
    )
    add_batch_options(p)
    p.add_argument(
        "--pseudo-pairs",
        type=int,
        default=None,
        metavar="N",
        help="with --batch: compare each pair's synchrony with N pseudo pairs of its own (a "
        "dyad's client with the therapists of N other sessions; a group's pair (a, b): a with "
        "the people in b's role in N other sessions; all of them if fewer)",
    )
    add_progress_option(p)


_BAD_INPUT = "_bad_input"  # set on a job whose input file is unusable; never printed


def analyze_one(job: dict[str, Any]) -> dict[str, Any]:
    """Return the summary of one job (session or client/therapist), or its error."""
    from coregulate.recordings.analysis import analyze_files
    from coregulate.sessionfile.access import SessionFileError

    try:
        analysis = analyze_files(
            job.get("session"),
            job.get("client"),
            job.get("therapist"),
            bool(job.get("phase")),
            parallel=bool(job.get("parallel", True)),
        )
    except SessionFileError as exc:
        return {"job": job, "error": str(exc), _BAD_INPUT: True}
    except (OSError, ValueError) as exc:
        return {"job": job, "error": str(exc)}
    summary = analysis.summary()
    if job.get("segments") is not None:  # --tables or --segments
        from coregulate.batch.segments import duration_s, segment_rows

        summary["duration_s"] = duration_s(analysis)
        summary["segments"] = segment_rows(analysis, job["segments"])
    if job.get("pseudo_pairs"):
        from coregulate.recordings.analysis import HR_GRID

        summary[HR_GRID] = analysis.result.hr_grids
    if job.get("report"):
        from coregulate.review.from_analysis import session_from_analysis
        from coregulate.review.report import write_report

        try:
            write_report(session_from_analysis(analysis), job["report"])
        except OSError as exc:
            return {"job": job, "error": f"cannot write {job['report']}: {exc.strerror or exc}"}
        summary["report"] = str(job["report"])
    return summary


def _read_batch(path: Path) -> list[dict[str, Any]]:
    from coregulate.batch.segments import read_csv_rows

    jobs = []
    base = path.parent
    for i, row in read_csv_rows(path, "batch CSV"):
        if row.get("session"):
            jobs.append({"session": str(base / row["session"])})
        elif row.get("client") and row.get("therapist"):
            jobs.append(
                {"client": str(base / row["client"]), "therapist": str(base / row["therapist"])}
            )
        else:
            raise ValueError(
                f"{path}, row {i}: expected a 'session' column or 'client' and 'therapist' "
                "columns naming session files"
            )
    if not jobs:
        raise ValueError(f"{path}: no pairs listed (expected a header row and one row per pair)")
    return jobs


def _batch_jobs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Return the jobs of `--batch` (raises ValueError for a bad CSV)."""
    jobs = _read_batch(args.batch)
    annotations = None
    if args.segments:
        from coregulate.batch.segments import read_annotations

        annotations = read_annotations(args.segments)
    for i, job in enumerate(jobs, start=1):
        job["phase"] = args.phase
        job["parallel"] = False  # the batch already keeps every core busy
        job["pseudo_pairs"] = bool(args.pseudo_pairs)
        if args.tables or annotations is not None:
            from coregulate.batch.segments import annotations_for

            job["segments"] = annotations_for(
                annotations or [], job.get("session") or job["client"]
            )
        if args.report:  # numbered beside --report
            job["report"] = str(
                args.report.with_name(f"{args.report.stem}-{i}{args.report.suffix}")
            )
    return jobs


def _write_tables(folder: Path, results: list[dict[str, Any]]) -> bool:
    """Write the batch's tidy tables into `folder`; False (said why) if it cannot."""
    from coregulate.batch.tables import write_tables

    try:
        write_tables(folder, results)
    except OSError as exc:
        log.error("cannot write the tables into %s: %s", folder, exc.strerror or exc)
        return False
    return True


def _batch_usage_ok(args: argparse.Namespace) -> bool:
    """Return whether the batch options fit together (said why if not)."""
    if (args.tables or args.segments) and not args.batch:
        log.error("--tables and --segments need --batch CSV (one row per pair)")
        return False
    if args.resume and not args.json:
        log.error("--resume needs --json OUT (the output whose pairs are skipped)")
        return False
    if args.resume and args.pseudo_pairs:
        log.error(
            "--resume cannot be combined with --pseudo-pairs (the null needs every dyad's "
            "grid): finish the batch, then run it once with --pseudo-pairs"
        )
        return False
    if args.jobs is not None and args.jobs < 1:
        log.error("--jobs must be at least 1")
        return False
    return True


def _batch_json(results: list[dict[str, Any]]) -> str:
    """Return the batch's JSON (the grids and internal flags of a running batch left out)."""
    from coregulate.recordings.analysis import HR_GRID

    hidden = (HR_GRID, _BAD_INPUT)
    return json.dumps([{k: v for k, v in r.items() if k not in hidden} for r in results], indent=2)


def _checkpoint(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    """Write the pairs finished so far to --json, so that --resume can skip them."""
    if args.json:
        done = [r for r in results if "error" not in r]
        _write_output(args, _batch_json(done))


def _single_job(args: argparse.Namespace) -> dict[str, Any] | None:
    """Return the one job of a session or a client/therapist pair; None (said why) if unclear."""
    if (args.session is None) == (args.client is None and args.therapist is None):
        log.error("give one session file, or --client FILE and --therapist FILE, or --batch")
        return None
    if args.session is not None:
        job: dict[str, Any] = {"session": str(args.session)}
    elif args.client is None or args.therapist is None:
        log.error("give both --client FILE and --therapist FILE")
        return None
    else:
        job = {"client": str(args.client), "therapist": str(args.therapist)}
    if args.report:
        job["report"] = str(args.report)
    job["phase"] = args.phase
    return job


def _write_output(args: argparse.Namespace, text: str) -> int:
    """Write `text` to --json (atomic, owner-only) or print it; return the exit code."""
    if not args.json:
        print(text)  # noqa: T201 - the command's own output
        return ex.OK
    from coregulate.security.files import write_private_file

    try:  # atomic and owner-only, never through a symbolic link
        write_private_file(args.json, text + "\n")
    except OSError as exc:
        log.error("cannot write %s: %s", args.json, exc.strerror or exc)
        return ex.WRITE_FAILED
    return ex.OK


def run(args: argparse.Namespace) -> int:
    """Run `coregulate analyze`; return the exit code."""
    # One BLAS thread: our vectors are a few hundred values, and a process without
    # other threads may fork workers for the independent parts of an analysis
    # (recordings/forked.py). Set before NumPy is first imported; a user's own
    # setting wins.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if args.report and args.report.suffix.lower() not in (".pdf", ".png"):
        log.error("--report must end in .pdf or .png, got %s", args.report)
        return ex.USAGE
    # A batch's reports are numbered beside --report: the same folder to check.
    if not output_ok(args.json, args.report) or not output_ok(args.tables, folder=True):
        return ex.CANNOT_CREATE
    failed = False
    if args.pseudo_pairs is not None and (not args.batch or args.pseudo_pairs < 1):
        log.error("--pseudo-pairs N needs --batch CSV and N ≥ 1")
        return ex.USAGE
    if (args.batch or args.tables or args.segments) and not _batch_usage_ok(args):
        return ex.USAGE
    if args.batch:
        try:
            jobs = _batch_jobs(args)
        except ValueError as exc:
            log.error("%s", exc)
            return ex.BAD_INPUT
        with reporting(args, tick=False):
            results = run_batch(analyze_one, jobs, args, lambda rs: _checkpoint(args, rs))
        for r in results:
            r.pop(_BAD_INPUT, None)
            if "error" in r:
                log.error("%s", r["error"])
                failed = True
        text = _batch_json(results)
        if args.tables and not _write_tables(args.tables, results):
            return ex.WRITE_FAILED
    else:
        job = _single_job(args)
        if job is None:
            return ex.USAGE
        with reporting(args, tick=False):
            stage(f"analysing {Path(job.get('session') or job['client']).name}")
            result = analyze_one(job)
        if "error" in result:
            log.error("%s", result["error"])
            return ex.BAD_INPUT if result.get(_BAD_INPUT) else ex.FAILED
        text = json.dumps(result, indent=2)
    code = _write_output(args, text)
    return code if code != ex.OK else (ex.FAILED if failed else ex.OK)
