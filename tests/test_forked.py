"""Offline analysis pieces in forked workers: same results, errors carried back, never unsafe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np

from coregulate.recordings import forked
from signal_support import pyhrv_nn

CLI = [sys.executable, "-m", "coregulate.cli"]
# A process without BLAS worker threads may fork (forked.can_fork).
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}


def _python(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_workers_return_results_in_order_and_carry_exceptions_back() -> None:
    out = _python(
        """
        import os
        from coregulate.recordings.forked import Workers, can_fork

        def boom():
            raise ValueError("bad beat file")

        assert can_fork()
        with Workers() as workers:
            pending = [workers.start(os.getpid), workers.start(os.getpid)]
            pids = [p.result() for p in pending] + [os.getpid()]
        print(pids[-1] == os.getpid(), len(set(pids)) == 3)
        try:
            with Workers() as workers:
                workers.start(boom).result()
        except ValueError as exc:
            print("raised", exc)
        """
    )
    assert out.splitlines() == ["True True", "raised bad beat file"]


def test_with_another_thread_running_everything_runs_here() -> None:
    # Forking a process with other threads can deadlock the child: never done.
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.can_fork()
        with forked.Workers() as workers:
            pending = [workers.start(os.getpid), workers.start(os.getpid)]
            assert [p.result() for p in pending] == [os.getpid()] * 2
    finally:
        stop.set()
        other.join()


def test_parallel_and_sequential_analysis_give_the_same_result(tmp_path: Path) -> None:
    # Real beats: pyhrv's 5-minute NN series (tests/data/pyhrv), imported as both people.
    nn = pyhrv_nn("Short")
    assert nn is not None
    rr = tmp_path / "rr.txt"
    rr.write_text("\n".join(str(int(x)) for x in np.concatenate([nn, nn])) + "\n")
    for role in ("client", "therapist"):
        args = ["import", str(rr), "--role", role, "--out", str(tmp_path / f"{role}.sqlite")]
        subprocess.run([*CLI, *args], check=True, capture_output=True, env=ENV)
    out = _python(
        f"""
        import json
        from coregulate.recordings.analysis import analyze_files
        from coregulate.recordings.forked import can_fork

        assert can_fork()  # the parallel run below really forks

        runs = [
            analyze_files(client={str(tmp_path / "client.sqlite")!r},
                          therapist={str(tmp_path / "therapist.sqlite")!r}, parallel=p)
            for p in (True, False)
        ]
        same_outputs = runs[0].result.outputs == runs[1].result.outputs
        same_order = list(runs[0].result.outputs) == list(runs[1].result.outputs)
        print(json.dumps([same_outputs, same_order, runs[0].summary() == runs[1].summary()]))
        """
    )
    assert json.loads(out) == [True, True, True]


def test_per_person_chains_publish_what_one_chain_over_both_would(tmp_path: Path) -> None:
    # The demo dyad drops a strap for up to 20 s: "no signal" updates, which a person's
    # chain learns from the other person's beat times (StageSpec.per_role, observe()).
    from coregulate.recordings.pipeline import _run_chain, read_beats
    from coregulate.recordings.simulated_file import write_simulated_session
    from coregulate.signal.person import is_no_signal

    people = read_beats(write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=600))
    # The client's strap also stops for good 60 s before the end: only the therapist's
    # beats then tell that time passes.
    client = people["client"]
    end_ns = int(client.t_ns[-1]) - 60_000_000_000
    client.messages = [m for m in client.messages if m.t_ns < end_ns]
    together = _run_chain(people, people)
    apart = [_run_chain({role: beats}, people) for role, beats in people.items()]
    for chain in apart:
        for topic, payloads in chain.outputs.items():
            assert payloads == together.outputs[topic]
            assert chain.output_t_ns[topic] == together.output_t_ns[topic]
    silent = [p["t_ns"] for p in together.outputs["metrics.client"] if is_no_signal(p)]
    assert any(t > end_ns for t in silent), "the client's last minute should be 'no signal'"
