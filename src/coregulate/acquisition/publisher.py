"""Turns source events into bus messages: raw bytes, parsed beats and status.

Every notification is published raw (`hrm.<role>`, `ecg.<role>` or `acc.<role>`: the bytes
received, stamped on arrival) *before* it is parsed, so a payload the parser
rejects is still in the recording. Parsed RR intervals become `beat.<role>`
messages with their times on the session clock; status changes become
`status.<role>`, each carrying the strap's details (name, battery) and its
notifications in the last minute.

Bad input never stops a strap and is never dropped silently: it is counted per
kind, logged the first time each kind occurs, and flagged on the bus as a
``bad payload`` status (with `kind`, `error` and the counts); the next good
notification restores the strap's status word.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Sequence
from typing import Any, Protocol

from coregulate.acquisition.beat_timing import BeatTimer, PlacedBeats
from coregulate.acquisition.hrm import (
    HeartRateMeasurement,
    HeartRateMeasurementError,
    parse_heart_rate_measurement,
)
from coregulate.acquisition.source import (
    KIND_ECG,
    STATUS_BAD_PAYLOAD,
    STATUS_CONTACT_LOST,
    STATUS_DISCONNECTED,
    STATUS_GAVE_UP,
    STATUS_RECONNECTING,
    STATUS_STREAMING,
    SourceEvent,
)
from coregulate.bus.envelope import (
    TOPIC_ACC,
    TOPIC_BEAT,
    TOPIC_BREATH,
    TOPIC_ECG,
    TOPIC_HRM,
    TOPIC_STATUS,
    topic_for,
)
from coregulate.signal.artifacts import MAX_RR_MS  # an RR above it is no heartbeat

log = logging.getLogger(__name__)

ZERO_HR_NOTIFICATIONS = 5  # HR 0 this many times in a row, in contact, is flagged
ECG_STALE_NS = 5_000_000_000  # no ECG frame for this long: back to the strap's RR
_RATE_WINDOW_NS = 60_000_000_000
# Statuses after which beats resume on a new segment.
_GAP_STATUSES = (STATUS_DISCONNECTED, STATUS_RECONNECTING, STATUS_GAVE_UP)
# Details that describe the strap and stay in every later status message; any other
# detail (an error, a retry delay) belongs to the one message it came with.
_LASTING_DETAILS = ("name", "address", "battery_pct", "ecg", "acc", "beats_from")


def _error_kind(message: str) -> str:
    """Return a parser error's kind, without the numbers that vary between payloads."""
    if "trailing bytes" in message:
        return "trailing bytes"
    return message.split(":")[0]


class Sender(Protocol):
    """Anything with BusProducer's `send`."""

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> object:
        """Queue one message."""
        ...


