"""A strap drops mid-session: "no signal" goes through the real hub, the file and the window."""

from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from coregulate.bus.producer import BusProducer
from coregulate.clock import SessionClock
from coregulate.sessionfile.access import read_messages
from coregulate.stages.metrics_stage import PersonMetricsStage
from coregulate.stages.runner import run_stage
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.synthetic import _sync

NS = 1_000_000_000
RR_MS = 800.0


def test_a_dropped_strap_shows_no_signal_within_6_s_and_is_recorded(qtbot, hub_thread) -> None:
    hub_thread.start()
    ep = hub_thread.endpoints
    stage = PersonMetricsStage()  # the real signal stage, run by the real stage runner
    stop, ready = threading.Event(), threading.Event()
    runner = threading.Thread(
        target=run_stage, args=(stage, ep.input, ep.output, stop.is_set, ready), daemon=True
    )
    runner.start()
    assert ready.wait(30)
    clock = SessionClock.start()
    window = LiveWindow(ep.output, ep.input, hub_thread.path, clock.to_dict(), poll_ms=20)
    qtbot.addWidget(window)
    window.show()
    straps = {role: BusProducer(ep.input, f"strap-{role}") for role in ("client", "therapist")}
    sync = BusProducer(ep.input, "sync")
    panel = window.calm.panels["client"]
    seq_t = {"client": 0, "therapist": 0}
    last_client_ns = 0

    def beat(role: str) -> int:
        t_ns = clock.now_ns()
        seq_t[role] += 1
        payload = {"t_ns": [t_ns], "rr_ms": [RR_MS], "gap_before": seq_t[role] == 1}
        straps[role].send(f"beat.{role}", payload, t_ns)
        straps[role].pump()
        return t_ns

    def beats_for(seconds: float, roles: tuple[str, ...]) -> None:
        nonlocal last_client_ns
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for role in roles:
                t = beat(role)
                if role == "client":
                    last_client_ns = t
            qtbot.wait(int(RR_MS))

    time.sleep(0.3)  # the window's subscription reaches the hub
    beats_for(3.0, ("client", "therapist"))
    # A synchrony message: the line says something while both people are there
    # (one window is too little for a leader: the line summarises 2 minutes).
    sync.send("sync", _sync(clock.now_ns() / NS, np.random.default_rng(1)), 0)
    sync.pump()
    qtbot.waitUntil(lambda: "HR synchrony" in window.calm.sync_text.text(), timeout=5_000)
    qtbot.waitUntil(lambda: "not available" not in panel.hr.text(), timeout=5_000)
    assert re.search(r"\d", panel.hr.text())

    # The client's strap drops; the therapist's beats go on.
    dropped = time.monotonic()
    seen_at = None
    while time.monotonic() - dropped < 8.0:
        beat("therapist")
        qtbot.wait(int(RR_MS))
        if panel.state.text() == "no signal":
            seen_at = time.monotonic()
            break
    assert seen_at is not None and seen_at - dropped <= 6.0
    window.redraw()
    assert panel.state.text() == "no signal"  # no state word
    for readout in (panel.hr, panel.hrv):
        assert not re.search(r"\d", readout.text()), readout.text()  # no numbers
    assert re.fullmatch(r"no signal · last beat 0:0\d ago", panel.since.text())
    assert window.calm.sync_text.text() == ""  # nothing about synchrony
    assert window.calm.panels["therapist"].state.text() != "no signal"
    beats_for(5.5, ("therapist",))  # the gap lasts: repeated every 5 s

    window.close()
    stop.set()
    runner.join(20)
    for producer in (*straps.values(), sync):
        producer.flush(timeout_s=5.0)
        producer.close()
    hub_thread.stop()
    recorded = [m.json() for m in read_messages(hub_thread.path, ("metrics.client",))]
    silent = [p for p in recorded if p["no_signal_since_ns"] is not None]
    assert len(silent) >= 2
    for k, p in enumerate(silent):
        assert p["no_signal_since_ns"] == last_client_ns
        assert p["t_ns"] == last_client_ns + (k + 1) * 5 * NS
        assert p["state"] is None and p["hr_bpm"] is None
        assert p["unavailable"]["state"].startswith("no signal since 0:0")
