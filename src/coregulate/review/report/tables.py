"""The report's tables: ratings, markers, time in each state and data quality, as text rows."""

from __future__ import annotations

import math
from typing import Any

from coregulate.alliance.rating import DEFAULT_PERSON, Rating
from coregulate.review.quality import state_shares, summarize_series
from coregulate.review.session_data import SessionData
from coregulate.signal.baseline import STATES
from coregulate.signal.dyad import ROLES

NO_STATES = (
    "not available: this session's metrics carry no states (recorded before the "
    "per-person baseline and states existed, or no baseline was taken)"
)


def fmt(value: Any, spec: str = ".2f", unit: str = "") -> str:
    """Return `value` formatted by `spec` with `unit`, or "n/a" for None and NaN."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{format(value, spec)}{unit}"


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def draw_table(
    ax,
    title: str,
    header: list[str],
    rows: list[list[str]],
    empty: str = "",
    widths: list[float] | None = None,
) -> None:
    """Draw a titled table filling the axes' width, one 0.17 inch row each, from the top."""
    ax.axis("off")
    ax.set_title(title, fontsize=8, loc="left", fontweight="bold")
    if not rows:
        ax.text(0, 0.8, empty, fontsize=7, va="top", transform=ax.transAxes)
        return
    height_in = ax.get_position().height * ax.figure.get_figheight()
    frac = min(1.0, 0.17 * (len(rows) + 1) / height_in)
    table = ax.table(
        cellText=rows,
        colLabels=header,
        cellLoc="left",
        bbox=[0, 1 - frac, 1, frac],
        colLoc="left",
        colWidths=widths,
        edges="horizontal",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(6.5)


def rating_name(r: Rating) -> str:
    """Return a rating's instrument, with whose form it is when not the client's (`SRS partner`)."""
    return r.score.instrument if r.person == DEFAULT_PERSON else f"{r.score.instrument} {r.person}"


def rating_table(ax, data: SessionData) -> None:
    """Draw the ratings: instrument, phase, time, total, subscales and flags."""
    rows = []
    for r in data.ratings:
        s = r.score
        subs = ", ".join(f"{k} {v:g}" for k, v in s.subscales.items() if not k.endswith("_mean"))
        flags = ", ".join(k.replace("_", " ") for k, on in s.flags.items() if on) or "–"
        rows.append(
            [rating_name(r), r.phase, f"{r.t_ns / 60e9:.1f}", f"{s.total:g}", subs or "–", flags]
        )
    draw_table(
        ax,
        "Ratings",
        ["instrument", "phase", "at (min)", "total", "subscales", "flags"],
        rows,
        widths=[0.15, 0.08, 0.11, 0.09, 0.35, 0.22],
    )


def _note(m) -> str:
    """Return a marker's note, with whom it names first ("client & partner: ...")."""
    who = " & ".join(m.who)
    return f"{who}: {m.text}" if who and m.text else who or m.text or ""


def _keys(data: SessionData) -> tuple[str, ...]:
    """Return the people a table lists: the dyad's two roles, or a group's people in order."""
    return tuple(data.people) if data.is_group else ROLES


def marker_table(ax, data: SessionData) -> None:
    """Draw the markers: time, kind and note."""
    draw_table(
        ax,
        "Markers",
        ["at (min)", "kind", "note"],
        [[f"{m.t_s / 60:.1f}", m.label, _clip(_note(m), 30)] for m in data.markers],
        widths=[0.14, 0.36, 0.5],
    )


def state_table(ax, data: SessionData) -> None:
    """Draw each person's share of the session in each state (or say why there is none)."""
    rows = []
    for role in _keys(data):
        p = data.people.get(role)
        shares = state_shares(p) if p else None
        if shares:
            rows.append([role] + [fmt(shares[s], ".0%") for s in (*STATES, "unavailable")])
    draw_table(ax, "Time in state", ["person", *STATES, "n/a (baseline, gaps)"], rows, NO_STATES)


def quality_table(ax, data: SessionData) -> None:
    """Draw each person's data quality: beats, artifact share, HR unavailable, lost spans."""
    rows = []
    for role in _keys(data):
        p = data.people.get(role)
        if p is None:
            rows.append([role, "no data", "", "", ""])
            continue
        q = summarize_series(role, p)
        rows.append(
            [
                role,
                f"{q.n_beats:.0f}",
                fmt(q.artifact_share_0to1, ".1%"),
                fmt(q.hr_unavailable_share_0to1, ".1%"),
                f"{q.n_gaps:.0f} ({q.gaps_s:.0f} s)",
            ]
        )
    header = ["person", "beats", "mean artifact share", "HR unavailable", "gaps (total)"]
    draw_table(ax, "Data quality", header, rows)
