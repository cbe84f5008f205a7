"""A producer that never loses a message and never blocks its caller.

It connects a DEALER socket to the hub's ROUTER input. Every message is kept until
the hub acknowledges that it is *committed to the session file*; anything not
acknowledged within `resend_after_s` is sent again (go-back-N). The hub ignores
duplicates by (source, topic, seq). This is what makes "producers start before the
hub" and "the hub restarts" lose nothing: ZeroMQ alone drops whatever sat in a dead
peer's buffers (docs/protocol.md, "Reliability: producers and acknowledgements").

Sending is non-blocking: when ZeroMQ's queue is full the message waits in the
producer's own buffer and goes out on the next `pump()`. Callers pump regularly:
an asyncio producer awaits `pump_forever()`, a loop calls `pump()`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import zmq

from coregulate.bus.envelope import Message, make_message
from coregulate.bus.routing import new_routing_id

log = logging.getLogger(__name__)

ACK_TOPIC = b"ack"


def sender_source(kind: str) -> str:
    """Return a fresh source name ``<kind>-<8 hex>`` for one sender instance.

    A sender that is not one of the session's own processes (a window, `coregulate
    rate`, the end-of-session ratings panel) starts its seq at 1 every time it is
    created. Two of them under one name would repeat (source, topic, seq), and the hub
    would drop the second's messages as duplicates while acknowledging them.
    """
    return f"{kind}-{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class _Pending:
    msg: Message
    frames: list[bytes]
    sent_at_s: float | None = None  # host monotonic seconds of the last send; None = not yet


@dataclass(slots=True)
class _Stream:
    next_seq: int = 1
    pending: deque[_Pending] = field(default_factory=deque)
    progress_s: float = 0.0  # host monotonic seconds when the hub last acknowledged some


class BusProducer:
    """Sends bus messages to the hub reliably; one instance per process and thread.

    Parameters
    ----------
    endpoint
        The hub's input endpoint, e.g. ``"tcp://127.0.0.1:5601"``.
    source
        This producer's name in every header (``"acq"``, ``"signal"``, ``"ui"``).
    resend_after_s
        Host seconds after which an unacknowledged message is sent again, unless
        the hub acknowledged some of the same stream within that time (it is then
        alive and catching up). Must be longer than the hub's commit interval
        (0.25 s) plus a round trip.
    max_pending
        Messages kept while the hub is away (one hour of a dyad is ~30,000). Beyond
        it the oldest are dropped *loudly*: logged, counted, and visible as gaps.
    routing_id
        This producer's identity at the hub (default: random, for this instance's
        life). The hub lets only the first producer of a stream add to it, so a
        process restarted under the same source must pass its predecessor's id.
    """

    def __init__(
        self,
        endpoint: str,
        source: str,
        *,
        context: zmq.Context | None = None,
        resend_after_s: float = 1.0,
        max_pending: int = 1_000_000,
        sndhwm: int = 10_000,
        routing_id: bytes | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.source = source
        self.resend_after_s = resend_after_s
        self.max_pending = max_pending
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.DEALER)
        # One routing id for this producer's life: the hub lets only the producer that
        # started a stream add to it, and a reconnect must not look like someone else.
        # A session's children get theirs from the session (`bus/routing.py`).
        self.routing_id = routing_id or new_routing_id()
        self._sock.setsockopt(zmq.ROUTING_ID, self.routing_id)
        self._sock.setsockopt(zmq.SNDHWM, sndhwm)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self._streams: dict[str, _Stream] = {}
        self._n_pending = 0
        self._unsent: deque[_Pending] = deque()
        self.sent = 0
        self.acked = 0
        self.resent = 0
        self.dropped = 0

    # -- sending ---------------------------------------------------------------

    def send(self, topic: str, payload: Any, t_ns: int, enc: str | None = None) -> Message:
        """Return the Message queued for the hub under the next seq of its stream.

        `payload` is raw bytes (device data) or a JSON-ready object. The call never
        blocks: if ZeroMQ cannot take the message now it goes out on a later pump.
        """
        stream = self._streams.setdefault(topic, _Stream())
        msg = make_message(topic, self.source, stream.next_seq, t_ns, payload, enc)
        stream.next_seq += 1
        item = _Pending(msg, msg.frames())
        stream.pending.append(item)
        self._n_pending += 1
        self.sent += 1
        if self._n_pending > self.max_pending:
            self._drop_oldest()
        if self._unsent or not self._try_send(item):
            self._unsent.append(item)
        return msg

    def _try_send(self, item: _Pending) -> bool:
        try:
            self._sock.send_multipart(item.frames, flags=zmq.NOBLOCK, copy=False)
        except zmq.Again:
            return False
        item.sent_at_s = time.monotonic()
        return True

    def _drop_oldest(self) -> None:
        oldest = min(
            (s for s in self._streams.values() if s.pending),
            key=lambda s: s.pending[0].msg.t_ns,
        )
        lost = oldest.pending.popleft()
        self._n_pending -= 1
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.error(
                "the hub has not acknowledged %d messages; dropped the oldest (%s seq %d), "
                "%d dropped so far: check that the hub process is running",
                self.max_pending,
                lost.msg.topic,
                lost.msg.seq,
                self.dropped,
            )

    # -- the pump ----------------------------------------------------------------

    def pump(self) -> None:
        """Read acknowledgements, send what is waiting, resend what timed out."""
        self._read_acks()
        while self._unsent:
            item = self._unsent[0]
            if item.sent_at_s is not None or not self._is_pending(item):
                self._unsent.popleft()  # acknowledged or dropped meanwhile
                continue
            if not self._try_send(item):
                return
            self._unsent.popleft()
        self._resend_stale()

    def _is_pending(self, item: _Pending) -> bool:
        stream = self._streams.get(item.msg.topic)
        return bool(stream and stream.pending and stream.pending[0].msg.seq <= item.msg.seq)

    def _resend_stale(self) -> None:
        deadline = time.monotonic() - self.resend_after_s
        for stream in self._streams.values():
            # A hub that is behind but still committing this stream needs no resend:
            # resending then only adds duplicates to decode while it catches up.
            if stream.progress_s > deadline:
                continue
            # Items were sent, and are resent, in seq order, so their send times
            # increase along the deque: stop at the first one that is not yet due.
            # This keeps a pump cheap even with an hour of messages pending.
            for item in stream.pending:
                if item.sent_at_s is None or item.sent_at_s > deadline:
                    break
                if not self._try_send(item):
                    return
                self.resent += 1

    def _read_acks(self) -> None:
        while True:
            try:
                frames = self._sock.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            if len(frames) != 2 or frames[0] != ACK_TOPIC:
                log.warning("ignored an unexpected reply from the hub (%d frames)", len(frames))
                continue
            try:
                ack = json.loads(frames[1])
                if ack["src"] != self.source:
                    continue
                for topic, mark in ack["marks"].items():
                    self._apply_ack(topic, int(mark))
            except (ValueError, KeyError, AttributeError, TypeError) as exc:
                log.warning("ignored a malformed acknowledgement from the hub: %s", exc)

    def _apply_ack(self, topic: str, mark: int) -> None:
        stream = self._streams.get(topic)
        if stream is None:
            return
        while stream.pending and stream.pending[0].msg.seq <= mark:
            stream.pending.popleft()
            self._n_pending -= 1
            self.acked += 1
            stream.progress_s = time.monotonic()

    @property
    def pending(self) -> int:
        """Return how many messages the hub has not yet acknowledged as committed."""
        return self._n_pending

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Return True once the hub has committed everything sent, False on timeout."""
        deadline = time.monotonic() + timeout_s
        while self._n_pending and time.monotonic() < deadline:
            self.pump()
            if self._sock.poll(20, zmq.POLLIN):
                continue
        if self._n_pending:
            log.error(
                "%s: %d messages were not confirmed by the hub within %.1f s; "
                "they are missing from the session file (visible as gaps)",
                self.source,
                self._n_pending,
                timeout_s,
            )
            return False
        return True

    async def pump_forever(self, interval_s: float = 0.02) -> None:
        """Pump every `interval_s` until cancelled (for asyncio producers)."""
        while True:
            self.pump()
            await asyncio.sleep(interval_s)

    def close(self) -> None:
        """Close the socket; unacknowledged messages are lost (call `flush` first)."""
        self._sock.close(linger=0)
