"""Which sequence numbers of a stream one holds, in constant memory per stream.

The hub keeps one per stream (what it already recorded) and so does a stage (what
it already took). A stream's messages arrive in order almost always; a resend
after a hub restart or an out-of-order delivery lands above the contiguous mark
and is folded in once the gap closes, so the set above the mark stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class SeqSet:
    """The sequence numbers held of one stream: all <= `mark`, plus those in `above`."""

    mark: int = 0
    above: set[int] = field(default_factory=set)

    def has(self, seq: int) -> bool:
        """Return True if `seq` was already received (a resend or a replay)."""
        return seq <= self.mark or seq in self.above

    def add(self, seq: int) -> None:
        """Record `seq` as received."""
        self.above.add(seq)
        while self.mark + 1 in self.above:
            self.mark += 1
            self.above.discard(self.mark)
