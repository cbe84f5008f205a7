"""The hub's input socket: bound, guarded against endless messages, its peers counted.

One ROUTER takes producers' messages and stages' replay requests alike, so a
private bus (owner-only Unix sockets, `commands/_bus.py`) keeps both to the
session's account. Two things outlive one socket here:

- the memory guard (`hub_guard.InputGuard`) may close the socket and bind it
  again; producers reconnect with their fixed routing ids and resend,
- the count of connected peers (a monitor set up before every bind, so no
  connection is missed), which an orphaned hub waits on (`hub_process`).
"""

from __future__ import annotations

import zmq
from zmq.utils.monitor import recv_monitor_message

from coregulate.recordings.hub_guard import InputGuard, bind_input

_PEER_EVENTS = zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED


class HubInput:
    """The hub's ROUTER input (`sock`) with its guard and peer count.

    Parameters
    ----------
    context, endpoint
        Where to bind (the session's input endpoint).
    max_backlog_bytes
        The guard's bound (`hub_guard.MAX_INPUT_BACKLOG_BYTES`).
    """

    def __init__(self, context: zmq.Context, endpoint: str, max_backlog_bytes: int) -> None:
        self._ctx = context
        self.endpoint = endpoint
        self._guard = InputGuard(max_backlog_bytes)
        self._monitor: zmq.Socket | None = None
        self._connected = 0
        self._binds = 0
        self.sock = bind_input(context, endpoint, self._watch)

    def _watch(self, sock: zmq.Socket) -> None:
        if self._monitor is not None:  # a bind that failed (reset_input tries again)
            self._monitor.close(linger=0)
        # A name of its own: pyzmq's default names it by the fd, which a re-bound
        # socket may reuse while the old monitor's endpoint is still going away.
        self._binds += 1
        addr = f"inproc://hub-peers-{id(self)}-{self._binds}"
        self._monitor = sock.get_monitor_socket(_PEER_EVENTS, addr=addr)

    def peers(self) -> int:
        """Return how many peers (producers, replay clients) are connected now."""
        while self._monitor is not None and self._monitor.poll(0, zmq.POLLIN):
            event = recv_monitor_message(self._monitor)["event"]
            if event == zmq.EVENT_ACCEPTED:
                self._connected += 1
            elif event == zmq.EVENT_DISCONNECTED:
                self._connected -= 1
        return self._connected

    def check(self) -> bool:
        """Return True if the input was just reset: it held a message whose frames never end.

        Also takes the peer events waiting (the monitor's queue is bounded: events
        beyond it would be lost, and the count wrong).
        """
        self.peers()
        if not self._guard.over_limit():
            return False
        self._close_monitor()
        self._connected = 0  # every connection went with the old socket
        self.sock = self._guard.reset(self.sock, self._ctx, self.endpoint, self._watch)
        return True

    def _close_monitor(self) -> None:
        if self._monitor is not None:
            self.sock.disable_monitor()
            self._monitor.close(linger=0)
            self._monitor = None

    def close(self) -> None:
        """Close the monitor and the socket."""
        self._close_monitor()
        self.sock.close(linger=0)
