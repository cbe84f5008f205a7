"""A progress line on stderr for commands that take more than a few seconds (issue 20 item 5).

No progress-bar library is a dependency, so this is a small reporter on the
``coregulate.progress`` logger: code that knows what it is doing says so with
:func:`stage` and :func:`step`; :func:`reporting` shows it on stderr while a
command runs, redrawn in place on a terminal (with the time spent, refreshed every
second) and as plain lines, at most one every few seconds, when asked for on a pipe
(``--progress``). It is silent when stderr is not a terminal unless asked, and never
writes to stdout, so ``--json`` output and printed results stay clean.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Final

LOGGER: Final = "coregulate.progress"
_log = logging.getLogger(LOGGER)
_log.propagate = False  # shown by its own handler only, never as "INFO ..." log lines
_BAR: Final = 24


def add_progress_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress/--no-progress`` (default: only when stderr is a terminal)."""
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: only when stderr is a terminal; never on stdout)",
    )


def stage(text: str) -> None:
    """Say what the command is doing now (the line shows the time spent on it)."""
    _log.info("%s", text)


def step(text: str, done: int, total: int | None = None) -> None:
    """Say how far `text` has come: `done` of `total` items (a bar), or `done` so far."""
    _log.info("%s", text, extra={"done": done, "total": total})


class _Line(logging.Handler):
    """Renders the newest progress record as one line on `stream`."""

    def __init__(self, stream: IO[str], live: bool) -> None:
        super().__init__(logging.INFO)
        self.stream, self.live = stream, live
        self.min_interval_s = 0.1 if live else 5.0
        self._label: str | None = None
        self._done: int | None = None
        self._total: int | None = None
        self._since = time.monotonic()
        self._last = -float("inf")
        self._width = 0

    def emit(self, record: logging.LogRecord) -> None:
        label = record.getMessage()
        now = time.monotonic()
        new = label != self._label
        if new:
            self._label, self._since = label, now
        self._done, self._total = getattr(record, "done", None), getattr(record, "total", None)
        finished = self._total is not None and self._done == self._total
        if new or finished or now - self._last >= self.min_interval_s:
            self._write(now)

    def refresh(self) -> None:
        """Redraw the line with the time spent (called every second by the ticker)."""
        with self.lock:
            now = time.monotonic()
            if self._label is not None and now - self._last >= self.min_interval_s:
                self._write(now)

    def _write(self, now: float) -> None:
        text = f"{self._label}"
        if self._total:
            filled = _BAR * min(self._done or 0, self._total) // self._total
            text += f" [{'#' * filled}{'.' * (_BAR - filled)}] {self._done}/{self._total}"
        elif self._done is not None:
            text += f": {self._done}"
        text += f" ({now - self._since:.0f} s)"
        if self.live:
            self.stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._last = now

    def finish(self) -> None:
        """End the redrawn line so what follows starts on its own line."""
        with self.lock:
            if self.live and self._width:
                self.stream.write("\n")
                self.stream.flush()


@contextmanager
def reporting(
    args: argparse.Namespace, stream: IO[str] | None = None, tick: bool = True
) -> Iterator[None]:
    """Show progress on stderr while the block runs, if asked or stderr is a terminal.

    `tick` redraws the line every second from a thread, so the time spent moves
    during one long call; ``analyze`` turns it off, because its offline pipeline
    forks workers only in a process without other threads (recordings/forked.py),
    and relies on the stages it reports instead.
    """
    out = stream or sys.stderr
    tty = out.isatty()
    asked = getattr(args, "progress", None)
    if not (tty if asked is None else asked):
        yield
        return
    handler = _Line(out, live=tty)
    _log.addHandler(handler)
    _log.setLevel(logging.INFO)
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(1.0):
            handler.refresh()

    ticker = threading.Thread(target=refresh, name="progress", daemon=True)
    if tick:
        ticker.start()
    try:
        yield
    finally:
        stop.set()
        if tick:
            ticker.join()
        handler.finish()
        _log.removeHandler(handler)
