"""The full view's pair strip (3+ people): each pair's newest window, its lag and its verdicts.

One row per pair in session order, `a · b`. A pair's lag is positive when `b`, the
second named, leads (signal/people.py), so each row also says who leads in words.
The verdicts are the window's (its peak r against its own chance band) and the
session's so far (SUSY), each as a word: colour is never the only cue.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6 import QtCore, QtWidgets

from coregulate.ui.model import SessionModel
from coregulate.ui.sync_line import DEFAULT_SIMULTANEOUS_S

HEADERS: Final = ("pair (a · b)", "peak r (chance)", "lag (+: b leads)", "above chance")
VERDICT_TIP: Final = "above chance? this window's peak r · the session so far (SUSY)"
ROW_PX: Final = 22
MAX_ROWS_SHOWN: Final = 10.5  # more pairs scroll (15 for six people)
WIDTH_PX: Final = 540  # six people's 15 rows scroll: room for the scroll bar too


def pair_cells(latest: dict[str, Any], name_a: str, name_b: str) -> tuple[str, ...]:
    """Return the row's texts after the pair's name, from its newest synchrony payload.

    (peak r and its chance band, the lag with its sign and who leads in words, the
    verdicts of the window and of the session so far.)
    """
    window = latest.get("window") or {}
    r, chance, lag = (window.get(k) for k in ("peak_r", "chance_abs_r95", "peak_lag_s"))
    session = _yes_no((latest.get("susy") or {}).get("above_chance"), "not yet")
    if not isinstance(r, int | float) or not isinstance(lag, int | float):
        return ("—", "not available" if latest else "waiting", f"— · {session}")
    simultaneous = (latest.get("params") or {}).get("simultaneous_s", DEFAULT_SIMULTANEOUS_S)
    leads = "in step" if abs(lag) <= simultaneous else f"{name_b if lag > 0 else name_a} leads"
    chance_text = f" (±{chance:.2f})" if isinstance(chance, int | float) else ""
    verdict = _yes_no(window.get("above_chance"), "—")
    return (f"{r:+.2f}{chance_text}", f"{lag:+.1f} s: {leads}", f"{verdict} · {session}")


def _yes_no(verdict: object, unknown: str) -> str:
    return {True: "yes", False: "no"}.get(verdict, unknown)  # type: ignore[arg-type]


class PairTable(QtWidgets.QTableWidget):
    """Every pair's newest synchrony window, one row each (only in 3+ person sessions)."""

    def __init__(self) -> None:
        super().__init__(0, len(HEADERS))
        self.setHorizontalHeaderLabels(HEADERS)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(ROW_PX)
        self.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        self.setFocusPolicy(QtCore.Qt.FocusPolicy.NoFocus)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.horizontalHeaderItem(3).setToolTip(VERDICT_TIP)
        self.setFixedWidth(WIDTH_PX)
        self.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        font = self.font()
        font.setPixelSize(12)
        self.setFont(font)
        self.horizontalHeader().setFont(font)
        self.setToolTip(
            "Each pair's newest 30 s window: peak r and its 95 % chance band, the lag of the "
            "peak (positive: the second person named leads), and whether this window and "
            "the session so far (SUSY) are above chance. Synchrony is information, not a goal."
        )
        self.pairs: list[tuple[str, str]] = []

    def set_pairs(self, pairs: list[tuple[str, str]], names: dict[str, str]) -> None:
        """Show one row per pair (a, b), named with `names`."""
        self.pairs = list(pairs)
        self.names = names
        self.setRowCount(len(pairs))
        for row, (a, b) in enumerate(pairs):
            self._set(row, 0, f"{names[a]} · {names[b]}")
        shown = min(len(pairs), MAX_ROWS_SHOWN)
        self.setFixedHeight(round(self.horizontalHeader().sizeHint().height() + shown * ROW_PX) + 4)

    def redraw(self, model: SessionModel) -> None:
        """Refresh every row from the newest pair messages."""
        for row, (a, b) in enumerate(self.pairs):
            sync = model.pair(a, b)
            latest = sync.latest if sync else {}
            cells = pair_cells(latest, self.names[a], self.names[b])
            # Why a window is missing (a gap, too little data) is said on hover.
            why = str((latest.get("unavailable") or {}).get("window") or "")
            for col, text in enumerate(cells, start=1):
                self._set(row, col, text, why if col == 2 else "")

    def _set(self, row: int, col: int, text: str, tip: str = "") -> None:
        item = self.item(row, col)
        if item is None:
            item = QtWidgets.QTableWidgetItem(text)
            self.setItem(row, col, item)
        elif item.text() != text:
            item.setText(text)
        if item.toolTip() != tip:
            item.setToolTip(tip)
