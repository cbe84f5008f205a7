"""Sessions of 2-6 people in the live path (issue 19): files, options, commands, the bus."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.sessionfile.access import read_messages
from coregulate.signal.people import demo_people, people_from_session


def _topics(path: Path) -> Counter:
    return Counter(m.topic for m in read_messages(path))


def test_a_simulated_four_person_file_names_its_people_and_holds_their_beats(
    tmp_path: Path,
) -> None:
    path = write_simulated_session(tmp_path / "four.sqlite", seed=2, duration_s=60.0, n_people=4)
    (session,) = [m.json_object() for m in read_messages(path, ["session"])]
    assert people_from_session(session) == demo_people(4)
    assert [p["id"] for p in session["people"]] == [
        "sim-client",
        "sim-partner",
        "sim-therapist",
        "sim-co-therapist",
    ]
    topics = _topics(path)
    for person in demo_people(4):
        assert topics[f"beat.{person.key}"] >= 50  # 60 s at 60-90 bpm
        assert topics[f"hrm.{person.key}"] >= 55


def test_a_simulated_dyad_file_is_written_as_before(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "two.sqlite", seed=2, duration_s=30.0)
    (session,) = [m.json_object() for m in read_messages(path, ["session"])]
    assert "people" not in session
    assert (session["client_id"], session["therapist_id"]) == ("sim-client", "sim-therapist")
    assert {t.split(".")[-1] for t in _topics(path) if "." in t} == {"client", "therapist"}
