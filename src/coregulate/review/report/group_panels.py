"""The report's pieces for sessions of 3-6 people: each person's HR, the group index, the pairs.

A pair (a, b) is in session order and its lag is positive when b leads
(`signal/people.py`); the table says it in words too. The group index is the
analysis' cluster-phase rho (docs/synchrony.md, the group index) against its 95 %
chance level, the same kind of band as a pair's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from coregulate.palette import NOTE_GREY, SYNC_COLOUR, person_colours, person_name
from coregulate.review.quality import baseline_band, chance_verdict
from coregulate.review.report.tables import draw_table, fmt
from coregulate.review.session_data import SessionData, SyncSeries

BAND_ALPHA = 0.18
VERDICT_ROOM = 0.32  # above rho = 1, room for the verdict line (data units of rho)
INDEX_NAMES = {"cluster_phase_rho": "cluster-phase rho"}


def colour_of(data: SessionData, key: str) -> str:
    """Return a person's colour on paper, as the window gives it (`palette.person_colours`)."""
    keys = [*data.people] + ([] if key in data.people else [key])
    return person_colours(keys, "paper")[key]


def who_text(who: tuple[str, ...]) -> str:
    """Return whom a marker names, "client & partner", or "" when it names nobody."""
    return " & ".join(who)


def hr_axis(ax, data: SessionData, key: str) -> None:
    """Draw one person's HR with their baseline band (a group page without the arousal index)."""
    p = data.people[key]
    colour = colour_of(data, key)
    ax.plot(p.t_s / 60, p.hr_bpm, color=colour, lw=0.8, zorder=3)
    band = baseline_band(p, "hr_bpm")
    if band:
        mean, sd, source = band
        ax.axhspan(mean - sd, mean + sd, color=colour, alpha=BAND_ALPHA, lw=0)
        ax.text(0.995, 0.96, f"band: {source} ±1 SD", transform=ax.transAxes, fontsize=5.5,
                ha="right", va="top")  # fmt: skip
    ax.set_ylabel(f"{key}\nHR (bpm)", fontsize=6.5)


def index_name(data: SessionData) -> str:
    """Return the group index's name in words ("cluster-phase rho")."""
    index = data.group.index if data.group else "group index"
    return INDEX_NAMES.get(index, index.replace("_", " "))


def group_verdict(summary: dict[str, Any]) -> str:
    """Return the session's group synchrony against chance in words, or why there is none."""
    verdict, p = summary.get("above_chance"), summary.get("p_above_chance")
    if isinstance(verdict, bool):
        p_text = f" (p {p:.3f})" if isinstance(p, int | float) else ""
        return ("above chance" if verdict else "not above chance") + p_text
    reason = (summary.get("unavailable") or {}).get("above_chance")
    p_text = f"; p {p:.3f}" if isinstance(p, int | float) else ""
    return f"no verdict: {reason or 'none recorded'}{p_text}"


def group_axis(ax, data: SessionData) -> None:
    """Draw the group index per window with its 95 % chance level, the session's numbers above."""
    g = data.group
    if g is None or not g.t_s.size:
        text = "no group index in this session (it needs the heart rate of 3 or more people)"
        ax.text(0.5, 0.5, text, ha="center", transform=ax.transAxes, fontsize=8)
        return
    t_min = g.t_s / 60
    banded = np.isfinite(g.chance_95)
    if banded.any():  # no band in a session too short for one: the verdict line says why
        ax.fill_between(
            t_min, 0, g.chance_95, where=banded, color=NOTE_GREY, alpha=BAND_ALPHA * 1.5,
            lw=0, zorder=0, gid="group_chance_band",
            label="95 % chance level (circular shifts of each person's heart rate)",
        )  # fmt: skip
    ax.plot(t_min, g.value, color=SYNC_COLOUR, lw=0.8, zorder=3, label=index_name(data))
    hit = np.isfinite(g.chance_95) & (g.value > g.chance_95)
    ax.scatter(t_min[hit], g.value[hit], s=3, color=SYNC_COLOUR, lw=0, zorder=4)
    ax.set_ylim(0, 1 + VERDICT_ROOM)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.axhline(1, color=NOTE_GREY, lw=0.5)
    ax.set_ylabel(f"group synchrony\n{index_name(data)}", fontsize=7)
    ax.legend(fontsize=5.5, loc="lower left", frameon=False, borderaxespad=0.2, ncols=2)
    s = g.summary
    ax.text(
        0.005, 0.98, f"group synchrony against chance: {group_verdict(s)}",
        transform=ax.transAxes, fontsize=6.5, va="top", gid="group_verdict",
    )  # fmt: skip
    share = s.get("share_windows_above_chance")
    # "in n/a of windows" read as a number lost; say that no window had a chance level.
    windows = (
        f"above the chance level in {fmt(share, '.0%')} of windows"
        if share is not None
        else "no window had a chance level yet"
    )
    ax.set_title(
        f"session: mean {index_name(data)} {fmt(s.get('value'), '.2f')} "
        f"({fmt(s.get('window_s'), 'g', ' s')} windows); {windows}; pairs above chance: "
        f"{s.get('n_coupled_pairs_above_chance', 'n/a')} of {s.get('n_pairs', len(data.pairs))}",
        fontsize=6.5, loc="left",
    )  # fmt: skip


