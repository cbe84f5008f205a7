"""What the hub knows of each stream: the seqs it holds and which producer may add to it.

The seq bookkeeping (`coregulate.bus.sequences.SeqSet`) also serves a stage's
replay (what it already took), so it lives in `bus/`; the owner is the hub's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from coregulate.bus.sequences import SeqSet


@dataclass(slots=True)
class StreamState(SeqSet):
    """The seqs the hub holds of one stream (`SeqSet`) and the producer that may add new ones."""

    # The producer (its ZeroMQ routing id) that may add new seqs; the first sender in
    # this hub's life. None: not yet known (a stream read back from the file). A
    # session gives each child process one routing id per source name for the whole
    # session, so a child restarted under the same name still owns its streams
    # (`coregulate.bus.routing`).
    owner: bytes | None = None

    def claim(self, peer: bytes) -> bool:
        """Return True if `peer` may add new seqs to this stream (it owns it, or now does).

        Another connection that sends the next seqs under this stream's name would
        otherwise have its messages stored and the real ones dropped as duplicates.
        """
        if self.owner is None:
            self.owner = peer
        return self.owner == peer


__all__ = ["StreamState"]
