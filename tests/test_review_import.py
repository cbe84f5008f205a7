"""A file without live metrics (an import, a simulation) reviews and reports with analyze's numbers.

Found 2026-11-30: `coregulate report` of a simulated (or imported) recording drew
empty plots and said "no synchrony in this session (it needs the beats of both
people)" although both people's beats were there; `coregulate review` of it showed
empty plots and "not available" everywhere. Such a file holds beats only; both now
use what `coregulate analyze` computes from them, and say so. Also seen in that
review: a group's status panel drew the dyad's first sections under the group's
(the replaced widgets waited for the event loop to be deleted).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6 import QtWidgets

from coregulate.cli import main
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.stage_replay import has_live_metrics
from coregulate.review.derived import DERIVED_NOTE
from coregulate.ui.review_window import ReviewWindow

NS = 10**9


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("imports")
    return {
        "dyad": write_simulated_session(folder / "dyad.sqlite", 2, 420.0),
        "group": write_simulated_session(folder / "group.sqlite", 2, 420.0, n_people=4),
    }


def test_the_review_plays_analyze_s_metrics_and_says_so(qtbot, files) -> None:
    path = files["dyad"]
    assert not has_live_metrics(path)
    window = ReviewWindow(path, view="full")
    qtbot.addWidget(window)
    assert window.player.derived
    expected = analyze_files(path, parallel=False).result.outputs
    played = [m.json() for m in window.player.messages if m.topic == "metrics.client"]
    # The same payloads, in session time (the player orders every message by its time).
    assert played == sorted(expected["metrics.client"], key=lambda p: p["t_ns"])
    assert any(m.topic == "sync" for m in window.player.messages)
    notes = [w.text() for w in window.statusBar().findChildren(QtWidgets.QLabel)]
    assert DERIVED_NOTE in notes
    window.show()
    window.seek(300 * NS)
    window.redraw(force=True)
    assert "HR: not available" not in _panel_texts(window)
    assert "HR: " in _panel_texts(window)


def test_a_group_import_reviews_with_one_section_per_person(qtbot, files) -> None:
    window = ReviewWindow(files["group"], view="full")
    qtbot.addWidget(window)
    window.show()
    window.seek(300 * NS)
    window.redraw(force=True)  # no event loop turn: replaced widgets must be gone at once
    assert window.player.derived
    assert any(m.topic == "sync.group" for m in window.player.messages)
    panel = window.full.status
    titles = [
        w.text() for w in panel.findChildren(QtWidgets.QLabel) if w.isVisible() and w.text() in (
            "Client", "Partner", "Therapist", "Co-therapist",
        )
    ]  # fmt: skip
    assert sorted(titles) == ["Client", "Co-therapist", "Partner", "Therapist"], titles


def test_report_of_an_import_draws_analyze_s_numbers(tmp_path, files, monkeypatch, caplog) -> None:
    import coregulate.review.report as report

    drawn = {}

    def capture(data, out):
        drawn["data"] = data
        return out

    monkeypatch.setattr(report, "write_report", capture)
    assert main(["report", str(files["dyad"]), "--out", str(tmp_path / "r.png")]) == 0
    data = drawn["data"]
    assert np.isfinite(data.people["client"].hr_bpm).any()
    assert data.sync is not None and np.isfinite(data.sync.peak_r).any()
    assert "dyad.sqlite holds no live metrics: computing metrics and synchrony" in caplog.text


def _panel_texts(window: ReviewWindow) -> str:
    labels = window.full.status.findChildren(QtWidgets.QLabel)
    return "\n".join(w.text() for w in labels if w.isVisible())
