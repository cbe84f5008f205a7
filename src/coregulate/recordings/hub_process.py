"""The hub process: its entry point, and how it ends when its session's main process died."""

from __future__ import annotations

import logging
import sys
import threading
import time
from typing import Any

from coregulate.bus.shutdown import StopSignals
from coregulate.recordings.hub import EXIT_WRITE_FAILED, Hub, HubConfig
from coregulate.security.access import BindRefused

log = logging.getLogger(__name__)


# An orphaned hub (its session's main process died) records until every producer
# has disconnected (each flushed and exited) and the input has then been quiet for
# LINGER_QUIET_S, at most LINGER_MAX_S (a window's marker producer may stay).
LINGER_QUIET_S = 0.5
LINGER_MAX_S = 20.0


def linger_until_quiet(hub: Hub) -> None:
    """Keep `hub` recording until its producers are gone: they flush after all stopped at once.

    The stages' last replays are answered too: they take what they missed before
    they flush their own last outputs.
    """
    log.warning("the session's main process is gone; recording until its producers flush")
    end_s = time.monotonic() + LINGER_MAX_S
    quiet_since = time.monotonic()
    connected = hub.input.peers()
    while time.monotonic() < end_s:
        seen = hub.received + hub.duplicates
        hub.step(max_wait_s=0.05)
        if hub.received + hub.duplicates != seen:
            quiet_since = time.monotonic()
        connected = hub.input.peers()
        if connected <= 0 and time.monotonic() - quiet_since >= LINGER_QUIET_S:
            return
    log.warning("%d producers still connected after %g s; closing", connected, LINGER_MAX_S)


def main(config: HubConfig, ready: Any = None, log_level: int = logging.INFO) -> None:
    """Run a hub until told to stop (entry point of the hub process).

    Started on its own it stops on SIGTERM; as a session's child, when the session
    says so (`coregulate.bus.shutdown`), or when the session's main process dies:
    then it records until the other processes have flushed (`linger_until_quiet`).
    """
    logging.basicConfig(level=log_level, format="%(asctime)s hub %(levelname)s %(message)s")
    stop = threading.Event()

    # A group signal (Ctrl-C, `timeout`, systemd) reaches every process at once; the
    # parent decides the order of shutdown (producers flush first, the hub commits
    # last), so the hub waits until the parent tells it to stop.
    signals = StopSignals()
    signals.install(stop.set)
    try:
        hub = Hub(config)
    except BindRefused as exc:
        log.critical("%s", exc)
        sys.exit(2)
    if ready is not None:
        ready.set()

    def linger(hub: Hub) -> None:
        if signals.orphaned():  # every process was stopped at once
            linger_until_quiet(hub)

    hub.run(stop, linger=linger)
    if hub.failure is not None:
        sys.exit(EXIT_WRITE_FAILED)
