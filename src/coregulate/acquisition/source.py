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
STATUS_GAVE_UP = "gave up"  # reconnection stopped after the allowed attempts
STATUS_NO_BLUETOOTH = "no bluetooth"  # the adapter is missing, off or not permitted
STATUS_BAD_PAYLOAD = "bad payload"  # flagged input (malformed or implausible), then counted

# What a notification's bytes are.
KIND_HRM = "hrm"  # Heart Rate Measurement (0x2A37)
KIND_ECG = "ecg"  # Polar PMD data frame


@dataclass(frozen=True, slots=True)
class SourceEvent:
    """One thing a source reports: a raw notification, a status change or new details.

    A notification has `data` (raw bytes of the characteristic named by `kind`). A
    status change has `status`. An event with neither updates `detail` only (the
    battery level, the strap's name) under the current status.
    """

    role: str
    t_ns: int  # session clock: arrival time of a notification, or time of the status change
    data: bytes | None = None  # raw bytes for a notification; None otherwise
    status: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    kind: str = KIND_HRM


class HeartRateSource(Protocol):
    """A strap (real, simulated or replayed) for one role."""

    role: str
    name: str

    def events(self) -> AsyncIterator[SourceEvent]:
        """Yield events until the source ends or the task is cancelled."""
        ...
