"""Beat times on the session clock from notifications that carry none (docs/architecture.md).

A notification's RR intervals are exact relative to one another (the strap's own
clock), so beats are *chained*: beat i ends at ``offset + C_i`` where ``C_i`` is the
running sum of RR values in the current segment. Only the one number ``offset`` (the
host time of chain position 0) must be estimated, and it is re-estimated on every
notification from a trailing window, so arrival jitter is never accumulated and
the strap's clock drift (±100 ppm is ±6 ms a minute) is followed.

How `offset` is bounded, per notification k with chain end ``C_k``:

1. **Upper bound** (always true): the last beat in a notification ended before it
   was sent, and it was sent before it arrived: ``offset + C_k <= send_k <= arrival_k``.
2. **Lower bound** (when the strap sends on a fixed schedule, as the Polar H10 and
   most straps do, about once a second whatever the heart rate): a notification
   carries every beat that ended before it was sent, so the *next* beat ended after
   ``send_k``: ``offset + C_k + rr_next > send_k``.

A strap's send times form a lattice ``a + b k`` on the host clock: the period ``b``
is fitted by least squares to arrivals over the whole segment (latency noise averages
out), and ``a`` is the lower envelope of ``arrival_k - b k`` over the trailing window,
which is the send time plus the *smallest* latency seen. With the lattice,
``send_k`` is known to within that minimum latency, and the two bounds close in on
``offset`` from both sides: the estimate is the midpoint of the tightest upper and
lower bounds in the window. When arrivals do not fit a lattice (a strap that
notifies on every beat), only the upper bound is used, against arrivals: the
trailing lower envelope of ``arrival_k - C_k``.

What cannot be known: a *constant* minimum link latency shifts every send time and
every bound alike, so it is invisible in arrival times; beats are placed as if the
fastest notification in the window had taken no time at all, i.e. late by the
link's minimum latency (a few ms over BLE). The trailing window (120 s) trades
drift (±100 ppm moves the anchor ±12 ms over it) against how often a beat lands
just before or after a send, which is what tightens the bounds. In simulation over
an hour with 5–60 ms uniform latency, ±100 ppm drift and HR 55–100 bpm (27 runs),
the error is median 2.9–12.6 ms and p99 12.7–35.5 ms, 5 ms of which is that
minimum latency (`tests/test_beat_timing.py`); a strap that notifies on every beat
gets median ≈ 5.4 ms (the latency floor). The first seconds of a segment, before
any lower bound exists, can be off by up to one notification interval.

The chain restarts when the data show a gap (disconnection, contact loss, lost
RRs). Times are monotonic within a segment and never later than arrival.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

NS_PER_MS = 1_000_000
MIN_SPACING_NS = 250 * NS_PER_MS  # no two beats closer than this (240 bpm)
_MIN_LATTICE_POINTS = 5  # notifications before the send schedule is trusted
_LATTICE_SPREAD = 0.2  # arrivals within this share of a period of the lattice: periodic


@dataclass(frozen=True, slots=True)
class PlacedBeats:
    """Beat end times for one notification's RR values, and whether a gap precedes them."""

    t_ns: tuple[int, ...]
    gap_before: bool


@dataclass(slots=True)
class _Notification:
    k: int  # index on the strap's send schedule
    arrival_ns: int
    chain_ns: int  # chain end after this notification's beats
    rr_next_ns: int | None = None  # first RR of the next notification with beats


class _Lattice:
    """Least-squares fit of arrival = a + b k over a segment, in floats relative to the start."""

    def __init__(self, arrival0_ns: int) -> None:
        self.arrival0_ns = arrival0_ns
        self.n = 0
        self.sk = self.sa = self.skk = self.ska = 0.0

    def add(self, k: int, arrival_ns: int) -> None:
        a = float(arrival_ns - self.arrival0_ns)
        self.n += 1
        self.sk += k
        self.sa += a
        self.skk += k * k
        self.ska += k * a

    def period_ns(self) -> float | None:
        den = self.n * self.skk - self.sk * self.sk
        if self.n < 2 or den <= 0:
            return None
        return (self.n * self.ska - self.sk * self.sa) / den


