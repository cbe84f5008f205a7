"""`analyze --batch` on a real Dask cluster: a scheduler and two workers on 127.0.0.1.

The single-process run (``--jobs 1``, no Dask) is the reference: the cluster's JSON
must be byte-identical, pseudo-pair null included, even when a worker is killed
while it is analysing a pair (Dask reruns its tasks elsewhere; results are put back
by index, so none is lost or doubled).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from coregulate.commands._exit_codes import USAGE
from coregulate.recordings.simulated_file import write_simulated_session

CLI = [sys.executable, "-m", "coregulate.cli"]
N_PAIRS = 12


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a dozen short simulated sessions, pairs.csv and the reference output."""
    folder = tmp_path_factory.mktemp("batch")
    for seed in range(1, N_PAIRS + 1):
        write_simulated_session(folder / f"s{seed:02d}.sqlite", seed=seed, duration_s=300)
    rows = "".join(f"s{seed:02d}.sqlite\n" for seed in range(1, N_PAIRS + 1))
    (folder / "pairs.csv").write_text("session\n" + rows)
    # 5 pseudo pairs per dyad (< 11 others): the seeded draw runs on Dask too (issue 18).
    args = ["--jobs", "1", "--pseudo-pairs", "5", "--json", str(folder / "reference.json")]
    run = subprocess.run(
        [*CLI, "analyze", "--batch", str(folder / "pairs.csv"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return folder


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[int]]]:
    """Yield (scheduler address, worker pids) of `dask scheduler` + two `dask worker`s."""
    from distributed import Client

    file = tmp_path_factory.mktemp("dask") / "scheduler.json"
    procs = [
        _start(
            [
                *("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0"),
                *("--no-dashboard", "--scheduler-file", str(file)),
            ]
        )
    ]
    try:
        deadline = time.monotonic() + 30
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for _ in range(2):  # no nanny: the pid is the worker itself, for the kill below
            procs.append(
                _start(
                    [
                        *("distributed.cli.dask_worker", address, "--nthreads", "1"),
                        *("--no-nanny", "--host", "127.0.0.1", "--no-dashboard"),
                    ]
                )
            )
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=30)
        yield address, [p.pid for p in procs[1:]]
    finally:
        for p in procs:
            p.kill()
            p.wait()


def _busy_workers(address: str) -> dict[str, int]:
    from distributed import Client

    with Client(address, timeout="10s") as client:
        return client.run_on_scheduler(
            lambda dask_scheduler: {
                w.address: len(w.processing) for w in dask_scheduler.workers.values()
            }
        )


def test_cluster_gives_the_single_process_numbers_and_survives_a_killed_worker(
    batch: Path, cluster: tuple[str, list[int]]
) -> None:
    address, pids = cluster
    out = batch / "dask.json"
    killed: list[int] = []

    def kill_one_worker_mid_batch() -> None:
        # Kill the second worker as soon as the scheduler sees both busy with pairs.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = _busy_workers(address)
            if len(busy) == 2 and all(busy.values()):
                os.kill(pids[1], signal.SIGKILL)
                killed.append(pids[1])
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker_mid_batch)
    killer.start()
    args = ["--scheduler", address, "--pseudo-pairs", "5", "--json", str(out), "--progress"]
    run = subprocess.run(
        [*CLI, "analyze", "--batch", str(batch / "pairs.csv"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    killer.join()
    assert run.returncode == 0, run.stderr
    assert killed, "the batch ended before both workers were busy"
    assert len(_busy_workers(address)) == 1  # the scheduler lost the killed worker
    # Every number, each pair once and in order, the pseudo-pair null included.
    assert out.read_text() == (batch / "reference.json").read_text()
    results = json.loads(out.read_text())
    assert len(results) == N_PAIRS
    null = results[0]["synchrony"]["pseudo_pairs"]
    assert null["n_pseudo_pairs"] == 5 and null["n_dyads"] == N_PAIRS  # per dyad
    assert null["pooled_n_pseudo_pairs"] == 5 * N_PAIRS
    assert f"{N_PAIRS}/{N_PAIRS}" in run.stderr  # the progress bar


def test_a_failing_task_is_named_and_the_others_complete(
    cluster: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import Client

    from coregulate.batch import dask_run

    monkeypatch.setattr(dask_run, "CHECKPOINT_S", 0.0)  # a checkpoint after every pair
    saved: list[list[int]] = []
    # json.dumps runs on the workers; a set is not JSON, so the second task raises.
    jobs = [{"session": "a.sqlite"}, {"session": "b.sqlite", "x": {1}}, {"session": "c.sqlite"}]
    with Client(cluster[0], timeout="10s") as client:
        out = dask_run.map_jobs(client, json.dumps, jobs, lambda done: saved.append(sorted(done)))
    assert out[0] == json.dumps(jobs[0]) and out[2] == json.dumps(jobs[2])
    assert out[1]["error"].startswith("b.sqlite: TypeError") and out[1]["job"] == jobs[1]
    assert [len(s) for s in saved] == [1, 2, 3] and saved[-1] == [0, 1, 2]


def test_resume_skips_the_pairs_already_in_the_output(batch: Path, tmp_path: Path) -> None:
    reference = json.loads((batch / "reference.json").read_text())
    out = tmp_path / "partial.json"
    out.write_text(json.dumps(reference[:4] + reference[5:11]))  # 5th and 12th missing
    csv = str(batch / "pairs.csv")
    resume = ("--resume", "--progress")
    run = subprocess.run(
        [*CLI, "analyze", "--batch", csv, "--jobs", "1", "--json", str(out), *resume],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "resuming: 10 of 12" in run.stderr and "2/2" in run.stderr
    for got, want in zip(json.loads(out.read_text()), reference, strict=True):
        # The reference ran with --pseudo-pairs (kept in the 10 resumed, not in the 2 new).
        got["synchrony"].pop("pseudo_pairs", None)
        want["synchrony"].pop("pseudo_pairs")
        assert got == want
    for extra in ([], ["--pseudo-pairs", "3", "--json", str(out)]):
        run = subprocess.run(
            [*CLI, "analyze", "--batch", csv, "--resume", *extra], capture_output=True, text=True
        )
        assert run.returncode == USAGE and "--resume" in run.stderr, run.stderr
