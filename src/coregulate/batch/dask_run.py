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
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

import numpy as np

from coregulate.signal.synchrony.params import SyncParams
from coregulate.signal.synchrony.pseudo_pairs import pair_statistic

_progress = logging.getLogger("coregulate.progress")
CHECKPOINT_S: Final = 30.0  # how often a long batch writes what it has (for --resume)
CHUNKS_PER_WORKER: Final = 4  # pseudo-pair tasks per worker: balance vs per-task cost

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
    `CHECKPOINT_S` seconds, and on Ctrl-C before the interrupt goes on.
    """
    futures = {client.submit(analyze, job, pure=False): i for i, job in enumerate(jobs)}
    out: dict[int, Summary] = {}
    _step("analysing pairs", 0, len(jobs))
    try:
        _collect(futures, jobs, out, checkpoint)
    except KeyboardInterrupt:  # save what is done, so that --resume starts from there
        if checkpoint is not None:
            checkpoint(out)
        raise
    return out


def _collect(
    futures: dict[Any, int],
    jobs: Sequence[Job],
    out: dict[int, Summary],
    checkpoint: Callable[[dict[int, Summary]], None] | None,
) -> None:
    """Put each finished task's summary (or its error) into `out` as it completes."""
    from distributed import as_completed

    last = time.monotonic()
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


def _chunk_statistics(
    pairs: Sequence[tuple[int, int]],
    series: dict[int, np.ndarray],
    params: SyncParams,
) -> list[float]:
    """Return `pair_statistic` of person t (b's slot) with person c (a's) for each (t, c)."""
    return [pair_statistic(series[t], series[c], params) for t, c in pairs]


def pair_mapper(
    client: Any, series: Sequence[np.ndarray], params: SyncParams
) -> Callable[[Sequence[tuple[int, int]]], list[float]]:
    """Return a function that computes (b person, a person) pair statistics as tasks.

    Each person's grid is sent to the cluster once (scattered). A pair takes tens of
    milliseconds, so pairs go in chunks (about `CHUNKS_PER_WORKER` per worker) to
    keep Dask's per-task cost small beside the work.
    """
    scattered = client.scatter(list(series))

    def run(pairs: Sequence[tuple[int, int]]) -> list[float]:
        from distributed import as_completed

        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        size = max(1, math.ceil(len(pairs) / (n_workers * CHUNKS_PER_WORKER)))
        chunks = [list(pairs[k : k + size]) for k in range(0, len(pairs), size)]
        futures = [
            client.submit(
                _chunk_statistics,
                chunk,
                {i: scattered[i] for i in {i for pair in chunk for i in pair}},
                params,
                pure=False,
            )
            for chunk in chunks
        ]
        done = 0
        for future in as_completed(futures):
            done += len(chunks[futures.index(future)])
            _step("pseudo pairs", done, len(pairs))
        return [float(x) for part in client.gather(futures) for x in part]

    return run
