"""How a session's processes are told to stop, so that the main process orders it.

A signal to the process group reaches every process at once: Ctrl-C is SIGINT to
all of them, and `timeout`, systemd and logout send SIGTERM to all of them. Nothing
is lost only if the producers flush before the hub commits and closes, so the main
process starts its children ignoring both (`children_ignore_group_signals`) and then
tells each in turn with `STOP_SIGNAL`. A child orphaned by its main process stops on
SIGTERM after all, and a process started on its own (a test, a tool) stops on
SIGTERM as it always did.

A child also dies with its main process: a killed main process (kill -9, a crash)
must never leave the hub and the stages running with the session file open. On
Linux the kernel sends the child `PARENT_DIED_SIGNAL` when its parent dies
(``prctl(PR_SET_PDEATHSIG)``); elsewhere a watchdog thread polls the parent's pid.
The child then stops as if told to, so the file is committed and closed.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

log = logging.getLogger(__name__)

# What the main process sends a child to stop it (flush, commit, exit).
STOP_SIGNAL: Final = signal.SIGUSR1
# What a session's child receives when its main process dies (then it stops too).
# Its own signal: when the kernel sends it, the dying parent may still be the
# child's parent for a moment (another of its threads), so getppid() cannot tell.
PARENT_DIED_SIGNAL: Final = signal.SIGUSR2
# A producer process's exit code when the hub did not confirm all it sent.
EXIT_UNCONFIRMED: Final = 75
_GROUP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG: Final = 1  # linux/prctl.h
WATCHDOG_INTERVAL_S: Final = 0.5  # how often the watchdog looks for the parent


def die_with_parent(parent_pid: int, signum: int = PARENT_DIED_SIGNAL) -> str:
    """Arrange for `signum` to reach this process when `parent_pid` dies; return how.

    "prctl" on Linux (the kernel signals at once), else "watchdog" (a daemon thread
    that polls every `WATCHDOG_INTERVAL_S`). The kernel's parent-death signal fires
    when the parent *thread* that started this process ends: a session starts and
    restarts its children from its main thread only.
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0:
                if os.getppid() != parent_pid:  # it died before we asked
                    os.kill(os.getpid(), signum)
                return "prctl"
        except (OSError, AttributeError) as exc:  # no libc prctl: fall back
            log.debug("prctl(PR_SET_PDEATHSIG) unavailable (%s); using a watchdog", exc)
    watchdog = threading.Thread(
        target=_watch_parent, args=(parent_pid, signum), name="parent-watchdog", daemon=True
    )
    watchdog.start()
    return "watchdog"


def _watch_parent(parent_pid: int, signum: int) -> None:
    # Reparented (to init or a subreaper) means the parent is gone.
    while os.getppid() == parent_pid:
        time.sleep(WATCHDOG_INTERVAL_S)
    os.kill(os.getpid(), signum)


def spawning_parent_pid() -> int:
    """Return the pid of the process that started this one (multiprocessing's, if spawned)."""
    parent = multiprocessing.parent_process()
    return parent.pid if parent is not None and parent.pid is not None else os.getppid()


@contextlib.contextmanager
def children_ignore_group_signals() -> Iterator[None]:
    """Yield while SIGINT and SIGTERM are ignored, so processes started now inherit that.

    Only an ignored disposition survives the ``exec`` of a spawned child: a child
    is then safe from a group signal from its first instruction.
    """
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in _GROUP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class StopSignals:
    """Which signals stop this process; create it first thing in a child's entry point.

    SIGINT is ignored from now on. `STOP_SIGNAL` always means stop. SIGTERM means
    stop unless this process was born ignoring it (a session's child, whose main
    process orders the shutdown) and that parent is still alive. A session's child
    gets `PARENT_DIED_SIGNAL` when its parent dies (`die_with_parent`): stop.
    """

    signals: Final = (STOP_SIGNAL, signal.SIGTERM, PARENT_DIED_SIGNAL)

    def __init__(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self._managed = signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        self._parent = spawning_parent_pid()
        self._parent_died = False
        if self._managed:
            die_with_parent(self._parent)

    def orphaned(self) -> bool:
        """Return True if this is a session's child whose main process has died.

        Nobody orders its shutdown then: the processes stop all at once, so a hub
        lingers until its producers have flushed (`Hub.run`).
        """
        return self._managed and (self._parent_died or os.getppid() != self._parent)

    def means_stop(self, signum: int) -> bool:
        """Return True if receiving `signum` now should stop this process."""
        if signum == PARENT_DIED_SIGNAL:
            self._parent_died = True
            return True
        if signum == signal.SIGTERM and self._managed:
            return self.orphaned()  # nobody else will stop us
        return True

    def install(self, stop: Callable[[], None]) -> None:
        """Call `stop` (from a signal handler) whenever a signal means stop."""

        def _handle(signum: int, frame: object) -> None:
            if self.means_stop(signum):
                stop()

        for sig in self.signals:
            signal.signal(sig, _handle)


class StopRequested:
    """Turns SIGINT and SIGTERM into a flag, so a session ends in order."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequested:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        if self.requested:
            log.warning("already stopping; please wait while the file is committed")
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
