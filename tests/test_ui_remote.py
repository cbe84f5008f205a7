"""A window on another machine: the hub's encrypted viewer output (CurveZMQ), on loopback."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from coregulate.bus.endpoints import Endpoints, free_tcp_port
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import CurveClientKeys
from coregulate.recordings.hub import Hub, HubConfig
from coregulate.security.access import ViewerAccess
from coregulate.security.keys import KeyStore
from coregulate.ui.live_window import LiveWindow


def test_a_remote_window_reads_the_encrypted_viewer_output(qtbot, tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys")
    keys.create("hub")
    viewer = keys.create("viewer")
    keys.allow("supervisor-1", viewer.public_key)
    access = ViewerAccess.from_keystore(f"tcp://127.0.0.1:{free_tcp_port()}", keys)
    ep = Endpoints.loopback()
    hub = Hub(HubConfig(ep.input, ep.output, str(tmp_path / "s.sqlite"), viewers=access))
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    pair = keys.load("viewer")
    curve = CurveClientKeys(keys.load("hub").public_key, pair.public_key, pair.secret_key)
    # No input endpoint and no file: what a supervisor elsewhere has.
    window = LiveWindow(access.endpoint, curve=curve, poll_ms=20, redraw_ms=50)
    qtbot.addWidget(window)
    producer = BusProducer(ep.input, "signal")
    try:
        t = 0
        deadline = time.monotonic() + 20
        # PUB drops what precedes the (encrypted) subscription: send until it is in.
        while not len(window.model.people["client"].metrics) and time.monotonic() < deadline:
            t += 1
            producer.send("metrics.client", {"hr_bpm": 72.0}, t * 1_000_000_000)
            producer.pump()
            qtbot.wait(50)
        assert window.model.people["client"].metrics.last("hr_bpm") == 72.0
        assert not window.marker_bar.isEnabled()  # no hub input from afar: said, not hidden
    finally:
        window.close()
        producer.close()
        stop.set()
        thread.join(10)
