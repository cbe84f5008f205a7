"""Markers: their keys, labels and payloads, and the bar of buttons that makes them.

One keystroke each (docs/protocol.md `marker`). The kinds are W/C/R/N
(`DEFAULT_KINDS`) unless a clinic gives its own set in a TOML file
(`load_marker_kinds`): one ``[[kind]]`` table per kind with ``kind`` (the name
recorded), ``key``, ``label`` and ``colour``::

    [[kind]]
    kind = "self-disclosure"
    key = "D"
    label = "Self-disclosure"
    colour = "#AA4499"

For W/C/R/N's own names the label and colour may be left out (the defaults are
kept). The note opens a small text field;
the marker's time is the moment N was pressed (what the therapist noticed), not
when the text was finished. The field gives focus back after Enter, Escape, or
`NOTE_IDLE_MS` without typing, so the marker keys keep working.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from PySide6 import QtCore, QtWidgets

from coregulate.palette import MARKER_COLOURS, marker_colour
from coregulate.sessionfile.markers import (
    MARKER_KINDS,
    MAX_KIND_CHARS,
    RETRACTION,
    Marker,
    kind_category,
    kind_label,
)


@dataclass(frozen=True, slots=True)
class MarkerKind:
    """How one kind of marker is made and drawn."""

    kind: str
    key: str
    label: str
    letter: str  # drawn beside the line: colour is never the only cue
    colour: str


# The key that makes each kind of marker; the same letter is drawn beside its line.
KIND_KEYS: Final = {
    "rupture-withdrawal": "W",
    "rupture-confrontation": "C",
    "repair": "R",
    "note": "N",
}
KINDS: Final = tuple(
    MarkerKind(
        kind,
        key=KIND_KEYS[kind],
        label=kind_label(kind).capitalize(),  # "Rupture: withdrawal"
        letter=KIND_KEYS[kind],
        colour=MARKER_COLOURS[kind],
    )
    for kind in MARKER_KINDS
)
DEFAULT_KINDS: Final = KINDS
BY_KIND: Final = {k.kind: k for k in KINDS}
UNDO_KEY: Final = "Ctrl+Z"
# Mode changes sit on F-keys, away from the letters that mark: a slip of a finger
# from R (repair) or C (confrontation) must never switch the theme or the view.
VIEW_KEY: Final = "F2"
THEME_KEY: Final = "F3"
HELP_KEY: Final = "F1"
NOTE_IDLE_MS: Final = 15_000
MAX_NOTE_CHARS: Final = 500


_KIND_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
_KEY = re.compile(r"[A-Z0-9]")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


class MarkerKindsError(ValueError):
    """A marker kinds file that cannot be used; the message is one line that says why."""


def load_marker_kinds(path: str | Path) -> tuple[MarkerKind, ...]:
    """Return the marker kinds of a TOML file, in its order, or raise MarkerKindsError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MarkerKindsError(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MarkerKindsError(f"{path}: not valid TOML ({exc})") from exc
    try:
        return marker_kinds_from(data)
    except MarkerKindsError as exc:
        raise MarkerKindsError(f"{path}: {exc}") from None


def marker_kinds_from(data: dict[str, Any]) -> tuple[MarkerKind, ...]:
    """Return the marker kinds of a parsed ``{"kind": [{...}, ...]}`` table, validated."""
    tables = data.get("kind")
    if not isinstance(tables, list) or not tables:
        raise MarkerKindsError("no [[kind]] tables (each with kind, key, label, colour)")
    unknown = set(data) - {"kind"}
    if unknown:
        raise MarkerKindsError(f"unknown top-level entry {sorted(unknown)[0]!r}; only [[kind]]")
    kinds: list[MarkerKind] = []
    for n, table in enumerate(tables, start=1):
        kinds.append(_one_kind(n, table))
    for field in ("kind", "key"):
        seen: set[str] = set()
        for k in kinds:
            value = getattr(k, field)
            if value in seen:
                raise MarkerKindsError(f"{field} {value!r} is given to two kinds; one each")
            seen.add(value)
    return tuple(kinds)


def _one_kind(n: int, table: object) -> MarkerKind:
    if not isinstance(table, dict):
        raise MarkerKindsError(f"kind {n}: not a table")
    unknown = set(table) - {"kind", "key", "label", "colour"}
    if unknown:
        raise MarkerKindsError(
            f"kind {n}: unknown field {sorted(unknown)[0]!r} (kind, key, label, colour)"
        )
    name = table.get("kind")
    if (
        not isinstance(name, str)
        or not _KIND_NAME.fullmatch(name)
        or len(name) > MAX_KIND_CHARS
        or name == RETRACTION
    ):
        raise MarkerKindsError(
            f"kind {n}: 'kind' must be a lower-case name like \"self-disclosure\" "
            f"(letters, digits, hyphens, at most {MAX_KIND_CHARS}), got {name!r}"
        )
    where = f"kind {n} ({name})"
    default = BY_KIND.get(name)
    key = table.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key.upper()):
        raise MarkerKindsError(f"{where}: 'key' must be one letter or digit, got {key!r}")
    label = table.get("label", default.label if default else None)
    if not isinstance(label, str) or not label.strip():
        raise MarkerKindsError(f"{where}: 'label' must be a non-empty text")
    colour = table.get("colour", default.colour if default else None)
    if not isinstance(colour, str) or not _COLOUR.fullmatch(colour):
        raise MarkerKindsError(f"{where}: 'colour' must be \"#RRGGBB\", got {colour!r}")
    key = key.upper()
    return MarkerKind(name, key=key, label=label.strip(), letter=key, colour=colour.upper())


