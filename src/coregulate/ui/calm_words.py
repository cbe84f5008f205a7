"""The calm view's time words: m:ss and how long the resting period still runs."""

from __future__ import annotations


def mmss(seconds: float) -> str:
    """Return `seconds` as m:ss (never negative)."""
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def baseline_text(baseline: dict, now_s: float) -> str:
    """Return the calm view's words for a baseline still being taken."""
    end_ns = baseline.get("end_t_ns")
    if isinstance(end_ns, int):
        return f"resting period, {mmss(end_ns / 1e9 - now_s)} left"
    return "resting period about to start"
