"""`coregulate analyze FILE --report` of a four-person session: every person, pair and the group."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.table import Table
from matplotlib.text import Text

from coregulate.palette import person_colours
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.review.from_analysis import session_from_analysis
from coregulate.review.report import draw_page, page_sections
from coregulate.review.report.group_panels import colour_of, leader_words

KEYS = ["client", "partner", "therapist", "co-therapist"]
# The demo group's couplings (acquisition/_sim_group.py, DEMO_GROUP_COUPLINGS): the
# therapist leads the client by 2 s, the co-therapist leads the partner by 3 s. In a
# pair (a, b) in session order a positive lag means b leads.
LEADERS = {
    "Client · Therapist": "therapist leads by",
    "Partner · Co-therapist": "co-therapist leads by",
}
RUPTURE_T_NS = 600 * 10**9


@pytest.fixture(scope="module")
def group_data(tmp_path_factory: pytest.TempPathFactory):
    """Return the report's data of a simulated 20-minute session of the demo group of four."""
    rupture = {"kind": "rupture-withdrawal", "who": ["client", "partner"], "text": "silence"}
    path = write_simulated_session(
        tmp_path_factory.mktemp("group") / "four.sqlite", 1, 1200.0, n_people=4,
        extra=[("marker", rupture, RUPTURE_T_NS)],
    )  # fmt: skip
    return session_from_analysis(analyze_files(path))


def _texts(fig) -> list[str]:
    """Return every text on the page, the tables' cells row by row included."""
    texts = [t.get_text() for t in fig.findobj(Text)]
    for table in fig.findobj(Table):
        cells = table.get_celld()
        texts += [cells[rc].get_text().get_text() for rc in sorted(cells)]
    return [t for t in texts if t]


def test_every_person_has_a_section_in_session_order_in_the_window_colour(group_data) -> None:
    sections = page_sections(group_data)
    assert [s.partition(".")[2] for s in sections if "." in s] == KEYS
    assert {"group", "pairs"} <= set(sections)
    assert not {"sync_r", "sync_lag"} & set(sections)  # the dyad's panels are not drawn
    window = person_colours(KEYS, "paper")
    assert {k: colour_of(group_data, k) for k in KEYS} == window
    assert len(set(window.values())) == 4


def test_the_page_names_every_pair_its_leader_and_the_group_index(group_data) -> None:
    texts = _texts(draw_page(group_data))
    for key in KEYS:
        assert any(t.startswith(f"{key}\n") for t in texts), key  # its section's label
    rows = [t for t in texts if " · " in t and t[0].isupper()]
    assert rows == [
        "Client · Partner", "Client · Therapist", "Client · Co-therapist",
        "Partner · Therapist", "Partner · Co-therapist", "Therapist · Co-therapist",
    ]  # fmt: skip
    assert "lag (s) +: b leads" in texts
    assert any(t.startswith("group synchrony against chance: ") for t in texts)
    assert any("cluster-phase rho" in t for t in texts)
    assert "rupture: withdrawal (client & partner)" in texts  # the marker names whom
    assert "client & partner: silence" in texts


def test_the_coupled_pairs_leaders_are_the_right_way_round(group_data) -> None:
    for (a, b), series in group_data.pairs.items():
        name = f"{a.capitalize()} · {b.capitalize()}"
        if name not in LEADERS:
            continue
        lag_s = series.final["summary"]["profile_lag_s"]
        assert lag_s > 0  # b leads: the therapist, the co-therapist
        assert leader_words(a, b, lag_s).startswith(LEADERS[name])
    assert leader_words("client", "therapist", -2.0) == "client leads by 2.0 s"
    assert leader_words("client", "therapist", 0.0) == "neither (simultaneous)"