def kind_style(kind: str, kinds: dict[str, MarkerKind] | None = None) -> MarkerKind:
    """Return how to draw a marker of `kind`: from `kinds`, the defaults, else by category.

    A kind this window does not know (another window's set, an older file) is still
    drawn, in its category's colour, with its first letter.
    """
    known = (kinds or BY_KIND).get(kind) or BY_KIND.get(kind)
    if known is not None:
        return known
    letter = (kind[:1] or "?").upper()
    return MarkerKind(
        kind,
        key="",
        label=kind_label(kind).capitalize(),
        letter=letter,
        colour=marker_colour(kind, kind_category(kind), "dark"),
    )


def kind_colour(kind: MarkerKind, theme: str) -> str:
    """Return the colour to draw `kind` in `theme` ("dark", "light").

    The palette's kinds and the category colours of unknown kinds follow the theme
    (`palette.MARKER_COLOURS_BY_THEME`); a clinic's own colour is drawn as given.
    """
    if kind.colour == marker_colour(kind.kind, kind_category(kind.kind), "dark"):
        return marker_colour(kind.kind, kind_category(kind.kind), theme)
    return kind.colour


def new_marker_id() -> str:
    """Return a fresh marker id (random, 32 hex digits)."""
    return uuid.uuid4().hex


def marker_payload(
    kind: str,
    t_ns: int,
    text: str = "",
    marker_id: str | None = None,
    kinds: dict[str, MarkerKind] | None = None,
    who: list[str] | None = None,
) -> dict[str, Any]:
    """Return the `marker` payload for a new marker of `kind` (one of `kinds`) at `t_ns`.

    `who`: the keys of the people it is about (a rupture between the partners); the
    payload has `"who"` only when some are named.
    """
    kinds = kinds or BY_KIND
    if kind not in kinds:
        raise ValueError(f"unknown marker kind {kind!r}; one of {', '.join(kinds)}")
    payload = {
        "id": marker_id or new_marker_id(),
        "kind": kind,
        "t_ns": int(t_ns),
        "text": text[:MAX_NOTE_CHARS] if kind == "note" else None,
    }
    if who:
        payload["who"] = list(who)
    return payload


def retraction_payload(retracts: str, t_ns: int) -> dict[str, Any]:
    """Return the `marker` payload that withdraws marker `retracts` (undo)."""
    return {"id": new_marker_id(), "kind": RETRACTION, "t_ns": int(t_ns), "retracts": retracts}


