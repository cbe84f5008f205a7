"""The bus envelope: one message is three frames, ``[topic, header, payload]``.

The header is a small UTF-8 JSON object so that a client in any language can read
the stream (docs/protocol.md is the normative description):

``{"v": 1, "src": "acq", "seq": 17, "t_ns": 1234567, "enc": "json"}``

- ``v``: schema version (this module writes and accepts `SCHEMA_VERSION`).
- ``src``: the producer's name. Together with the topic it names a *stream*.
- ``seq``: 1, 2, 3, ... per stream (source + topic), so a subscriber filtering any
  set of topics can still see loss: a gap in ``seq`` is a lost message, never silent.
- ``t_ns``: session-clock time in ns (arrival time for raw notifications).
- ``enc``: ``"json"`` (UTF-8 JSON payload) or ``"bytes"`` (raw device bytes).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
MAX_TOPIC_BYTES = 64
MAX_HEADER_BYTES = 1024
MAX_PAYLOAD_BYTES = 1 << 20  # 1 MiB: an ECG frame is ~230 B, a metrics message ~1 kB
ENCODINGS = ("json", "bytes")

# Lower-case dotted words: "beat.client", "status.hub", "sync".
_TOPIC_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z0-9_-]+)*$")
_SOURCE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_MAX_INT64 = (1 << 63) - 1


class EnvelopeError(ValueError):
    """A message that does not follow the bus envelope; its text says what is wrong.

    `kind` names the rule that was broken, from a small fixed set (`REJECT_KINDS`),
    so the hub can count rejections without a hostile peer inventing new keys.
    """

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


# What `EnvelopeError.kind` can be.
REJECT_KINDS = (
    "frames",  # not exactly three frames
    "oversize",  # a frame above its limit
    "not_json",  # topic not ASCII, or header not JSON
    "header",  # header not a JSON object
    "version",  # another schema version
    "topic",
    "source",
    "seq",
    "t_ns",
    "enc",
    "invalid",  # anything else (payload not JSON when read as JSON)
)


# The topics (docs/protocol.md, "Topics"). ``<role>`` is "client" or "therapist".
TOPIC_HRM = "hrm"  # raw 0x2A37 notification bytes, stamped on arrival
TOPIC_BEAT = "beat"  # beats placed on the session clock
TOPIC_ECG = "ecg"
TOPIC_ACC = "acc"  # raw Polar PMD accelerometer frames, stamped on arrival
TOPIC_BREATH = "breath"  # breathing rate and movement from the ACC, every 5 s
TOPIC_STATUS = "status"  # strap / process status
TOPIC_METRICS = "metrics"  # per-person metrics
TOPIC_SYNC = "sync"
TOPIC_MARKER = "marker"
TOPIC_RATING = "rating"
TOPIC_SESSION = "session"  # session metadata: clock anchor, parameters


def topic_for(kind: str, role: str | None = None) -> str:
    """Return the topic string for a message kind and, where it has one, a role."""
    return kind if role is None else f"{kind}.{role}"


@dataclass(frozen=True, slots=True)
class Message:
    """One bus message, decoded header plus the untouched payload bytes."""

    topic: str
    source: str
    seq: int
    t_ns: int
    payload: bytes
    enc: str = "json"
    version: int = SCHEMA_VERSION

    @property
    def stream(self) -> tuple[str, str]:
        """Return the (source, topic) pair whose ``seq`` numbers this message."""
        return (self.source, self.topic)

    @property
    def role(self) -> str | None:
        """Return the role suffix of the topic ("client" in "beat.client"), or None."""
        _, _, suffix = self.topic.partition(".")
        return suffix or None

    def json(self) -> Any:
        """Return the payload decoded from JSON (raises EnvelopeError if it is not)."""
        if self.enc != "json":
            raise EnvelopeError(f"{self.topic}: payload is {self.enc!r}, not JSON")
        try:
            return json.loads(self.payload)
        # RecursionError: "[[[[..." nests deeper than the JSON parser's stack allows.
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise EnvelopeError(f"{self.topic}: payload is not valid JSON: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        """Return the payload's JSON object, or {} when it is not one (readers that show
        what they can: the hub and the model count and log unreadable payloads)."""
        try:
            body = self.json()
        except EnvelopeError:
            return {}
        return body if isinstance(body, dict) else {}

    def header_bytes(self) -> bytes:
        """Return the encoded header frame."""
        return encode_header(self.source, self.seq, self.t_ns, self.enc, self.version)

    def frames(self) -> list[bytes]:
        """Return the three frames to put on the wire."""
        return [self.topic.encode("ascii"), self.header_bytes(), self.payload]


@dataclass(frozen=True, slots=True)
class DecodedMessage(Message):
    """A Message whose JSON payload was decoded once, when it was read from a file.

    `json()` returns that decoded object itself, not a fresh copy: the offline
    pipeline hands each recorded message to readers that only read it, and decoding
    every beat message again per reader cost a tenth of an hour's analysis.
    """

    body: Any = None

    def json(self) -> Any:
        """Return the payload as decoded when the message was read (do not change it)."""
        return self.body


def encode_header(
    source: str, seq: int, t_ns: int, enc: str = "json", version: int = SCHEMA_VERSION
) -> bytes:
    """Return the header frame for one message (compact JSON, fixed key order)."""
    return (
        f'{{"v":{version},"src":{json.dumps(source)},"seq":{seq},"t_ns":{t_ns},"enc":"{enc}"}}'
    ).encode()


# One encoder for every payload: `json.dumps` with any non-default argument builds a
# new JSONEncoder per call, a third of encoding a beat's payload. The same output.
_PAYLOAD_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def encode_payload(obj: Any) -> bytes:
    """Return a JSON payload frame for a plain object (NaN is refused: JSON has none)."""
    return _PAYLOAD_ENCODER.encode(obj).encode()


def make_message(
    topic: str, source: str, seq: int, t_ns: int, payload: Any, enc: str | None = None
) -> Message:
    """Return a validated Message; `payload` is bytes (raw) or a JSON-ready object."""
    if isinstance(payload, bytes | bytearray | memoryview):
        body = bytes(payload)
        enc = enc or "bytes"
    else:
        body = encode_payload(payload)
        enc = "json"
    msg = Message(topic, source, seq, t_ns, body, enc)
    _validate(msg)
    return msg


def decode_frames(frames: list[bytes]) -> Message:
    """Return the Message carried by `frames`; raise EnvelopeError for anything else.

    This is the only way bytes from a peer become a Message, so it checks
    everything a hostile or buggy peer could get wrong: frame count, sizes, the
    topic's characters, the header's JSON and field types, the schema version.
    """
    if len(frames) != 3:
        raise EnvelopeError(
            f"expected 3 frames [topic, header, payload], got {len(frames)}", "frames"
        )
    topic_b, header_b, payload = (bytes(f) for f in frames)
    if len(topic_b) > MAX_TOPIC_BYTES:
        raise EnvelopeError(
            f"topic frame is {len(topic_b)} bytes (max {MAX_TOPIC_BYTES})", "oversize"
        )
    if len(header_b) > MAX_HEADER_BYTES:
        raise EnvelopeError(
            f"header frame is {len(header_b)} bytes (max {MAX_HEADER_BYTES})", "oversize"
        )
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise EnvelopeError(
            f"payload is {len(payload)} bytes (max {MAX_PAYLOAD_BYTES})", "oversize"
        )
    try:
        topic = topic_b.decode("ascii")
        header = json.loads(header_b)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        # RecursionError: a 1 KiB header of "[[[[..." nests deeper than the parser allows.
        raise EnvelopeError(f"topic or header is not valid ASCII/JSON: {exc}", "not_json") from exc
    if not isinstance(header, dict):
        raise EnvelopeError("header is not a JSON object", "header")
    version = header.get("v")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        raise EnvelopeError(
            f"unsupported schema version {version!r} (this build reads {SCHEMA_VERSION}); "
            "upgrade coregulate on this machine",
            "version",
        )
    msg = Message(
        topic=topic,
        source=header.get("src"),  # type: ignore[arg-type]
        seq=header.get("seq"),  # type: ignore[arg-type]
        t_ns=header.get("t_ns"),  # type: ignore[arg-type]
        payload=payload,
        enc=header.get("enc", "json"),  # type: ignore[arg-type]
        version=version,
    )
    _validate(msg)
    return msg


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(msg: Message) -> None:
    if not isinstance(msg.topic, str) or not _TOPIC_RE.match(msg.topic):
        raise EnvelopeError(f"invalid topic {msg.topic!r}: use lower-case dotted words", "topic")
    if len(msg.topic) > MAX_TOPIC_BYTES:
        raise EnvelopeError(f"topic longer than {MAX_TOPIC_BYTES} bytes", "topic")
    if not isinstance(msg.source, str) or not _SOURCE_RE.match(msg.source):
        raise EnvelopeError(f"invalid source {msg.source!r}", "source")
    if not _is_int(msg.seq) or not 1 <= msg.seq <= _MAX_INT64:
        raise EnvelopeError(f"invalid seq {msg.seq!r}: an integer counting from 1", "seq")
    if not _is_int(msg.t_ns) or not -_MAX_INT64 <= msg.t_ns <= _MAX_INT64:
        raise EnvelopeError(f"invalid t_ns {msg.t_ns!r}: an int64 of session-clock ns", "t_ns")
    if msg.enc not in ENCODINGS:
        raise EnvelopeError(f"invalid enc {msg.enc!r}: one of {ENCODINGS}", "enc")
    if len(msg.payload) > MAX_PAYLOAD_BYTES:
        raise EnvelopeError(
            f"payload is {len(msg.payload)} bytes (max {MAX_PAYLOAD_BYTES})", "oversize"
        )
