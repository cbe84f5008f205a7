"""Rating entry in a session: the due forms one after another, each sent to the hub.

Which forms are due is `coregulate.alliance.schedule`'s to say. A submitted form
goes onto the bus as a `rating` message (docs/protocol.md), which the hub records
like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from coregulate.alliance import Instrument, Score
from coregulate.alliance.rating import RATING_TOPIC, rating_payload
from coregulate.alliance.wording import Wording
from coregulate.bus.producer import BusProducer
from coregulate.palette import person_name
from coregulate.ui.rating_forms import RatingForm

log = logging.getLogger(__name__)


class RatingSender:
    """Puts scored forms on the bus as `rating` messages under the producer's source.

    `now_ns` gives the session-clock time of a submission.
    """

    def __init__(self, producer: BusProducer, now_ns: Callable[[], int]) -> None:
        self._producer = producer
        self._now_ns = now_ns

    def send(
        self,
        result: Score,
        rater: str,
        phase: str,
        session_number: int | None = None,
        person: str | None = None,
    ) -> dict:
        """Send one rating (whose form: `person`, the dyad's client if None); return it."""
        t_ns = self._now_ns()
        payload = rating_payload(result, rater, phase, t_ns, session_number, person)
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
        person: str | None = None,
    ) -> None:
        super().__init__(parent)
        # Whose form (a session of several clients); the dyad's client when None.
        self._person = person
        self.setWindowTitle("Your rating" + (f" ({person_name(person)})" if person else ""))
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
            payload = self._sender.send(
                result, self._rater, self._phase, self._number, self._person
            )
        else:
            payload = rating_payload(
                result, self._rater, self._phase, 0, self._number, self._person
            )
        self.rated.emit(payload)
        nxt = self._stack.currentIndex() + 1
        if nxt < self._stack.count():
            self._stack.setCurrentIndex(nxt)
        else:
            self.accept()
