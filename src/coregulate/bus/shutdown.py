"""How a session's processes are told to stop, so that the main process orders it.

A signal to the process group reaches every process at once: Ctrl-C is SIGINT to
all of them, and `timeout`, systemd and logout send SIGTERM to all of them. Nothing
is lost only if the producers flush before the hub commits and closes, so the main
process starts its children ignoring both (`children_ignore_group_signals`) and then
tells each in turn with `STOP_SIGNAL`. A child orphaned by its main process stops on
SIGTERM after all, and a process started on its own (a test, a tool) stops on
SIGTERM as it always did.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from typing import Final

# What the main process sends a child to stop it (flush, commit, exit).
STOP_SIGNAL: Final = signal.SIGUSR1
# A producer process's exit code when the hub did not confirm all it sent.
EXIT_UNCONFIRMED: Final = 75
_GROUP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)


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
    process orders the shutdown) and that parent is still alive.
    """

    signals: Final = (STOP_SIGNAL, signal.SIGTERM)

    def __init__(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self._managed = signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
        self._parent = os.getppid()

    def means_stop(self, signum: int) -> bool:
        """Return True if receiving `signum` now should stop this process."""
        if signum == signal.SIGTERM and self._managed:
            return os.getppid() != self._parent  # orphaned: nobody else will stop us
        return True

    def install(self, stop: Callable[[], None]) -> None:
        """Call `stop` (from a signal handler) whenever a signal means stop."""

        def _handle(signum: int, frame: object) -> None:
            if self.means_stop(signum):
                stop()

        for sig in self.signals:
            signal.signal(sig, _handle)
