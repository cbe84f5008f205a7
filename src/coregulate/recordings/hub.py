"""The hub: the single writer of the session file and the fan-out to subscribers.

Producers send to its ROUTER input (see `coregulate.bus.producer`). For each valid
message the hub

1. drops it if it already has it (a resend after a restart),
2. queues it for the session file, committed once the waiting input is taken,
3. then publishes it unchanged on its PUB output: subscribers receive exactly what
   the file holds, in its order, also across a hub restart,
4. acknowledges to each producer the highest seq per stream up to which
   everything is committed, so the producer can forget it.

A stage that missed messages asks for a replay from the file (`bus/replay.py`).

PUB never blocks: a stalled or late subscriber costs the recording nothing.
Invalid input is counted and logged (first of each kind), never stored, never
fatal; a replayed sequence number is counted and dropped. Frames above
`MAX_WIRE_FRAME_BYTES` never even reach the hub's memory: ZeroMQ drops the
sender's connection (``MAXMSGSIZE``); endless frames: `hub_guard.InputGuard`.

Security (docs/security.md): the input and the plaintext output bind to this
machine only (`check_bind_policy` refuses anything else before a socket exists);
remote viewers get a separate CURVE-encrypted output admitting only allow-listed
keys. With `status_interval_s` set, the hub publishes its counters on
``status.hub``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zmq

from coregulate.bus.envelope import (
    TOPIC_SESSION,
    TOPIC_STATUS,
    EnvelopeError,
    decode_frames,
    make_message,
)
from coregulate.bus.payload import MAX_STREAMS_PER_SOURCE, check_payload
from coregulate.bus.producer import ACK_TOPIC
from coregulate.bus.replay import REPLAY_REQUEST
from coregulate.clock import SessionClock
from coregulate.recordings.hub_guard import MAX_INPUT_BACKLOG_BYTES, WIRE_FRAME_BYTES
from coregulate.recordings.hub_input import HubInput
from coregulate.recordings.hub_replay import answer_replay
from coregulate.recordings.store import SessionStore
from coregulate.recordings.streams import StreamState
from coregulate.security.access import (
    BindRefused,
    ViewerAccess,
    ViewerOutput,
    check_bind_policy,
)
from coregulate.signal.people import keys_of, people_from_session

log = logging.getLogger(__name__)

# Exit code of a hub process that stopped because the file could not be written
# (disk full, I/O error): the supervisor ends the session instead of restarting it.
EXIT_WRITE_FAILED = 74  # EX_IOERR in BSD sysexits.h
MAX_WIRE_FRAME_BYTES = WIRE_FRAME_BYTES  # the transport's cap per frame (hub_guard.py)
HUB_SOURCE = "hub"
_MAX_INT64 = (1 << 63) - 1
# How far ahead of the hub's session clock a time may lie (session ns): beats are
# placed at or before their arrival, so this only absorbs scheduling jitter.
CLOCK_LEAD_NS = 30 * 1_000_000_000


@dataclass(frozen=True, slots=True)
class HubConfig:
    """Where the hub listens, publishes and records."""

    input_endpoint: str
    output_endpoint: str
    session_path: str
    commit_interval_s: float = 0.25
    commit_batch_rows: int = 500  # commit sooner when this many rows are queued
    # Fold the WAL into the main file this often, so the `.sqlite` alone holds the
    # session up to a few seconds ago (SessionStore.checkpoint says why).
    checkpoint_interval_s: float = 2.0
    pub_hwm: int = 10_000  # per subscriber; beyond it PUB drops for that subscriber only
    meta: dict[str, Any] = field(default_factory=dict)
    max_pages: int | None = None  # caps the file (SQLite pages): tests simulate a full disk
    # Remote viewers (CurveZMQ, allow-list); None: nothing leaves this machine.
    viewers: ViewerAccess | None = None
    # Publish the hub's counters on `status.hub` this often; None: never.
    status_interval_s: float | None = None
    max_input_backlog_bytes: int = MAX_INPUT_BACKLOG_BYTES  # see hub_guard.py


class Hub:
    """Receives, records and republishes bus messages; see the module docstring."""

    def __init__(self, config: HubConfig, context: zmq.Context | None = None) -> None:
        # Before anything is opened or bound: a refused configuration exposes nothing.
        check_bind_policy(config.input_endpoint, config.output_endpoint, config.viewers)
        self.config = config
        self._ctx = context or zmq.Context.instance()
        self.store = SessionStore(config.session_path, max_pages=config.max_pages)
        if config.meta:
            self.store.set_meta(config.meta)
        self._people = keys_of(people_from_session(config.meta))  # whose topics it admits
        self._streams: dict[tuple[str, str], StreamState] = {}
        self._per_source: Counter[str] = Counter()
        for key, seqs in self.store.stream_seqs().items():
            state = self._streams.setdefault(key, StreamState())
            self._per_source[key[0]] += 1
            for seq in seqs:
                state.add(seq)
        # Producers' messages and stages' replay requests; peers counted (hub_input.py).
        self.input = HubInput(self._ctx, config.input_endpoint, config.max_input_backlog_bytes)
        self._out = self._ctx.socket(zmq.PUB)
        self._out.setsockopt(zmq.LINGER, 0)
        self._out.setsockopt(zmq.SNDHWM, config.pub_hwm)
        self._out.bind(config.output_endpoint)
        try:
            self._viewers = (
                ViewerOutput(config.viewers, config.pub_hwm) if config.viewers is not None else None
            )
        except BindRefused:
            self.input.close()
            self._out.close(linger=0)
            self.store.close()
            raise
        self._unpublished: list[list[bytes]] = []  # received, published after their commit
        # Streams each producer connection sent since the last commit: they get acks.
        self._to_ack: dict[bytes, set[tuple[str, str]]] = {}
        self._next_commit_s = time.monotonic() + config.commit_interval_s
        self._next_checkpoint_s = time.monotonic() + config.checkpoint_interval_s
        self.received = 0
        self.stored = 0
        self.duplicates = 0
        self.rejected: Counter[str] = Counter()
        self.failure: str | None = None
        self._status_seq = 0
        self._clock: SessionClock | None = None
        self._lead_ns = CLOCK_LEAD_NS  # plus a replay's start (its times are the original's)
        recorded = self.store.session_payload()  # a restarted hub knows the clock at once
        if recorded is not None:
            self._learn_clock(recorded)
        self._started_s = time.monotonic()
        self._next_status_s = self._started_s + (config.status_interval_s or 0.0)

    def step(self, max_wait_s: float | None = None) -> None:
        """Handle what arrives until the next commit is due (or `max_wait_s`), then commit."""
        now = time.monotonic()
        wait_s = max(0.0, self._next_commit_s - now)
        if max_wait_s is not None:
            wait_s = min(wait_s, max_wait_s)
        if self.input.sock.poll(int(wait_s * 1000), zmq.POLLIN):
            # Bounded so a flood cannot postpone the commit past its deadline.
            for _ in range(10_000):
                try:
                    frames = self.input.sock.recv_multipart(flags=zmq.NOBLOCK, copy=True)
                except zmq.Again:
                    break
                self._handle(frames)
                if self._commit_due():
                    break
        if self.store.uncommitted or self._commit_due():
            self.commit()
        if self.input.check():  # a message of endless frames (hub_guard.py)
            self._reject("memory", EnvelopeError("input memory above its bound", "memory"))
        interval = self.config.status_interval_s
        if interval is not None and time.monotonic() >= self._next_status_s:
            self._next_status_s = time.monotonic() + interval
            self.publish_status()

    def _commit_due(self) -> bool:
        # Also commit early when many rows wait: one commit of thousands of rows
        # holds the loop (and so every live subscriber) for tens of milliseconds,
        # several small ones do not (measured: docs/performance.md, bus section).
        return (
            time.monotonic() >= self._next_commit_s
            or self.store.uncommitted >= self.config.commit_batch_rows
        )

    def _handle(self, frames: list[bytes]) -> None:
        identity, body = frames[0], frames[1:]
        if body and body[0] == REPLAY_REQUEST:
            self._replay(identity, body)
            return
        try:
            msg = decode_frames(body)
        except EnvelopeError as exc:
            self._reject(exc.kind, exc)
            return
        except Exception as exc:  # a peer's bytes must never end the hub
            log.exception("the envelope decoder failed on peer input; please report this")
            self._reject("decoder_error", exc)
            return
        key = msg.stream
        state = self._streams.get(key)
        try:
            if state is None and self._per_source[msg.source] >= MAX_STREAMS_PER_SOURCE:
                raise EnvelopeError(f"{msg.source!r} has too many streams", "streams")
            check_payload(msg, self._max_t_ns(), self._people)
        except EnvelopeError as exc:
            self._reject(exc.kind, exc)
            return
        if state is None:
            state = self._streams[key] = StreamState()
            self._per_source[msg.source] += 1
        if not state.has(msg.seq) and not state.claim(identity):
            self._reject("owner", EnvelopeError(f"{key} belongs to another producer", "owner"))
            return
        self.received += 1
        self._to_ack.setdefault(identity, set()).add(key)
        if state.has(msg.seq):
            self.duplicates += 1
            return
        state.add(msg.seq)
        self._unpublished.append(body)  # published once committed
        self.store.add(msg, body[1], time.monotonic_ns())
        if msg.topic == TOPIC_SESSION and msg.source == TOPIC_SESSION and self._clock is None:
            self._learn_clock(msg.payload)

    def _replay(self, identity: bytes, body: list[bytes]) -> None:
        """Answer a stage's replay request with one page of committed rows."""
        try:
            reply = answer_replay(self.store, body)
        except EnvelopeError as exc:
            self._reject(exc.kind, exc)
            return
        with contextlib.suppress(zmq.Again):  # a gone or slow peer asks again
            self.input.sock.send_multipart([identity, *reply], flags=zmq.NOBLOCK)

    def _publish(self, frames: list[Any]) -> None:
        self._out.send_multipart(frames, copy=False)
        if self._viewers is not None:
            self._viewers.send(frames)

    def counters(self) -> dict[str, Any]:
        """Return the hub's counters (what `status.hub` carries)."""
        out: dict[str, Any] = {
            "received": self.received,
            "stored": self.stored,
            "uncommitted": self.store.uncommitted,
            "duplicates": self.duplicates,
            "rejected": dict(self.rejected),
            "rejected_total": sum(self.rejected.values()),
            "streams": len(self._streams),
            "uptime_s": round(time.monotonic() - self._started_s, 3),
        }
        if self._viewers is not None:
            out["viewers_admitted"] = self._viewers.gate.admitted
            out["viewers_refused"] = self._viewers.gate.refused
        return out

    def publish_status(self) -> None:
        """Publish the counters on ``status.hub`` (to subscribers only; not recorded)."""
        self._status_seq += 1
        msg = make_message(
            f"{TOPIC_STATUS}.{HUB_SOURCE}",
            HUB_SOURCE,
            self._status_seq,
            self._session_t_ns(),
            {"status": "running", **self.counters()},
        )
        self._publish(msg.frames())

    def _learn_clock(self, payload: bytes) -> None:
        # The session clock starts after the hub; its `session` message says when.
        try:
            body = json.loads(payload)
            self._clock = SessionClock(**body["clock"])
            from_s = float(body.get("replay_from_s") or 0.0)
            self._lead_ns = CLOCK_LEAD_NS + int(max(0.0, from_s) * 1e9)
        except (KeyError, TypeError, ValueError, OverflowError, RecursionError) as exc:
            log.warning("the session message has no usable clock (%s)", exc)

    def _max_t_ns(self) -> int | None:
        """Return the latest session time a message may carry now (None: clock unknown)."""
        if self._clock is None:
            return None
        return self._session_t_ns() + int(self._lead_ns * max(1.0, self._clock.speed))

    def _session_t_ns(self) -> int:
        if self._clock is None:
            return 0
        try:
            return max(-_MAX_INT64, min(_MAX_INT64, self._clock.now_ns()))
        except (OverflowError, ValueError):
            return 0

    def _reject(self, kind: str, exc: Exception) -> None:
        self.rejected[kind] += 1
        if self.rejected[kind] == 1:
            log.warning("rejected invalid input (%s); further ones of this kind are counted", exc)

    def commit(self) -> None:
        """Commit queued messages, then acknowledge them to their producers."""
        self._next_commit_s = time.monotonic() + self.config.commit_interval_s
        try:
            self.stored += self.store.commit()
            for frames in self._unpublished:
                self._publish(frames)
            self._unpublished.clear()
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
                    self.input.sock.send_multipart([identity, ACK_TOPIC, ack], flags=zmq.NOBLOCK)
        self._to_ack.clear()
        if time.monotonic() >= self._next_checkpoint_s:  # after the acks: they never wait
            self._next_checkpoint_s = time.monotonic() + self.config.checkpoint_interval_s
            try:
                self.store.checkpoint()
            except sqlite3.OperationalError as exc:
                # What is committed is safe in the WAL; a full disk ends the next commit.
                log.warning("could not fold the WAL into the session file yet (%s)", exc)

    def close(self) -> None:
        """Take what is still queued on the input, commit it, ack it, and close."""
        try:
            while True:
                try:
                    frames = self.input.sock.recv_multipart(flags=zmq.NOBLOCK)
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
                    **(
                        {
                            "hub_viewers_admitted": self._viewers.gate.admitted,
                            "hub_viewers_refused": self._viewers.gate.refused,
                        }
                        if self._viewers is not None
                        else {}
                    ),
                }
            )
        except sqlite3.OperationalError as exc:
            log.critical("the session file could not take the last messages: %s", exc)
        finally:
            try:
                self.store.close()
            except sqlite3.OperationalError as exc:
                log.critical("closing the session file failed (%s); it stays readable", exc)
            self.input.close()
            self._out.close(linger=0)
            if self._viewers is not None:
                self._viewers.close()
        log.info(
            "hub closed %s: %d stored, %d duplicates ignored, %d invalid rejected",
            Path(self.config.session_path).name,
            self.stored,
            self.duplicates,
            sum(self.rejected.values()),
        )

    def run(self, stop: threading.Event, linger: Callable[[Hub], None] | None = None) -> None:
        """Run until `stop` is set, then `linger(self)` if given, then close cleanly."""
        try:
            while not stop.is_set():
                self.step(max_wait_s=0.05)
            if linger is not None:
                linger(self)
        except sqlite3.OperationalError:
            pass  # already reported in commit(); close() keeps what was committed
        finally:
            self.close()


def run_hub_process(config: HubConfig, ready: Any = None, log_level: int = logging.INFO) -> None:
    """Run a hub until told to stop (entry point of the hub process; `hub_process.main`)."""
    from coregulate.recordings.hub_process import main

    main(config, ready, log_level)