def leader_words(a: str, b: str, lag_s: float) -> str:
    """Return who leads at the pair's lag in words: "b leads by 2.0 s" (positive lag = b leads)."""
    if not math.isfinite(lag_s):
        return "n/a"
    if lag_s == 0:
        return "neither (simultaneous)"
    return f"{b if lag_s > 0 else a} leads by {abs(lag_s):.1f} s"


def pair_row(a: str, b: str, s: SyncSeries) -> list[str]:
    """Return one pair's table row: pair, peak r, lag (+: b leads), leader, verdict, windows."""
    final = s.final or {}
    summary = final.get("summary") or {}
    z = summary.get("profile_mean_z")
    lag = summary.get("profile_lag_s")
    lag_s = float(lag) if isinstance(lag, int | float) else math.nan
    judged = s.above_chance[np.isfinite(s.above_chance)]
    windows = f"{np.count_nonzero(judged == 1.0)} of {judged.size}" if judged.size else "n/a"
    return [
        f"{person_name(a)} · {person_name(b)}",
        fmt(math.tanh(z) if isinstance(z, int | float) else None, "+.2f"),
        fmt(lag_s, "+.1f"),
        leader_words(a, b, lag_s),
        chance_verdict(final) if final else "no summary",
        windows,
    ]


def pair_table(ax, data: SessionData) -> None:
    """Draw every pair's session synchrony: peak r, lag and leader, verdict against chance."""
    rows = [pair_row(a, b, s) for (a, b), s in data.pairs.items()]
    header = [
        "pair a · b", "peak r", "lag (s) +: b leads", "who leads", "session vs chance",
        "windows > band",
    ]  # fmt: skip
    draw_table(
        ax, "HR synchrony of every pair (peak of the window-averaged cross-correlation)",
        header, rows, "no pair synchrony in this session",
        widths=[0.2, 0.07, 0.13, 0.21, 0.25, 0.14],
    )  # fmt: skip


def pair_strip(ax, data: SessionData) -> None:
    """Draw one row per pair: the windows whose peak r is above their chance band, over time."""
    names = [f"{a} · {b}" for a, b in data.pairs]
    for row, s in enumerate(data.pairs.values()):
        t_min = s.t_s / 60
        judged = np.isfinite(s.above_chance)
        above = s.above_chance == 1.0
        y = len(names) - 1 - row
        ax.scatter(t_min[judged & ~above], np.full(np.count_nonzero(judged & ~above), y),
                   s=1, marker="|", color="#DDDDDD", lw=0.5)  # fmt: skip
        ax.scatter(t_min[above], np.full(np.count_nonzero(above), y), s=6, marker="|",
                   color=SYNC_COLOUR, lw=0.8)  # fmt: skip
        # Inside the panel, at its start: the first window ends a window length in.
        ax.text(0.003, y, names[row], transform=ax.get_yaxis_transform(), fontsize=5,
                va="center", ha="left", bbox={"fc": "white", "ec": "none", "pad": 0.3})  # fmt: skip
    ax.set_yticks([])
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.set_ylabel("pairs: windows\nabove chance", fontsize=6.5)
