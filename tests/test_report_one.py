"""One report, one per-person summary: both commands draw the same page from one renderer."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from coregulate.cli import main
from coregulate.recordings.summary import PersonSummary, summarize_hr_samples
from coregulate.review import report
from coregulate.review.report import page_sections
from review_support import session_file


@pytest.fixture
def drawn(monkeypatch) -> list:
    """Record every SessionData handed to the one renderer (and still draw it)."""
    calls: list = []
    real = report.write_report

    def spy(data, out):
        calls.append(data)
        return real(data, out)

    monkeypatch.setattr(report, "write_report", spy)
    return calls


def _analyze_report(job: dict, out: Path) -> dict:
    from coregulate.commands.analyze import analyze_one

    return analyze_one(job | {"report": str(out)})


def test_report_and_analyze_report_draw_the_same_page(tmp_path: Path, drawn: list) -> None:
    path = session_file(tmp_path / "s.sqlite", ors_items=[5, 5, 5, 5], wai_items=[4] * 12)
    assert main(["report", str(path), "--out", str(tmp_path / "r.png")]) == 0
    summary = _analyze_report({"session": str(path)}, tmp_path / "a.png")
    assert "error" not in summary and Path(summary["report"]).is_file()
    recorded, offline = drawn  # both commands went through the one renderer
    # The same sections in the same order, though the analysis recomputed the metrics.
    assert (
        page_sections(recorded)
        == page_sections(offline)
        == [
            "events",
            "arousal.client",
            "arousal.therapist",
            "sync_r",
            "sync_lag",
            "space",
            "ratings+markers",
            "states",
            "quality",
            "notes",
        ]
    )
    for data in (recorded, offline):
        assert [m.label for m in data.markers] == ["rupture (withdrawal)", "repair", "note"]
        assert [r.score.instrument for r in data.ratings] == ["ORS", "WAI-SR"]


def _rr_file(path: Path, seed: int, mean_ms: float) -> Path:
    rng = np.random.default_rng(seed)
    rr = np.round(mean_ms + 30 * np.sin(np.arange(500) / 4) + rng.normal(0, 8, 500))
    path.write_text("\n".join(f"{v:.0f}" for v in rr))
    return path


def test_an_imported_pair_gets_the_page_without_empty_sections(tmp_path: Path, drawn: list) -> None:
    files = {}
    for role, seed, mean_ms in (("client", 1, 800.0), ("therapist", 2, 950.0)):
        files[role] = tmp_path / f"{role}.sqlite"
        src = _rr_file(tmp_path / f"{role}.txt", seed, mean_ms)
        assert main(["import", str(src), "--out", str(files[role]), "--role", role]) == 0
    out = tmp_path / "pair.png"
    summary = _analyze_report({k: str(v) for k, v in files.items()}, out)
    assert "error" not in summary and out.read_bytes()[:4] == b"\x89PNG"
    (data,) = drawn
    sections = page_sections(data)
    assert not data.markers and not data.ratings
    assert "events" not in sections and not any("ratings" in s or "markers" in s for s in sections)
    # The offline pipeline's metrics and synchrony are drawn, each person on one clock.
    assert set(data.people) == {"client", "therapist"} and data.sync is not None
    assert data.sync.t_s.size > 100 and data.info["inputs"] == {
        "client": "client.sqlite",
        "therapist": "therapist.sqlite",
    }
    assert data.people["client"].n_beats == 500


# The analyze JSON's per-person keys as they are written today (one list per shape).
BEATS_KEYS = [
    "n_beats",
    "mean_hr_bpm",
    "rmssd_ms",
    "artifact_share",
    "artifacts",
    "artifact_method",
]
EMPTY_KEYS = ["n_beats", "mean_hr_bpm", "rmssd_ms", "artifact_share", "artifact_method"]
HR_ONLY_KEYS = [
    "n_beats",
    "n_hr_samples",
    "mean_hr_bpm",
    "rmssd_ms",
    "artifact_share",
    "artifact_method",
    "note",
]


def test_the_summary_type_gives_the_json_keys_of_today() -> None:
    from coregulate.recordings.pipeline import BeatSeries, person_summary

    rr = np.full(50, 800.0)
    t = (np.cumsum(rr) * 1e6).astype(np.int64)
    gaps = np.zeros(50, bool)
    full = person_summary(BeatSeries("client", [], t, rr, gaps))
    assert list(full.to_dict()) == BEATS_KEYS and full.to_dict()["mean_hr_bpm"] == 75.0
    empty = person_summary(BeatSeries("client", [], t[:0], rr[:0], gaps[:0]))
    assert list(empty.to_dict()) == EMPTY_KEYS
    assert set(empty.to_dict().values()) == {0, None}
    hr_only = summarize_hr_samples("therapist", [64.0, 66.0, 71.0])
    assert list(hr_only.to_dict()) == HR_ONLY_KEYS and hr_only.to_dict()["mean_hr_bpm"] == 67.0
    with pytest.raises(AttributeError):
        hr_only.mean_hr_bpm = 1.0  # type: ignore[misc]  # frozen


def test_the_summary_type_gives_the_history_columns_of_today() -> None:
    summary = PersonSummary("client", mean_hr_bpm=70.0, state_shares_0to1={"settled": 1.0})
    expected = {
        "client_mean_hr_bpm": 70.0,
        "client_mean_ln_rmssd_ln_ms": math.nan,
        "client_mean_arousal_index_z": math.nan,
        "client_settled_share_0to1": 1.0,
        "client_activated_share_0to1": math.nan,
        "client_highly_activated_share_0to1": math.nan,
        "client_artifact_share_0to1": math.nan,
        "client_gaps_s": math.nan,
    }
    assert list(summary.history_columns()) == list(expected)  # the CSV's column order
    assert summary.history_columns() == pytest.approx(expected, nan_ok=True)
