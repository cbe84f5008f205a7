"""`--lsl`: a session's streams, read by real pylsl inlets on this computer (machine scope)."""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from coregulate.acquisition import lsl as lsl_module
from coregulate.acquisition.lsl import MISSING_PYLSL, ClockMap, LslOptions, lsl_config_text
from coregulate.bus.envelope import TOPIC_MARKER
from coregulate.bus.producer import BusProducer, sender_source
from coregulate.commands import _exit_codes as ex
from coregulate.recordings.lsl_streams import stream_defs
from coregulate.session import DemoOptions, Session
from coregulate.signal import catalogue
from coregulate.ui.markers import marker_payload
from lsl_support import RESOLVE_S, InletReader, machine_pylsl, recorded, recorded_beats
from xdf_writer import write_xdf


def _open_inlets(pylsl: Any, found: dict[str, Any]) -> None:
    """Open an inlet on every session outlet as soon as it appears (LabRecorder's part)."""
    for d in stream_defs():
        infos = pylsl.resolve_byprop("name", d.name, 1, 3 * RESOLVE_S)
        assert infos, f"{d.name} never appeared"
        inlet = pylsl.StreamInlet(infos[0], max_buflen=360, recover=False)
        inlet.open_stream(timeout=RESOLVE_S)
        found[d.name] = inlet


