"""The routing ids a session gives its child processes: one per source name, for the session.

The hub lets only the producer that started a stream add new seqs to it (its
ZeroMQ routing id; `recordings/streams.py`), so a forged producer cannot replace
real beats with future seqs. A child the session restarts keeps its source name
(a stage recomputes its earlier outputs under the same seqs and goes on from
there), so it must also keep its routing id: the session draws one random id per
source name when it first starts that child and passes the same one to every
restart. The ids are random per session (128 bits), so another process cannot
guess one; they travel only in the spawned child's arguments, never on the bus
or in the file.
"""

from __future__ import annotations

import secrets

# ZeroMQ reserves routing ids that start with a zero byte (its own, for peers that
# set none), so ours start with a letter.
_PREFIX = b"P"


def new_routing_id() -> bytes:
    """Return a fresh random routing id (17 bytes, never starting with a zero byte)."""
    return _PREFIX + secrets.token_bytes(16)


class RoutingIds:
    """One routing id per source name, drawn on first use and the same ever after."""

    def __init__(self) -> None:
        self._ids: dict[str, bytes] = {}

    def for_source(self, source: str) -> bytes:
        """Return `source`'s routing id: new the first time, the same on every later call."""
        if source not in self._ids:
            self._ids[source] = new_routing_id()
        return self._ids[source]