class StrapPublisher:
    """Publishes one role's events; owns that strap's beat timer and counters.

    Parameters
    ----------
    role
        ``client`` or ``therapist``.
    sender
        Where messages go (a `BusProducer`).
    ecg_beats
        Detector turning ECG frames into beats (default: an `EcgBeatDetector`, made
        when the first ECG frame arrives); while it yields beats, they replace the
        strap's own RR values on `beat.<role>`.
    """

    def __init__(self, role: str, sender: Sender, ecg_beats: Any = None) -> None:
        self.role = role
        self._sender = sender
        self._timer = BeatTimer()
        self._contact: bool | None = None
        self._state = "connecting"
        self._flagged = False  # the last status published was a bad-input flag
        self._info: dict[str, Any] = {}
        self._arrivals: deque[int] = deque()
        self._ecg_beats = ecg_beats
        self._ecg_flowing = False
        self._last_ecg_ns = 0
        self._last_beat_ns = -(1 << 62)  # time of the last beat published
        self._strap_gap = False  # the next strap beat follows ECG beats: a new segment
        self._zero_hr_run = 0
        self._lsl: Any = None
        self.notifications = 0
        self.beats = 0
        self.bad_payloads: Counter[str] = Counter()
        self._t_hrm = topic_for(TOPIC_HRM, role)
        self._t_ecg = topic_for(TOPIC_ECG, role)
        self._t_acc = topic_for(TOPIC_ACC, role)
        self._t_breath = topic_for(TOPIC_BREATH, role)
        self._breathing: Any = None  # signal/breathing_live.BreathingTracker, with the ACC
        self._ecg_breathing: Any = None  # signal/edr_live.EcgBreathingTracker, until ACC comes
        self._t_beat = topic_for(TOPIC_BEAT, role)
        self._t_status = topic_for(TOPIC_STATUS, role)

    # -- events ------------------------------------------------------------------------

    def handle(self, event: SourceEvent) -> None:
        """Publish what `event` carries: a status change, an ECG frame or an HR notification."""
        if event.data is None:
            self._handle_status(event)
        elif event.kind.startswith("lsl-"):  # an LSL stream as the strap (lsl_feed.py)
            self._lsl_feed().handle(event)
        elif event.kind == KIND_ECG:
            self._handle_ecg(event)
        else:
            self._handle_hrm(event.t_ns, event.data)

    def _lsl_feed(self) -> Any:
        if self._lsl is None:
            from coregulate.acquisition.lsl_feed import LslFeed

            self._lsl = LslFeed(self)
        return self._lsl

    def _handle_status(self, event: SourceEvent) -> None:
        lasting = {k: v for k, v in event.detail.items() if k in _LASTING_DETAILS}
        passing = {k: v for k, v in event.detail.items() if k not in _LASTING_DETAILS}
        self._info.update(lasting)
        # A status of None means new details under the same status word.
        if event.status is not None:
            if event.status in _GAP_STATUSES:
                self._mark_link_gap()
            self._state = event.status
        self._status(event.t_ns, self._state, **passing)

    def _mark_link_gap(self) -> None:
        """Forget the link's state: beats resume on a new segment, contact is unknown."""
        self._timer.mark_gap()
        self._contact = None
        if self._ecg_beats is not None:
            self._ecg_beats.mark_gap()
        self._ecg_flowing = False

    def _handle_hrm(self, t_ns: int, data: bytes) -> None:
        """Publish the raw notification, then its checks, status and strap beats in turn."""
        self.notifications += 1
        self._arrivals.append(t_ns)
        self._sender.send(self._t_hrm, data, t_ns)
        try:
            hrm = parse_heart_rate_measurement(data)
        except HeartRateMeasurementError as exc:
            self._flag(t_ns, _error_kind(str(exc)), str(exc))
            return
        if hrm.reserved_flags:
            self._flag(
                t_ns,
                "unknown flags",
                f"reserved flag bits {hrm.reserved_flags:#04x} set; the known fields were read",
            )
        self._track_contact(t_ns, hrm.contact)
        self._check_zero_hr(t_ns, hrm)
        rr_ms, ticks = self._plausible_rr(t_ns, hrm)
        if not rr_ms:
            if hrm.contact is not False:
                self._timer.place(t_ns, ())  # still marks the strap's send schedule
            return
        placed = self._timer.place(t_ns, rr_ms)
        self.beats += len(rr_ms)
        if not self._ecg_covers(t_ns):
            self._publish_strap_beats(placed, rr_ms, ticks, hrm)

    def _track_contact(self, t_ns: int, contact: bool | None) -> None:
        """Publish contact lost or regained, or the end of a bad-input flag, as a status."""
        was = self._contact
        self._contact = contact
        if contact is False:
            if was is not False:
                self._timer.mark_gap()
                self._state = STATUS_CONTACT_LOST
                self._status(t_ns, STATUS_CONTACT_LOST)
        elif was is False or self._flagged:
            self._state = STATUS_STREAMING
            restored = {"contact": "restored"} if was is False else {}
            self._status(t_ns, STATUS_STREAMING, **restored)

    def _check_zero_hr(self, t_ns: int, hrm: HeartRateMeasurement) -> None:
        """Flag 0 bpm in contact when it comes with RR values or lasts several notifications."""
        # HR 0 right after contact returns only means "no estimate yet"; with RR values,
        # or for several seconds on end, it is bad input.
        in_contact = hrm.contact is not False
        self._zero_hr_run = self._zero_hr_run + 1 if in_contact and hrm.hr_bpm == 0 else 0
        if in_contact and (
            (hrm.hr_bpm == 0 and hrm.rr_ticks) or self._zero_hr_run == ZERO_HR_NOTIFICATIONS
        ):
            self._flag(
                t_ns,
                "zero heart rate",
                "the strap reported 0 bpm while in contact"
                + (" with RR values" if hrm.rr_ticks else f" {self._zero_hr_run} times in a row"),
            )

    def _plausible_rr(
        self, t_ns: int, hrm: HeartRateMeasurement
    ) -> tuple[tuple[float, ...], list[int]]:
        """Return the RR values in ms and their raw ticks, without the implausible ones."""
        rr_ms = hrm.rr_ms
        good = [0 < r <= MAX_RR_MS for r in rr_ms]
        if not all(good):
            bad = [round(r, 1) for r, ok in zip(rr_ms, good, strict=True) if not ok]
            self._flag(
                t_ns,
                "implausible RR",
                f"RR {bad} ms outside (0, {MAX_RR_MS:g}] left out of the beats; "
                "the next beat starts a new segment",
            )
            self._timer.mark_gap()  # time is missing from the chain where they were
        ticks = [t for t, ok in zip(hrm.rr_ticks, good, strict=True) if ok]
        return tuple(r for r, ok in zip(rr_ms, good, strict=True) if ok), ticks

    def _ecg_covers(self, t_ns: int) -> bool:
        """Return True while the ECG's R peaks are the beats; switch back once it goes stale."""
        if not self._ecg_flowing:
            return False
        if t_ns - self._last_ecg_ns <= ECG_STALE_NS:
            return True  # the strap's RR stay in hrm
        log.warning("%s strap: ECG stopped; beats come from the strap's RR again", self.role)
        self._ecg_flowing = False
        self._info["beats_from"] = "strap"
        self._strap_gap = True
        self._status(t_ns, self._state)
        return False

    def _publish_strap_beats(
        self,
        placed: PlacedBeats,
        rr_ms: tuple[float, ...],
        ticks: list[int],
        hrm: HeartRateMeasurement,
    ) -> None:
        keep = self._unpublished(placed.t_ns)
        if len(keep) < len(placed.t_ns):
            log.debug(
                "%s: %d strap beats overlap beats already published",
                self.role,
                len(placed.t_ns) - len(keep),
            )
        if not keep:
            return
        gap_before = placed.gap_before or self._strap_gap or len(keep) < len(placed.t_ns)
        self._strap_gap = False
        self._send_beats(
            {
                "t_ns": [placed.t_ns[i] for i in keep],
                "rr_ms": [rr_ms[i] for i in keep],
                "rr_ticks": [ticks[i] for i in keep],
                "gap_before": gap_before,
                "hr_bpm": hrm.hr_bpm,
                "contact": hrm.contact,
                "source": "strap",
            }
        )

    def _unpublished(self, t_ns: Sequence[int]) -> list[int]:
        """Return the indices of the beat times after the last beat already published."""
        return [i for i, t in enumerate(t_ns) if t > self._last_beat_ns]

    def _send_beats(self, beats: dict[str, Any]) -> None:
        """Publish one `beat.<role>` message, stamped with its last beat's time."""
        self._last_beat_ns = beats["t_ns"][-1]
        self._sender.send(self._t_beat, beats, beats["t_ns"][-1])

    def _handle_ecg(self, event: SourceEvent) -> None:
        from coregulate.acquisition.pmd import PmdError, decode_ecg_frame

        assert event.data is not None
        if event.data[:1] == b"\x02":  # PMD measurement type 2: ACC, on the same characteristic
            self._handle_acc(event.t_ns, event.data)
            return
        self._sender.send(self._t_ecg, event.data, event.t_ns, enc="bytes")
        try:
            frame = decode_ecg_frame(event.data)
        except PmdError as exc:
            self._flag(event.t_ns, "bad ECG frame", str(exc))
            return
        if self._ecg_beats is None:
            from coregulate.acquisition.ecg_beats import EcgBeatDetector

            self._ecg_beats = EcgBeatDetector()
        self._last_ecg_ns = event.t_ns
        for beats in self._ecg_beats.add_frame(event.t_ns, frame):
            self._publish_ecg_beats(event.t_ns, beats)
        if self._breathing is None:  # no ACC (yet): breathing from the ECG
            if self._ecg_breathing is None:
                from coregulate.signal.edr_live import EcgBreathingTracker

                self._ecg_breathing = EcgBreathingTracker()
            for update in self._ecg_breathing.add(event.t_ns, frame.timestamp_ns, frame.samples_uv):
                self._sender.send(self._t_breath, update, update["t_ns"])

    def _handle_acc(self, t_ns: int, data: bytes) -> None:
        """Record an accelerometer frame raw, then publish the breathing updates it completes."""
        from coregulate.acquisition.pmd import PmdError
        from coregulate.acquisition.pmd_acc import acc_frame_array

        self._sender.send(self._t_acc, data, t_ns, enc="bytes")
        try:
            stamp_ns, mg = acc_frame_array(data)
        except PmdError as exc:
            self._flag(t_ns, "bad ACC frame", str(exc))
            return
        if self._breathing is None:
            from coregulate.signal.breathing_live import BreathingTracker

            self._breathing = BreathingTracker()
            self._ecg_breathing = None  # the accelerometer takes over for good
        for update in self._breathing.add(t_ns, stamp_ns, mg):
            self._sender.send(self._t_breath, update, update["t_ns"])

    def _publish_ecg_beats(self, t_ns: int, beats: dict[str, Any]) -> None:
        if not self._ecg_flowing:
            # Switch to the ECG's beats. Those the strap's RR already covered are not
            # published twice; the switch is a new segment for successive differences.
            keep = self._unpublished(beats["t_ns"])
            if not keep:
                return
            beats = {
                **beats,
                "t_ns": [beats["t_ns"][i] for i in keep],
                "rr_ms": [beats["rr_ms"][i] for i in keep],
                "gap_before": True,
            }
            self._ecg_flowing = True
            self._info["beats_from"] = "ecg"
            log.info("%s strap: beats now come from the ECG's R peaks", self.role)
            self._status(t_ns, self._state)
        self._send_beats(beats)

    # -- status --------------------------------------------------------------------------

    def _flag(self, t_ns: int, kind: str, error: str) -> None:
        self.bad_payloads[kind] += 1
        if self.bad_payloads[kind] == 1:
            log.warning(
                "%s strap sent bad input (%s): %s; counting further ones silently in the log "
                "but flagging each on the bus",
                self.role,
                kind,
                error,
            )
        self._flagged = True
        self._sender.send(
            self._t_status,
            {
                "status": STATUS_BAD_PAYLOAD,
                "kind": kind,
                "error": error,
                "count": sum(self.bad_payloads.values()),
                "counts": dict(self.bad_payloads),
                "notifications_per_min": self._rate(t_ns),
            },
            t_ns,
        )

    def _rate(self, t_ns: int) -> int:
        while self._arrivals and self._arrivals[0] <= t_ns - _RATE_WINDOW_NS:
            self._arrivals.popleft()
        return len(self._arrivals)

    def _status(self, t_ns: int, status: str, **detail: object) -> None:
        self._flagged = False
        payload = {
            "status": status,
            **self._info,
            **detail,
            "notifications_per_min": self._rate(t_ns),
        }
        self._sender.send(self._t_status, payload, t_ns)
