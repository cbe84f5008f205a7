"""A whole session in real processes, with its hub killed mid-session."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.recordings.summary import integrity_ok, stream_counts
from coregulate.session import DemoOptions, Session
from coregulate.sessionfile.access import read_messages


def _kill_mid_session(session: Session, name: str) -> None:
    """SIGKILL process `name` 3 s in, supervise until the straps end; check one restart."""
    killed_at = time.monotonic() + 3.0
    killed = False
    while session.acquisition_running():
        if not killed and time.monotonic() > killed_at:
            os.kill(session._procs[name].pid, signal.SIGKILL)
            killed = True
        session.supervise()
        time.sleep(0.05)
    assert killed and session._restarts[name] == 1


def test_hub_killed_mid_session_is_restarted_and_nothing_is_lost(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    options = DemoOptions(out=out, duration_s=300.0, speed=30.0, seed=4)
    with Session(options) as session:
        session.start()
        _kill_mid_session(session, "hub")
    assert integrity_ok(out)
    sim = simulate_dyad(demo_config(seed=4, duration_s=300.0))
    for role in ("client", "therapist"):
        sent = [e.data for e in sim.events if e.role == role and e.kind == "notification"]
        got = sorted((m for m in read_messages(out, (f"hrm.{role}",))), key=lambda m: m.seq)
        assert [m.payload for m in got] == sent
    # Every stream is complete: the acquisition's resends filled what the dead hub held.
    assert all(c.missing == 0 for c in stream_counts(out) if c.source == "acq")


def test_sync_stage_killed_mid_session_is_restarted_under_a_new_name(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    options = DemoOptions(out=out, duration_s=240.0, speed=30.0, seed=6)
    with Session(options) as session:
        session.start()
        _kill_mid_session(session, "sync")
    sources = {m.source for m in read_messages(out, ("sync",))}
    # The restarted stage publishes as "sync-1", its seqs from 1, never mistaken
    # for repeats of the first one's; both streams are complete.
    assert sources == {"sync", "sync-1"}
    assert all(c.missing == 0 for c in stream_counts(out) if c.topic == "sync")
