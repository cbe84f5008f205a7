"""The people of a session: who they are and the default resting baseline.

Declared once here, at the bottom of the package (``signal/`` imports nothing else
of coregulate), so the bus, the stages, the window and the reports agree.
"""

from __future__ import annotations

from typing import Final

# The two people of a dyad, in display order. Synchrony's sign convention follows
# this order: a positive lag means the therapist leads (docs/synchrony.md).
ROLES: Final = ("client", "therapist")

# The resting period at the start of a session that forms each person's baseline
# (docs/metrics.md, "Baseline, arousal index and states"); 0 means "no baseline".
DEFAULT_BASELINE_S: Final = 180.0

# The times a session can plausibly hold, ns of session time either side of 0: a
# message or beat outside is refused (by the hub, the stages and the offline path), so
# nobody ever sizes a buffer by an attacker's number (docs/security.md).
SESSION_T_LIMIT_NS: Final = 48 * 3600 * 1_000_000_000  # 48 h
# How far a beat may lie beyond the newest time already seen: more is a forgery or a
# broken clock, never a pause (both straps silent this long ends a session in practice).
MAX_BEAT_LEAP_NS: Final = 3600 * 1_000_000_000  # 1 h


def beat_time_plausible(t_ns: int, newest_ns: int | None) -> bool:
    """Return whether a beat at `t_ns` can belong to a session whose newest time is `newest_ns`."""
    if not -SESSION_T_LIMIT_NS <= t_ns <= SESSION_T_LIMIT_NS:
        return False
    return newest_ns is None or t_ns <= newest_ns + MAX_BEAT_LEAP_NS
