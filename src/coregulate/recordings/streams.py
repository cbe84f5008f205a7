"""Which sequence numbers of a stream the hub already holds, in constant memory per stream.

A stream's messages arrive in order almost always; a resend after a hub restart or
an out-of-order delivery lands above the contiguous mark and is folded in once the
gap closes, so the set above the mark stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class StreamState:
    """The sequence numbers the hub holds of one stream: all <= `mark`, plus those in `above`."""

    mark: int = 0
    above: set[int] = field(default_factory=set)
    # The producer (its ZeroMQ routing id) that may add new seqs; the first sender in
    # this hub's life. None: not yet known (a stream read back from the file).
    owner: bytes | None = None

    def claim(self, peer: bytes) -> bool:
        """Return True if `peer` may add new seqs to this stream (it owns it, or now does).

        Another connection that sends the next seqs under this stream's name would
        otherwise have its messages stored and the real ones dropped as duplicates.
        """
        if self.owner is None:
            self.owner = peer
        return self.owner == peer

    def has(self, seq: int) -> bool:
        """Return True if `seq` was already received (a resend or a replay)."""
        return seq <= self.mark or seq in self.above

    def add(self, seq: int) -> None:
        """Record `seq` as received."""
        self.above.add(seq)
        while self.mark + 1 in self.above:
            self.mark += 1
            self.above.discard(self.mark)
