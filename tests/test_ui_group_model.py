"""Sessions of 3-6 people in the viewer's model, its words and colours, without Qt (issue 19)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from colour_vision import VISIONS, difference
from coregulate import palette as p
from coregulate.bus.envelope import make_message
from coregulate.sessionfile.markers import Markers
from coregulate.signal import people as ppl
from coregulate.ui.group_line import closest_pair, summarise_group
from coregulate.ui.markers import marker_payload
from coregulate.ui.model import SessionModel
from coregulate.ui.pair_table import pair_cells
from coregulate.ui.synthetic import synthetic_session
from coregulate.ui.synthetic_group import GroupStory, synthetic_group_session

NS = 1_000_000_000
PEOPLE_DISTANCE = 20.0  # CIEDE2000 between any two people, in every vision (as the markers)


def _group_model(n: int, seconds: float = 400) -> SessionModel:
    model = SessionModel()
    for msg in synthetic_group_session(seconds, GroupStory.demo(n)):
        model.ingest(msg)
    return model


def test_the_model_takes_the_people_from_the_session_message() -> None:
    model = SessionModel()
    assert model.keys == ("client", "therapist") and not model.is_group()
    model = _group_model(4)
    assert model.keys == ("client", "partner", "therapist", "co-therapist") and model.is_group()
    assert [p.is_therapist for p in model.roster] == [False, False, True, True]
    assert model.ignored == 0
    # Every pair's windows on its own topic, and the group index on sync.group.
    assert set(model.pair_sync) == set(ppl.pairs(model.keys))
    partners = model.pair("client", "partner")
    assert partners is not None and len(partners.windows) == 400 - 29
    assert partners.latest["pair"] == ["client", "partner"]
    assert len(model.group.windows) == 400 - 29
    assert model.group.latest["index"] == "cluster_phase_rho"
    assert model.sync == {}  # nothing of a dyad's `sync` in a group session


def test_a_dyad_model_is_as_before() -> None:
    model = SessionModel()
    for msg in synthetic_session(200):
        model.ingest(msg)
    assert list(model.people) == ["client", "therapist"]
    assert model.pair("client", "therapist") is model.sync["hr_bpm"]
    assert model.pair_sync == {} and len(model.group.windows) == 0
    # A session message of a two-person file (no `people`) keeps the dyad and its ids.
    model.ingest(make_message("session", "session", 1, 0, {"client_id": "C-1"}))
    assert model.keys == ("client", "therapist") and model.roster[0].id == "C-1"


def test_a_person_seen_before_the_session_message_is_kept() -> None:
    """A viewer that joins late may get metrics of people the session has not named yet."""
    model = SessionModel()
    model.ingest(make_message("metrics.partner", "signal", 1, NS, {"hr_bpm": 80.0}))
    people = ppl.demo_people(3)
    model.ingest(make_message("session", "session", 1, 0, ppl.people_meta(people)))
    assert model.people["partner"].metrics.last("hr_bpm") == 80.0
    assert model.keys == ("client", "partner", "therapist")


def test_malformed_people_and_sync_topics_are_refused_and_counted() -> None:
    model = SessionModel()
    model.ingest(make_message("session", "session", 1, 0, {"people": [{"key": "Bad Key"}]}))
    model.ingest(make_message("sync.client", "sync", 1, NS, {"window": {}}))
    model.ingest(make_message("sync.a.b.c", "sync", 1, NS, {"window": {}}))
    assert model.ignored == 3 and model.keys == ("client", "therapist")
    # A strap status never makes a person (status.hub, status.supervisor are no people).
    model.ingest(make_message("status.hub", "hub", 1, NS, {"status": "ok"}))
    assert "hub" not in model.people


def _pair_windows(model: SessionModel, pair, r: float, lag: float, above: bool, susy) -> None:
    a, b = pair
    for t in range(1, 121):
        window = {"peak_r": r, "peak_lag_s": lag, "chance_abs_r95": 0.4, "above_chance": above}
        body = {"window": window, "susy": {"above_chance": susy}, "pair": [a, b]}
        model.ingest(make_message(f"sync.{a}.{b}", "sync", t, t * NS, body))


def test_group_line_names_the_closest_above_chance_pair_and_who_leads() -> None:
    model = SessionModel()
    model.ingest(make_message("session", "session", 1, 0, ppl.people_meta(ppl.demo_people(3))))
    # The strongest r, but the session says not above chance: never named.
    _pair_windows(model, ("client", "therapist"), 0.9, 2.0, True, False)
    # Above chance; positive lag = the second named (partner) leads.
    _pair_windows(model, ("client", "partner"), 0.7, 1.5, True, True)
    _pair_windows(model, ("partner", "therapist"), 0.1, -2.0, False, None)
    for t in range(1, 121):
        body = {"index": "cluster_phase_rho", "value": 0.5, "chance_95": 0.3}
        model.ingest(make_message("sync.group", "sync", t, t * NS, body))
    # The session's final message repeats the last step: no second point for it.
    final = {"index": "cluster_phase_rho", "value": 0.5, "chance_95": 0.3, "final": True}
    model.ingest(make_message("sync.group", "sync", 121, 120 * NS, final))
    assert len(model.group.windows) == 120 and model.group.latest["final"] is True
    assert closest_pair(model, 120)[:2] == (("client", "partner"), 0.7)
    lines = summarise_group(model, 120).text.split("\n")
    assert lines == [
        "Group synchrony, last 2 min",
        "group ρ 0.50 · above chance",
        "closest: Client & Partner, r +0.70",
        "Partner leads by ~1.5 s",
    ]
    # The same pair with the lag the other way: the first named leads.
    model2 = SessionModel()
    model2.ingest(make_message("session", "session", 1, 0, ppl.people_meta(ppl.demo_people(3))))
    _pair_windows(model2, ("client", "partner"), 0.7, -1.5, True, True)
    assert summarise_group(model2, 120).text.endswith("Client leads by ~1.5 s")
    assert "gathering" in summarise_group(model2, 120).text  # no group index yet


def test_group_line_with_no_pair_above_chance_names_none() -> None:
    model = SessionModel()
    model.ingest(make_message("session", "session", 1, 0, ppl.people_meta(ppl.demo_people(3))))
    _pair_windows(model, ("client", "partner"), 0.2, 1.0, False, None)
    text = summarise_group(model, 120).text
    assert text.endswith("no pair above chance") and "leads" not in text


@pytest.mark.parametrize(
    ("lag", "leads"), [(1.5, "Partner leads"), (-1.2, "Client leads"), (0.3, "in step")]
)
def test_pair_strip_states_the_lag_sign_per_ordered_pair(lag, leads) -> None:
    latest = {"window": {"peak_r": 0.61, "peak_lag_s": lag, "chance_abs_r95": 0.4}}
    latest["window"]["above_chance"] = True
    latest["susy"] = {"above_chance": False}
    r, lag_text, verdict = pair_cells(latest, "Client", "Partner")
    assert r == "+0.61 (±0.40)"
    assert lag_text == f"{lag:+.1f} s: {leads}"
    assert verdict == "yes · no"
    assert pair_cells({}, "Client", "Partner")[:2] == ("—", "waiting")
    gap = {"window": None, "unavailable": {"window": "a gap in someone's data"}}
    assert pair_cells(gap, "Client", "Partner")[1] == "not available"


@pytest.mark.parametrize("theme", ["dark", "light", "paper"])
@pytest.mark.parametrize("vision", VISIONS)
def test_six_people_colours_stay_apart_in_every_vision(theme, vision) -> None:
    colours = list(p.person_colours(ppl.keys_of(ppl.demo_people(6)), theme).values())
    assert len(set(colours)) == 6
    for a, b in itertools.combinations(colours, 2):
        assert difference(a, b, vision) >= PEOPLE_DISTANCE, (a, b, vision)


@pytest.mark.parametrize("theme", ["dark", "light", "paper"])
def test_people_lines_stand_out_on_their_themes_grounds(theme) -> None:
    ground = {"dark": p.DARK, "light": p.LIGHT, "paper": p.PAPER}[theme]
    for colour in p.EXTRA_PEOPLE_COLOURS_BY_THEME[theme]:
        for bg in (ground.background, ground.panel):
            assert p.contrast_ratio(colour, bg) >= p.LINE_CONTRAST, (colour, bg)


def test_the_dyad_keeps_its_colours_and_free_labels_get_six() -> None:
    for theme in ("dark", "light"):
        assert p.person_colours(("client", "therapist"), theme) == p.ROLE_COLOURS
    keys = ("mother", "father", "child", "sibling", "aunt", "uncle")
    colours = p.person_colours(keys, "dark")
    assert len(set(colours.values())) == 6 and p.person_name("co-therapist") == "Co-therapist"


def test_a_marker_names_who_it_is_about() -> None:
    payload = marker_payload("rupture-confrontation", 5 * NS, who=["client", "partner"])
    assert payload["who"] == ["client", "partner"]
    assert "who" not in marker_payload("repair", 5 * NS)  # the dyad's payload as before
    markers = Markers()
    marker = markers.add(payload, 5 * NS)
    assert marker is not None and marker.who == ("client", "partner")
    assert markers.add({"kind": "note", "who": "client"}, NS).who == ()  # not a list: nobody


def test_synthetic_group_index_rises_with_the_coupled_pairs() -> None:
    """The synthetic story's index follows its couplings (a plausible picture, not a metric)."""
    values = {}
    for couplings in ({}, {("client", "partner"): (0.6, 1.0)}, GroupStory.demo(3).couplings):
        story = GroupStory(ppl.demo_people(3), couplings)
        model = SessionModel()
        for msg in synthetic_group_session(200, story):
            model.ingest(msg)
        values[len(couplings)] = float(np.nanmean(model.group.windows.column("value")))
    assert values[0] < values[1] < values[2]


