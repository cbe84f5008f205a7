"""The three instruments' structure: items, answer ranges and subscales (no wording).

Sources
-------
- SRS (Session Rating Scale 3.0; Duncan, Miller, Sparks et al. 2003): four 10 cm
  visual-analogue lines scored 0-10 (to the millimetre), total 0-40; a total of 36 or
  less flags a possible alliance concern to talk about.
- ORS (Outcome Rating Scale; Miller, Duncan, Brown, Sparks & Claud 2003): four 10 cm
  lines scored 0-10, total 0-40; adult clinical cut-off 25 (a total below 25 is in
  the clinical range) and reliable change index 5 points.
- WAI-SR (Working Alliance Inventory, Short Revised; Hatcher & Gillaspy 2006): twelve
  items answered 1 (seldom) to 5 (always), none reverse-keyed; Task = items 1, 2, 10,
  12; Bond = 3, 5, 7, 9; Goal = 4, 6, 8, 11.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final


@dataclass(frozen=True, slots=True)
class Instrument:
    """One rating instrument: its items (by dimension name), answer range and subscales.

    `subscales` maps a subscale name to the 1-based item numbers it sums.
    `continuous` instruments are visual-analogue lines (any value in range, shown
    to one decimal, i.e. the millimetre of a 10 cm line); the others take whole
    numbers only.
    """

    name: str
    title: str
    item_names: tuple[str, ...]
    min_score: float
    max_score: float
    continuous: bool
    subscales: dict[str, tuple[int, ...]] = field(default_factory=dict)
    default_phase: str = "end"
    anchors: tuple[str, str] = ("", "")

    @property
    def n_items(self) -> int:
        """Return the number of items."""
        return len(self.item_names)


SRS: Final = Instrument(
    name="SRS",
    title="Session Rating Scale",
    item_names=("Relationship", "Goals and Topics", "Approach or Method", "Overall"),
    min_score=0.0,
    max_score=10.0,
    continuous=True,
    default_phase="end",
)
ORS: Final = Instrument(
    name="ORS",
    title="Outcome Rating Scale",
    item_names=("Individually", "Interpersonally", "Socially", "Overall"),
    min_score=0.0,
    max_score=10.0,
    continuous=True,
    default_phase="start",
)
WAI_SR: Final = Instrument(
    name="WAI-SR",
    title="Working Alliance Inventory, Short Revised",
    # Dimension names only; item n is the n-th item of the published form.
    item_names=tuple(
        f"{dim} item {n}"
        for n, dim in enumerate(
            [
                "Task",
                "Task",
                "Bond",
                "Goal",
                "Bond",
                "Goal",
                "Bond",
                "Goal",
                "Bond",
                "Task",
                "Goal",
                "Task",
            ],
            start=1,
        )
    ),
    min_score=1,
    max_score=5,
    continuous=False,
    subscales={"task": (1, 2, 10, 12), "bond": (3, 5, 7, 9), "goal": (4, 6, 8, 11)},
    default_phase="end",
    anchors=("seldom", "always"),
)

SRS_CONCERN_MAX: Final = 36.0  # total <= 36: talk about the alliance (SRS guidance)
ORS_CLINICAL_CUTOFF: Final = 25.0  # adult ORS: total < 25 is in the clinical range
ORS_RELIABLE_CHANGE: Final = 5.0  # points; a change of 5 or more is reliable

INSTRUMENTS: Final[dict[str, Instrument]] = {i.name: i for i in (SRS, ORS, WAI_SR)}


def instrument(name: str) -> Instrument:
    """Return the instrument called `name` (SRS, ORS or WAI-SR; case-insensitive)."""
    key = name.strip().upper().replace("_", "-")
    try:
        return INSTRUMENTS[key]
    except KeyError:
        from coregulate.alliance.scoring import RatingError

        raise RatingError(
            f"unknown instrument {name!r}; choose one of {', '.join(INSTRUMENTS)}"
        ) from None
