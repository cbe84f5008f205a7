"""`coregulate rate FILE`: hand the due rating forms to the client during a running session."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import (
    add_command,
    add_file_argument,
    add_path_option,
    display_ok,
    positive,
)

ORDER = 35
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `rate` parser."""
    parser = add_command(
        sub,
        "rate",
        run,
        help="open the due SRS/ORS/WAI-SR forms for a running session",
        description="Open the rating forms due now (ORS at the start; SRS, and the WAI-SR "
        "every Nth session, at the end) for the running session recorded in FILE, e.g. on a "
        "tablet or a second screen. The client sees no numbers; the scores go to the "
        "session's hub and are recorded with the session.",
    )
    add_file_argument(parser, "the running session's file")
    parser.add_argument("--phase", choices=("start", "end"), default="end")
    parser.add_argument(
        "--session-number",
        type=positive(int),
        default=None,
        metavar="N",
        help="the client's N-th session (default: the client's sessions in FILE's folder)",
    )
    parser.add_argument(
        "--wai-every",
        type=int,
        default=None,
        metavar="N",
        help="give the WAI-SR every N-th session (default 4; 0: never)",
    )
    add_path_option(parser, "--wording", "the clinic's licensed item wording", metavar="TOML")
    parser.add_argument(
        "--person",
        default=None,
        metavar="KEY",
        help="whose forms these are in a session of several clients (e.g. partner; "
        "default: the client)",
    )


def run(args: argparse.Namespace) -> int:
    """Run `coregulate rate`; return the exit code."""
    from coregulate.alliance.attach import AttachError, connect, running_session
    from coregulate.alliance.schedule import WAI_SR_EVERY_N_SESSIONS, forms_due, session_number
    from coregulate.alliance.wording import WordingError, load_wording
    from coregulate.sessionfile.access import SessionFileError

    if not display_ok("rate"):  # before attaching: nobody could fill in the forms
        return ex.NO_DISPLAY
    wai_every = WAI_SR_EVERY_N_SESSIONS if args.wai_every is None else args.wai_every
    if wai_every < 0:
        log.error("--wai-every must be 0 (never) or more, got %d", wai_every)
        return ex.USAGE
    try:
        wording = load_wording(args.wording) if args.wording else {}
    except WordingError as exc:
        log.error("%s", exc)
        return ex.BAD_INPUT
    try:
        session = running_session(args.file)
        if args.person is not None and args.person not in session.people:
            log.error("--person %s is not one of the session's people (%s)", args.person,
                      ", ".join(session.people))  # fmt: skip
            return ex.USAGE
        number = args.session_number or session_number(session.path, session.client_id) or 1
        producer = connect(session)
    except AttachError as exc:
        log.error("%s", exc)
        # An unusable file is BAD_INPUT; a session that is not running, FAILED.
        return ex.BAD_INPUT if isinstance(exc.__cause__, SessionFileError) else ex.FAILED
    from PySide6 import QtWidgets

    from coregulate.ui.rating_entry import RatingDialog, RatingSender
    from coregulate.ui.rating_forms import result_text

    QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    forms = forms_due(args.phase, number, wai_every)
    sender = RatingSender(_for_person(producer, args.person), session.clock.now_ns)
    dialog = RatingDialog(forms, sender, args.phase, number, wording)
    sent: list[dict] = []
    dialog.rated.connect(sent.append)
    dialog.exec()  # returns when the last form is done or the dialog is closed
    ok = producer.flush(timeout_s=10)
    producer.close()
    for payload in sent:
        from coregulate.alliance.rating import read_rating

        # For the therapist's terminal, after the client has finished.
        print(result_text(read_rating(payload, payload["t_ns"]).score))  # noqa: T201
    if not ok:
        log.error("the hub did not confirm every rating; check that the session is still running")
        return ex.FAILED
    if len(sent) < len(forms):
        log.warning("%d of %d forms completed", len(sent), len(forms))
    return ex.OK


class _PersonProducer:
    """A producer whose `rating` payloads name the person whose forms they are."""

    def __init__(self, producer: Any, person: str) -> None:
        self._producer = producer
        self._person = person

    def send(self, topic: str, payload: dict[str, Any], t_ns: int) -> None:
        self._producer.send(topic, {"person": self._person, **payload}, t_ns)

    def pump(self) -> None:
        self._producer.pump()


def _for_person(producer: Any, person: str | None) -> Any:
    """Return `producer`, or for `--person` one that names the person in every rating."""
    return producer if person is None else _PersonProducer(producer, person)