def _run_demo_read_by_inlets(pylsl: Any, out: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run a short demo with --lsl, read by inlets opened before its clock starts."""
    options = DemoOptions(
        out=out, duration_s=180.0, speed=30.0, seed=3, lsl=LslOptions(wait_for_consumers_s=30)
    )
    inlets: dict[str, Any] = {}
    reader = threading.Thread(target=_open_inlets, args=(pylsl, inlets), daemon=True)
    reader.start()
    with Session(options) as session:
        session.start()  # waits until every outlet has its inlet
        reader.join(5)
        pulled = InletReader(inlets)
        assert session.clock is not None
        # A marker from the window: its producer, its payload.
        producer = BusProducer(options.endpoints.input, sender_source("ui"))
        t_mark_ns = session.clock.now_ns()
        payload = marker_payload("note", t_mark_ns, "checked by LSL")
        producer.send(TOPIC_MARKER, payload, t_mark_ns)
        assert producer.flush(5.0)
        producer.close()
        while not session.finished():
            threading.Event().wait(0.05)
    return pulled.join(), payload


def test_a_demo_sessions_streams_carry_what_the_file_records(tmp_path: Path) -> None:
    pylsl = machine_pylsl()
    out = tmp_path / "s.sqlite"
    samples, marker = _run_demo_read_by_inlets(pylsl, out)
    (clock_body,) = recorded(out, "lsl.clock")
    clock = ClockMap.from_dict(clock_body)
    for role in ("client", "therapist"):
        t_ns, rr_ms, _ = recorded_beats(out, role)
        values, stamps = samples[f"coregulate-{role}-rr"]
        assert len(t_ns) > 50
        # Every recorded beat, same values, stamped at the mapped beat time (±1 ms).
        assert [v[0] for v in values] == rr_ms
        assert len(stamps) == len(t_ns)
        worst_s = max(abs(s - clock.lsl_s(t)) for s, t in zip(stamps, t_ns, strict=True))
        assert worst_s < 1e-3
        hr, _ = samples[f"coregulate-{role}-hr"]
        assert [h[0] for h in hr] == pytest.approx([60000.0 / r for r in rr_ms])
        metrics, _ = samples[f"coregulate-{role}-metrics"]
        assert len(metrics) == len(recorded(out, f"metrics.{role}"))
    _labrecorder_file_imports_the_same_beats(tmp_path, samples, out)
    sync, _ = samples["coregulate-sync"]
    steps = [b for b in recorded(out, "sync") if not b.get("final")]
    assert len(sync) == len(steps)
    assert sum(1 for step in steps if step["window"]) > 10  # windows, not only NaN
    labels = [
        label for label, _ in next(d for d in stream_defs() if d.type == "Synchrony").channels
    ]
    for sample, step in zip(sync, steps, strict=True):  # each step's window, in its series' columns
        window = step["window"] or {}
        got = sample[labels.index(f"{step['series']}_peak_r")]
        want = window.get("peak_r")
        assert (math.isnan(got) and want is None) or got == want
    events, stamps = samples["coregulate-markers"]
    mine = [json.loads(e[0]) for e in events]
    assert {"event": "marker", "kind": "note", "id": marker["id"], "note": "checked by LSL"} in mine
    at = stamps[mine.index(next(m for m in mine if m.get("id") == marker["id"]))]
    assert abs(at - clock.lsl_s(marker["t_ns"])) < 1e-3


def _labrecorder_file_imports_the_same_beats(
    tmp_path: Path, samples: dict[str, Any], out: Path
) -> None:
    """What an inlet recorded, written as XDF (as LabRecorder would), imports as the same beats."""
    from coregulate.recordings.importers import read_xdf

    streams = []
    for role in ("client", "therapist"):
        values, stamps = samples[f"coregulate-{role}-rr"]
        streams.append((f"coregulate-{role}-rr", "RR", stamps, [v[0] for v in values]))
    xdf = write_xdf(tmp_path / "lab.xdf", streams)
    names = {role: f"coregulate-{role}-rr" for role in ("client", "therapist")}
    imported = read_xdf(xdf, names)
    for role in ("client", "therapist"):
        got = [rr for n in imported.notifications[role] for rr in n.rr_ms]
        assert got == pytest.approx(recorded_beats(out, role)[1])


def test_stream_metadata_is_xdf_style_with_units_and_a_stable_source_id(tmp_path: Path) -> None:
    pylsl = machine_pylsl()
    from coregulate.recordings.lsl_streams import source_id, stream_info

    meta = {"client_id": "c-17", "therapist_id": "t-2", "software": "coregulate 0.1.0"}
    metrics = next(d for d in stream_defs() if d.name == "coregulate-client-metrics")
    info = stream_info(pylsl, metrics, {**meta, "parameters": {"hrv": {"window_s": 60}}})
    chan = info.desc().child("channels").child("channel")
    got = []
    while not chan.empty():
        got.append((chan.child_value("label"), chan.child_value("unit")))
        chan = chan.next_sibling()
    assert got == [(m.name, m.unit) for m in catalogue.metrics()]
    person = info.desc().child("coregulate")
    assert person.child_value("person_id") == "c-17"
    assert person.child("parameters").child("hrv").child_value("window_s") == "60"
    # The same dyad gets the same ids in a restarted session; another dyad does not.
    assert info.source_id() == source_id(dict(meta), metrics.name)
    assert source_id({**meta, "client_id": "c-18"}, metrics.name) != info.source_id()


def test_the_generated_config_keeps_lsl_on_this_computer() -> None:
    text = lsl_config_text(lab=False)
    assert text is not None
    assert "ResolveScope = machine" in text and "ListenAddress = 127.0.0.1" in text
    assert lsl_config_text(lab=True) is None  # the lab's own lsl_api.cfg applies


def test_lsl_without_pylsl_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    from coregulate.cli import main

    monkeypatch.setitem(sys.modules, "pylsl", None)  # `import pylsl` raises ImportError
    monkeypatch.setattr(lsl_module, "_loaded", {})
    with caplog.at_level(logging.ERROR):
        code = main(["demo", "--lsl", "--headless", "--out", str(tmp_path / "s.sqlite")])
    assert code == ex.USAGE
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [MISSING_PYLSL]
    assert not (tmp_path / "s.sqlite").exists()


def test_the_clock_mapping_round_trips_and_follows_the_speed() -> None:
    # Session time 30 s at speed 30 is one host second after the anchor (docs/lsl.md).
    clock = ClockMap(monotonic_anchor_ns=5_000_000_000, speed=30.0, lsl_minus_monotonic_s=0.25,
                     uncertainty_s=1e-7)  # fmt: skip
    assert clock.lsl_s(30_000_000_000) == pytest.approx(5.0 + 1.0 + 0.25, abs=1e-12)
    for t_ns in (0, 1, 12_345_678_901, -3_000_000_000):
        assert abs(clock.session_ns(clock.lsl_s(t_ns)) - t_ns) <= 30  # float rounding only
    assert ClockMap.from_dict(clock.to_dict()) == clock


def test_lsl_lab_without_lsl_is_refused(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    from coregulate.cli import main

    with caplog.at_level(logging.ERROR):
        code = main(["demo", "--lsl-lab", "--headless", "--out", str(tmp_path / "s.sqlite")])
    assert code == ex.USAGE
    assert "--lsl-lab needs --lsl" in caplog.text


def test_lsl_lab_says_plainly_that_the_data_leave_unencrypted(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import argparse

    from coregulate.commands._lsl import lsl_options

    # No liblsl here: this process stays on machine scope (the other tests' LSL).
    monkeypatch.setattr(lsl_module, "load_pylsl", lambda lab=False: None)
    args = argparse.Namespace(lsl=True, lsl_lab=True, lsl_markers=None, lsl_wait=0.0)
    with caplog.at_level(logging.WARNING):
        options = lsl_options(args)
    assert options is not None and options.lab and options.to_meta()["scope"] == "lab network"
    assert "lab network, UNENCRYPTED" in caplog.text
    default = lsl_options(argparse.Namespace(lsl=True, lsl_lab=False, lsl_markers=None, lsl_wait=0))
    assert default is not None and not default.lab


def _own_udp_sockets() -> list[tuple[str, int]]:
    """Return (local address, port) of this process's IPv4 UDP sockets (Linux /proc)."""
    import os
    import socket
    import struct

    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    found = []
    for line in Path("/proc/net/udp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            addr_hex, port_hex = fields[1].split(":")
            addr = socket.inet_ntoa(struct.pack("<I", int(addr_hex, 16)))
            found.append((addr, int(port_hex, 16)))
    return found


@pytest.mark.skipif(not Path("/proc/net/udp").exists(), reason="reads Linux /proc")
def test_machine_scope_answers_discovery_on_loopback_only() -> None:
    pylsl = machine_pylsl()
    info = pylsl.StreamInfo("coregulate-scope-check", "RR", 1, 0, "double64", "scope-check")
    outlet = pylsl.StreamOutlet(info)
    responders = [a for a, port in _own_udp_sockets() if port == 16571]  # liblsl MulticastPort
    assert responders and set(responders) == {"127.0.0.1"}
    del outlet


def test_a_killed_lsl_process_is_restarted_with_the_same_streams(tmp_path: Path) -> None:
    import os
    import signal

    from coregulate.sessionfile.access import read_messages

    machine_pylsl()
    out = tmp_path / "s.sqlite"
    options = DemoOptions(out=out, duration_s=300.0, speed=30.0, seed=5, lsl=LslOptions())
    with Session(options) as session:
        session.start()
        killed_at = time.monotonic() + 2.0
        killed = False
        while not session.finished():
            if not killed and time.monotonic() > killed_at:
                os.kill(session._procs["lsl"].pid, signal.SIGKILL)
                killed = True
            session.supervise()
            time.sleep(0.05)
        assert killed and session._lsl is not None and session._lsl.restarts == 1
    clocks = [m for m in read_messages(out, ("lsl.clock",))]
    assert [m.source for m in clocks] == ["lsl", "lsl-1"]  # the same mapping, recorded again
    assert clocks[0].json()["streams"] == clocks[1].json()["streams"]  # same source ids
    (final,) = [
        m.json() for m in read_messages(out, ("status.lsl-1",)) if m.json()["status"] == "stopped"
    ]
    assert final["samples"]["coregulate-client-rr"] > 0  # streaming again after the restart
