"""A dead straps' process is restarted, or the session ends loudly (issue 15, item 3).

On main a killed acquisition process ended the session with exit 0 and a normal
summary, though most of the session was never recorded.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.commands import _exit_codes
from coregulate.recordings.summary import integrity_ok, stream_counts
from coregulate.session import DemoOptions, Session
from coregulate.sessionfile.access import read_messages
from process_support import CLI, count_topic, derived_equal_to_a_clean_run, session_pids


def _pid_of(log_path: Path, name: str, timeout_s: float = 60.0) -> int:
    """Return the pid of the session's `name` process, from its -v log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = session_pids(log_path.read_text())
        if name in found:
            return found[name]
        time.sleep(0.2)
    raise AssertionError(f"no {name} process in the log")


def test_a_killed_straps_process_is_restarted_and_the_gap_is_told(tmp_path: Path) -> None:
    out, log_path = tmp_path / "s.sqlite", tmp_path / "stderr.txt"
    args = ["-v", "demo", "--headless", "--duration", "300", "--speed", "30", "--seed", "7"]
    with log_path.open("w") as stderr:
        proc = subprocess.Popen(
            [*CLI, *args, "--out", str(out)], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        pid = _pid_of(log_path, "acquisition")
        deadline = time.monotonic() + 60
        while count_topic(out, "hrm.client") < 40 and time.monotonic() < deadline:
            time.sleep(0.2)
        os.kill(pid, signal.SIGKILL)
        stdout, _ = proc.communicate(timeout=120)
    log_text = log_path.read_text()
    assert proc.returncode == 0, log_text[-3000:]
    assert "restarting it (1)" in log_text and "Traceback" not in log_text
    # The summary tells the truth: the restart and each person's stretch not recorded.
    restarted = re.search(
        r"the acquisition process died \(exit code -9\) and was restarted at \S+; "
        r"NOT RECORDED meanwhile: client (\S+)-(\S+) \(([\d.]+) s\), therapist",
        stdout,
    )
    assert restarted, stdout
    assert 1.0 < float(restarted.group(3)) < 120.0
    assert "none missing" in stdout
    assert integrity_ok(out)
    assert all(c.missing == 0 for c in stream_counts(out))
    sim = simulate_dyad(demo_config(seed=7, duration_s=300.0))
    for role in ("client", "therapist"):
        sent = [e.data for e in sim.events if e.role == role and e.kind == "notification"]
        got = list(read_messages(out, (f"hrm.{role}",)))
        first = [m.payload for m in got if m.source == "acq"]
        second = [m.payload for m in got if m.source == "acq-1"]
        assert first == sent[: len(first)]  # everything before the kill...
        assert second == sent[len(sent) - len(second) :]  # ...and from the restart to the end
        assert len(second) > 0 and len(first) + len(second) < len(sent)
    assert derived_equal_to_a_clean_run(out)


def test_a_straps_process_that_cannot_be_restarted_ends_the_session_loudly(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from coregulate.commands._common import run_session

    out = tmp_path / "s.sqlite"
    started: list[Session] = []
    original_start = Session.start

    def start(self: Session) -> object:
        clock = original_start(self)
        started.append(self)
        return clock

    def kill_the_straps() -> None:
        deadline = time.monotonic() + 60
        while (not started or count_topic(out, "hrm.client") < 20) and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(started[0]._procs["acquisition"].pid, signal.SIGKILL)

    monkeypatch.setattr(Session, "start", start)
    killer = threading.Thread(target=kill_the_straps, daemon=True)
    killer.start()
    options = DemoOptions(out=out, duration_s=600.0, speed=30.0, seed=8, max_restarts=0)
    with caplog.at_level(logging.ERROR):
        code = run_session(options, headless=True)
    killer.join(5)
    assert code == _exit_codes.FAILED
    assert re.search(
        r"the acquisition process died \(exit code -9\) and was not restarted again after 0 "
        r"restarts, so the session has ended; nothing was recorded after 0:\d\d:\d\d",
        caplog.text,
    ), caplog.text
    stdout = capsys.readouterr().out
    assert "recorded" in stdout and str(out) in stdout  # the summary of what there is
    assert integrity_ok(out)
    assert all(c.missing == 0 for c in stream_counts(out))


def test_coregulate_sync_compares_a_stream_in_seq_order(tmp_path: Path) -> None:
    """After a hub restart a stage's resent messages lie in the file after newer ones.

    The comparison of `coregulate sync` follows the stage's order (seq), not the
    file's: it reported such a file as DIFFERENT although nothing differed.
    """
    from coregulate.bus.envelope import make_message
    from coregulate.recordings.simulated_file import write_simulated_session
    from coregulate.recordings.store import SessionStore
    from coregulate.stages.sync_stage import SyncStage

    out = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=180)
    stage = SyncStage()
    outputs = [o for m in read_messages(out, ("beat.",)) for o in stage.update(m)]
    outputs += stage.terminate()
    messages = [
        make_message("sync", "sync", seq, o.t_ns, o.payload) for seq, o in enumerate(outputs, 1)
    ]
    assert len(messages) > 40
    # Messages 21-25 were resent to a restarted hub: recorded after 26-35.
    resent = messages[20:25]
    order = messages[:20] + messages[25:35] + resent + messages[35:]
    store = SessionStore(out)
    for msg in order:
        store.add(msg, msg.header_bytes(), 0)
    store.commit()
    store.close()
    run = subprocess.run([*CLI, "sync", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert f"{len(messages)} of {len(messages)} recomputed" in run.stdout
    assert "(identical)" in run.stdout
