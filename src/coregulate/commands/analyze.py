"""`coregulate analyze`: run the full pipeline offline over a session or a pair of files."""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
from pathlib import Path
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, add_path_option, output_ok
from coregulate.commands._progress import add_progress_option, reporting, stage, step

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
        "(--batch; columns client,therapist or session, one pair per row; uses all cores).",
    )
    p.add_argument("session", nargs="?", type=Path, help="a session file with both people")
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
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument(
        "--pseudo-pairs",
        type=int,
        default=None,
        metavar="N",
        help="with --batch: compare each dyad's synchrony with N pseudo dyads (client of one "
        "dyad with the therapist of another; all of them if fewer)",
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
    if job.get("pseudo_pairs"):
        from coregulate.recordings.analysis import HR_GRID

        summary[HR_GRID] = analysis.result.hr_grid
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
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: cannot read the batch CSV ({exc})") from exc
    jobs = []
    base = path.parent
    for i, row in enumerate(rows, start=2):
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
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


def run_batch(jobs: list[dict[str, Any]], n_jobs: int | None) -> list[dict[str, Any]]:
    """Return every job's summary, computed on all cores with a progress bar."""
    import multiprocessing as mp

    n = max(1, min(n_jobs or os.cpu_count() or 1, len(jobs)))
    results: list[dict[str, Any]] = []
    step("analysing pairs", 0, len(jobs))
    if n == 1:
        for job in jobs:
            results.append(analyze_one(job))
            step("analysing pairs", len(results), len(jobs))
        return results
    with mp.get_context("spawn").Pool(n) as pool:
        for summary in pool.imap(analyze_one, jobs):
            results.append(summary)
            step("analysing pairs", len(results), len(jobs))
    return results


def _batch_jobs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Return the jobs of `--batch` (raises ValueError for a bad CSV)."""
    jobs = _read_batch(args.batch)
    for i, job in enumerate(jobs, start=1):
        job["phase"] = args.phase
        job["parallel"] = False  # the batch already keeps every core busy
        job["pseudo_pairs"] = bool(args.pseudo_pairs)
        if args.report:  # numbered beside --report
            job["report"] = str(
                args.report.with_name(f"{args.report.stem}-{i}{args.report.suffix}")
            )
    return jobs


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
    if not output_ok(args.json, args.report):
        return ex.CANNOT_CREATE
    failed = False
    if args.pseudo_pairs is not None and (not args.batch or args.pseudo_pairs < 1):
        log.error("--pseudo-pairs N needs --batch CSV and N ≥ 1")
        return ex.USAGE
    if args.batch:
        try:
            jobs = _batch_jobs(args)
        except ValueError as exc:
            log.error("%s", exc)
            return ex.BAD_INPUT
        with reporting(args, tick=False):
            results = run_batch(jobs, args.jobs)
            if args.pseudo_pairs:
                from coregulate.recordings.analysis import add_pseudo_pair_null

                stage(f"comparing with {args.pseudo_pairs} pseudo pairs")
                add_pseudo_pair_null(results, args.pseudo_pairs)
        for r in results:
            r.pop(_BAD_INPUT, None)
            if "error" in r:
                log.error("%s", r["error"])
                failed = True
        text = json.dumps(results, indent=2)
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
