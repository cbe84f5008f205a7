"""The people of a live session from the command line: `--person KEY=STRAP`, `--people N`.

`monitor --person client=ADDR --person partner=ADDR --person therapist=sim` names
2-6 people and their straps in session order; `--client/--therapist` stay the
two-person shorthand (mixing the two forms is refused). `demo --people N` runs the
demo group of N simulated people (`people.demo_people`). Every mistake is one line
(PeopleError's text) and `USAGE`, before anything starts.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from coregulate.signal.dyad import ROLES
from coregulate.signal.people import (
    MAX_PEOPLE,
    MIN_PEOPLE,
    PeopleError,
    Person,
    check_people,
    demo_people,
    make_person,
)

SIM = "sim"


def add_person_option(parser: argparse.ArgumentParser) -> None:
    """Add `--person KEY=STRAP` (repeatable) to `monitor`."""
    parser.add_argument(
        "--person",
        action="append",
        metavar="KEY=STRAP",
        help="one person of the session and their strap (as --client takes it), e.g. "
        "--person client=AA:BB:.. --person partner=Polar --person therapist=sim; "
        f"{MIN_PEOPLE} to {MAX_PEOPLE} people, in the order given (couples, families, "
        "co-therapists: keys such as client, partner, child, therapist, co-therapist). "
        "Instead of --client/--therapist, not with them",
    )


def add_person_id_option(parser: argparse.ArgumentParser) -> None:
    """Add `--person-id KEY=ID` (repeatable) to `monitor`."""
    parser.add_argument(
        "--person-id",
        action="append",
        metavar="KEY=ID",
        help="the pseudonymous id of a person given with --person (default: their key), "
        "e.g. --person-id partner=P-0417; the client's and therapist's: --client-id, "
        "--therapist-id",
    )


def add_people_option(parser: argparse.ArgumentParser) -> None:
    """Add `--people N` to `demo`."""
    parser.add_argument(
        "--people",
        type=int,
        default=MIN_PEOPLE,
        metavar="N",
        help=f"simulate N people, {MIN_PEOPLE} to {MAX_PEOPLE} (default {MIN_PEOPLE}: client "
        "and therapist; 3 adds a partner, 4 a co-therapist, 5 a child, 6 a sibling)",
    )


def demo_people_option(n: int) -> tuple[Person, ...]:
    """Return the people of `demo --people n`: () for the dyad (recorded as before).

    Raises PeopleError (its text is the line to show) outside 2-6.
    """
    people = demo_people(n)
    return () if n == MIN_PEOPLE else people


def people_from_args(args: argparse.Namespace) -> tuple[tuple[Person, ...], list[str]] | None:
    """Return (people, straps) from `--person KEY=STRAP`, or None when none was given.

    A session of exactly the client and the therapist comes back in the dyad's order
    with no people (), so its file is the two-person file of `--client/--therapist`.
    Raises PeopleError (its text is the line to show) for a malformed value, a repeated
    key or strap, fewer than 2 or more than 6 people, or `--person` mixed with
    `--client/--therapist`.
    """
    values = getattr(args, "person", None)
    if not values:
        if getattr(args, "person_id", None):
            raise PeopleError("--person-id names a person given with --person KEY=STRAP")
        return None
    if getattr(args, "client", None) or getattr(args, "therapist", None):
        raise PeopleError(
            "give the people either as --person KEY=STRAP or as --client/--therapist, not both"
        )
    people: list[Person] = []
    straps: list[str] = []
    for value in values:
        key, sep, strap = value.partition("=")
        if not sep or not strap.strip():
            raise PeopleError(
                f"--person {value!r}: write KEY=STRAP, e.g. partner=AA:BB:CC:DD:EE:FF"
            )
        people.append(make_person(key.strip()))
        straps.append(strap.strip())
    check_people(people)
    real = [s.lower() for s in straps if s.lower() != SIM]
    if len(set(real)) != len(real):
        repeated = next(s for s in real if real.count(s) > 1)
        raise PeopleError(f"two people cannot wear the same strap ({repeated})")
    named = _with_ids(tuple(people), getattr(args, "person_id", None) or [])
    by_key = dict(zip((p.key for p in named), straps, strict=True))
    if set(by_key) == set(ROLES):
        return (), [by_key[r] for r in ROLES]
    return named, straps


def _with_ids(people: tuple[Person, ...], values: list[str]) -> tuple[Person, ...]:
    """Return `people` with the ids of `--person-id KEY=ID`; PeopleError says what is wrong."""
    from coregulate.clients import ClientIdError, check_pseudonym

    ids: dict[str, str] = {}
    keys = [p.key for p in people]
    for value in values:
        key, sep, person_id = (part.strip() for part in value.partition("="))
        if not sep or not person_id:
            raise PeopleError(f"--person-id {value!r}: write KEY=ID, e.g. partner=P-0417")
        if key in ROLES:
            raise PeopleError(f"--person-id {value!r}: the {key}'s id is --{key}-id")
        if key not in keys:
            raise PeopleError(f"--person-id {value!r}: no --person {key}=... in this session")
        try:
            ids[key] = check_pseudonym(person_id, key)
        except ClientIdError as exc:
            raise PeopleError(f"--person-id: {exc}") from None
    return tuple(replace(p, id=ids.get(p.key, p.id)) for p in people)
