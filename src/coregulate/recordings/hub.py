"""The hub: the single writer of the session file and the fan-out to subscribers.

Producers send to its ROUTER input (see `coregulate.bus.producer`). For each valid
message the hub

1. drops it if it already has it (a resend after a restart),
2. publishes it unchanged on its PUB output (at once: live latency does not wait
   for the disk),
3. queues it for the session file, committed at least every `commit_interval_s`,
4. after each commit, acknowledges to each producer the highest seq per stream up
   to which everything is committed, so the producer can forget it.

PUB never blocks: a stalled or late subscriber costs the recording nothing.
Invalid input is counted and logged (first of each kind), never stored, never
fatal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sqlite3
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

from coregulate.bus.envelope import EnvelopeError, decode_frames
from coregulate.bus.producer import ACK_TOPIC
from coregulate.recordings.store import SessionStore

log = logging.getLogger(__name__)

# Exit code of a hub process that stopped because the file could not be written
# (disk full, I/O error): the supervisor ends the session instead of restarting it.
EXIT_WRITE_FAILED = 74  # EX_IOERR in BSD sysexits.h


@dataclass(slots=True)
class _StreamState:
    """What the hub holds of one stream: all seqs <= mark, plus those in `above`."""

    mark: int = 0
    above: set[int] = field(default_factory=set)

    def has(self, seq: int) -> bool:
        return seq <= self.mark or seq in self.above

    def add(self, seq: int) -> None:
        self.above.add(seq)
        while self.mark + 1 in self.above:
            self.mark += 1
            self.above.discard(self.mark)


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Where the hub listens, publishes and records."""

    input_endpoint: str
    output_endpoint: str
    session_path: str
    commit_interval_s: float = 0.25
    pub_hwm: int = 10_000  # per subscriber; beyond it PUB drops for that subscriber only
    meta: dict[str, Any] = field(default_factory=dict)
    max_pages: int | None = None  # caps the file (SQLite pages): tests simulate a full disk


