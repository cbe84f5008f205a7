"""`coregulate demo --headless` end to end, in real processes, as a user runs it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from coregulate.acquisition.hrm import parse_heart_rate_measurement
from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.recordings.summary import integrity_ok, session_info, stream_counts
from coregulate.sessionfile.access import read_messages
from coregulate.signal.person import is_no_signal

CLI = [sys.executable, "-m", "coregulate.cli"]


def _sent_notifications(seed: int, duration_s: float) -> dict[str, list[bytes]]:
    sim = simulate_dyad(demo_config(seed=seed, duration_s=duration_s))
    sent: dict[str, list[bytes]] = {"client": [], "therapist": []}
    for ev in sim.events:
        if ev.kind == "notification":
            sent[ev.role].append(ev.data)
    return sent


def _recorded(path: Path, topic: str) -> list:
    return sorted(
        (m for m in read_messages(path, (topic,)) if m.topic == topic), key=lambda m: m.seq
    )


def test_headless_demo_records_every_notification(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    args = ["demo", "--headless", "--duration", "600", "--speed", "60", "--seed", "1"]
    run = subprocess.run(
        [*CLI, *args, "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert "none missing" in run.stdout and str(out) in run.stdout
    assert "Traceback" not in run.stderr
    sent = _sent_notifications(seed=1, duration_s=600.0)
    for role in ("client", "therapist"):
        hrm = _recorded(out, f"hrm.{role}")
        # Sequence numbers 1..N, none missing, and N is what the straps sent.
        assert [m.seq for m in hrm] == list(range(1, len(sent[role]) + 1))
        assert [m.payload for m in hrm] == sent[role]
        beats = _recorded(out, f"beat.{role}")
        n_rr = sum(len(parse_heart_rate_measurement(d).rr_ticks) for d in sent[role])
        assert sum(len(m.json()["rr_ms"]) for m in beats) == n_rr
        metrics = _recorded(out, f"metrics.{role}")
        # One update per notification with beats, and a "no signal" update for every
        # 5 s without beats (the client's strap drops for 20 s at 510 s).
        silent = [m for m in metrics if is_no_signal(m.json())]
        assert len(metrics) - len(silent) == len(beats)
        assert len(silent) >= (3 if role == "client" else 0)
        assert 40 < metrics[-1].json()["hr_bpm"] < 120 or is_no_signal(metrics[-1].json())
    # The sync stage ran as its own process: one update per 1 s step, then a final one.
    sync = [m.json() for m in _recorded(out, "sync")]
    hr = [u for u in sync if u["series"] == "hr_bpm"]
    assert len(hr) > 550 and hr[-1]["final"] and "phase" in hr[-1]
    assert sum(u["window"] is not None for u in hr) > 300
    assert {u["series"] for u in sync} == {"hr_bpm", "ln_rmssd", "arousal_index"}
    # Replaying the file's beats and metrics reproduces every live sync message.
    replay = subprocess.run([*CLI, "sync", str(out)], capture_output=True, text=True, timeout=120)
    assert replay.returncode == 0, replay.stderr
    assert f"{len(sync)} of {len(sync)} recomputed" in replay.stdout
    assert "(identical)" in replay.stdout
    assert all(c.missing == 0 for c in stream_counts(out))
    info = session_info(out)
    assert info["seed"] == 1 and info["clock"]["speed"] == 60.0
    assert out.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("how", ["sigterm", "group-sigterm", "ctrl-c"])
def test_stop_mid_session_leaves_a_complete_readable_file(tmp_path: Path, how: str) -> None:
    """SIGTERM to the command or to its whole group (`timeout`, systemd, logout), or
    Ctrl-C (SIGINT to every process of the terminal): every stage's last messages are
    committed, and the summary says so only when it is true."""
    out = tmp_path / "stopped.sqlite"
    args = ["demo", "--headless", "--duration", "600", "--speed", "30", "--seed", "2"]
    proc = subprocess.Popen(
        [*CLI, *args, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    deadline = time.monotonic() + 60
    n_seen = 0
    while time.monotonic() < deadline and n_seen < 60:  # ~1 simulated minute recorded
        time.sleep(0.5)
        if out.exists():
            try:
                with sqlite3.connect(f"file:{out}?mode=ro", uri=True) as db:
                    n_seen = db.execute(
                        "SELECT COUNT(*) FROM messages WHERE topic = 'hrm.client'"
                    ).fetchone()[0]
            except sqlite3.OperationalError:
                pass
    assert n_seen >= 60, "the session did not start recording"
    if how == "sigterm":
        proc.send_signal(signal.SIGTERM)
    elif how == "group-sigterm":
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "not confirmed" not in stderr, stderr  # no producer lost its last messages
    assert "none missing" in stdout
    # The sync stage flushed after the signal stage, before the hub closed: the
    # final update of every series is in the file.
    sync = [m.json() for m in _recorded(out, "sync")]
    finals = {u["series"] for u in sync if u["final"]}
    assert finals == {"hr_bpm", "ln_rmssd", "arousal_index"}
    assert integrity_ok(out)
    sent = _sent_notifications(seed=2, duration_s=600.0)
    for role in ("client", "therapist"):
        hrm = _recorded(out, f"hrm.{role}")
        assert len(hrm) < len(sent[role])  # it really stopped early
        # Everything sent before the stop is there: a gap-free prefix of what was sent.
        assert [m.payload for m in hrm] == sent[role][: len(hrm)]
        assert [m.seq for m in hrm] == list(range(1, len(hrm) + 1))
    assert all(c.missing == 0 for c in stream_counts(out))


def test_existing_out_file_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "kept.sqlite"
    out.write_bytes(b"precious")
    run = subprocess.run(
        [*CLI, "demo", "--headless", "--out", str(out)], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "already exists" in run.stderr and "Traceback" not in run.stderr
    assert out.read_bytes() == b"precious"


@pytest.mark.parametrize("bad", [["--speed", "0"], ["--duration", "-5"], ["--speed", "fast"]])
def test_bad_arguments_get_a_clear_error(bad: list[str]) -> None:
    run = subprocess.run(
        [*CLI, "demo", "--headless", *bad], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 2
    assert "error:" in run.stderr and "Traceback" not in run.stderr
