"""kill -9 of every process kind at seeded random moments (issue 15, "Done when").

Each kill of the straps' process, the hub, the signal stage, the sync stage or the
main process must end with a readable file, sequences without unexplained gaps
(none missing; a restarted straps' process's lost stretch is named), derived
output equal to a clean run over the same file (the signal stage replayed once over
the recorded beats, and `coregulate sync`), and an exit status and summary that
tell the truth. A killed main process has no exit status to give; its children
then stop by themselves and the hub closes the file.

The default is one kill per kind (about a minute and a half in all);
``COREGULATE_KILL_LOOP=N`` runs N seeded kills per kind. A session of four people
(`demo --people 4`) is killed the same way: the straps' process, the hub, the sync
stage (every pair and the group) and the main process.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coregulate.acquisition.simulator import (
    demo_config,
    demo_group_config,
    simulate_dyad,
    simulate_group,
)
from coregulate.recordings.summary import integrity_ok, stream_counts
from coregulate.sessionfile.access import read_messages
from coregulate.signal.people import SYNC_GROUP_TOPIC, demo_people, keys_of, pairs
from process_support import CLI, count_topic, derived_equal_to_a_clean_run, session_pids

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="finds a killed session's processes in /proc"
)

KINDS = ("acquisition", "hub", "signal", "sync", "parent")
GROUP_KINDS = ("acquisition", "hub", "sync", "parent")  # the signal stage is per person
ROUNDS = int(os.environ.get("COREGULATE_KILL_LOOP", "1"))
SEED = 20261130
DURATION_S, SPEED = 240.0, 40.0  # 6 s of wall time per session


def _group(pgid: int) -> list[int]:
    """Return the pids of the live processes in process group `pgid`."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(stat.parent.name))
    return pids


def _sent(seed: int, role: str, n_people: int = 2) -> list[bytes]:
    if n_people == 2:
        sim = simulate_dyad(demo_config(seed=seed, duration_s=DURATION_S))
    else:
        sim = simulate_group(demo_group_config(n_people, seed=seed, duration_s=DURATION_S))
    return [e.data for e in sim.events if e.role == role and e.kind == "notification"]


def _kill_once(folder: Path, kind: str, rng: random.Random, n_people: int = 2) -> None:
    seed = rng.randrange(1, 10_000)
    out, log_path, stdout_path = folder / "s.sqlite", folder / "err.txt", folder / "out.txt"
    args = ["-v", "demo", "--headless", "--duration", f"{DURATION_S:g}", "--speed", f"{SPEED:g}"]
    if n_people != 2:
        args += ["--people", str(n_people)]
    with log_path.open("w") as err, stdout_path.open("w") as std:
        proc = subprocess.Popen(
            [*CLI, *args, "--seed", str(seed), "--out", str(out)],
            stdout=std,
            stderr=err,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while count_topic(out, "hrm.client") < 10 and time.monotonic() < deadline:
                time.sleep(0.1)
            wall_s = DURATION_S / SPEED
            time.sleep(rng.uniform(0.05, 0.6) * wall_s)  # the seeded random moment
            pid = proc.pid if kind == "parent" else session_pids(log_path.read_text())[kind]
            os.kill(pid, signal.SIGKILL)
            if kind == "parent":
                _children_end_and_close_the_file(proc, out, log_path, n_people)
            else:
                _session_goes_on_and_tells_the_truth(
                    proc, kind, stdout_path, log_path, (seed, n_people), out
                )
        finally:
            for pid in _group(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.wait(10)
    assert integrity_ok(out)
    missing = [c for c in stream_counts(out) if c.missing]
    assert not missing, f"sequence gaps after killing {kind}: {missing}"
    assert derived_equal_to_a_clean_run(out), f"after killing {kind} (seed {seed})"


def _final_series(out: Path) -> dict[str, set[str]]:
    """Return the series with a final synchrony message, by topic."""
    finals: dict[str, set[str]] = {}
    for m in read_messages(out, ("sync",)):
        if m.json()["final"]:
            finals.setdefault(m.topic, set()).add(m.json()["series"])
    return finals


def _expected_finals(n_people: int) -> dict[str, set[str]]:
    """Return every series' final message a session of `n_people` ends with, by topic."""
    series = {"hr_bpm", "ln_rmssd", "arousal_index"}
    if n_people == 2:
        return {"sync": series}
    keys = keys_of(demo_people(n_people))
    return {f"sync.{a}.{b}": series for a, b in pairs(keys)} | {SYNC_GROUP_TOPIC: {"hr_bpm"}}


def _children_end_and_close_the_file(
    proc: subprocess.Popen[bytes], out: Path, log: Path, n_people: int = 2
) -> None:
    """The main process is gone: its children stop by themselves and the hub closes the file."""
    proc.wait(10)
    deadline = time.monotonic() + 30
    while _group(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {
        name: pid for name, pid in session_pids(log.read_text()).items() if pid in _group(proc.pid)
    }
    assert not _group(proc.pid), (
        f"children outlived their main process by 30 s: {left}\n" + (log.read_text()[-3000:])
    )
    wal = Path(f"{out}-wal")  # the hub's close folds it in (and removes it if it was last)
    assert not wal.exists() or wal.stat().st_size == 0, "the hub never closed the file"
    with contextlib.closing(sqlite3.connect(f"file:{out}?mode=ro", uri=True)) as db:
        keys = {k for (k,) in db.execute("SELECT key FROM meta")}
    assert "hub_stored" in keys  # written by the hub's close()
    # Every series' final synchrony update: the stages stopped in order by themselves.
    assert _final_series(out) == _expected_finals(n_people)


def _session_goes_on_and_tells_the_truth(
    proc: subprocess.Popen[bytes],
    kind: str,
    stdout_path: Path,
    log_path: Path,
    seed_people: tuple[int, int],
    out: Path,
) -> None:
    seed, n_people = seed_people
    proc.wait(120)
    stdout, log_text = stdout_path.read_text(), log_path.read_text()
    assert proc.returncode == 0, log_text[-3000:]
    assert "Traceback" not in log_text
    assert "restarting it (1)" in log_text
    assert "none missing" in stdout, stdout
    said = re.search(rf"the {kind} process died \(exit code -9\) and was restarted at .*", stdout)
    assert said, stdout
    assert _final_series(out) == _expected_finals(n_people)
    for role in keys_of(demo_people(n_people)):
        sent = _sent(seed, role, n_people)
        got = list(read_messages(out, (f"hrm.{role}",)))
        if kind == "acquisition":  # a stretch is lost, and the summary names it
            assert f"NOT RECORDED meanwhile: {role} " in said.group(0) or "client" in said.group(0)
            first = [m.payload for m in got if m.source == "acq"]
            assert first == sent[: len(first)]
        else:  # nothing is lost, and the summary says so
            assert "nothing lost" in said.group(0)
            assert [m.payload for m in sorted(got, key=lambda m: m.seq)] == sent


@pytest.mark.parametrize("kind", KINDS)
def test_kill_9_at_seeded_random_moments(tmp_path: Path, kind: str) -> None:
    rng = random.Random(f"{SEED}-{kind}")
    for round_ in range(ROUNDS):
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        _kill_once(folder, kind, rng)


@pytest.mark.parametrize("kind", GROUP_KINDS)
def test_kill_9_of_a_four_person_session(tmp_path: Path, kind: str) -> None:
    rng = random.Random(f"{SEED}-group-{kind}")
    for round_ in range(ROUNDS):
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        _kill_once(folder, kind, rng, n_people=4)
