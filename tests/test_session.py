"""A whole session in real processes, with its hub killed mid-session."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.bus.endpoints import Endpoints
from coregulate.bus.shutdown import EXIT_UNCONFIRMED, STOP_SIGNAL, children_ignore_group_signals
from coregulate.recordings.hub import HubConfig, run_hub_process
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.summary import integrity_ok, stream_counts
from coregulate.session import DemoOptions, Session, SessionError, UnconfirmedAtStop
from coregulate.sessionfile.access import read_messages
from process_support import derived_equal_to_a_clean_run


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
    # The stages took what the new hub recorded before they reconnected from its
    # replay of the file: metrics and synchrony equal a clean run's (on main about
    # 10 s of metrics were missing per kill, and later ones differed).
    assert all(c.missing == 0 for c in stream_counts(out))
    assert derived_equal_to_a_clean_run(out)


def test_signal_stage_killed_mid_session_resumes_and_equals_a_clean_run(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    options = DemoOptions(out=out, duration_s=240.0, speed=30.0, seed=5)
    with Session(options) as session:
        session.start()
        _kill_mid_session(session, "signal")
    assert {m.source for m in read_messages(out, ("metrics.",))} == {"signal"}
    assert all(c.missing == 0 for c in stream_counts(out))
    assert derived_equal_to_a_clean_run(out)


def test_sync_stage_killed_mid_session_resumes_under_its_own_name(tmp_path: Path) -> None:
    """The restarted stage takes the whole file first: its outputs continue the first one's.

    (Before issue 15 it published as "sync-1" from scratch, with session statistics
    that contradicted what "sync" had sent.)
    """
    out = tmp_path / "s.sqlite"
    options = DemoOptions(out=out, duration_s=240.0, speed=30.0, seed=6)
    with Session(options) as session:
        session.start()
        _kill_mid_session(session, "sync")
    assert {m.source for m in read_messages(out, ("sync",))} == {"sync"}
    assert all(c.missing == 0 for c in stream_counts(out) if c.topic == "sync")
    assert derived_equal_to_a_clean_run(out)


def test_a_child_waits_for_the_parent_to_order_its_stop(tmp_path: Path) -> None:
    """A group SIGTERM reaches a session's hub too; it keeps running until told to stop."""
    ep = Endpoints.loopback()
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    config = HubConfig(ep.input, ep.output, str(tmp_path / "h.sqlite"))
    hub = ctx.Process(target=run_hub_process, args=(config, ready, 30))
    with children_ignore_group_signals():
        hub.start()
    try:
        assert ready.wait(30), "hub process did not start"
        for sig in (signal.SIGTERM, signal.SIGINT):
            os.kill(hub.pid, sig)
        hub.join(1.0)
        assert hub.is_alive(), "a group signal stopped the hub before the producers flushed"
        os.kill(hub.pid, STOP_SIGNAL)
        hub.join(20)
        assert hub.exitcode == 0
        assert integrity_ok(tmp_path / "h.sqlite")
    finally:
        if hub.is_alive():
            hub.kill()
            hub.join(5)


def test_unconfirmed_last_messages_fail_the_session_naming_who(tmp_path: Path) -> None:
    """A producer that could not get its last messages confirmed never ends in a clean summary."""
    session = Session(DemoOptions(out=tmp_path / "s.sqlite"))
    # Stands in for a sync stage whose final flush the hub did not confirm.
    sync = mp.get_context("spawn").Process(target=sys.exit, args=(EXIT_UNCONFIRMED,))
    sync.start()
    sync.join(30)
    with pytest.raises(SessionError, match="last messages of: sync"), session:
        session._procs["sync"] = sync
    assert session.unconfirmed == ["sync"]


def test_the_summary_names_what_the_hub_never_confirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tail a producer could not deliver leaves no sequence gap; the summary says so."""
    from coregulate.commands import _exit_codes
    from coregulate.commands._common import run_session

    out = write_simulated_session(tmp_path / "s.sqlite", seed=1, duration_s=60)

    def _session_losing_sync_tail(options: DemoOptions, stop: object) -> None:
        raise UnconfirmedAtStop(["sync"], options.out)

    monkeypatch.setattr("coregulate.session.run_headless", _session_losing_sync_tail)
    code = run_session(DemoOptions(out=out), headless=True)
    assert code == _exit_codes.FAILED
    stdout = capsys.readouterr().out
    assert "none missing inside the streams" in stdout
    assert "the last messages of sync are MISSING" in stdout
    assert "; none missing\n" not in stdout
