"""The page of a session of 3-6 people: a section per person, the group index, the pair table.

Top to bottom: the events (markers naming whom they are about); each person in
session order, in their window colour (arousal index with states, else HR, with
their baseline band); the group index against its chance level; then the table of
every pair, the ratings and markers, time in state and data quality.
"""

from __future__ import annotations

from coregulate.palette import PAPER, ink
from coregulate.review.report import group_panels, panels
from coregulate.review.session_data import SessionData
from coregulate.signal.people import PeopleError, people_from_session

TABLE_ROW_IN = 0.17  # one table row (tables.draw_table)


def person_height(data: SessionData) -> float:
    """Return one person's section height: smaller for 5-6 people so that the page holds them."""
    return 0.75 if len(data.people) <= 4 else 0.55


def group_sections(data: SessionData) -> list[str]:
    """Return a group page's sections: events, one per person, group, pairs and the tables."""
    kind = "arousal" if all(p.arousal_index is not None for p in data.people.values()) else "hr"
    people = [f"{kind}.{key}" for key in data.people]
    events = ["events"] if data.markers or data.ratings else []
    lists = [
        name for name, items in (("ratings", data.ratings), ("markers", data.markers)) if items
    ]
    listed = ["+".join(lists)] if lists else []
    tail = ["pairs", *listed, "states", "quality", "notes"]
    return [*events, *people, "pair_strip", "group", "space", *tail]


def table_height(data: SessionData, name: str) -> float | None:
    """Return the height of a group page's table that grows with its rows, else None."""
    if name == "pairs":
        return TABLE_ROW_IN * (len(data.pairs) + 1) + 0.3
    if name in ("states", "quality"):
        return TABLE_ROW_IN * (len(data.people) + 1) + 0.25
    if name == "pair_strip":
        return 0.11 * len(data.pairs) + 0.1
    if name == "space":
        return 0.3  # the time axis' label above the pair table's title
    if name.startswith(("arousal.", "hr.")):
        return person_height(data)
    return None


def group_time_panels(fig, grid, names: list[str], data: SessionData, skip: tuple) -> None:
    """Draw a group page's panels on the session clock, sharing one time axis."""
    axes = panels.time_axes(fig, grid, names, skip)
    if "events" in axes:
        panels.events_axis(axes["events"], data)
    first = True
    for name, ax in axes.items():
        kind, _, key = name.partition(".")
        if kind == "arousal":
            panels.arousal_axis(ax, data, key, legend=first)
            first = False
        elif kind == "hr":
            group_panels.hr_axis(ax, data, key)
        if key:
            panels.gap_spans(ax, data, key)
            colour = group_panels.colour_of(data, key)
            ax.spines["left"].set(color=colour, lw=2.5)
            label = "arousal (z)" if kind == "arousal" else "HR (bpm)"
            ax.set_ylabel(f"{key}\n{label}", fontsize=6.5, color=ink(colour, PAPER.background))
    group_panels.pair_strip(axes["pair_strip"], data)
    group_panels.group_axis(axes["group"], data)
    for name, ax in axes.items():
        if name != "events":
            panels.marker_lines(ax, data, name.partition(".")[2] or None)
            ax.tick_params(labelsize=7, axis="both")
            ax.tick_params(axis="x", labelbottom=name == "group")
    axes["group"].set_xlabel("session time (min)   grey spans: a strap's data lost", fontsize=7)
    starts = [float(p.t_s[0]) for p in data.people.values() if p.t_s.size]
    axes["group"].set_xlim(min([0.0, *starts]) / 60, max(data.duration_s, 1) / 60)


def group_subtitle(data: SessionData) -> str:
    """Return who was there (each person's key and id) for the page's header."""
    try:
        people = people_from_session(data.info)
        ids = {p.key: p.id for p in people}
    except PeopleError:
        ids = {}
    return " · ".join(f"{key} {ids.get(key) or 'unknown'}" for key in data.people)
