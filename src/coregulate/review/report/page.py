"""The page: which sections a session gets, their layout on A4, the header and the file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from coregulate.review.quality import marker_counts
from coregulate.review.report import group_page, group_panels, panels, tables
from coregulate.review.session_data import SessionData
from coregulate.signal.dyad import ROLES

PAGE_IN = (8.27, 11.69)  # A4 portrait
DPI = 150
# Section heights relative to each other; the events row and the ratings/markers tables
# appear only when the session has ratings or markers.
HEIGHTS = {
    "events": 0.55,
    "person": 1.4,
    "sync_r": 1.0,
    "sync_lag": 0.55,
    "space": 0.12,
    "ratings_markers": 0.8,
    "states": 0.55,
    "quality": 0.55,
    "notes": 0.25,
}
LISTS = ("ratings+markers", "ratings", "markers")
TABLES = (*LISTS, "space", "states", "quality", "notes")
GROUP_TABLES = (*TABLES, "pairs")
DISCLAIMER = (
    "Indicators relative to each person's own baseline, never a diagnosis. "
    "Synchrony is information, not a score."
)


def has_arousal(data: SessionData) -> bool:
    """Return True when both people's metrics carry the arousal index (else HR and lnRMSSD)."""
    return all(
        data.people.get(r) is not None and data.people[r].arousal_index is not None for r in ROLES
    )


def page_sections(data: SessionData) -> list[str]:
    """Return the page's sections top to bottom; sections without content are left out.

    "events" (markers and ratings on the session clock), two person panels
    ("arousal.client" and "arousal.therapist", or "hr_bpm" and "ln_rmssd"), HR
    synchrony ("sync_r", "sync_lag"), then the tables: "ratings" and "markers" side by
    side when the session has them, "states", "quality", and "notes". A session of
    3-6 people has a section per person, the group index and the pair table instead
    (`group_page.group_sections`).
    """
    if data.is_group:
        return group_page.group_sections(data)
    people = (
        ["arousal.client", "arousal.therapist"] if has_arousal(data) else ["hr_bpm", "ln_rmssd"]
    )
    events = ["events"] if data.markers or data.ratings else []
    lists = [
        name for name, items in (("ratings", data.ratings), ("markers", data.markers)) if items
    ]
    listed = ["+".join(lists)] if lists else []
    return [*events, *people, "sync_r", "sync_lag", "space", *listed, "states", "quality", "notes"]


def _height(name: str, data: SessionData) -> float:
    if data.is_group and (height := group_page.table_height(data, name)) is not None:
        return height
    if name in LISTS:
        return HEIGHTS["ratings_markers"]
    return HEIGHTS.get(name, HEIGHTS["person"])