def test_analyze_report_writes_the_group_page(tmp_path: Path) -> None:
    from coregulate.cli import main

    path = write_simulated_session(tmp_path / "three.sqlite", 2, 300.0, n_people=3)
    out = tmp_path / "three.png"
    assert main(["analyze", str(path), "--report", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 20_000


def test_a_recorded_group_without_a_verdict_says_why() -> None:
    from coregulate.review.group_file import group_summary_of

    last = {
        "index": "cluster_phase_rho", "window_s": 180.0, "n_coupled_pairs_above_chance": 1,
        "summary": {"mean_value": 0.62, "share_above_chance": None},
        "session": {"above_chance": None, "p_above_chance": None, "n_blocks": 3},
        "params": {"chance_min_blocks": 5},
    }  # fmt: skip
    summary = group_summary_of(last, 6)
    assert (summary["value"], summary["n_pairs"]) == (0.62, 6)
    assert summary["unavailable"]["above_chance"] == (
        "3 gap-free block(s) of 180 s (a verdict needs at least 5, and one per person)"
    )


def test_report_of_a_recorded_group_reads_the_pairs_and_group_it_published(tmp_path: Path) -> None:
    """`coregulate report FILE` reads `sync.<a>.<b>` and `sync.group` back as analyze drew them."""
    import numpy as np

    from coregulate.review.session_data import load_session

    first = write_simulated_session(tmp_path / "a.sqlite", 4, 600.0, n_people=3)
    analysis = analyze_files(first)
    extra = [
        (topic, payload, t_ns)
        for topic, payloads in analysis.result.outputs.items()
        if topic.startswith("sync.")
        for payload, t_ns in zip(payloads, analysis.result.output_t_ns[topic], strict=True)
    ]
    for entry in analysis.result.pairs:  # the sync stage's final message per pair
        final = entry["series"]["hr_bpm"] | {"final": True}
        extra.append((f"sync.{entry['a']}.{entry['b']}", final, 600 * 10**9))
    # ... and the group's: its last step again, with analyze's `group` as its summary.
    last = analysis.result.outputs["sync.group"][-1]
    group_final = last | {"final": True, "session_summary": analysis.result.group}
    extra.append(("sync.group", group_final, last["t_ns"]))
    recorded = load_session(
        write_simulated_session(tmp_path / "b.sqlite", 4, 600.0, extra, n_people=3)
    )
    drawn = session_from_analysis(analysis)
    assert list(recorded.pairs) == list(drawn.pairs) == [
        ("client", "partner"), ("client", "therapist"), ("partner", "therapist"),
    ]  # fmt: skip
    for pair, series in drawn.pairs.items():
        np.testing.assert_array_equal(recorded.pairs[pair].peak_r, series.peak_r)
        assert recorded.pairs[pair].final["summary"] == series.final["summary"]
    np.testing.assert_array_equal(recorded.group.value, drawn.group.value)  # no extra point
    assert recorded.group.summary == drawn.group.summary  # the final's: analyze's own
    # The copy carries no metrics: its people are drawn by HR, the rest is the same page.
    assert page_sections(recorded) == [s.replace("arousal.", "hr.") for s in page_sections(drawn)]
    texts = _texts(draw_page(recorded))
    assert "Client · Therapist" in texts and "partner\nHR (bpm)" in texts


def test_a_short_group_says_no_window_had_a_chance_level_not_n_a(tmp_path: Path) -> None:
    """Seen on a 15-minute group's page: "above the chance level in n/a of windows"."""
    path = write_simulated_session(tmp_path / "short.sqlite", 4, 300.0, n_people=4)
    data = session_from_analysis(analyze_files(path))
    assert data.group.summary.get("share_windows_above_chance") is None  # too short for one
    titles = [t for t in _texts(draw_page(data)) if t.startswith("session: mean")]
    assert len(titles) == 1 and "no window had a chance level yet" in titles[0], titles
    assert "n/a of windows" not in titles[0]


def test_enough_blocks_but_too_few_shifts_is_said_as_such() -> None:
    """Seen on a real 19-minute 3-person import: "5 gap-free block(s) ... (a verdict needs
    at least 5 ...); p 0.231". Five blocks of 3 people allow 4·3 = 12 shift vectors
    (d_0 = 0, the others different and non-zero), so p ≥ 1/13 = 0.077 > 0.05."""
    from coregulate.review.group_file import group_summary_of
    from coregulate.signal.synchrony.group_offline import session_summary_of

    last = {
        "index": "cluster_phase_rho", "series": "hr_bpm", "people": ["a", "b", "c"],
        "window_s": 180.0, "n_coupled_pairs_above_chance": 0,
        "summary": {"mean_value": 0.59, "share_above_chance": 0.0, "n_windows": 9,
                    "n_available": 9},
        "session": {"above_chance": None, "p_above_chance": 3 / 13, "n_blocks": 5,
                    "n_surrogates": 12, "mean_block_value": 0.6},
        "params": {"chance_min_blocks": 5},
    }  # fmt: skip
    expected = (
        "5 gap-free block(s) of 180 s allow only 12 circular shifts of the people's blocks, "
        "so p cannot fall below 0.077: too few for a verdict (a longer session gives one)"
    )
    assert group_summary_of(last, 3)["unavailable"]["above_chance"] == expected
    assert session_summary_of(last, 0.7)["unavailable"]["above_chance"] == expected
