"""ORS change across sessions: reliable change and clinically significant change.

Miller, Duncan, Brown, Sparks & Claud (2003): a change of 5 points or more in the
ORS total is reliable; a client who starts below the adult cut-off of 25 and ends at
or above it with a reliable improvement has changed in a clinically significant way.
Change is measured from the first ORS of the client's history (the intake), as the
feedback-informed-treatment tools do.
"""

from __future__ import annotations

from dataclasses import dataclass

from coregulate.alliance.instruments import ORS_CLINICAL_CUTOFF, ORS_RELIABLE_CHANGE


@dataclass(frozen=True, slots=True)
class OrsChange:
    """The change of one ORS total from the intake ORS, and what it means."""

    change: float
    reliable_improvement: bool
    reliable_deterioration: bool
    clinically_significant: bool


def ors_change(intake_total: float, total: float) -> OrsChange:
    """Return the change from `intake_total` to `total` with its reliable-change flags.

    Examples
    --------
    >>> c = ors_change(20.0, 25.0)
    >>> c.change, c.reliable_improvement, c.clinically_significant
    (5.0, True, True)
    """
    # Totals come from 0.1-resolution lines; rounding keeps 24.9 -> 29.9 at exactly 5.
    delta = round(total - intake_total, 6)
    improved = delta >= ORS_RELIABLE_CHANGE
    return OrsChange(
        change=delta,
        reliable_improvement=improved,
        reliable_deterioration=delta <= -ORS_RELIABLE_CHANGE,
        clinically_significant=(improved and intake_total < ORS_CLINICAL_CUTOFF <= total),
    )
