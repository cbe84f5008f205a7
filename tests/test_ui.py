"""The minimal live window, offscreen, fed through a real hub."""

from __future__ import annotations

import math
import time

import pytest

pytest.importorskip("pytestqt")

from coregulate.bus.producer import BusProducer
from coregulate.ui.live_window import LiveWindow


def _metrics(t_s: float, hr: float | None, rmssd: float | None) -> dict:
    return {"t_ns": int(t_s * 1e9), "hr_bpm": hr, "rmssd_ms": rmssd}


def test_window_shows_metrics_from_the_bus(qtbot, hub_thread, tmp_path) -> None:
    hub_thread.start()
    window = LiveWindow(hub_thread.endpoints.output, poll_ms=20, redraw_ms=50)
    qtbot.addWidget(window)
    window.show()
    producer = BusProducer(hub_thread.endpoints.input, "signal")
    time.sleep(0.3)  # let the window's subscription reach the hub
    for i in range(1, 31):
        producer.send("metrics.client", _metrics(i, 70 + i % 3, 40.0), int(i * 1e9))
        producer.send("metrics.therapist", _metrics(i, 62.0, None), int(i * 1e9))
    producer.send("status.client", {"status": "contact lost"}, int(31e9))
    producer.pump()
    qtbot.waitUntil(lambda: len(window.series["therapist"].t_min) == 30, timeout=5000)
    qtbot.waitUntil(lambda: window.series["client"].status == "contact lost", timeout=5000)
    window.redraw()
    client = window.series["client"]
    assert client.hr_bpm[-2] == 70 + 30 % 3
    # Contact lost: the line breaks there (NaN) instead of joining across the gap.
    assert math.isnan(client.hr_bpm[-1]) and client.t_min[-1] == 31 / 60
    # "Not available" is a gap (NaN) in the curve and a dash in the label, never a 0.
    assert all(math.isnan(v) for v in window.series["therapist"].rmssd_ms)
    assert "RMSSD – ms" in window._labels["therapist"].text()
    assert "contact lost" in window._status.text()
    assert window.grab().save(str(tmp_path / "window.png"))
    producer.flush(5)
    producer.close()
    window.close()
