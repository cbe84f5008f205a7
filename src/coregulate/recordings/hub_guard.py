"""Bounds the memory a peer can make the hub hold with one endless multipart message.

ZeroMQ caps each *frame* (``MAXMSGSIZE``), but it assembles a multipart message
whole before the application sees any of it, and neither that cap nor the
high-water mark counts the frames of a message not yet complete: a local program
that sends frame after frame with the "more" flag and never a last one makes the
hub's I/O thread hold all of it (2.1 GB in issue 15). Nothing in libzmq 4.3 bounds
that (``ROUTER_NOTIFY`` and per-message limits are not in its stable API), so the
hub watches its own resident memory: when it has grown more than
`MAX_INPUT_BACKLOG_BYTES` above what it held when it started, the hub closes its
input socket (which frees every half-received message) and binds it again. The
session's producers reconnect by themselves with the same routing id and resend
what was not acknowledged, so nothing is lost; the event is counted as a rejection
of kind ``memory``.

Linux reads the resident size from ``/proc/self/statm``; elsewhere the guard is
off (the owner-only bus keeps other accounts out there too: docs/security.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

import zmq

from coregulate.bus.envelope import MAX_PAYLOAD_BYTES

MAX_INPUT_BACKLOG_BYTES: Final = 512 * 2**20  # far above a session's needs (~100 MB)
# The transport's hard cap per frame, above the envelope's own limits (a 1 MiB
# payload): frames between the two are received, rejected and counted; larger ones
# make ZeroMQ drop the sender's connection before buffering them.
WIRE_FRAME_BYTES: Final = 4 * MAX_PAYLOAD_BYTES
CHECK_INTERVAL_S: Final = 0.05  # a /proc read costs ~10 us; loopback moves ~1 GB/s
_STATM = Path("/proc/self/statm")
Prepare = Callable[[zmq.Socket], None]  # set up a new input socket before its bind
log = logging.getLogger(__name__)


def resident_bytes() -> int | None:
    """Return this process's resident memory in bytes, or None where it cannot be read."""
    try:
        pages = int(_STATM.read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _release_freed_memory() -> None:
    """Return freed heap memory to the system (glibc), so the next reading is honest."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        name = ctypes.util.find_library("c")
        if name:
            ctypes.CDLL(name).malloc_trim(0)


class InputGuard:
    """Says when the hub's input holds too much; see the module docstring.

    Parameters
    ----------
    limit_bytes
        Growth of resident memory above the baseline that triggers a reset.
    """

    def __init__(self, limit_bytes: int = MAX_INPUT_BACKLOG_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.baseline = resident_bytes()
        self._next_check_s = time.monotonic() + CHECK_INTERVAL_S
        self.resets = 0

    @property
    def active(self) -> bool:
        """Return True where the resident size can be read (the guard works)."""
        return self.baseline is not None

    def over_limit(self) -> bool:
        """Return True (read at most every CHECK_INTERVAL_S) if the input must be reset now."""
        if self.baseline is None or time.monotonic() < self._next_check_s:
            return False
        self._next_check_s = time.monotonic() + CHECK_INTERVAL_S
        now = resident_bytes()
        return now is not None and now - self.baseline > self.limit_bytes

    def reset(
        self, sock: zmq.Socket, ctx: zmq.Context, endpoint: str, prepare: Prepare | None = None
    ) -> zmq.Socket:
        """Return the input bound afresh (`reset_input`) and take the baseline again."""
        log.error(
            "the hub holds %d MiB more than at its start (a message whose frames never end?): "
            "its input was reset; the session's producers reconnect and resend",
            ((resident_bytes() or 0) - (self.baseline or 0)) // 2**20,
        )
        new = reset_input(sock, ctx, endpoint, prepare)
        self.resets += 1
        time.sleep(0.05)  # the I/O thread frees the closed socket's pipes
        _release_freed_memory()
        now = resident_bytes()
        if now is not None and self.baseline is not None:
            # If memory did not come back, do not reset again at once: producers need
            # a moment to reconnect; a further attack is bounded by the next reset.
            self.baseline = max(self.baseline, now)
        return new


def bind_input(ctx: zmq.Context, endpoint: str, prepare: Prepare | None = None) -> zmq.Socket:
    """Return the hub's input: a ROUTER bound to `endpoint`, frames capped.

    `prepare(sock)` runs before the bind (a monitor then sees every connection).
    """
    sock = ctx.socket(zmq.ROUTER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVHWM, 100_000)
    sock.setsockopt(zmq.MAXMSGSIZE, WIRE_FRAME_BYTES)
    # A child the session restarts connects again under its routing id (bus/routing.py):
    # it takes over at once, even before the hub saw its predecessor's connection close.
    sock.setsockopt(zmq.ROUTER_HANDOVER, 1)
    try:
        if prepare is not None:
            prepare(sock)
        sock.bind(endpoint)
    except zmq.ZMQError:
        sock.close(linger=0)
        raise
    return sock


def reset_input(
    old: zmq.Socket, ctx: zmq.Context, endpoint: str, prepare: Prepare | None = None
) -> zmq.Socket:
    """Close the input (freeing every half-received message) and return it bound again.

    ZeroMQ closes in its I/O thread: an ``ipc://`` file is unlinked and a TCP port
    released a moment later, so the new bind waits for that (at most 2 s).
    """
    old.close(linger=0)
    path = Path(endpoint.removeprefix("ipc://")) if endpoint.startswith("ipc://") else None
    deadline = time.monotonic() + 2.0
    while path is not None and path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)  # else the old listener would unlink the new socket's file
    while True:
        try:
            return bind_input(ctx, endpoint, prepare)
        except zmq.ZMQError as exc:
            if exc.errno != zmq.EADDRINUSE or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
