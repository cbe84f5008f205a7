"""Rating forms a client fills in: SRS/ORS as analogue lines, WAI-SR as answer buttons.

Every control is reached and set from the keyboard: Tab to each line (arrows move
the mark) or each item's answers (arrows across them, Space picks), then Tab to
Done and Space.

A form shows the instrument's licensed wording when the clinic loaded it
(`coregulate.alliance.wording`), else the dimension names. No score or number is
shown while the client rates. "Done" stays disabled until every item is answered;
then the form emits `submitted` with the scored form (`coregulate.alliance.Score`).
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from coregulate.alliance import Instrument, Score, score
from coregulate.alliance.wording import Wording
from coregulate.ui.analogue_line import AnalogueLine

_BIG = "font-size: 17px;"


class RatingForm(QtWidgets.QWidget):
    """One instrument's form; `submitted(Score)` fires when the client presses Done."""

    submitted = QtCore.Signal(object)

    def __init__(
        self,
        inst: Instrument,
        wording: Wording | None = None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.instrument = inst
        self._lines: list[AnalogueLine] = []
        self._choices: list[QtWidgets.QButtonGroup] = []
        layout = QtWidgets.QVBoxLayout(self)
        title = QtWidgets.QLabel(inst.title)
        title.setStyleSheet("font-size: 20px; font-weight: 600;")
        layout.addWidget(title)
        if wording and wording.instructions:
            intro = QtWidgets.QLabel(wording.instructions)
            intro.setWordWrap(True)
            intro.setStyleSheet(_BIG)
            layout.addWidget(intro)
        grid = QtWidgets.QGridLayout()
        layout.addLayout(grid)
        for i, name in enumerate(inst.item_names):
            text = wording.items[i] if wording else None
            label = QtWidgets.QLabel(text.text if text else name)
            label.setWordWrap(True)
            label.setStyleSheet(_BIG)
            grid.addWidget(label, 2 * i, 0, 1, 3)
            if inst.continuous:
                self._add_line(
                    grid, 2 * i + 1, text.left if text else "", text.right if text else ""
                )
                self._lines[-1].setAccessibleName(label.text())
            else:
                self._add_choice(grid, 2 * i + 1, wording.scale if wording else ())
        if wording and wording.licence:
            note = QtWidgets.QLabel(wording.licence)
            note.setStyleSheet("font-size: 10px; color: gray;")
            layout.addWidget(note)
        self.done_button = QtWidgets.QPushButton("Done")
        self.done_button.setMinimumHeight(48)
        self.done_button.setEnabled(False)
        self.done_button.clicked.connect(self._submit)
        layout.addWidget(self.done_button)

    def _add_line(self, grid: QtWidgets.QGridLayout, row: int, left: str, right: str) -> None:
        line = AnalogueLine()
        line.changed.connect(self._refresh)
        grid.addWidget(QtWidgets.QLabel(left), row, 0)
        grid.addWidget(line, row, 1)
        grid.addWidget(QtWidgets.QLabel(right), row, 2)
        self._lines.append(line)

    def _add_choice(self, grid: QtWidgets.QGridLayout, row: int, scale: tuple[str, ...]) -> None:
        inst = self.instrument
        answers = range(int(inst.min_score), int(inst.max_score) + 1)
        box = QtWidgets.QHBoxLayout()
        group = QtWidgets.QButtonGroup(self)
        lo, hi = inst.anchors
        for k, answer in enumerate(answers):
            # With the licensed labels the buttons say them; without, the ends are
            # named and the steps between are plain buttons (a scale, not a score).
            ends = {0: lo, len(answers) - 1: hi}
            caption = scale[k] if scale else ends.get(k, "")
            button = QtWidgets.QPushButton(caption)
            button.setCheckable(True)
            button.setMinimumSize(56, 44)
            group.addButton(button, answer)
            box.addWidget(button)
        group.idClicked.connect(self._refresh)
        grid.addLayout(box, row, 0, 1, 3)
        self._choices.append(group)

    def answers(self) -> list[float | None]:
        """Return the current answers in item order (None where not answered yet)."""
        if self.instrument.continuous:
            return [line.value for line in self._lines]
        return [float(g.checkedId()) if g.checkedId() != -1 else None for g in self._choices]

    @property
    def lines(self) -> list[AnalogueLine]:
        """Return the analogue lines (SRS/ORS), for tests and accessibility tools."""
        return list(self._lines)

    @property
    def choices(self) -> list[QtWidgets.QButtonGroup]:
        """Return the answer button groups (WAI-SR)."""
        return list(self._choices)

    def _refresh(self, *_: object) -> None:
        self.done_button.setEnabled(all(a is not None for a in self.answers()))

    def _submit(self) -> None:
        self.submitted.emit(score(self.instrument, self.answers()))

    def reset(self) -> None:
        """Clear every answer, for the next person or the next session."""
        for line in self._lines:
            line.set_value(None)
        for group in self._choices:
            group.setExclusive(False)
            for button in group.buttons():
                button.setChecked(False)
            group.setExclusive(True)
        self._refresh()


def result_text(result: Score) -> str:
    """Return the therapist-facing one-line summary of a scored form (never shown to the client)."""
    flags = [name.replace("_", " ") for name, on in result.flags.items() if on]
    parts = [f"{result.instrument} total {result.total:g}"]
    parts += [f"{k} {v:g}" for k, v in result.subscales.items() if not k.endswith("_mean")]
    return ", ".join(parts) + (f" — {', '.join(flags)}" if flags else "")
