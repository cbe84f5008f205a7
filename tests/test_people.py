"""The people of a session as data (signal/people.py): keys, roles, pairs, topics."""

from __future__ import annotations

import pytest

from coregulate.signal.dyad import ROLES
from coregulate.signal.people import (
    PeopleError,
    Person,
    check_people,
    default_people,
    demo_people,
    make_person,
    pair_of_topic,
    pairs,
    people_from_session,
    people_meta,
    role_of,
    sync_topic,
)


def test_roles_follow_keys() -> None:
    assert role_of("client") == "client"
    assert role_of("client2") == "client"
    assert role_of("co-therapist") == "co-therapist"
    assert role_of("therapist-2") == "therapist"
    assert role_of("partner") == "partner"
    assert make_person("co-therapist").is_therapist
    assert not make_person("partner").is_therapist


@pytest.mark.parametrize("key", ["", "Client", "a.b", "1x", "x" * 25, "sp ace"])
def test_bad_keys_are_refused_with_the_rule(key: str) -> None:
    with pytest.raises(PeopleError, match="lower-case"):
        make_person(key)


def test_counts_and_duplicates_are_refused() -> None:
    with pytest.raises(PeopleError, match="2 to 6"):
        check_people([make_person("client")])
    with pytest.raises(PeopleError, match="2 to 6"):
        check_people([make_person(f"p{i}") for i in range(7)])
    with pytest.raises(PeopleError, match="of their own"):
        check_people([make_person("client"), make_person("client")])


def test_the_dyad_is_written_as_before_and_old_files_read_as_the_dyad() -> None:
    dyad = default_people("c-1", "t-1")
    assert tuple(p.key for p in dyad) == ROLES
    assert people_meta(dyad) == {}
    old = {"client_id": "c-1", "therapist_id": "t-1"}
    assert people_from_session(old) == dyad
    assert pairs(dyad) == [("client", "therapist")]
    assert sync_topic("client", "therapist", 2) == "sync"
    assert pair_of_topic("sync", ROLES) == ("client", "therapist")


def test_larger_sessions_round_trip_and_name_every_pair() -> None:
    four = demo_people(4)
    assert [p.key for p in four] == ["client", "partner", "therapist", "co-therapist"]
    back = people_from_session(people_meta(four))
    assert back == four
    assert len(pairs(four)) == 6  # 4 choose 2
    topic = sync_topic("client", "partner", 4)
    assert topic == "sync.client.partner"
    keys = [p.key for p in four]
    assert pair_of_topic(topic, keys) == ("client", "partner")
    assert pair_of_topic("sync.partner.client", keys) is None  # not session order
    assert pair_of_topic("sync.group", keys) is None
    assert len(pairs(demo_people(6))) == 15


def test_malformed_people_in_a_file_are_refused() -> None:
    with pytest.raises(PeopleError):
        people_from_session({"people": "client"})
    with pytest.raises(PeopleError):
        people_from_session({"people": [{"role": "client"}]})
    with pytest.raises(PeopleError):
        people_from_session({"people": [Person("client", "client", "c").to_dict()]})
