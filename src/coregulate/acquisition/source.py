"""What every heart-rate source gives the acquisition process: raw events, stamped.

A source is a strap over BLE, a simulated strap or a replayed recording. Each
yields `SourceEvent`s: raw notification bytes stamped with their arrival on the
session clock, or a status change (connecting, streaming, disconnected, ...).
Parsing, beat timing and publishing happen once, downstream, for all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

# Status words shown to the user (docs/protocol.md lists them).
STATUS_CONNECTING = "connecting"
STATUS_STREAMING = "streaming"
STATUS_CONTACT_LOST = "contact lost"
STATUS_DISCONNECTED = "disconnected"
STATUS_RECONNECTING = "reconnecting"
STATUS_ENDED = "ended"


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """One thing a source reports: a raw notification or a status change."""

    role: str
    t_ns: int  # session clock: arrival time of a notification, or time of the status change
    data: bytes | None = None  # raw 0x2A37 bytes for a notification; None for a status
    status: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


class HeartRateSource(Protocol):
    """A strap (real, simulated or replayed) for one role."""

    role: str
    name: str

    def events(self) -> AsyncIterator[SourceEvent]:
        """Yield events until the source ends or the task is cancelled."""
        ...
