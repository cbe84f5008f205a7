"""The report shows each synchrony window's r against its chance band and says the verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.review.from_analysis import session_from_analysis
from coregulate.review.report import draw_page
from coregulate.review.session_data import SessionData, load_session
from review_support import NS, FileBuilder


def _sync_axis(data: SessionData):
    """Return the drawn page's per-window r axis (its y label names it)."""
    fig = draw_page(data)
    return next(ax for ax in fig.axes if ax.get_ylabel().startswith("HR synchrony"))


def _words(ax) -> str:
    """Return the verdict the r panel states in words."""
    return next(t.get_text() for t in ax.texts if t.get_gid() == "chance_verdict")


def _band_top(ax) -> np.ndarray:
    """Return the upper edge (+chance_abs_r95) of the shaded chance band, as drawn."""
    band = next(c for c in ax.collections if c.get_gid() == "chance_band")
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    return ys


def test_a_simulated_session_report_draws_the_chance_band_and_says_the_verdict(
    tmp_path: Path,
) -> None:
    # 15 minutes: 30 segments of 30 s, more than the 21 a verdict needs (synchrony.md §3).
    analysis = analyze_files(write_simulated_session(tmp_path / "s.sqlite", seed=3, duration_s=900))
    data = session_from_analysis(analysis)
    sync = data.sync
    assert sync is not None and np.isfinite(sync.chance_abs_r95).sum() > 100
    ax = _sync_axis(data)
    ys = _band_top(ax)
    # The band is ±chance_abs_r95 of the windows, symmetric about 0, inside (0, 1).
    band = sync.chance_abs_r95[np.isfinite(sync.chance_abs_r95)]
    assert ys.max() == pytest.approx(band.max()) and ys.min() == pytest.approx(-band.max())
    assert band.min() > 0 and band.max() < 1
    json_sync = analysis.summary()["synchrony"]
    verdict = json_sync["above_chance"]
    assert isinstance(verdict, bool) and 0 < json_sync["p_above_chance"] <= 1
    words = "above chance" if verdict else "not above chance"
    assert f"synchrony against chance: {words} (p {json_sync['p_above_chance']:.3f})" in (
        _words(ax)
    )
    above = int(np.count_nonzero(sync.above_chance == 1.0))
    judged = int(np.isfinite(sync.above_chance).sum())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "chance band ±95th pct. of unrelated stretches' peak |r|; "
        f"above it in {above} of {judged} windows"
    ]


def test_a_session_too_short_for_a_verdict_says_why_in_the_report_and_the_json(
    tmp_path: Path,
) -> None:
    # 5 minutes: 10 segments; p cannot be below 1/10, so no verdict (synchrony.md §3).
    analysis = analyze_files(write_simulated_session(tmp_path / "s.sqlite", seed=3, duration_s=300))
    json_sync = analysis.summary()["synchrony"]
    assert json_sync["above_chance"] is None
    reason = json_sync["unavailable"]["above_chance"]
    assert "it needs 21 valid segments" in reason
    assert json_sync["series"]["hr_bpm"]["susy"]["above_chance_unavailable"] == reason
    data = session_from_analysis(analysis)
    ax = _sync_axis(data)
    title = _words(ax)
    assert f"synchrony against chance: no verdict yet: {reason}" in title
    # Nor has any window its band yet (too few complete blocks): the page says why.
    assert data.sync is not None and not np.isfinite(data.sync.chance_abs_r95).any()
    why = data.sync.chance_unavailable
    assert why and "the chance band needs" in why and title.endswith(f"\nno chance band: {why}")
    assert not [c for c in ax.collections if c.get_gid() == "chance_band"]


def _recorded(path: Path, chance: list[float | None], susy: dict | None) -> Path:
    """Write a session file whose sync messages carry these windows' bands and this SUSY."""
    b = FileBuilder()
    b.add("session", {"client_id": "c-1", "clock": {"wall_anchor_ns": 0}}, 0, "acq")
    for i, band in enumerate(chance):
        t = 40 + i
        window = {"start_ns": (t - 30) * NS, "end_ns": t * NS, "peak_r": 0.5, "peak_lag_s": 1.0}
        window |= {"chance_abs_r95": band, "above_chance": None if band is None else band < 0.5}
        b.add("sync", {"series": "hr_bpm", "final": False, "window": window}, t * NS, "sync")
    final = {"series": "hr_bpm", "final": True, "window": None, "susy": susy}
    final["unavailable"] = {} if susy else {"susy": "too early: 2 of 3 segments"}
    b.add("sync", final, 100 * NS, "sync")
    return b.write(path)


def test_the_recorded_sessions_bands_and_verdict_are_read_back(tmp_path: Path) -> None:
    reason = "9 segments allow no p below 0.111 (alpha 0.05); it needs 21 valid segments"
    susy = {"z": {"es": 0.2}, "p_above_chance": None, "above_chance": None}
    path = _recorded(tmp_path / "s.sqlite", [None, 0.4, 0.6, 0.5], susy | {
        "above_chance_unavailable": reason
    })  # fmt: skip
    data = load_session(path)
    assert data.sync is not None
    np.testing.assert_array_equal(data.sync.chance_abs_r95, [np.nan, 0.4, 0.6, 0.5])
    np.testing.assert_array_equal(data.sync.above_chance, [np.nan, 1.0, 0.0, 0.0])
    ax = _sync_axis(data)
    assert _band_top(ax).max() == pytest.approx(0.6)
    assert f"no verdict yet: {reason}" in _words(ax)
    assert "above it in 1 of 3 windows" in ax.get_legend().get_texts()[0].get_text()
    # Without SUSY at all, the unavailable entry is the reason.
    data = load_session(_recorded(tmp_path / "t.sqlite", [None], None))
    ax = _sync_axis(data)
    title = _words(ax)
    assert "no verdict yet: too early: 2 of 3 segments\nno chance band: this file carries none" in (
        title
    )
    assert not [c for c in ax.collections if c.get_gid() == "chance_band"]  # nothing to draw
    assert ax.get_legend() is None