def test_review_shows_each_pair_and_the_group_as_at_the_playhead(tmp_path) -> None:
    from coregulate.ui.review_player import ReviewPlayer
    from review_support import FileBuilder

    builder = FileBuilder()
    for msg in synthetic_group_session(200, GroupStory.demo(3)):
        builder.add(msg.topic, msg.json(), msg.t_ns, msg.source)
    model = SessionModel()
    player = ReviewPlayer(builder.write(tmp_path / "group.sqlite"), model, after_s=60)
    for at_s in (150, 80):  # forwards, then back (the model is rebuilt)
        player.seek(at_s * NS)
        assert model.keys == ("client", "partner", "therapist")
        assert model.pair("client", "partner").latest["t_ns"] == at_s * NS
        assert model.pair("partner", "therapist").latest["t_ns"] == at_s * NS
        assert model.group.latest["t_ns"] == at_s * NS


def test_group_line_says_not_available_when_the_windows_have_no_value() -> None:
    model = SessionModel()
    model.ingest(make_message("session", "session", 1, 0, ppl.people_meta(ppl.demo_people(3))))
    for t in range(1, 121):
        body = {"index": "cluster_phase_rho", "value": None, "unavailable": {"value": "a gap"}}
        model.ingest(make_message("sync.group", "sync", t, t * NS, body))
    assert summarise_group(model, 120).text.split("\n")[1] == "group: not available"


