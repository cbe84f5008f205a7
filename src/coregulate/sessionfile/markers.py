"""Session markers (rupture, repair, note) and their withdrawal, resolved in one place.

The live window publishes a marker as ``{"id", "kind", "t_ns", "text"}`` on the
`marker` topic and withdraws one (undo) with ``{"kind": "retraction", "retracts":
<id>}`` (docs/protocol.md `marker`). The withdrawn marker stays in the file (nothing
recorded is ever altered) but no reader shows or counts it. `Markers` is the one
place that decides which markers stand: the window feeds it message by message, a
file reader all at once. (The file's SQL `markers` view says the same for SQL
readers; a test keeps the two agreeing.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

RETRACTION: Final = "retraction"
# The kinds of marker the live window makes, in the order of its marker bar. A file
# may hold others (an import, an older file); each falls in one of the categories.
MARKER_KINDS: Final = ("rupture-withdrawal", "rupture-confrontation", "repair", "note")
MARKER_CATEGORIES: Final = ("rupture", "repair", "note")
MAX_KIND_CHARS: Final = 40  # a clinic's own kind (ui.markers.load_marker_kinds) is a short name
MAX_WHO: Final = 6  # a marker names at most a session's people (`"who": [keys]`, issue 19)


def kind_label(kind: str) -> str:
    """Return a marker kind as a reader writes it: "rupture-withdrawal" -> "rupture: withdrawal"."""
    return kind.replace("-", ": ", 1)


def kind_category(kind: str) -> str:
    """Return the category of a marker kind: "rupture", "repair" or "note"."""
    k = kind.lower()
    return "rupture" if k.startswith("rupture") else "repair" if k.startswith("repair") else "note"


@dataclass(frozen=True, slots=True)
class Marker:
    """One marker: session time (s), kind, optional text, its id, who sent it, whom it names."""

    t_s: float
    kind: str
    text: str = ""
    id: str | None = None
    source: str = ""
    who: tuple[str, ...] = ()  # the people it is about (their keys), e.g. both partners

    @property
    def label(self) -> str:
        """Return the kind as a reader writes it ("rupture-withdrawal" -> "rupture: withdrawal")."""
        return kind_label(self.kind)

    @property
    def category(self) -> str:
        """Return "rupture", "repair" or "note"."""
        return kind_category(self.kind)


class Markers:
    """The markers of one session, in arrival order, with withdrawals applied.

    `add` takes each `marker` payload as it arrives (a withdrawal may come before
    or after the marker it withdraws); `standing()` returns those not withdrawn.
    """

    def __init__(self) -> None:
        self._all: list[Marker] = []
        self._ids: set[str] = set()
        self.withdrawn: set[str] = set()

    def add(self, payload: object, t_ns: int, source: str = "") -> Marker | None:
        """Take one `marker` payload; return its Marker, or None for a withdrawal.

        Reads the live window's fields (`t_ns` = when the key was pressed, else the
        message time `t_ns`) and the plain ``{"kind", "note"}`` form. Raises
        ValueError for a payload without a kind, which is no marker at all.
        """
        if not isinstance(payload, dict) or not isinstance(payload.get("kind"), str):
            raise ValueError("a marker without a kind")
        if payload["kind"] == RETRACTION:
            if isinstance(payload.get("retracts"), str):
                self.withdrawn.add(payload["retracts"])
            return None
        t = payload.get("t_ns")
        text = payload.get("text") or payload.get("note")
        marker_id = payload.get("id")
        who = payload.get("who")
        marker = Marker(
            (t if isinstance(t, int) and not isinstance(t, bool) else t_ns) / 1e9,
            payload["kind"],
            text if isinstance(text, str) else "",
            marker_id if isinstance(marker_id, str) else None,
            source,
            tuple(w for w in who if isinstance(w, str))[:MAX_WHO] if isinstance(who, list) else (),
        )
        self._all.append(marker)
        if marker.id is not None:
            self._ids.add(marker.id)
        return marker

    def standing(self) -> list[Marker]:
        """Return the markers not withdrawn, in arrival order."""
        return [m for m in self._all if m.id is None or m.id not in self.withdrawn]

    def __contains__(self, marker_id: object) -> bool:
        """Return True if a marker with this id arrived (withdrawn or not)."""
        return marker_id in self._ids
