"""The people of a session as data: 2-6 people, each a key, a role and a pseudonymous id.

A person's `key` names them everywhere: the suffix of their topics (`beat.partner`),
their key in JSON (`analyze`'s `people`), their file set in exports. Two-person
sessions keep the keys `client` and `therapist` (`dyad.ROLES`) and are written exactly
as before: the session message carries `people` only when the session is not that
default dyad, and `people_from_session` reads an older file as the default dyad.

Pairs are every two people in session order, `(a, b)` with `a` first; a pair's lag is
positive when `b` leads, so the dyad's `(client, therapist)` keeps its convention
(positive = therapist leads, docs/synchrony.md). Two-person sessions publish their one
pair as `sync`; larger sessions publish each pair as `sync.<a>.<b>` and the group
index as `sync.group` (`sync_topic`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Final

from coregulate.signal.dyad import ROLES

MIN_PEOPLE: Final = 2
MAX_PEOPLE: Final = 6
# A key is a topic segment and a file-name part: short, lower case, no dots.
KEY_RE: Final = re.compile(r"^[a-z][a-z0-9_-]{0,23}$")
# Roles with a meaning of their own; any other key is a free label (a client's side).
THERAPIST_ROLES: Final = ("therapist", "co-therapist")
KNOWN_ROLES: Final = ("client", *THERAPIST_ROLES)
SYNC_GROUP_TOPIC: Final = "sync.group"
# Keys `demo --people N` gives, clients first: a couple or family and one or two therapists.
_DEMO_KEYS: Final = {
    2: ROLES,
    3: ("client", "partner", "therapist"),
    4: ("client", "partner", "therapist", "co-therapist"),
    5: ("client", "partner", "child", "therapist", "co-therapist"),
    6: ("client", "partner", "child", "sibling", "therapist", "co-therapist"),
}


class PeopleError(ValueError):
    """A people list a session cannot have; the message says what to change."""


@dataclass(frozen=True, slots=True)
class Person:
    """One person of a session: `key` (topic suffix), `role` and pseudonymous `id`."""

    key: str
    role: str
    id: str

    @property
    def is_therapist(self) -> bool:
        """Return whether this person is on the therapists' side (therapist, co-therapist)."""
        return self.role in THERAPIST_ROLES

    def to_dict(self) -> dict[str, str]:
        """Return the person as recorded in the session message."""
        return {"key": self.key, "role": self.role, "id": self.id}


def role_of(key: str) -> str:
    """Return the role a key implies: a known role, `client` for client2..., else the key."""
    if key in KNOWN_ROLES:
        return key
    stem = key.rstrip("0123456789")
    if stem in KNOWN_ROLES and stem != key:
        return stem
    if stem.endswith("-") and stem[:-1] in KNOWN_ROLES:
        return stem[:-1]
    return key


def make_person(key: str, person_id: str | None = None) -> Person:
    """Return a Person for `key` (role from `role_of`, id defaulting to the key)."""
    if not isinstance(key, str) or not KEY_RE.match(key):
        raise PeopleError(
            f"person {key!r}: use 1-24 lower-case letters, digits, '-' or '_', "
            "starting with a letter (e.g. client, partner, co-therapist)"
        )
    return Person(key, role_of(key), person_id or key)


def check_people(people: Sequence[Person]) -> tuple[Person, ...]:
    """Return `people` as a tuple; raise PeopleError unless 2-6 people with distinct keys."""
    people = tuple(people)
    if not MIN_PEOPLE <= len(people) <= MAX_PEOPLE:
        raise PeopleError(f"a session has {MIN_PEOPLE} to {MAX_PEOPLE} people, not {len(people)}")
    keys = [p.key for p in people]
    if len(set(keys)) != len(keys):
        raise PeopleError(f"each person needs a key of their own, got {keys}")
    for p in people:
        make_person(p.key)  # the key's shape
        if not isinstance(p.id, str) or not p.id:
            raise PeopleError(f"person {p.key!r} has no id")
    return people


def default_people(
    client_id: str = "client", therapist_id: str = "therapist"
) -> tuple[Person, ...]:
    """Return the two-person dyad: client then therapist."""
    return (Person("client", "client", client_id), Person("therapist", "therapist", therapist_id))


def demo_people(n: int) -> tuple[Person, ...]:
    """Return the `n` people (2-6) of `demo --people n`: clients first, then therapists."""
    if n not in _DEMO_KEYS:
        raise PeopleError(f"--people takes {MIN_PEOPLE} to {MAX_PEOPLE}, not {n}")
    return tuple(make_person(k, f"sim-{k}") for k in _DEMO_KEYS[n])


def is_default_dyad(people: Sequence[Person]) -> bool:
    """Return whether `people` is the two-person client/therapist session."""
    return tuple(p.key for p in people) == ROLES


def keys_of(people: Iterable[Person]) -> tuple[str, ...]:
    """Return the people's keys in session order."""
    return tuple(p.key for p in people)


def people_meta(people: Sequence[Person]) -> dict[str, Any]:
    """Return what the session message adds for `people`: nothing for the default dyad."""
    if is_default_dyad(people):
        return {}
    return {"people": [p.to_dict() for p in people]}


def people_from_session(payload: Mapping[str, Any] | None) -> tuple[Person, ...]:
    """Return the session's people from its `session` payload (old files: the dyad).

    Raises PeopleError when the payload's `people` is present but malformed.
    """
    payload = payload or {}
    raw = payload.get("people")
    if raw is None:
        return default_people(
            str(payload.get("client_id") or "client"),
            str(payload.get("therapist_id") or "therapist"),
        )
    if not isinstance(raw, list):
        raise PeopleError("the session's `people` is not a list")
    people = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise PeopleError(f"a person of the session is malformed: {item!r}")
        key = item["key"]
        role = item.get("role") if isinstance(item.get("role"), str) else role_of(key)
        people.append(Person(make_person(key).key, role, str(item.get("id") or key)))
    return check_people(people)


def pairs(people: Sequence[Person] | Sequence[str]) -> list[tuple[str, str]]:
    """Return every pair of keys `(a, b)` in session order; lag > 0 means `b` leads."""
    keys = [p if isinstance(p, str) else p.key for p in people]
    return list(combinations(keys, 2))


def sync_topic(a: str, b: str, n_people: int) -> str:
    """Return the topic of pair `(a, b)`'s synchrony: `sync` in a dyad, else `sync.a.b`."""
    return "sync" if n_people == MIN_PEOPLE else f"sync.{a}.{b}"


def pair_of_topic(topic: str, keys: Sequence[str]) -> tuple[str, str] | None:
    """Return the pair a synchrony topic names among `keys`, or None (group, unknown)."""
    if topic == "sync" and len(keys) == MIN_PEOPLE:
        return (keys[0], keys[1])
    parts = topic.split(".")
    if len(parts) == 3 and parts[0] == "sync" and (parts[1], parts[2]) in pairs(keys):
        return (parts[1], parts[2])
    return None
