"""The `rating` bus payload: build it from a scored form, and read it back checked.

The payload (docs/protocol.md, topic `rating`) carries the raw answers so that any
tool can rescore it; reading one back rescores the answers and refuses a payload
whose totals disagree, so a history or a report never shows a number the answers
do not give.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from coregulate.alliance.instruments import instrument
from coregulate.alliance.scoring import RatingError, Score, score

RATING_TOPIC: Final = "rating"
RATERS: Final = ("client", "therapist", "observer")
PHASES: Final = ("start", "during", "end", "after")


@dataclass(frozen=True, slots=True)
class Rating:
    """One rating as recorded: the score plus who rated, when and in which phase."""

    score: Score
    rater: str
    phase: str
    t_ns: int
    session_number: int | None = None


def rating_payload(
    result: Score,
    rater: str,
    phase: str,
    t_ns: int,
    session_number: int | None = None,
) -> dict[str, Any]:
    """Return the JSON payload of a `rating` message for a scored form."""
    if rater not in RATERS:
        raise RatingError(f"rater must be one of {', '.join(RATERS)}; got {rater!r}")
    if phase not in PHASES:
        raise RatingError(f"phase must be one of {', '.join(PHASES)}; got {phase!r}")
    inst = instrument(result.instrument)
    return {
        "instrument": inst.name,
        "items": list(result.items),
        "item_names": list(inst.item_names),
        "total": result.total,
        "subscales": dict(result.subscales),
        "flags": dict(result.flags),
        "rater": rater,
        "phase": phase,
        "t_ns": int(t_ns),
        "session_number": session_number,
    }


def read_rating(payload: object, t_ns: int) -> Rating:
    """Return the checked Rating of a recorded payload, or raise RatingError saying why.

    `t_ns` is the message's header time, used when the payload has none.
    """
    if not isinstance(payload, dict):
        raise RatingError("a rating payload must be a JSON object")
    inst = instrument(str(payload.get("instrument", "")))
    result = score(inst, payload.get("items"))
    recorded = payload.get("total")
    if recorded is not None and (
        not isinstance(recorded, int | float) or abs(float(recorded) - result.total) > 1e-6
    ):
        raise RatingError(
            f"{inst.name} total {recorded!r} does not match its answers ({result.total:g})"
        )
    rater = payload.get("rater")
    phase = payload.get("phase")
    when = payload.get("t_ns")
    number = payload.get("session_number")
    return Rating(
        result,
        rater if rater in RATERS else "client",  # the instruments are client-rated forms
        phase if phase in PHASES else inst.default_phase,
        when if _is_int(when) else t_ns,
        number if _is_int(number) else None,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