class Hub:
    """Receives, records and republishes bus messages; see the module docstring."""

    def __init__(self, config: HubConfig, context: zmq.Context | None = None) -> None:
        self.config = config
        self._ctx = context or zmq.Context.instance()
        self.store = SessionStore(config.session_path, max_pages=config.max_pages)
        if config.meta:
            self.store.set_meta(config.meta)
        self._streams: dict[tuple[str, str], _StreamState] = {}
        for key, seqs in self.store.stream_seqs().items():
            state = self._streams.setdefault(key, _StreamState())
            for seq in seqs:
                state.add(seq)
        self._in = self._ctx.socket(zmq.ROUTER)
        self._in.setsockopt(zmq.LINGER, 0)
        self._in.setsockopt(zmq.RCVHWM, 100_000)
        self._in.bind(config.input_endpoint)
        self._out = self._ctx.socket(zmq.PUB)
        self._out.setsockopt(zmq.LINGER, 0)
        self._out.setsockopt(zmq.SNDHWM, config.pub_hwm)
        self._out.bind(config.output_endpoint)
        # Streams each producer connection sent since the last commit: they get acks.
        self._to_ack: dict[bytes, set[tuple[str, str]]] = {}
        self._next_commit_s = time.monotonic() + config.commit_interval_s
        self.received = 0
        self.stored = 0
        self.duplicates = 0
        self.rejected: Counter[str] = Counter()
        self.failure: str | None = None

    def step(self, max_wait_s: float | None = None) -> None:
        """Handle what arrives until the next commit is due (or `max_wait_s`), then commit."""
        now = time.monotonic()
        wait_s = max(0.0, self._next_commit_s - now)
        if max_wait_s is not None:
            wait_s = min(wait_s, max_wait_s)
        if self._in.poll(int(wait_s * 1000), zmq.POLLIN):
            # Bounded so a flood cannot postpone the commit past its deadline.
            for _ in range(10_000):
                try:
                    frames = self._in.recv_multipart(flags=zmq.NOBLOCK, copy=True)
                except zmq.Again:
                    break
                self._handle(frames)
                if time.monotonic() >= self._next_commit_s:
                    break
        if time.monotonic() >= self._next_commit_s:
            self.commit()

    def _handle(self, frames: list[bytes]) -> None:
        identity, body = frames[0], frames[1:]
        try:
            msg = decode_frames(body)
        except EnvelopeError as exc:
            self._reject(str(exc).split(":")[0], exc)
            return
        self.received += 1
        key = msg.stream
        state = self._streams.setdefault(key, _StreamState())
        self._to_ack.setdefault(identity, set()).add(key)
        if state.has(msg.seq):
            self.duplicates += 1
            return
        state.add(msg.seq)
        self._out.send_multipart(body, copy=False)
        self.store.add(msg, body[1], time.monotonic_ns())

    def _reject(self, kind: str, exc: Exception) -> None:
        self.rejected[kind] += 1
        if self.rejected[kind] == 1:
            log.warning("rejected invalid input (%s); further ones of this kind are counted", exc)

    def commit(self) -> None:
        """Commit queued messages, then acknowledge them to their producers."""
        self._next_commit_s = time.monotonic() + self.config.commit_interval_s
        try:
            self.stored += self.store.commit()
        except sqlite3.OperationalError as exc:
            if self.failure is None:  # said once; close() tries once more, quietly
                self.failure = (
                    f"could not write the session file {self.config.session_path} ({exc}). "
                    "Free disk space; everything committed before this moment is intact"
                )
                log.critical(self.failure)
            raise
        for identity, keys in self._to_ack.items():
            by_source: dict[str, dict[str, int]] = {}
            for source, topic in keys:
                by_source.setdefault(source, {})[topic] = self._streams[(source, topic)].mark
            for source, marks in by_source.items():
                ack = json.dumps({"src": source, "marks": marks}).encode()
                # A producer that is gone or slow resends and is acknowledged then.
                with contextlib.suppress(zmq.Again):
                    self._in.send_multipart([identity, ACK_TOPIC, ack], flags=zmq.NOBLOCK)
        self._to_ack.clear()

    def close(self) -> None:
        """Take what is still queued on the input, commit it, ack it, and close."""
        try:
            while True:
                try:
                    frames = self._in.recv_multipart(flags=zmq.NOBLOCK)
                except zmq.Again:
                    break
                self._handle(frames)
            self.commit()
            self.store.set_meta(
                {
                    "hub_received": self.received,
                    "hub_stored": self.stored,
                    "hub_duplicates": self.duplicates,
                    "hub_rejected": dict(self.rejected),
                }
            )
        except sqlite3.OperationalError as exc:
            log.critical("the session file could not take the last messages: %s", exc)
        finally:
            try:
                self.store.close()
            except sqlite3.OperationalError as exc:
                log.critical("closing the session file failed (%s); it stays readable", exc)
            self._in.close(linger=0)
            self._out.close(linger=0)
        log.info(
            "hub closed %s: %d stored, %d duplicates ignored, %d invalid rejected",
            Path(self.config.session_path).name,
            self.stored,
            self.duplicates,
            sum(self.rejected.values()),
        )

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set, then close cleanly."""
        try:
            while not stop.is_set():
                self.step(max_wait_s=0.05)
        except sqlite3.OperationalError:
            pass  # already reported in commit(); close() keeps what was committed
        finally:
            self.close()


def run_hub_process(config: HubConfig, ready: Any = None, log_level: int = logging.INFO) -> None:
    """Run a hub until SIGTERM or SIGINT (entry point of the hub process)."""
    logging.basicConfig(level=log_level, format="%(asctime)s hub %(levelname)s %(message)s")
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    # Ctrl-C reaches every process of the terminal at once; the parent decides the
    # order of shutdown (producers flush first), so the hub waits for its SIGTERM.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    hub = Hub(config)
    if ready is not None:
        ready.set()
    hub.run(stop)
    if hub.failure is not None:
        sys.exit(EXIT_WRITE_FAILED)
