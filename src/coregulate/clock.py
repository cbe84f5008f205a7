"""The session clock: nanoseconds since session start, shared by every process.

The Heart Rate Service carries no timestamps, so every notification is stamped on
arrival with one clock (docs/architecture.md, "Time"). That clock is the host's monotonic clock,
which is system-wide on Linux, macOS and Windows, so separate processes agree on it
when they are handed the same anchor. One wall-clock reading taken at the same
instant anchors the session to calendar time.

`speed` lets a simulation or replay run faster than real time: session time advances
`speed` nanoseconds per host nanosecond.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SessionClock:
    """A clock reading session time in ns; picklable so child processes share it.

    Parameters
    ----------
    monotonic_anchor_ns
        ``time.monotonic_ns()`` at session start (session time 0).
    wall_anchor_ns
        ``time.time_ns()`` read at the same instant: the calendar time of session time 0.
    speed
        Session nanoseconds per host nanosecond (1.0 for live sessions).

    Examples
    --------
    >>> clock = SessionClock.start()
    >>> clock.now_ns() >= 0
    True
    """

    monotonic_anchor_ns: int
    wall_anchor_ns: int
    speed: float = 1.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"clock speed must be > 0, got {self.speed!r}")

    @classmethod
    def start(cls, speed: float = 1.0) -> SessionClock:
        """Return a clock whose session time 0 is now."""
        return cls(time.monotonic_ns(), time.time_ns(), float(speed))

    def now_ns(self) -> int:
        """Return the current session time in ns (may be negative before the anchor)."""
        elapsed_ns = time.monotonic_ns() - self.monotonic_anchor_ns
        if self.speed == 1.0:
            return elapsed_ns
        return int(elapsed_ns * self.speed)

    def host_seconds_until(self, t_ns: int) -> float:
        """Return how many host seconds remain until session time `t_ns` (≤ 0 if past)."""
        return (t_ns - self.now_ns()) / self.speed / 1e9

    def wall_ns(self, t_ns: int) -> int:
        """Return the calendar time (ns since the Unix epoch) of session time `t_ns`."""
        return self.wall_anchor_ns + t_ns

    def to_dict(self) -> dict[str, Any]:
        """Return the clock as JSON-ready fields (stored in the session file)."""
        return asdict(self)
