"""Shared fixtures: Qt runs offscreen; a hub runs in a thread on loopback ports."""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from coregulate.bus.endpoints import Endpoints
from coregulate.recordings.hub import Hub, HubConfig


class HubThread:
    """A hub running in a background thread, restartable on the same endpoints and file."""

    def __init__(self, endpoints: Endpoints, path: Path, meta: dict | None = None) -> None:
        self.endpoints = endpoints
        self.path = path
        self.meta = meta or {}  # the session's metadata (e.g. its people: people_meta)
        self.hub: Hub | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Hub:
        self._stop = threading.Event()
        ep = self.endpoints
        self.hub = Hub(HubConfig(ep.input, ep.output, str(self.path), meta=self.meta))
        self._thread = threading.Thread(target=self.hub.run, args=(self._stop,), daemon=True)
        self._thread.start()
        return self.hub

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(10)
            self._thread = None


@pytest.fixture
def endpoints() -> Endpoints:
    return Endpoints.loopback()


@pytest.fixture
def hub_thread(endpoints: Endpoints, tmp_path: Path) -> Iterator[HubThread]:
    # No cyclic garbage collection while the hub thread runs beside Qt: a collection
    # that the hub thread happens to trigger frees earlier tests' Qt objects there,
    # shiboken hands their deletion to the main thread, and the two threads deadlock
    # (a Qt mutex against the GIL; seen once as a suite hung in test_ui's paintEvent).
    # The window process of a real session runs no Python threads, so this is the
    # tests' arrangement only. Collected here, in the main thread, before and after.
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    h = HubThread(endpoints, tmp_path / "session.sqlite")
    try:
        yield h
    finally:
        h.stop()
        if was_enabled:
            gc.enable()
        gc.collect()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many inputs each fuzz test tried (recorded as ``fuzz_inputs``)."""
    lines = [
        f"{report.nodeid}: {value} inputs tried"
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == "fuzz_inputs"
    ]
    if lines:
        terminalreporter.write_sep("-", "fuzzing")
        for line in lines:
            terminalreporter.write_line(line)
