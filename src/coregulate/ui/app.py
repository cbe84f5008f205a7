"""The window session: the start dialog, the live window over a running session, the end.

The session's processes are started by `coregulate.session`, which the window
never imports (it would pull in the acquisition room): the command hands
`run_window_session` a function that opens a session, and the window drives it
through the few calls of `RunningSession`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Protocol

from PySide6 import QtCore, QtWidgets

from coregulate.clock import SessionClock

SUPERVISE_EVERY_MS = 200  # how often the session's processes are checked (and Ctrl-C seen)


class RunningSession(Protocol):
    """What the window needs of a session (`coregulate.session.Session`)."""

    def start(self) -> SessionClock:
        """Start the session's processes; return its clock."""
        ...

    def supervise(self) -> None:
        """Restart a process that died; raise if the session cannot go on."""
        ...

    def finished(self) -> bool:
        """Return True once the straps have ended or the session's time is up."""
        ...


class StopFlag(Protocol):
    """A flag set by SIGINT/SIGTERM (`coregulate.session.StopRequested`)."""

    requested: bool


def run_window_session(
    options: Any,
    stop: StopFlag,
    open_session: Callable[[Any], AbstractContextManager[RunningSession]],
    ask: bool = False,
    marker_kinds: tuple[Any, ...] | None = None,
) -> bool:
    """Run a session with the live window; return False if the start dialog was cancelled.

    `options` is the session's `SessionOptions`; `open_session(options)` returns the
    session as a context manager. With `ask`, the start dialog chooses the client id
    and the baseline first; `marker_kinds` are the window's (`--marker-kinds`). The
    window's "End session" or closing it ends the session once the user confirms (the
    window asks); the end-of-session dialog
    (where the file is, ratings panels) is shown while the hub still runs. An error
    that ends the session is raised once the window has closed.
    """
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    if ask:
        options = _ask_start(options, stop)
        if options is None:
            return False
    with open_session(options) as session:
        clock = session.start()
        window = _live_window(options, clock, marker_kinds)
        failure = _run_until_closed(app, window, session, stop)
        if failure is not None:
            raise failure
        if not stop.requested:
            _end_of_session(options, clock, stop)
    return True


def exec_until_stopped(dialog: QtWidgets.QDialog, stop: StopFlag) -> int:
    """Return `dialog.exec()`'s result; a SIGINT/SIGTERM meanwhile rejects the dialog.

    Python runs its signal handlers only between bytecodes, and a dialog's own event
    loop runs none while it waits: without this timer, Ctrl-C and a SIGTERM (from
    `timeout`, systemd, logout) were ignored until someone clicked.
    """
    if stop.requested:
        return int(QtWidgets.QDialog.DialogCode.Rejected)

    def check() -> None:
        if stop.requested:
            dialog.reject()

    ticker = QtCore.QTimer(dialog)
    ticker.timeout.connect(check)
    ticker.start(SUPERVISE_EVERY_MS)
    try:
        return int(dialog.exec())
    finally:
        ticker.stop()


def _ask_start(options: Any, stop: StopFlag) -> Any | None:
    """Return `options` with the start dialog's client id and baseline, None if cancelled."""
    from coregulate.clients import remember_client
    from coregulate.ui.start_dialog import StartDialog

    dialog = StartDialog()
    if exec_until_stopped(dialog, stop) != QtWidgets.QDialog.DialogCode.Accepted:
        return None
    choices = dialog.choices()
    remember_client(choices.client_id)
    return replace(options, client_id=choices.client_id, baseline=choices.baseline)


def _live_window(
    options: Any, clock: SessionClock, marker_kinds: tuple[Any, ...] | None = None
) -> QtWidgets.QWidget:
    """Return the shown live window of the session, which may end it."""
    from coregulate.ui.live_window import LiveWindow

    ep = options.endpoints
    window = LiveWindow(
        ep.output,
        ep.input,
        options.out,
        clock.to_dict(),
        title=f"coregulate — session with {options.client_id}",
        can_end=True,
        marker_kinds=marker_kinds,
    )
    window.show()
    return window


def _run_until_closed(
    app: QtWidgets.QApplication,
    window: Any,
    session: RunningSession,
    stop: StopFlag,
) -> Exception | None:
    """Run Qt's loop until the window closes; return the error that ended the session, if any."""
    failure: list[Exception] = []

    def check() -> None:
        try:
            session.supervise()
        except Exception as exc:  # e.g. disk full: end the session, say why after
            failure.append(exc)
            window.end_without_asking()
            return
        if stop.requested:
            window.end_without_asking()
        elif session.finished():
            window.setWindowTitle("coregulate — session ended (End session to finish)")

    # Python runs signal handlers only between bytecodes; this timer gives it
    # the chance while Qt's loop is waiting, so Ctrl-C ends the session.
    ticker = QtCore.QTimer()
    ticker.timeout.connect(check)
    ticker.start(SUPERVISE_EVERY_MS)
    app.exec()
    ticker.stop()
    return failure[0] if failure else None


def _end_of_session(options: Any, clock: SessionClock, stop: StopFlag) -> None:
    """Show the end-of-session dialog (the SRS, and the WAI-SR when due) while the hub records."""
    from coregulate.ui.end_of_session import (
        EndOfSession,
        EndOfSessionDialog,
        end_of_session_panels,
        register_end_of_session_panel,
    )
    from coregulate.ui.rating_panel import ratings_panel

    if ratings_panel not in end_of_session_panels():
        register_end_of_session_panel(ratings_panel)
    people = options.session_people() if hasattr(options, "session_people") else ()
    clients = tuple(p.key for p in people if not p.is_therapist)
    end = EndOfSession(
        options.out,
        options.client_id,
        options.endpoints.input,
        clock.now_ns(),
        clients if len(clients) > 1 else (),
    )
    exec_until_stopped(EndOfSessionDialog(end), stop)
