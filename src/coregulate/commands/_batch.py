"""`analyze --batch`: the pairs (and pseudo pairs) as Dask tasks, resumable, checkpointed."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from coregulate.commands._progress import stage, step

log = logging.getLogger("coregulate")


def add_batch_options(p: argparse.ArgumentParser) -> None:
    """Add `--jobs`, `--scheduler` and `--resume` (the Dask side of `--batch`)."""
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="with --batch: local Dask worker processes (default: all cores; 1 = no Dask, "
        "one process)",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        metavar="tcp://HOST:PORT",
        help="with --batch: run the pairs on this running Dask cluster instead of a local one "
        "(docs/exports.md, 'Running on a cluster')",
    )
    p.add_argument(
        "--tables",
        type=Path,
        default=None,
        metavar="DIR",
        help="with --batch: write DIR/dyads and DIR/segments as .parquet and .csv "
        "(docs/exports.md, 'Tables')",
    )
    p.add_argument(
        "--segments",
        type=Path,
        default=None,
        metavar="CSV",
        help="with --batch: segments to summarise (columns session,onset_s,duration_s,label), "
        "besides those from markers and ratings",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --batch --json OUT: skip the pairs whose summary is already in OUT",
    )


def previous_results(path: Path | None) -> list[dict[str, Any]]:
    """Return the summaries in an earlier `--json` output (none if it does not exist yet)."""
    if path is None or not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot resume from it ({exc})") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path}: cannot resume from it (not the output of analyze --batch)")
    return [r for r in data if isinstance(r, dict)]


def _local(analyze: Any, jobs: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Return every job's summary computed here, one after the other (no Dask)."""
    out: dict[int, dict[str, Any]] = {}
    step("analysing pairs", 0, len(jobs))
    for i, job in enumerate(jobs):
        out[i] = analyze(job)
        step("analysing pairs", len(out), len(jobs))
    return out


def run_batch(
    analyze: Any,
    jobs: list[dict[str, Any]],
    args: argparse.Namespace,
    checkpoint: Any = None,
) -> list[dict[str, Any]]:
    """Return the summaries of `jobs` in their order (resumed ones from --json's file).

    `analyze` is the module-level function a task runs on one job. With
    ``--pseudo-pairs`` each dyad also gets its pseudo-pair null, its statistics
    computed as Dask tasks too.
    """
    from coregulate.batch.resume import split_done

    todo, kept = split_done(jobs, previous_results(args.json) if args.resume else [])
    if kept:
        stage(f"resuming: {len(kept)} of {len(jobs)} pairs already in {args.json.name}")
    pending = [jobs[i] for i in todo]

    def merged(done: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
        by_index = kept | {todo[k]: r for k, r in done.items()}
        return [by_index[i] for i in sorted(by_index)]

    local = args.scheduler is None and (args.jobs == 1 or len(pending) <= 1)
    if local and not args.pseudo_pairs:
        return merged(_local(analyze, pending))
    if local:
        results = merged(_local(analyze, pending))
        _pseudo(results, args.pseudo_pairs, None)
        return results
    from coregulate.batch.dask_run import dask_client, map_jobs

    save = (lambda done: checkpoint(merged(done))) if checkpoint else None
    with dask_client(args.scheduler, args.jobs) as client:
        results = merged(map_jobs(client, analyze, pending, save))
        if args.pseudo_pairs:
            _pseudo(results, args.pseudo_pairs, client)
    return results


def _pseudo(results: list[dict[str, Any]], n_pseudo: int, client: Any) -> None:
    """Add the pseudo-pair null to `results`, its statistics on `client`'s cluster if any."""
    from functools import partial

    from coregulate.batch.pseudo import add_pseudo_pair_null

    stage(f"comparing each pair with {n_pseudo} strangers in the same role (pseudo pairs)")
    mapper = None
    if client is not None:
        from coregulate.batch.dask_run import pair_mapper
        from coregulate.signal.synchrony import HR_PARAMS

        mapper = partial(pair_mapper, client, params=HR_PARAMS)
    add_pseudo_pair_null(results, n_pseudo, mapper)