class MarkerBar(QtWidgets.QWidget):
    """Buttons for the markers, an undo button and the note field.

    Signals
    -------
    marked(kind, text, t_ns)
        A marker was asked for; `t_ns` is -1 unless the note field fixed it earlier.
    undo()
        The last marker should be withdrawn.
    """

    marked = QtCore.Signal(str, str, object)  # t_ns exceeds a C int
    undo = QtCore.Signal()

    def __init__(
        self,
        now_ns: Any,
        parent: QtWidgets.QWidget | None = None,
        kinds: tuple[MarkerKind, ...] = DEFAULT_KINDS,
    ) -> None:
        super().__init__(parent)
        self._now_ns = now_ns
        self._note_t_ns = -1
        self._return_focus: QtWidgets.QWidget | None = None
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        for k in kinds:
            button = QtWidgets.QPushButton(f"{k.label}  [{k.key}]")
            button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)  # keys stay with the window
            button.setToolTip(f"Mark '{k.label.lower()}' now (key {k.key})")
            button.clicked.connect(lambda _=False, kind=k.kind: self.trigger(kind))
            layout.addWidget(button)
            self.buttons[k.kind] = button
        self.note = QtWidgets.QLineEdit()
        self.note.setPlaceholderText("note text, Enter to save, Esc to cancel")
        self.note.setMaxLength(MAX_NOTE_CHARS)
        self.note.setVisible(False)
        self.note.returnPressed.connect(self._note_done)
        self.note.textEdited.connect(lambda _: self._idle.start(NOTE_IDLE_MS))
        layout.addWidget(self.note, 1)
        layout.addStretch(0)
        self.undo_button = QtWidgets.QPushButton(f"Undo last marker  [{UNDO_KEY}]")
        self.undo_button.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        self.undo_button.clicked.connect(self.undo.emit)
        layout.addWidget(self.undo_button)
        self._kinds = {k.kind: k for k in kinds}
        self._idle = QtCore.QTimer(self)
        self._idle.setSingleShot(True)
        self._idle.timeout.connect(self._note_done)
        self.note.installEventFilter(self)

    def set_theme(self, theme: Any) -> None:
        """Draw each button with its kind's colour as a thick left edge, in `theme`.

        Qt draws a button's border from a style sheet only when the whole border is
        given; a left edge alone is silently ignored (it was, before: no colour).
        """
        from coregulate.ui.theme import mix

        faded = mix(theme.muted, theme.panel, 0.55)
        for kind, button in self.buttons.items():
            button.setStyleSheet(
                f"QPushButton {{ background: {theme.panel}; color: {theme.foreground}; "
                f"border: 1px solid {theme.axis}; border-left: 8px solid "
                f"{kind_colour(self._kinds[kind], theme.name)}; border-radius: 4px; "
                "padding: 6px 10px; }"
                f"QPushButton:pressed {{ background: {theme.background}; }}"
                f"QPushButton:disabled {{ color: {faded}; border-color: {faded}; }}"
            )

    def trigger(self, kind: str) -> None:
        """Make a marker of `kind` now; a note opens the text field first."""
        if kind != "note":
            self.marked.emit(kind, "", -1)
            return
        self._note_t_ns = int(self._now_ns())
        self._return_focus = QtWidgets.QApplication.focusWidget()
        self.note.setVisible(True)
        self.note.setFocus()
        self._idle.start(NOTE_IDLE_MS)

    def _note_done(self) -> None:
        """Publish the note (even if empty: the moment was marked) and give focus back."""
        if self._note_t_ns < 0:
            return
        self.marked.emit("note", self.note.text().strip(), self._note_t_ns)
        self._close_note()

    def cancel_note(self) -> None:
        """Close the note field without a marker."""
        self._close_note()

    def _close_note(self) -> None:
        self._idle.stop()
        self._note_t_ns = -1
        self.note.clear()
        self.note.setVisible(False)
        if self._return_focus is not None:
            self._return_focus.setFocus()
        else:
            self.window().setFocus()

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:
        """Escape in the note field cancels it."""
        if (
            obj is self.note
            and event.type() == QtCore.QEvent.Type.KeyPress
            and event.key() == QtCore.Qt.Key.Key_Escape  # type: ignore[attr-defined]
        ):
            self.cancel_note()
            return True
        return super().eventFilter(obj, event)


def undo_text(marker: Marker, kinds: dict[str, MarkerKind] | None = None) -> str:
    """Return what an undo withdrew: "rupture (confrontation) at 0:12:03"."""
    label = kind_style(marker.kind, kinds).label
    head, _, rest = label.partition(": ")
    what = f"{head.lower()} ({rest})" if rest else head.lower()
    return f"{what} at {hms(marker.t_s)}"


def hms(seconds: float) -> str:
    """Return session seconds as "h:mm:ss"."""
    s = max(0, int(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
