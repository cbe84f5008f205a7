"""A session's group index over time (issue 19): cluster-phase rho and its chance band."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class GroupSeries:
    """The group index per window (at the window's centre, s), its 95 % chance level, the summary.

    `value` and `chance_95` are NaN where a window gives none (someone's heart rate
    missing, or too early for a band); `summary` is the analysis' `group` object.
    """

    index: str
    t_s: np.ndarray
    value: np.ndarray
    chance_95: np.ndarray
    summary: dict[str, Any]


def _num(value: object) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else math.nan


def group_series(
    updates: list[dict[str, Any]], summary: dict[str, Any] | None
) -> GroupSeries | None:
    """Return the group index series of these `sync.group` updates; None without any."""
    if not updates and not summary:
        return None
    t_s = np.array(
        [(u.get("window_start_ns", u["t_ns"]) + u["t_ns"]) / 2e9 for u in updates], dtype=float
    )
    index = str((summary or {}).get("index") or (updates[-1].get("index") if updates else "group"))
    return GroupSeries(
        index,
        t_s,
        np.array([_num(u.get("value")) for u in updates], dtype=float),
        np.array([_num(u.get("chance_95")) for u in updates], dtype=float),
        dict(summary or {}),
    )
