"""`coregulate rate FILE --person KEY`: each client of a couple fills in their own forms."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from coregulate.alliance.rating import read_rating
from coregulate.bus.producer import BusProducer
from coregulate.cli import main
from coregulate.clock import SessionClock
from coregulate.commands._exit_codes import USAGE
from coregulate.sessionfile.access import read_messages
from coregulate.signal.people import demo_people, people_meta
from coregulate.ui.rating_entry import RatingDialog


def _start_couple_session(hub_thread) -> None:
    hub_thread.start()
    clock = SessionClock.start()
    producer = BusProducer(hub_thread.endpoints.input, "session")
    info = {
        "clock": clock.to_dict(),
        "endpoints": [hub_thread.endpoints.input, hub_thread.endpoints.output],
        "client_id": "c-9",
        **people_meta(demo_people(3)),
    }
    producer.send("session", info, 0)
    assert producer.flush(timeout_s=10)
    producer.close()


def test_rate_names_the_person_whose_forms_they_are(qtbot, hub_thread, caplog) -> None:
    _start_couple_session(hub_thread)
    assert main(["rate", str(hub_thread.path), "--person", "sister"]) == USAGE
    assert "client, partner, therapist" in caplog.text

    def fill_in_ors() -> None:
        dialog = next(
            w
            for w in QtWidgets.QApplication.topLevelWidgets()
            if isinstance(w, RatingDialog) and w.isVisible()
        )
        (ors,) = dialog.forms
        for line in ors.lines:
            line.set_value(6.0)
        qtbot.mouseClick(ors.done_button, QtCore.Qt.LeftButton)

    QtCore.QTimer.singleShot(300, fill_in_ors)
    argv = ["rate", str(hub_thread.path), "--phase", "start", "--person", "partner"]
    assert main(argv) == 0
    hub_thread.stop()
    (rating,) = read_messages(hub_thread.path, ("rating",))
    assert rating.json()["person"] == "partner" and rating.json()["total"] == 24
    assert read_rating(rating.json(), rating.t_ns).person == "partner"
    # The refused --person never told the hub a form was open.
    status = [m.json() for m in read_messages(hub_thread.path, ("status.rating",))]
    assert status == [{"status": "form open"}]
