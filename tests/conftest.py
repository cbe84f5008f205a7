"""Shared fixtures: Qt runs offscreen; a hub runs in a thread on loopback ports."""

from __future__ import annotations

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

    def __init__(self, endpoints: Endpoints, path: Path) -> None:
        self.endpoints = endpoints
        self.path = path
        self.hub: Hub | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Hub:
        self._stop = threading.Event()
        self.hub = Hub(HubConfig(self.endpoints.input, self.endpoints.output, str(self.path)))
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
    h = HubThread(endpoints, tmp_path / "session.sqlite")
    yield h
    h.stop()


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