def test_a_rating_line_names_whose_form_it_is() -> None:
    from coregulate.ui.rating_lines import rating_label

    srs = {"instrument": "SRS", "total": 35.5, "flags": {"concern": True}}
    assert rating_label(srs) == "SRS 35.5 ⚑"  # the dyad's, as before
    assert rating_label({**srs, "person": "partner"}) == "SRS 35.5 · Partner ⚑"


def test_the_real_sync_stage_output_reads_into_the_model_and_its_words() -> None:
    """The synchrony stage's own 4-person messages (coupled: client-therapist, therapist
    leads by 2 s; partner-co-therapist, partner leads by 3 s): every pair and the group
    land in the model, and the pair strip states each coupled pair's lag the right way."""
    from coregulate.stages.sync_stage import SyncStage
    from group_support import KEYS4, beat_messages, four_people

    beats = four_people(5, 0.8, 0.8, duration_s=600.0)
    stage = SyncStage(people=KEYS4, phase_at_end=False)
    outputs = [o for m in beat_messages(beats) for o in stage.update(m)] + stage.terminate()
    model = SessionModel()
    people = tuple(ppl.make_person(k) for k in KEYS4)
    model.ingest(make_message("session", "session", 1, 0, ppl.people_meta(people)))
    seqs: dict[str, int] = {}
    for o in outputs:
        seqs[o.topic] = seqs.get(o.topic, 0) + 1
        model.ingest(make_message(o.topic, "sync", seqs[o.topic], o.t_ns, o.payload))
    assert model.ignored == 0 and set(model.pair_sync) == set(ppl.pairs(KEYS4))
    assert len(model.group.windows) > 300 and model.group.latest["index"] == "cluster_phase_rho"
    for (a, b), leader in (
        (("client", "therapist"), "Therapist"),
        (("partner", "co-therapist"), "Partner"),
    ):
        lags = model.pair(a, b).windows.column("peak_lag_s")
        words = pair_cells(
            {"window": {"peak_r": 0.5, "peak_lag_s": float(np.nanmedian(lags))}},
            p.person_name(a),
            p.person_name(b),
        )
        assert words[1].endswith(f"{leader} leads"), (a, b, words)
    text = summarise_group(model, 600.0).text
    assert text.startswith("Group synchrony, last 2 min\n")
