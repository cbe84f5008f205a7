"""Rating entry in a session: which forms are due, and sending the scored forms to the hub.

ORS at the start of every session, SRS at the end, and the WAI-SR at the end of
every N-th session (N configurable, default 4: an early alliance reading at session
4 and then every four sessions; 0 turns it off). A submitted form goes onto the bus
as a `rating` message (docs/protocol.md), which the hub records like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from coregulate.alliance import Instrument, Score
from coregulate.alliance.instruments import ORS, SRS, WAI_SR
from coregulate.alliance.rating import RATING_TOPIC, rating_payload
from coregulate.alliance.wording import Wording
from coregulate.bus.producer import BusProducer
from coregulate.ui.rating_forms import RatingForm

log = logging.getLogger(__name__)

WAI_SR_EVERY_N_SESSIONS = 4


def forms_due(
    phase: str, session_number: int, wai_every: int = WAI_SR_EVERY_N_SESSIONS
) -> list[Instrument]:
    """Return the instruments to give at `phase` ("start" or "end") of session `session_number`.

    Session numbers count from 1 per client.
    """
    if phase == "start":
        return [ORS]
    if phase == "end":
        due = [SRS]
        if wai_every > 0 and session_number % wai_every == 0:
            due.append(WAI_SR)
        return due
    return []


class RatingSender:
    """Puts scored forms on the bus as `rating` messages (src "rating").

    `now_ns` gives the session-clock time of a submission.
    """

    def __init__(self, producer: BusProducer, now_ns: Callable[[], int]) -> None:
        self._producer = producer
        self._now_ns = now_ns

    def send(
        self, result: Score, rater: str, phase: str, session_number: int | None = None
    ) -> dict:
        """Send one rating; return the payload sent."""
        t_ns = self._now_ns()
        payload = rating_payload(result, rater, phase, t_ns, session_number)
        self._producer.send(RATING_TOPIC, payload, t_ns)
        self._producer.pump()
        log.info("rating sent: %s total %s", result.instrument, result.total)
        return payload


class RatingDialog(QtWidgets.QDialog):
    """The forms due at one phase, one after another; emits `rated(payload)` for each.

    Meant to be handed to the client (a tablet, or the therapist's screen turned
    round). It closes itself after the last form, showing no score.
    """

    rated = QtCore.Signal(dict)

    def __init__(
        self,
        forms: list[Instrument],
        sender: RatingSender | None,
        phase: str,
        session_number: int | None = None,
        wording: dict[str, Wording] | None = None,
        rater: str = "client",
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your rating")
        self.resize(720, 560)
        self._sender, self._phase, self._number, self._rater = sender, phase, session_number, rater
        self._stack = QtWidgets.QStackedWidget()
        self.forms = [RatingForm(inst, (wording or {}).get(inst.name)) for inst in forms]
        for form in self.forms:
            form.submitted.connect(self._on_submitted)
            self._stack.addWidget(form)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self._stack)

    def _on_submitted(self, result: Score) -> None:
        if self._sender is not None:
            payload = self._sender.send(result, self._rater, self._phase, self._number)
        else:
            payload = rating_payload(result, self._rater, self._phase, 0, self._number)
        self.rated.emit(payload)
        nxt = self._stack.currentIndex() + 1
        if nxt < self._stack.count():
            self._stack.setCurrentIndex(nxt)
        else:
            self.accept()