class BeatTimer:
    """Places each notification's RR intervals on the session clock, per strap.

    Parameters
    ----------
    window_s
        Trailing window of the bounds, in session seconds.
    gap_tolerance_ms
        If arrival is later than the chained beats allow by more than this, beats
        were lost in between: the chain restarts and the next beat is marked as
        following a gap.
    """

    def __init__(self, window_s: float = 120.0, gap_tolerance_ms: float = 2500.0) -> None:
        self.window_ns = int(window_s * 1e9)
        self.gap_tolerance_ns = int(gap_tolerance_ms * NS_PER_MS)
        self._recent: deque[_Notification] = deque()
        self._awaiting_rr: list[_Notification] = []
        self._lattice: _Lattice | None = None
        self._offset_ns: int | None = None  # host time of chain position 0
        self._chain_ns = 0  # chained RR time of the last beat's end
        self._gap_pending = True
        self.periodic = False  # whether the last estimate used the send schedule

    def mark_gap(self) -> None:
        """Record that the strap dropped or lost contact: the next beats start a new segment."""
        self._offset_ns = None
        self._gap_pending = True

    def _restart(self) -> None:
        self._chain_ns = 0
        self._recent.clear()
        self._awaiting_rr.clear()
        self._lattice = None

    def place(self, arrival_ns: int, rr_ms: Sequence[float]) -> PlacedBeats:
        """Return the end time of each RR interval in `rr_ms` (oldest first).

        Call it for every notification in contact, with no RRs too: those still
        tell where the strap's send schedule is.
        """
        rr_ns = [round(r * NS_PER_MS) for r in rr_ms]
        if not rr_ns:
            if self._offset_ns is not None and not self._gap_pending:
                self._record(arrival_ns, self._chain_ns)
            return PlacedBeats((), False)
        chain_end = self._chain_ns + sum(rr_ns)
        gap = self._gap_pending or self._offset_ns is None
        if not gap and arrival_ns - chain_end - self._offset_ns > self.gap_tolerance_ns:  # type: ignore[operator]
            gap = True  # far more time passed than these beats fill: beats were lost
        if gap:
            self._restart()
            chain_end = sum(rr_ns)
            self._offset_ns = arrival_ns - chain_end
        for waiting in self._awaiting_rr:
            waiting.rr_next_ns = rr_ns[0]
        self._awaiting_rr.clear()
        self._record(arrival_ns, chain_end)
        estimate = min(self._estimate(), arrival_ns - chain_end)  # never after arrival
        # Moving the anchor earlier must not move the first new beat before the
        # last placed one: keep at least MIN_SPACING between them.
        if not gap:
            floor = self._offset_ns - max(0, rr_ns[0] - MIN_SPACING_NS)  # type: ignore[operator]
            estimate = max(floor, estimate)
        self._offset_ns = estimate
        times = []
        t = self._chain_ns
        for r in rr_ns:
            t += r
            times.append(estimate + t)
        self._chain_ns = chain_end
        self._gap_pending = False
        return PlacedBeats(tuple(times), gap)

    def _record(self, arrival_ns: int, chain_ns: int) -> None:
        if self._lattice is None:
            self._lattice = _Lattice(arrival_ns)
            k = 0
        else:
            last = self._recent[-1]
            period = self._lattice.period_ns() or float(arrival_ns - last.arrival_ns) or 1.0
            k = last.k + max(1, round((arrival_ns - last.arrival_ns) / period))
        self._lattice.add(k, arrival_ns)
        note = _Notification(k, arrival_ns, chain_ns)
        self._recent.append(note)
        self._awaiting_rr.append(note)
        while self._recent[0].arrival_ns < arrival_ns - self.window_ns:
            self._recent.popleft()

    def _estimate(self) -> int:
        """Return the offset from the notifications in the window (see the module text)."""
        recent = self._recent
        lattice = self._lattice
        period = lattice.period_ns() if lattice else None
        if period is None or lattice.n < _MIN_LATTICE_POINTS or len(recent) < 2:  # type: ignore[union-attr]
            self.periodic = False
            return min(n.arrival_ns - n.chain_ns for n in recent)
        residuals = [n.arrival_ns - period * n.k for n in recent]
        base = min(residuals)
        if max(residuals) - base > _LATTICE_SPREAD * period:
            self.periodic = False  # arrivals follow no schedule: upper bound only
            return min(n.arrival_ns - n.chain_ns for n in recent)
        self.periodic = True
        upper = lower = None
        for n in recent:
            send = base + period * n.k
            hi = send - n.chain_ns
            upper = hi if upper is None else min(upper, hi)
            if n.rr_next_ns is not None:
                lo = hi - n.rr_next_ns
                lower = lo if lower is None else max(lower, lo)
        assert upper is not None
        if lower is None or lower > upper:
            return round(upper)
        return round((lower + upper) / 2)
