"""The end-of-session ratings panel: hand the SRS (and the WAI-SR when due) to the client.

The live window's end-of-session dialog accepts panels through its extension point
(`register_end_of_session_panel`); `ratings_panel` is that panel. It reads what it
needs from the dialog's `EndOfSession` (the hub's input endpoint while the session
still runs, the session time at the end, the client id and the session file). The
ratings are stamped at the session's end time and sent to the hub like every rating.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6 import QtWidgets

from coregulate.alliance.attach import RATING_SOURCE
from coregulate.alliance.schedule import WAI_SR_EVERY_N_SESSIONS, forms_due, session_number
from coregulate.bus.producer import BusProducer, sender_source
from coregulate.palette import person_name
from coregulate.ui.rating_entry import RatingDialog, RatingSender
from coregulate.ui.rating_forms import result_text

log = logging.getLogger(__name__)


class RatingsPanel(QtWidgets.QWidget):
    """A button that hands the due end-of-session forms to the client, and what was sent."""

    def __init__(self, end: Any, wai_every: int = WAI_SR_EVERY_N_SESSIONS) -> None:
        super().__init__()
        self._end = end
        self.number = session_number(end.session_file, end.client_id)
        self.forms = forms_due("end", self.number or 1, wai_every if self.number else 0)
        names = " and ".join(f.name for f in self.forms)
        layout = QtWidgets.QVBoxLayout(self)
        # Several clients (a couple, a family): each is handed their own forms.
        clients = tuple(getattr(end, "clients", ()))
        whose: tuple[str | None, ...] = clients if len(clients) > 1 else (None,)
        self.buttons: dict[str | None, QtWidgets.QPushButton] = {}
        for person in whose:
            to = "the client" if person is None else person_name(person)
            button = QtWidgets.QPushButton(f"Hand the {names} to {to}")
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _=False, p=person: self.open_forms(p))
            layout.addWidget(button)
            self.buttons[person] = button
        self.button = next(iter(self.buttons.values()))
        self.result = QtWidgets.QLabel("")
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        self.producer: BusProducer | None = None  # the newest dialog's
        self._open: list[BusProducer] = []  # producers whose dialog has not finished
        self.dialog: RatingDialog | None = None

    def open_forms(self, person: str | None = None) -> RatingDialog:
        """Open the forms for the client (or `person`, one of several), non-modal so tests
        and a tablet can drive them; return the dialog."""
        producer = BusProducer(self._end.input_endpoint, sender_source(RATING_SOURCE))
        self.producer = producer
        self._open.append(producer)
        sender = RatingSender(producer, lambda: int(self._end.t_ns))
        self.dialog = RatingDialog(self.forms, sender, "end", self.number, person=person)
        self.dialog.rated.connect(self._show)
        self.dialog.finished.connect(lambda *_: self._flush(producer))
        self.buttons[person].setEnabled(False)
        self.dialog.show()
        return self.dialog

    def _show(self, payload: dict) -> None:
        from coregulate.alliance.rating import read_rating

        # For the therapist, after the client has handed the screen back.
        line = result_text(read_rating(payload, payload["t_ns"]).score)
        self.result.setText("\n".join(filter(None, [self.result.text(), line])))

    def _flush(self, producer: BusProducer) -> None:
        if producer not in self._open:
            return  # already flushed and closed (a dialog may finish twice)
        self._open.remove(producer)
        if not producer.flush(timeout_s=5):
            log.error("the hub did not confirm the ratings; they may not be recorded")
            self.result.setText(self.result.text() + "\nNOT confirmed by the recording")
        producer.close()
        if self.producer is producer:
            self.producer = None


def ratings_panel(end: Any) -> QtWidgets.QWidget | None:
    """Return the ratings panel for an end-of-session dialog (None without a running hub)."""
    if not getattr(end, "input_endpoint", None):
        return None  # a viewer without the session's hub cannot record ratings
    return RatingsPanel(end)
