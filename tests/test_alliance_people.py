"""SRS/ORS per client in sessions of several clients: payload, file, history, report (issue 19)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from coregulate.alliance import RatingError, score
from coregulate.alliance.instruments import ORS, SRS
from coregulate.alliance.rating import rating_payload, read_rating
from coregulate.review.history import client_history, write_csv
from coregulate.review.session_data import load_session
from coregulate.signal.people import demo_people, people_meta
from review_support import NS, FileBuilder

HOUR_NS = 3600 * NS


def test_a_payload_names_its_person_only_when_asked() -> None:
    srs = score(SRS, [9, 9, 9, 9])
    plain = rating_payload(srs, "client", "end", 5 * NS, 1)
    assert "person" not in plain and read_rating(plain, 0).person == "client"
    partner = rating_payload(srs, "client", "end", 5 * NS, 1, person="partner")
    assert partner == {"person": "partner", **plain}
    assert read_rating(partner, 0).person == "partner"
    with pytest.raises(RatingError, match="person"):
        rating_payload(srs, "client", "end", 0, person="Partner!")
    with pytest.raises(RatingError, match="person"):
        read_rating({**plain, "person": 3}, 0)


def _couple_session(path: Path, hour: int, ors: dict[str, float], srs: dict[str, float]) -> Path:
    """Write a couple's session: each partner's ORS at the start and SRS at the end."""
    b = FileBuilder()
    people = demo_people(3)  # client, partner, therapist
    info = {
        "clock": {
            "wall_anchor_ns": 1_700_000_000 * NS + hour * HOUR_NS,
            "monotonic_anchor_ns": 0,
            "speed": 1.0,
        },
        "client_id": "c-1",
        "therapist_id": "t-1",
        **people_meta(people),
    }
    b.add("session", info, 0, "session")
    for t in range(1, 121):
        for key, hr in (("client", 70.0), ("partner", 80.0), ("therapist", 60.0)):
            metrics = {"t_ns": t * NS, "hr_bpm": hr, "ln_rmssd": 3.5, "artifact_share": 0.0}
            b.add(f"metrics.{key}", metrics, t * NS, "signal")
    for key, total in ors.items():
        payload = rating_payload(score(ORS, [total / 4] * 4), "client", "start", 2 * NS, None, key)
        b.add("rating", payload, 2 * NS, "rating-1")
    for key, total in srs.items():
        payload = rating_payload(score(SRS, [total / 4] * 4), "client", "end", 110 * NS, None, key)
        b.add("rating", payload, 110 * NS, "rating-1")
    return b.write(path)


def test_history_keeps_each_partners_forms_and_change_apart(tmp_path: Path) -> None:
    paths = [
        _couple_session(tmp_path / "s0.sqlite", 0, {"client": 20, "partner": 30}, {"client": 36}),
        _couple_session(
            tmp_path / "s1.sqlite", 1, {"client": 26, "partner": 24}, {"client": 38, "partner": 39}
        ),
    ]
    rows, problems = client_history(paths)
    assert problems == []
    # The client's columns as in a two-person history; the partner's under `partner_`.
    assert [r["ors_total_0to40"] for r in rows] == [20, 26]
    assert [r["partner_ors_total_0to40"] for r in rows] == [30, 24]
    assert rows[0]["srs_total_0to40"] == 36 and math.isnan(rows[0]["partner_srs_total_0to40"])
    assert rows[1]["partner_srs_total_0to40"] == 39
    # Each from their own intake: client +6 (reliable: > 5 points), partner -6.
    assert [r["ors_change_from_intake_points"] for r in rows] == [0, 6]
    assert [r["partner_ors_change_from_intake_points"] for r in rows] == [0, -6]
    assert rows[1]["partner_ors_reliable_deterioration"] is True
    assert rows[0]["partner_mean_hr_bpm"] == 80 and rows[0]["client_mean_hr_bpm"] == 70
    out = write_csv(rows, tmp_path / "h.csv")
    with out.open(newline="") as f:
        table = list(csv.DictReader(f))
    assert (
        float(table[1]["partner_srs_total_0to40"]) == 39
        and table[0]["partner_srs_total_0to40"] == ""
    )


def test_the_report_names_whose_form_a_rating_is(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from coregulate.review.report import write_report
    from coregulate.review.report.tables import rating_name

    path = _couple_session(tmp_path / "s.sqlite", 0, {"client": 20, "partner": 30}, {})
    data = load_session(path)
    assert sorted(rating_name(r) for r in data.ratings) == ["ORS", "ORS partner"]
    assert set(data.people) == {"client", "partner", "therapist"}
    out = write_report(data, tmp_path / "r.png")
    assert Path(out).stat().st_size > 10_000


def test_the_printed_history_shows_each_partners_forms_and_flags(tmp_path: Path) -> None:
    from coregulate.commands.history import format_table

    paths = [
        _couple_session(tmp_path / "s0.sqlite", 0, {"client": 20, "partner": 30}, {"partner": 30}),
        _couple_session(tmp_path / "s1.sqlite", 1, {"client": 26, "partner": 24}, {}),
    ]
    header, first, second = format_table(client_history(paths)[0]).splitlines()
    assert "ORS partner" in header and "SRS partner" in header
    assert first.endswith("partner: SRS≤36")  # the partner's SRS of 30; the client gave none
    assert second.endswith("ORS clin. signif. change; partner: ORS reliable −")


def test_the_history_plot_draws_each_partners_forms(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from coregulate.review.history_plot import _ors_panel, _srs_panel, write_history_plot

    paths = [
        _couple_session(tmp_path / f"s{h}.sqlite", h, {"client": 20 + h, "partner": 30 - h}, {})
        for h in range(3)
    ]
    rows = client_history(paths)[0]
    fig, (ors, srs) = plt.subplots(2)
    n = np.arange(1, 4, dtype=float)
    _ors_panel(ors, rows, n)
    _srs_panel(srs, rows, n)
    partner = [line for line in ors.lines if line.get_label() == "partner"]
    assert len(partner) == 1 and list(partner[0].get_ydata()) == [30, 29, 28]
    assert [line.get_label() for line in srs.lines].count("partner") == 1
    plt.close(fig)
    assert write_history_plot(rows, "c-1", tmp_path / "h.png").stat().st_size > 10_000
