"""Beat times on the session clock from notifications that carry none (DESIGN.md §3).

A notification's RR intervals are exact relative to one another (the strap's own
clock), but the strap sends about once per second, so the last RR in it ended
*some time before* arrival: between the minimum link latency and about a second
plus latency. Stamping the last beat at arrival would smear beats by up to a
second; chaining RRs alone would accumulate the strap's clock drift.

So beats are chained by their RR values from an anchor, and the anchor is the
*lower envelope* of (arrival - chained end) over a trailing window
(`window_s`, 60 s by default): the notification that arrived soonest after its last
beat tells us best where the chain sits on the host clock. A trailing window, not
the all-time minimum, lets the anchor follow the strap's clock drift (±100 ppm is
±6 ms over a minute). The chain restarts when the data show a gap (disconnection,
contact loss, lost RRs). Times are monotonic within a segment and never later than
arrival. The acquisition issue refines this further (upper and lower bounds per
notification) against its stated error target.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

NS_PER_MS = 1_000_000
MIN_SPACING_NS = 250 * NS_PER_MS  # no two beats closer than this (240 bpm)


@dataclass(frozen=True, slots=True)
class PlacedBeats:
    """Beat end times for one notification's RR values, and whether a gap precedes them."""

    t_ns: tuple[int, ...]
    gap_before: bool


class BeatTimer:
    """Places each notification's RR intervals on the session clock, per strap.

    Parameters
    ----------
    window_s
        Trailing window of the lower envelope, in session seconds.
    gap_tolerance_ms
        If arrival is later than the chained beats allow by more than this, beats
        were lost in between: the chain restarts and the next beat is marked as
        following a gap.
    """

    def __init__(self, window_s: float = 60.0, gap_tolerance_ms: float = 2500.0) -> None:
        self.window_ns = int(window_s * 1e9)
        self.gap_tolerance_ns = int(gap_tolerance_ms * NS_PER_MS)
        self._candidates: deque[tuple[int, int]] = deque()  # (arrival_ns, offset_ns)
        self._offset_ns: int | None = None  # host time of chain position 0
        self._chain_ns = 0  # chained RR time of the last beat's end
        self._gap_pending = True

    def mark_gap(self) -> None:
        """Record that the strap dropped or lost contact: the next beats start a new segment."""
        self._offset_ns = None
        self._gap_pending = True

    def place(self, arrival_ns: int, rr_ms: Sequence[float]) -> PlacedBeats:
        """Return the end time of each RR interval in `rr_ms` (oldest first)."""
        if not rr_ms:
            return PlacedBeats((), False)
        rr_ns = [round(r * NS_PER_MS) for r in rr_ms]
        chain_end = self._chain_ns + sum(rr_ns)
        candidate = arrival_ns - chain_end  # offset if the last beat ended at arrival
        gap = self._gap_pending or self._offset_ns is None
        if not gap and candidate - self._offset_ns > self.gap_tolerance_ns:
            gap = True  # far more time passed than these beats fill: beats were lost
        if gap:
            self._chain_ns = 0
            chain_end = sum(rr_ns)
            candidate = arrival_ns - chain_end
            self._candidates.clear()
            self._offset_ns = candidate
        self._candidates.append((arrival_ns, candidate))
        while self._candidates[0][0] < arrival_ns - self.window_ns:
            self._candidates.popleft()
        envelope = min(c for _, c in self._candidates)
        # Moving the anchor earlier must not move the first new beat before the
        # last placed one: keep at least MIN_SPACING between them.
        floor = self._offset_ns - max(0, rr_ns[0] - MIN_SPACING_NS)  # type: ignore[operator]
        self._offset_ns = max(floor, envelope)
        times = []
        t = self._chain_ns
        for r in rr_ns:
            t += r
            times.append(self._offset_ns + t)
        self._chain_ns = chain_end
        self._gap_pending = False
        return PlacedBeats(tuple(times), gap)
