"""A subscriber that reads the hub's stream and makes any loss visible.

PUB/SUB never blocks the hub: a subscriber that falls behind loses messages at
its own high-water mark. This class counts such losses per stream from the
sequence numbers, so a viewer can say "12 messages missed" instead of silently
drawing a wrong line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import zmq

from coregulate.bus.envelope import EnvelopeError, Message, decode_frames

log = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamStats:
    """What one subscriber saw of one stream (source + topic)."""

    last_seq: int = 0
    received: int = 0
    lost: int = 0  # seq numbers skipped over
    repeated: int = 0  # seq at or below one already seen (resent after a hub restart)


@dataclass(frozen=True, slots=True)
class CurveClientKeys:
    """A viewer's CurveZMQ credentials (Z85 keys) for a hub's encrypted viewer output."""

    server_public_key: str  # the hub's public key, as the therapist gave it
    public_key: str
    secret_key: str = field(repr=False)


class BusSubscriber:
    """Receives messages published by the hub, for the given topic prefixes.

    Parameters
    ----------
    endpoint
        The hub's output endpoint, e.g. ``"tcp://127.0.0.1:5602"``.
    topics
        Topic prefixes to receive (ZeroMQ prefix match); ``("",)`` means all.
    curve
        Credentials for a hub's CURVE viewer output (remote viewing); None for the
        local plaintext output. With a wrong or unknown key nothing ever arrives.
    """

    def __init__(
        self,
        endpoint: str,
        topics: Iterable[str] = ("",),
        *,
        context: zmq.Context | None = None,
        rcvhwm: int = 100_000,
        curve: CurveClientKeys | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._ctx = context or zmq.Context.instance()
        self._sock = self._ctx.socket(zmq.SUB)
        self._sock.setsockopt(zmq.RCVHWM, rcvhwm)
        self._sock.setsockopt(zmq.LINGER, 0)
        if curve is not None:
            self._sock.curve_serverkey = curve.server_public_key.encode("ascii")
            self._sock.curve_publickey = curve.public_key.encode("ascii")
            self._sock.curve_secretkey = curve.secret_key.encode("ascii")
        for topic in topics:
            self._sock.setsockopt(zmq.SUBSCRIBE, topic.encode("ascii"))
        self._sock.connect(endpoint)
        self.streams: dict[tuple[str, str], StreamStats] = {}
        self.invalid = 0

    @property
    def socket(self) -> zmq.Socket:
        """Return the SUB socket, for use in a poller or a Qt socket notifier."""
        return self._sock

    @property
    def lost(self) -> int:
        """Return the number of messages this subscriber knows it missed."""
        return sum(s.lost for s in self.streams.values())

    def recv(self, timeout_ms: int | None = None) -> Message | None:
        """Return the next message, or None if none arrived within `timeout_ms`."""
        while True:
            if timeout_ms is not None and not self._sock.poll(timeout_ms, zmq.POLLIN):
                return None
            frames = self._sock.recv_multipart()
            msg = self._accept(frames)
            if msg is not None:
                return msg

    def drain(self, limit: int = 10_000) -> list[Message]:
        """Return every message already waiting (up to `limit`) without blocking."""
        out: list[Message] = []
        while len(out) < limit:
            try:
                frames = self._sock.recv_multipart(flags=zmq.NOBLOCK)
            except zmq.Again:
                break
            msg = self._accept(frames)
            if msg is not None:
                out.append(msg)
        return out

    def _accept(self, frames: list[bytes]) -> Message | None:
        try:
            msg = decode_frames(frames)
        except EnvelopeError as exc:
            self.invalid += 1
            log.warning("dropped an invalid message from the hub: %s", exc)
            return None
        stats = self.streams.setdefault(msg.stream, StreamStats())
        stats.received += 1
        if msg.seq <= stats.last_seq:
            stats.repeated += 1
        else:
            if stats.last_seq and msg.seq > stats.last_seq + 1:
                missed = msg.seq - stats.last_seq - 1
                stats.lost += missed
                log.warning(
                    "missed %d message(s) of %s from %s (seq %d -> %d)",
                    missed,
                    msg.topic,
                    msg.source,
                    stats.last_seq,
                    msg.seq,
                )
            stats.last_seq = msg.seq
        return msg

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)
