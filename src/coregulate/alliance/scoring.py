"""Score one completed form: validate every answer, then totals, subscales and flags.

WAI-SR scores are **sums** (subscales 4-20, total 12-60), the Working Alliance
Inventory's own scoring (Horvath & Greenberg 1989) kept by the short forms, and
they are what the `total` of a rating means for every instrument. Mean item scores
(1-5, as several WAI-SR papers tabulate them, e.g. Munder et al. 2010) are reported
beside them as ``<subscale>_mean`` so either convention can be compared without
rescoring. SRS and ORS totals are sums of the four lines (0-40).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Real

from coregulate.alliance.instruments import (
    ORS_CLINICAL_CUTOFF,
    SRS_CONCERN_MAX,
    Instrument,
)


class RatingError(ValueError):
    """A form that cannot be scored; the text names the item and what is allowed."""


@dataclass(frozen=True, slots=True)
class Score:
    """A scored form: the validated items, the total, subscales and flags.

    `subscales` holds sums and, for multi-item subscales, ``<name>_mean`` item means;
    `flags` holds the instrument's own single-session flags (SRS ``concern``, ORS
    ``clinical_range``). Changes across sessions are `coregulate.alliance.change`'s job.
    """

    instrument: str
    items: tuple[float, ...]
    total: float
    subscales: dict[str, float] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)


def _check_item(inst: Instrument, number: int, value: object) -> float:
    where = f"{inst.name} item {number} ({inst.item_names[number - 1]})"
    if value is None:
        raise RatingError(f"{where} is unanswered; every item needs an answer")
    if isinstance(value, bool) or not isinstance(value, Real):
        raise RatingError(f"{where} is {value!r}, not a number")
    x = float(value)
    if not math.isfinite(x):
        raise RatingError(f"{where} is {x}, not a finite number")
    lo, hi = inst.min_score, inst.max_score
    if not lo <= x <= hi:
        raise RatingError(f"{where} is {x:g}; answers run from {lo:g} to {hi:g}")
    if not inst.continuous and x != int(x):
        raise RatingError(f"{where} is {x:g}; this instrument takes whole numbers {lo:g}-{hi:g}")
    return x


def score(inst: Instrument, items: Sequence[object]) -> Score:
    """Return the scored form, or raise RatingError for an incomplete or invalid one.

    Examples
    --------
    >>> from coregulate.alliance.instruments import SRS
    >>> s = score(SRS, [9, 9, 9, 9])
    >>> s.total, s.flags["concern"]
    (36.0, True)
    """
    if isinstance(items, str | bytes) or not isinstance(items, Sequence):
        raise RatingError(f"{inst.name} answers must be a list of {inst.n_items} numbers")
    if len(items) != inst.n_items:
        raise RatingError(
            f"{inst.name} has {inst.n_items} items; got {len(items)} answers "
            f"(incomplete forms are not scored: ask for the missing answers)"
        )
    values = tuple(_check_item(inst, n, v) for n, v in enumerate(items, start=1))
    # Visual-analogue lines are read to the millimetre; round the sum so that
    # 8.7 + 9.1 + ... does not land a hair off a cut-off through float error.
    total = round(math.fsum(values), 6)
    subscales: dict[str, float] = {}
    for name, numbers in inst.subscales.items():
        part = math.fsum(values[n - 1] for n in numbers)
        subscales[name] = part
        subscales[f"{name}_mean"] = part / len(numbers)
    if inst.subscales:
        subscales["total_mean"] = total / inst.n_items
    flags: dict[str, bool] = {}
    if inst.name == "SRS":
        flags["concern"] = total <= SRS_CONCERN_MAX
    elif inst.name == "ORS":
        flags["clinical_range"] = total < ORS_CLINICAL_CUTOFF
    return Score(inst.name, values, total, subscales, flags)
