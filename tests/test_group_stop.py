"""Stopping a session of four people every way a user or the system can (issue 19).

The dyad's own tests (`test_demo.py`, `test_window_signals.py`, `test_kill_loop.py`,
`test_durability.py`) stop two-person sessions; these stop `demo --people 4` the same
ways: Ctrl-C and SIGTERM to the process group, closing the window (offscreen Qt, as
a user clicks: the close button, "End session", then the end-of-session dialog), and
a full disk. After each, the file is read as a user would: every person's stretch
before the stop is there, every pair's and the group's final synchrony message, and
`coregulate sync` recomputes the live synchrony identically.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
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
from process_support import CLI, count_topic, derived_equal_to_a_clean_run

KEYS = keys_of(demo_people(4))
DURATION_S, SPEED, SEED = 600.0, 40.0, 2
# Stopped once the client's strap has sent this many notifications: past one group
# window (180 s), so the group index has values before the stop.
STOP_AFTER = 200


def _sent(key: str, n_people: int = 4) -> list[bytes]:
    if n_people == 2:
        sim = simulate_dyad(demo_config(seed=SEED, duration_s=DURATION_S))
    else:
        sim = simulate_group(demo_group_config(n_people, seed=SEED, duration_s=DURATION_S))
    return [e.data for e in sim.events if e.role == key and e.kind == "notification"]


def _wait_for_recording(out: Path, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and count_topic(out, "hrm.client") < STOP_AFTER:
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        time.sleep(0.3)
    assert count_topic(out, "hrm.client") >= STOP_AFTER, "the session did not start recording"


def _start(out: Path, *extra: str, window: bool = False) -> subprocess.Popen[str]:
    args = ["demo", "--people", "4", "--duration", f"{DURATION_S:g}", "--speed", f"{SPEED:g}"]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen(
        [*CLI, *args, "--seed", str(SEED), "--out", str(out), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )


def _file_is_whole(out: Path) -> None:
    """Everything sent before the stop, every final message, derived equal to a clean run."""
    assert integrity_ok(out)
    assert all(c.missing == 0 for c in stream_counts(out))
    for key in KEYS:
        hrm = sorted(read_messages(out, (f"hrm.{key}",)), key=lambda m: m.seq)
        sent = _sent(key)
        assert STOP_AFTER - 20 <= len(hrm) < len(sent), key  # it really stopped early
        assert [m.payload for m in hrm] == sent[: len(hrm)], key  # a gap-free prefix
    finals = {
        (m.topic, m.json()["series"])
        for m in read_messages(out, ("sync.",))
        if m.json().get("final")
    }
    for a, b in pairs(KEYS):
        assert {(f"sync.{a}.{b}", s) for s in ("hr_bpm", "ln_rmssd", "arousal_index")} <= finals
    assert (SYNC_GROUP_TOPIC, "hr_bpm") in finals
    assert derived_equal_to_a_clean_run(out)


def _analyze(out: Path, tmp_path: Path) -> dict:
    """Return `coregulate analyze FILE --json`'s summary (it must succeed)."""
    target = tmp_path / "analysis.json"
    done = subprocess.run(
        [*CLI, "analyze", str(out), "--json", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(target.read_text())
    assert list(summary["people"]) == list(KEYS) and len(summary["pairs"]) == 6
    assert summary["group"]["value"] is not None  # past one window of everyone
    return summary


@pytest.mark.parametrize("how", ["group-sigterm", "ctrl-c"])
def test_a_signal_to_a_group_session_leaves_a_whole_file(tmp_path: Path, how: str) -> None:
    out = tmp_path / "stopped.sqlite"
    proc = _start(out, "--headless")
    _wait_for_recording(out, proc)
    os.killpg(proc.pid, signal.SIGTERM if how == "group-sigterm" else signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "not confirmed" not in stderr, stderr
    assert "none missing" in stdout
    assert all(key in stdout for key in KEYS)  # the summary names every person
    _file_is_whole(out)
    _analyze(out, tmp_path)


# Runs `coregulate demo` in this process with a timer that does what a user does:
# once STOP_AFTER notifications are recorded, close the live window, answer "End
# session", then close the end-of-session dialog.
CLOSER = textwrap.dedent(
    """
    import sqlite3, sys
    from PySide6 import QtCore, QtWidgets
    from coregulate.cli import main

    app = QtWidgets.QApplication([])
    out, stop_after = sys.argv[1], int(sys.argv[2])
    state = {{"closed": False}}

    def recorded() -> int:
        try:
            with sqlite3.connect(f"file:{{out}}?mode=ro", uri=True) as db:
                q = "SELECT COUNT(*) FROM messages WHERE topic = 'hrm.client'"
                return db.execute(q).fetchone()[0]
        except sqlite3.Error:
            return 0

    def answer() -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        if isinstance(box, QtWidgets.QMessageBox):
            next(b for b in box.buttons() if b.text() == "End session").click()

    def tick() -> None:
        for w in QtWidgets.QApplication.topLevelWidgets():
            name = type(w).__name__
            if name == "LiveWindow" and w.isVisible() and not state["closed"]:
                if recorded() >= stop_after:
                    state["closed"] = True
                    QtCore.QTimer.singleShot(100, answer)
                    w.close()  # the window's close button
            elif name == "EndOfSessionDialog" and w.isVisible():
                w.reject()  # closed without ratings

    timer = QtCore.QTimer()
    timer.timeout.connect(tick)
    timer.start(200)
    sys.exit(main({args!r}))
    """
)


def test_closing_the_window_of_a_group_session_leaves_a_whole_file(tmp_path: Path) -> None:
    out = tmp_path / "closed.sqlite"
    args = ["demo", "--people", "4", "--no-dialog", "--duration", f"{DURATION_S:g}"]
    args += ["--speed", f"{SPEED:g}", "--seed", str(SEED), "--out", str(out)]
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    script = CLOSER.format(args=args)
    done = subprocess.run(
        [sys.executable, "-c", script, str(out), str(STOP_AFTER)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr and "not confirmed" not in done.stderr
    _file_is_whole(out)
    _analyze(out, tmp_path)


@pytest.mark.parametrize("n_people", [4, 2])
def test_a_full_disk_ends_a_session_with_an_intact_file_and_a_true_summary(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    n_people: int,
) -> None:
    """As `test_durability.py` fills the dyad's disk: the hub's file capped at a few
    hundred pages (`HubConfig.max_pages`), here under a whole `demo --people N`."""
    import functools

    from coregulate import session as session_module
    from coregulate.cli import main
    from coregulate.commands import _exit_codes as ex
    from coregulate.recordings.hub import HubConfig

    # 600 pages of 4 KiB: about 2 min of four people (4 of two), well before the end.
    monkeypatch.setattr(session_module, "HubConfig", functools.partial(HubConfig, max_pages=600))
    out = tmp_path / "full.sqlite"
    keys = keys_of(demo_people(n_people))
    args = ["demo", "--people", str(n_people), "--headless", "--duration", f"{DURATION_S:g}"]
    started = time.monotonic()
    code = main([*args, "--speed", f"{SPEED:g}", "--seed", str(SEED), "--out", str(out)])
    took_s = time.monotonic() - started
    stdout = capsys.readouterr().out
    assert code == ex.FAILED
    assert all(key in stdout for key in keys)  # the summary of what was recorded
    # ... and of what was not: the session after the disk filled, the producers' tails.
    said = re.search(r"NOTHING RECORDED after (\d+):(\d\d):(\d\d)", stdout)
    assert said, stdout
    assert "the last messages of acquisition" in stdout, stdout
    assert not re.search(r"; none missing$", stdout, re.MULTILINE), stdout  # not all there
    assert integrity_ok(out)
    assert all(c.missing == 0 for c in stream_counts(out))
    for key in keys:
        hrm = sorted(read_messages(out, (f"hrm.{key}",)), key=lambda m: m.seq)
        sent = _sent(key, n_people)
        assert 30 < len(hrm) < len(sent) * 0.8, key
        assert [m.payload for m in hrm] == sent[: len(hrm)], key
    # The file ends where the summary says (the newest beat within a few seconds).
    h, m, sec = (int(x) for x in said.groups())
    newest_s = max(m.t_ns for m in read_messages(out, ("beat.",))) / 1e9
    assert 0 <= h * 3600 + m * 60 + sec - newest_s < 15
    # `coregulate sync` recomputes every recorded synchrony message, and says the
    # file lacks the stage's last ones (it was behind the beats when the disk filled).
    said_sync = subprocess.run([*CLI, "sync", str(out)], capture_output=True, text=True)
    assert said_sync.returncode == 0, said_sync.stderr
    assert re.search(
        r"\((identical|identical as far as the file goes; the last \d+ were never "
        r"recorded)\)",
        said_sync.stdout,
    ), said_sync.stdout
    # The hub is gone for good: nobody waits 20 s per process for its confirmations.
    assert took_s < 25, f"the session took {took_s:.0f} s to end after the disk filled"
