"""The session timeline read back from a file, and the one-page report written from it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from coregulate.cli import main
from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.review.quality import baseline_band, state_shares, summarize_series, sync_summary
from coregulate.review.report import write_report
from coregulate.review.session_data import load_session
from review_support import session_file


def test_timeline_is_read_back_exactly(tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", ors_items=[5, 5, 5, 5], srs_items=[9, 9, 9, 9])
    data = load_session(path)
    assert data.client_id == "c-1" and data.duration_s == 300
    client = data.people["client"]
    # Hand-worked in review_support: 99 + 100 s settled, 60 activated, 20 highly;
    # the 20 s without updates (180 -> 200 s) are unavailable, not "highly activated".
    assert client.time_in_state_s() == {
        "settled": 199.0,
        "activated": 60.0,
        "highly activated": 20.0,
        "unavailable": 20.0,
    }
    assert state_shares(data.people["therapist"])["settled"] == 1.0
    # The client's beats at 181..199 s are missing; the beat at 200 s says so.
    assert client.gaps == [(180.0, 199.0)]
    q = summarize_series("client", client)
    assert (q.n_beats, q.n_gaps, q.gaps_s) == (281, 1, 19.0)
    assert q.artifact_share_0to1 == pytest.approx(0.01)
    assert [(m.t_s, m.category) for m in data.markers] == [
        (105.0, "rupture"),
        (170.0, "repair"),
        (250.0, "note"),
    ]
    assert [(r.score.instrument, r.score.total) for r in data.ratings] == [("ORS", 20), ("SRS", 36)]
    assert any("total 40 does not match its answers (4)" in p for p in data.problems)
    assert any("has no kind" in p for p in data.problems)
    assert sync_summary(data)["susy_es"] == 0.9
    assert data.sync.t_s.size == 27 and float(data.sync.peak_r[0]) == 0.5
    # No stored baseline profile: the band is the first 3 minutes (HR exactly 70).
    assert baseline_band(client, "hr_bpm") == (70.0, 0.0, "first 3 min")
    assert data.lost_messages == 0


@pytest.mark.parametrize(("states", "suffix"), [(True, ".png"), (False, ".pdf")])
def test_report_is_written_owner_only(tmp_path: Path, states: bool, suffix: str) -> None:
    path = session_file(
        tmp_path / "s.sqlite",
        ors_items=[5, 5, 5, 5],
        srs_items=[9, 9, 9, 9],
        wai_items=[4] * 12,
        states=states,
    )
    out = write_report(load_session(path), tmp_path / f"report{suffix}")
    head = out.read_bytes()[:8]
    assert head.startswith(b"\x89PNG" if suffix == ".png" else b"%PDF")
    assert out.stat().st_size > 20_000
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_report_command(tmp_path: Path, capsys, caplog) -> None:
    path = session_file(tmp_path / "s.sqlite", srs_items=[10, 10, 10, 10])
    assert main(["report", str(path)]) == 0
    assert (tmp_path / "s.pdf").is_file()
    assert "wrote" in capsys.readouterr().out
    assert "does not match its answers" in caplog.text  # the left-out rating is reported
    assert main(["report", str(path), "--out", str(tmp_path / "r.txt")]) == 2
    assert "written as .pdf or .png" in caplog.text
    assert main(["report", str(tmp_path / "missing.sqlite")]) == BAD_INPUT
    assert "no such session file" in caplog.text
