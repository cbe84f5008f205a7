"""Turns source events into bus messages: raw bytes, parsed beats and status.

Every notification is published raw (`hrm.<role>`, exactly the bytes received,
stamped on arrival) *before* it is parsed, so a payload the parser rejects is still
in the recording. Parsed RR intervals become `beat.<role>` messages with their
times on the session clock; status changes become `status.<role>`.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Protocol

from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.acquisition.hrm import HeartRateMeasurementError, parse_heart_rate_measurement
from coregulate.acquisition.source import (
    STATUS_CONTACT_LOST,
    STATUS_DISCONNECTED,
    STATUS_STREAMING,
    SourceEvent,
)
from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_HRM, TOPIC_STATUS, topic_for

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Anything with BusProducer's `send`."""

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> object:
        """Queue one message."""
        ...


class StrapPublisher:
    """Publishes one role's events; owns that strap's beat timer and counters."""

    def __init__(self, role: str, sender: Sender) -> None:
        self.role = role
        self._sender = sender
        self._timer = BeatTimer()
        self._contact: bool | None = None
        self.notifications = 0
        self.beats = 0
        self.bad_payloads: Counter[str] = Counter()
        self._t_hrm = topic_for(TOPIC_HRM, role)
        self._t_beat = topic_for(TOPIC_BEAT, role)
        self._t_status = topic_for(TOPIC_STATUS, role)

    def handle(self, event: SourceEvent) -> None:
        """Publish what `event` carries."""
        if event.data is None:
            if event.status == STATUS_DISCONNECTED:
                self._timer.mark_gap()
                self._contact = None
            self._status(event.t_ns, event.status or "unknown", **event.detail)
            return
        self.notifications += 1
        self._sender.send(self._t_hrm, event.data, event.t_ns)
        try:
            hrm = parse_heart_rate_measurement(event.data)
        except HeartRateMeasurementError as exc:
            kind = str(exc).split(":")[0]
            self.bad_payloads[kind] += 1
            if self.bad_payloads[kind] == 1:
                log.warning("%s strap sent a malformed notification: %s", self.role, exc)
            self._status(
                event.t_ns,
                "bad payload",
                error=str(exc),
                count=sum(self.bad_payloads.values()),
            )
            return
        if hrm.contact is False:
            if self._contact is not False:
                self._timer.mark_gap()
                self._status(event.t_ns, STATUS_CONTACT_LOST)
            self._contact = False
        elif self._contact is False:
            self._status(event.t_ns, STATUS_STREAMING, contact="restored")
            self._contact = hrm.contact
        else:
            self._contact = hrm.contact
        if not hrm.rr_ticks:
            return
        placed = self._timer.place(event.t_ns, hrm.rr_ms)
        self.beats += len(hrm.rr_ticks)
        self._sender.send(
            self._t_beat,
            {
                "t_ns": list(placed.t_ns),
                "rr_ms": list(hrm.rr_ms),
                "rr_ticks": list(hrm.rr_ticks),
                "gap_before": placed.gap_before,
                "hr_bpm": hrm.hr_bpm,
                "contact": hrm.contact,
            },
            placed.t_ns[-1],
        )

    def _status(self, t_ns: int, status: str, **detail: object) -> None:
        self._sender.send(self._t_status, {"status": status, **detail}, t_ns)