def _subtitle(data: SessionData) -> str:
    start = data.wall_start_ns
    when = (
        dt.datetime.fromtimestamp(start / 1e9, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if start
        else "date not recorded"
    )
    inputs = data.info.get("inputs")
    files = (
        "files " + ", ".join(f"{role} {name}" for role, name in inputs.items())
        if isinstance(inputs, dict)
        else f"file {data.path.name}"
    )
    counts = marker_counts(data)
    events = f"ruptures {counts['rupture']}, repairs {counts['repair']} · " if data.markers else ""
    if data.is_group:
        return (
            f"{group_page.group_subtitle(data)}\n{when} · {data.duration_s / 60:.0f} min · "
            f"{data.info.get('mode', '')} · {events}{files}"
        )
    return (
        f"client {data.client_id} · therapist {data.info.get('therapist_id', 'unknown')} · "
        f"{when} · {data.duration_s / 60:.0f} min · {data.info.get('mode', '')} · "
        f"{events}{files}"
    )


def _time_panels(fig, grid, names: list[str], data: SessionData) -> None:
    """Draw the panels on the session clock, sharing one time axis."""
    axes = panels.time_axes(fig, grid, names, TABLES)
    if "events" in axes:
        panels.events_axis(axes["events"], data)
    for name, ax in axes.items():
        kind, _, role = name.partition(".")
        if kind == "arousal":
            panels.arousal_axis(ax, data, role)
            panels.gap_spans(ax, data, role)
        elif kind in ("hr_bpm", "ln_rmssd"):
            label = "HR (bpm)" if kind == "hr_bpm" else "lnRMSSD (ln ms)"
            panels.metric_axis(ax, data, kind, label)
            for person in data.people:
                panels.gap_spans(ax, data, person)
    panels.sync_axes(axes["sync_r"], axes["sync_lag"], data)
    for name, ax in axes.items():
        if name != "events":
            panels.marker_lines(ax, data)
            ax.tick_params(labelsize=7, axis="both")
            ax.tick_params(axis="x", labelbottom=name == "sync_lag")
    axes["sync_lag"].set_xlabel("session time (min)   grey spans: a strap's data lost", fontsize=7)
    starts = [float(p.t_s[0]) for p in data.people.values() if p.t_s.size]
    axes["sync_r"].set_xlim(min([0.0, *starts]) / 60, max(data.duration_s, 1) / 60)


def _tables(fig, grid, names: list[str], data: SessionData) -> None:
    """Draw the tables and the notes below the time panels."""
    draw = {"ratings": tables.rating_table, "markers": tables.marker_table}
    for i, name in enumerate(names):
        if name in LISTS:
            parts = name.split("+")
            sub = grid[i].subgridspec(
                1, len(parts), width_ratios=[1.25, 1][: len(parts)], wspace=0.06
            )
            for k, part in enumerate(parts):
                draw[part](fig.add_subplot(sub[k]), data)
    if "pairs" in names:
        group_panels.pair_table(fig.add_subplot(grid[names.index("pairs")]), data)
    tables.state_table(fig.add_subplot(grid[names.index("states")]), data)
    tables.quality_table(fig.add_subplot(grid[names.index("quality")]), data)
    notes = [*data.problems]
    if data.lost_messages:
        notes.insert(0, f"{data.lost_messages} bus messages missing (sequence gaps)")
    ax = fig.add_subplot(grid[names.index("notes")])
    ax.axis("off")
    ax.text(0, 1, "\n".join(notes[:6]), fontsize=6.5, va="top", transform=ax.transAxes)


def draw_page(data: SessionData):
    """Return the report page of a session as a matplotlib Figure (no display needed)."""
    from matplotlib.figure import Figure

    rows = page_sections(data)
    fig = Figure(figsize=PAGE_IN)
    subtitle = _subtitle(data)
    lines = subtitle.count("\n")  # a group's people take a line of their own
    # A group's first panel has its legend above it: one more line of room.
    top = 0.93 - 0.009 * lines - (0.012 if data.is_group and rows[0] != "events" else 0)
    grid = fig.add_gridspec(
        len(rows), 1, height_ratios=[_height(n, data) for n in rows],
        left=0.1, right=0.97, top=top, bottom=0.03, hspace=0.35,
    )  # fmt: skip
    fig.suptitle("Session report", x=0.1, ha="left", fontsize=13, fontweight="bold", y=0.985)
    fig.text(0.1, 0.962 - 0.009 * lines, subtitle, fontsize=6.5)
    fig.text(0.1, 0.947 - 0.009 * lines, DISCLAIMER, fontsize=6.5, color="#555555")
    if data.is_group:
        group_page.group_time_panels(fig, grid, rows, data, GROUP_TABLES)
    else:
        _time_panels(fig, grid, rows, data)
    _tables(fig, grid, rows, data)
    return fig


def write_report(data: SessionData, out: str | os.PathLike[str]) -> Path:
    """Write the one-page report as PDF or PNG (by the suffix of `out`); return its path."""
    out = Path(out)
    if out.suffix.lower() not in (".pdf", ".png"):
        raise ValueError(f"{out}: the report is written as .pdf or .png; change the suffix")
    fig = draw_page(data)
    from coregulate.security.files import private_output

    with private_output(out) as tmp:  # health data: owner-only, like the session file
        fig.savefig(tmp, dpi=DPI)
    return out
