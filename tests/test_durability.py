"""Durability: kill -9 of the recording process at random moments, and a full disk.

Guarantee tested: after SIGKILL of the hub (the recording process) or of a
producer at random moments, the file opens, passes SQLite's integrity check, and
holds every message sent more than one second before the kill. A full disk ends
the session with a clear message and an intact file holding everything acknowledged.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import threading
import time
from pathlib import Path

import pytest

from coregulate.bus.endpoints import Endpoints
from coregulate.bus.producer import BusProducer
from coregulate.recordings.hub import EXIT_WRITE_FAILED, Hub, HubConfig, run_hub_process
from coregulate.recordings.summary import integrity_ok
from coregulate.session import DemoOptions, Session, SessionError
from coregulate.sessionfile.access import read_messages

_SPAWN = mp.get_context("spawn")


def _start_hub(config: HubConfig) -> mp.Process:
    ready = _SPAWN.Event()
    proc = _SPAWN.Process(target=run_hub_process, args=(config, ready, 40))
    proc.start()
    assert ready.wait(30), "hub process did not start"
    return proc


def _stored_seqs(path: Path) -> set[int]:
    return {m.seq for m in read_messages(path, ("beat.client",))}


def test_hub_killed_at_random_moments_keeps_everything_older_than_one_second(
    tmp_path: Path,
) -> None:
    rng = random.Random(20261127)  # fixed seed: the kill moments are random but repeatable
    ep = Endpoints.loopback()
    path = tmp_path / "killed.sqlite"
    config = HubConfig(ep.input, ep.output, str(path))
    producer = BusProducer(ep.input, "acq", resend_after_s=0.4)
    seq = 0
    for round_ in range(4):
        hub = _start_hub(config)
        sent_at: dict[int, float] = {}  # seq -> host time sent while this hub was up
        kill_at = time.monotonic() + rng.uniform(1.05, 1.6)
        while time.monotonic() < kill_at:
            for _ in range(20):  # ~4,000 messages/s
                seq += 1
                producer.send("beat.client", {"n": seq, "pad": "x" * 200}, seq)
                sent_at[seq] = time.monotonic()
            producer.pump()
            time.sleep(0.005)
        killed = time.monotonic()
        os.kill(hub.pid, signal.SIGKILL)
        hub.join(10)
        assert integrity_ok(path), f"round {round_}: the file is damaged after kill -9"
        stored = _stored_seqs(path)
        older = {s for s, t in sent_at.items() if t < killed - 1.0}
        assert older, "the hub must have lived longer than one second"
        missing = older - stored
        assert not missing, f"round {round_}: {len(missing)} messages older than 1 s lost"
    hub = _start_hub(config)
    assert producer.flush(timeout_s=20)
    hub.terminate()
    hub.join(10)
    assert _stored_seqs(path) == set(range(1, seq + 1))  # in the end, nothing at all is lost
    producer.close()


def _produce_forever(endpoint: str, source: str, log_path: str) -> None:
    """A producer process: sends messages and logs (n, send time) to a file until killed."""
    producer = BusProducer(endpoint, source)
    n = 0
    with open(log_path, "w", buffering=1) as log:  # line-buffered: each line reaches the kernel
        while True:
            for _ in range(10):
                n += 1
                producer.send("beat.client", {"n": n}, n)
                log.write(f"{n} {time.monotonic_ns()}\n")
            producer.pump()
            time.sleep(0.005)


def test_producer_killed_at_random_moments_loses_nothing_older_than_one_second(
    tmp_path: Path, hub_thread
) -> None:
    rng = random.Random(7)
    hub_thread.start()
    for round_ in range(2):
        source, log_path = f"acq-{round_}", tmp_path / f"sent-{round_}.txt"
        proc = _SPAWN.Process(
            target=_produce_forever, args=(hub_thread.endpoints.input, source, str(log_path))
        )
        proc.start()
        deadline = time.monotonic() + 60
        while not (log_path.exists() and log_path.stat().st_size) and time.monotonic() < deadline:
            time.sleep(0.02)  # the child is starting (slow on a loaded machine)
        time.sleep(rng.uniform(1.1, 1.6))
        killed_ns = time.monotonic_ns()
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
        time.sleep(0.6)  # the hub commits what it already received
        assert integrity_ok(hub_thread.path)
        sent = [line.split() for line in log_path.read_text().splitlines()]
        older = {int(n) for n, t_ns in sent if int(t_ns) < killed_ns - 1_000_000_000}
        assert len(older) > 100, f"round {round_}: the producer barely ran"
        stored = {
            m.seq for m in read_messages(hub_thread.path, ("beat.client",)) if m.source == source
        }
        assert not older - stored, f"round {round_}: {len(older - stored)} older than 1 s lost"


def _flood_until_full(config: HubConfig, hub_alive) -> tuple[BusProducer, int]:
    producer = BusProducer(config.input_endpoint, "acq", resend_after_s=5.0)
    sent = 0
    deadline = time.monotonic() + 30
    while hub_alive() and time.monotonic() < deadline:
        for _ in range(10):  # ~2 MB/s: the first commits fit, a later one does not
            sent += 1
            producer.send("beat.client", {"n": sent, "pad": "y" * 1000}, sent)
        producer.pump()
        time.sleep(0.005)
    for _ in range(20):  # take in the acknowledgements the hub sent before it stopped
        producer.pump()
        time.sleep(0.01)
    return producer, sent


def test_full_disk_ends_the_recording_with_an_intact_file(tmp_path: Path) -> None:
    ep = Endpoints.loopback()
    path = tmp_path / "full.sqlite"
    # 200 pages of 4 KiB: the "disk" fills after a few hundred messages.
    hub = Hub(HubConfig(ep.input, ep.output, str(path), max_pages=200))
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    producer, sent = _flood_until_full(hub.config, thread.is_alive)
    thread.join(10)
    assert not thread.is_alive(), "the hub kept running on a full disk"
    assert hub.failure is not None and "Free disk space" in hub.failure
    assert integrity_ok(path)
    stored = _stored_seqs(path)
    acked = sent - producer.pending  # acks are cumulative: seqs 1..acked are committed
    assert 0 < acked < sent
    assert set(range(1, acked + 1)) <= stored
    producer.close()


def test_full_disk_hub_process_exits_with_its_code_and_the_session_ends(tmp_path: Path) -> None:
    ep = Endpoints.loopback()
    path = tmp_path / "full.sqlite"
    config = HubConfig(ep.input, ep.output, str(path), max_pages=200)
    proc = _start_hub(config)
    producer, _ = _flood_until_full(config, proc.is_alive)
    proc.join(10)
    assert proc.exitcode == EXIT_WRITE_FAILED
    assert integrity_ok(path)
    producer.close()
    session = Session(DemoOptions(out=path))
    session._procs["hub"] = proc  # the supervisor sees this dead hub
    with pytest.raises(SessionError, match=r"could not be written.*session has ended.*intact"):
        session.supervise()
    session._procs.clear()


def test_the_main_file_never_lags_far_behind_the_wal(tmp_path: Path) -> None:
    # On a full disk everything not checkpointed is only in `-wal`; a copy of the
    # `.sqlite` alone (what a user copies) must still hold what was committed.
    ep = Endpoints.loopback()
    path = tmp_path / "live.sqlite"
    hub = Hub(HubConfig(ep.input, ep.output, str(path), checkpoint_interval_s=0.5))
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    producer = BusProducer(ep.input, "acq")
    try:
        for seq in range(1, 201):
            producer.send("beat.client", {"n": seq}, seq)
        assert producer.flush(10) and producer.pending == 0  # all committed
        time.sleep(1.5)  # past the checkpoint interval (the hub commits every 250 ms)
        copy = tmp_path / "copy" / "main-only.sqlite"
        copy.parent.mkdir()
        copy.write_bytes(path.read_bytes())  # the main file alone, while recording
        assert Path(f"{path}-wal").exists()
        assert _stored_seqs(copy) == set(range(1, 201))
    finally:
        producer.close()
        stop.set()
        thread.join(10)
