"""The session bus: envelope, reliable producer, loss-aware subscriber (docs/protocol.md)."""

from coregulate.bus.envelope import (
    SCHEMA_VERSION,
    EnvelopeError,
    Message,
    decode_frames,
    make_message,
    topic_for,
)
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber

__all__ = [
    "SCHEMA_VERSION",
    "BusProducer",
    "BusSubscriber",
    "EnvelopeError",
    "Message",
    "decode_frames",
    "make_message",
    "topic_for",
]
