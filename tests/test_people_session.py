"""Sessions of 2-6 people in the live path (issue 19): files, options, commands, the bus."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from coregulate.acquisition.simulator import demo_group_config, simulate_group
from coregulate.bus.envelope import EnvelopeError, make_message
from coregulate.bus.payload import MAX_STREAMS_PER_SOURCE, check_payload
from coregulate.cli import main
from coregulate.commands import _exit_codes as ex
from coregulate.commands._last_pair import load_last_pair
from coregulate.commands._live_status import LiveTally
from coregulate.recordings.lsl_streams import stream_defs
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.summary import format_summary, integrity_ok
from coregulate.sessionfile.access import read_messages, read_meta
from coregulate.signal.people import demo_people, keys_of, people_from_session
from coregulate.stages import registry
from signal_support import beat_payloads

S = 1_000_000_000


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


# --- commands -------------------------------------------------------------------------


@pytest.fixture
def _config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def _session(path: Path) -> dict:
    return next(iter(read_messages(path, ["session"]))).json_object()


def _beats(path: Path, key: str) -> list[bytes]:
    return [m.payload for m in read_messages(path, [f"beat.{key}"]) if m.topic == f"beat.{key}"]


def test_demo_with_four_people_records_everyone_as_the_offline_simulation_does(
    tmp_path: Path,
) -> None:
    out = tmp_path / "four.sqlite"
    args = ["demo", "--people", "4", "--headless", "--no-dialog", "--duration", "60"]
    assert main([*args, "--speed", "30", "--seed", "3", "--out", str(out)]) == 0
    assert integrity_ok(out)
    assert people_from_session(_session(out)) == demo_people(4)
    meta = read_meta(out)
    assert meta["hub_rejected"] == {}  # no person's topic refused
    offline = write_simulated_session(
        tmp_path / "offline.sqlite", seed=3, duration_s=60.0, n_people=4
    )
    topics = _topics(out)
    for key in keys_of(demo_people(4)):
        live = _beats(out, key)
        assert len(live) >= 50
        # The same simulated straps through the same publisher: the same beats.
        assert live == _beats(offline, key)[: len(live)]
        assert topics[f"metrics.{key}"] >= 50


@pytest.mark.parametrize("n", ["1", "7", "x"])
def test_demo_refuses_a_people_count_outside_two_to_six(
    n: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "s.sqlite"
    try:
        code = main(["demo", "--people", n, "--headless", "--out", str(out)])
    except SystemExit as exc:  # argparse: not a number
        code = exc.code
    assert code == ex.USAGE
    assert not out.exists()
    if n != "x":
        assert f"--people takes 2 to 6, not {n}" in caplog.text


@pytest.mark.usefixtures("_config_home")
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--person", "client=sim", "--client", "sim"], "not both"),
        (["--person", "client=sim", "--person", "partner=sim", "--therapist", "sim"], "not both"),
        (["--person", "client=sim"], "2 to 6 people, not 1"),
        (["--person", "client=sim", "--person", "client=sim"], "a key of their own"),
        (["--person", "client=sim", "--person", "Partner=sim"], "lower-case letters"),
        (["--person", "client=sim", "--person", "partner"], "write KEY=STRAP"),
        (["--person", "client=sim", "--person", "partner="], "write KEY=STRAP"),
        (["--person", "client=AA:BB", "--person", "partner=aa:bb"], "the same strap (aa:bb)"),
        ([f"--person=p{i}=sim" for i in range(7)], "2 to 6 people, not 7"),
        (["--person-id", "partner=P-1"], "given with --person KEY=STRAP"),
        (
            ["--person", "client=sim", "--person", "partner=sim", "--person-id", "kid=K-1"],
            "no --person kid",
        ),
        (
            ["--person", "client=sim", "--person", "partner=sim", "--person-id", "client=C-1"],
            "--client-id",
        ),
        (
            ["--person", "client=sim", "--person", "partner=sim", "--person-id", "partner=J.Doe"],
            "not a pseudonymous id",
        ),
        (
            ["--person", "client=sim", "--person", "partner=sim", "--person-id", "partner"],
            "write KEY=ID",
        ),
    ],
)
def test_monitor_refuses_bad_people_in_one_line_before_anything_starts(
    argv: list[str], says: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "s.sqlite"
    assert main(["monitor", *argv, "--headless", "--out", str(out)]) == ex.USAGE
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and says in errors[0].getMessage(), caplog.text
    assert not out.exists()
    assert load_last_pair() == {}


@pytest.mark.usefixtures("_config_home")
def test_monitor_with_three_simulated_people_records_three(tmp_path: Path) -> None:
    out = tmp_path / "three.sqlite"
    people = ["--person", "client=sim", "--person", "partner=sim", "--person", "therapist=sim"]
    args = ["monitor", *people, "--headless", "--duration", "30", "--speed", "30"]
    ids = ["--client-id", "c-7", "--person-id", "partner=P-0417"]
    assert main([*args, *ids, "--out", str(out)]) == 0
    session = _session(out)
    assert [(p["key"], p["id"]) for p in session["people"]] == [
        ("client", "c-7"),
        ("partner", "P-0417"),
        ("therapist", "therapist"),
    ]
    assert session["client_id"] == "c-7"
    topics = _topics(out)
    assert all(topics[f"beat.{k}"] >= 20 for k in ("client", "partner", "therapist"))
    assert load_last_pair() == {}  # a group is not "the last pair"


@pytest.mark.usefixtures("_config_home")
def test_monitor_with_person_client_and_therapist_is_the_dyad(tmp_path: Path) -> None:
    out = tmp_path / "two.sqlite"
    people = ["--person", "therapist=sim", "--person", "client=sim"]  # any order
    args = ["monitor", *people, "--headless", "--duration", "20", "--speed", "30"]
    assert main([*args, "--out", str(out)]) == 0
    session = _session(out)
    assert "people" not in session
    assert (session["client_id"], session["therapist_id"]) == ("client", "therapist")
    assert {t for t in _topics(out) if t.startswith("beat.")} == {"beat.client", "beat.therapist"}


def test_replay_of_a_four_person_file_replays_four_straps(tmp_path: Path) -> None:
    original = write_simulated_session(tmp_path / "o.sqlite", seed=5, duration_s=30.0, n_people=4)
    review = tmp_path / "review.sqlite"
    args = ["replay", str(original), "--headless", "--speed", "30", "--out", str(review)]
    assert main(args) == 0
    assert people_from_session(_session(review)) == people_from_session(_session(original))
    assert read_meta(review)["hub_rejected"] == {}
    for key in keys_of(demo_people(4)):
        assert _beats(review, key) == _beats(original, key)


# --- bus and stages ---------------------------------------------------------------------


def test_the_payload_check_admits_the_sessions_people_only() -> None:
    beat = make_message("beat.partner", "acq", 1, S, {"t_ns": [S], "rr_ms": [800.0]})
    with pytest.raises(EnvelopeError) as refused:
        check_payload(beat)  # a dyad has no partner
    assert refused.value.kind == "role"
    check_payload(beat, people=("client", "partner", "therapist"))
    check_payload(make_message("beat.client", "acq", 1, S, {"t_ns": [S], "rr_ms": [800.0]}))
    retake = make_message("control.baseline", "ui", 1, S, {"action": "retake", "role": "partner"})
    with pytest.raises(EnvelopeError):
        check_payload(retake)
    check_payload(retake, people=("client", "partner", "therapist"))
    # The acquisition process of six people (6 kinds each, + its status) has room.
    assert MAX_STREAMS_PER_SOURCE >= 6 * 6 + 1


def test_the_metrics_stage_follows_the_sessions_people() -> None:
    sim = simulate_group(demo_group_config(3, seed=1, duration_s=90.0))
    payloads = beat_payloads(sim, "partner")
    group = registry.stage_spec("signal").make(people=("client", "partner", "therapist"))
    dyad = registry.stage_spec("signal").make()
    assert "status.partner" in group.topics and "status.partner" not in dyad.topics
    out_group, out_dyad = [], []
    for i, payload in enumerate(payloads, 1):
        msg = make_message("beat.partner", "acq", i, payload["t_ns"][-1], payload)
        out_group += group.update(msg)
        out_dyad += dyad.update(msg)
    assert out_dyad == []  # not one of the dyad's people
    assert {o.topic for o in out_group} == {"metrics.partner"}
    assert len(out_group) >= 80


def test_the_live_status_line_names_every_person() -> None:
    tally = LiveTally(60.0, ("client", "partner", "therapist"))
    tally.add(make_message("beat.partner", "acq", 1, S, {"t_ns": [S, 2 * S], "rr_ms": [1, 1]}))
    line = tally.line()
    assert "client 0 beats" in line and "partner 2 beats" in line and "therapist 0" in line
    assert LiveTally(60.0).people == ("client", "therapist")


def test_lsl_offers_every_persons_streams() -> None:
    names = [d.name for d in stream_defs(keys_of(demo_people(3)))]
    for key in ("client", "partner", "therapist"):
        assert {f"coregulate-{key}-{s}" for s in ("rr", "hr", "metrics")} <= set(names)
    assert [d.name for d in stream_defs()] == [d.name for d in stream_defs(("client", "therapist"))]
    assert "coregulate-partner-rr" not in [d.name for d in stream_defs()]


def test_the_summary_lists_a_group_in_session_order_with_every_strap(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "four.sqlite", seed=2, duration_s=30.0, n_people=4)
    lines = format_summary(path).splitlines()
    rows = [line.split()[0] for line in lines[2:] if line[:1].strip()]
    assert rows[:4] == ["client", "partner", "therapist", "co-therapist"]
    assert sum("strap status" in line for line in lines) == 4
