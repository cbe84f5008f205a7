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
from coregulate.signal.people import KEY_RE

RATING_TOPIC: Final = "rating"
RATERS: Final = ("client", "therapist", "observer")
PHASES: Final = ("start", "during", "end", "after")
DEFAULT_PERSON: Final = "client"  # whose form a rating without `person` is


@dataclass(frozen=True, slots=True)
class Rating:
    """One rating as recorded: the score plus who rated, when and in which phase."""

    score: Score
    rater: str
    phase: str
    t_ns: int
    session_number: int | None = None
    # Whose form it is: a person's key (signal/people.py); the dyad's client by default.
    # With a client rater, the person named filled it in (e.g. each partner of a couple).
    person: str = DEFAULT_PERSON


def rating_payload(
    result: Score,
    rater: str,
    phase: str,
    t_ns: int,
    session_number: int | None = None,
    person: str | None = None,
) -> dict[str, Any]:
    """Return the JSON payload of a `rating` message for a scored form.

    `person` (a person's key) says whose form it is when the session has several
    clients; without it the payload is as before and names the client.
    """
    if rater not in RATERS:
        raise RatingError(f"rater must be one of {', '.join(RATERS)}; got {rater!r}")
    if phase not in PHASES:
        raise RatingError(f"phase must be one of {', '.join(PHASES)}; got {phase!r}")
    if person is not None:
        _check_person(person)
    inst = instrument(result.instrument)
    whose = {} if person is None else {"person": person}
    return whose | {
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
    person = payload.get("person", DEFAULT_PERSON)
    _check_person(person)  # a form of nobody known is not anybody's
    return Rating(
        result,
        rater if rater in RATERS else "client",  # the instruments are client-rated forms
        phase if phase in PHASES else inst.default_phase,
        when if _is_int(when) else t_ns,
        number if _is_int(number) else None,
        person,
    )


def _check_person(person: object) -> None:
    """Raise RatingError unless `person` is a person's key (`signal.people.KEY_RE`)."""
    if not isinstance(person, str) or not KEY_RE.match(person):
        raise RatingError(
            f"a rating's person must be a person's key such as partner, not {person!r}"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
