"""A batch's pairs and pseudo pairs as Dask tasks, on this computer or an existing cluster.

Dask (``dask[distributed]``) is the engine: a `LocalCluster` of worker processes on
the loopback interface by default, or any running cluster given as
``tcp://HOST:PORT`` (``dask scheduler`` / ``dask worker`` on several machines,
dask-jobqueue on HPC, Kubernetes). Nothing here schedules: Dask places the tasks,
retries those of a worker that dies (``distributed.scheduler.allowed-failures``) and
hands back each result once. Results are put back in the batch's order by index,
so a retried task can neither be lost nor appear twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import numpy as np

from coregulate.signal.synchrony.params import SyncParams
from coregulate.signal.synchrony.pseudo_pairs import pair_statistic

_progress = logging.getLogger("coregulate.progress")
CHECKPOINT_S: Final = 30.0  # how often a long batch writes what it has (for --resume)

Job = dict[str, Any]
Summary = dict[str, Any]


def _step(text: str, done: int, total: int) -> None:
    # The progress reporter of commands/_progress.py listens on this logger.
    _progress.info("%s", text, extra={"done": done, "total": total})


@contextmanager
def dask_client(scheduler: str | None, n_workers: int | None) -> Iterator[Any]:
    """Yield a Dask client: of the cluster at `scheduler`, or of a new local cluster.

    The local cluster has `n_workers` single-threaded worker processes (default:
    one per core), listens on 127.0.0.1 only and has no dashboard.
    """
    from distributed import Client, LocalCluster

    # Dask's own INFO lines (workers starting, closing) are not the user's business.
    for name in ("distributed", "distributed.scheduler", "distributed.nanny"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def job_label(job: Job) -> str:
    """Return how a pair is named in messages: its session file, or client + therapist."""
    if job.get("session"):
        return str(job["session"])
    return f"{job.get('client')} + {job.get('therapist')}"


def map_jobs(
    client: Any,
    analyze: Callable[[Job], Summary],
    jobs: Sequence[Job],
    checkpoint: Callable[[dict[int, Summary]], None] | None = None,
) -> dict[int, Summary]:
    """Return {index: summary} of every job, each computed once as a Dask task.

    `analyze` must be importable on the workers (a module-level function). A task
    that raises, or whose workers keep dying, gives ``{"job": ..., "error": ...}``
    naming the pair; the others complete. `checkpoint` gets the results so far every
    `CHECKPOINT_S` seconds.
    """
    from distributed import as_completed

    futures = {client.submit(analyze, job, pure=False): i for i, job in enumerate(jobs)}
    out: dict[int, Summary] = {}
    last = time.monotonic()
    _step("analysing pairs", 0, len(jobs))
    for future in as_completed(futures):
        i = futures[future]
        try:
            out[i] = future.result()
        except Exception as exc:
            out[i] = {"job": jobs[i], "error": f"{job_label(jobs[i])}: {type(exc).__name__}: {exc}"}
        future.release()
        _step("analysing pairs", len(out), len(jobs))
        if checkpoint is not None and time.monotonic() - last >= CHECKPOINT_S:
            checkpoint(out)
            last = time.monotonic()
    return out


def _dyad_statistic(
    therapist_dyad: tuple[np.ndarray, np.ndarray],
    client_dyad: tuple[np.ndarray, np.ndarray],
    params: SyncParams,
) -> float:
    """Return `pair_statistic` of one dyad's therapist with another's client (a task)."""
    return pair_statistic(therapist_dyad[0], client_dyad[1], params)


def pair_mapper(
    client: Any, dyads: Sequence[tuple[np.ndarray, np.ndarray]], params: SyncParams
) -> Callable[[Sequence[tuple[int, int]]], list[float]]:
    """Return a function that computes (therapist dyad, client dyad) statistics as tasks.

    Each dyad's grids are sent to the cluster once (scattered); every pair is one task.
    """
    scattered = client.scatter(list(dyads))

    def run(pairs: Sequence[tuple[int, int]]) -> list[float]:
        futures = [
            client.submit(_dyad_statistic, scattered[t], scattered[c], params, pure=False)
            for t, c in pairs
        ]
        from distributed import as_completed

        for done, _ in enumerate(as_completed(futures), start=1):
            _step("pseudo pairs", done, len(futures))
        return [float(x) for x in client.gather(futures)]

    return run
