"""`coregulate analyze`: whole-session summaries against references, JSON, report, batch."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.signal.screening import rmssd_normal_ms

CLI = [sys.executable, "-m", "coregulate.cli"]


def _series(rr: np.ndarray, gaps: np.ndarray | None = None):
    from coregulate.recordings.pipeline import BeatSeries

    t = (np.cumsum(rr) * 1e6).astype(np.int64)
    g = np.zeros(rr.size, bool) if gaps is None else gaps
    g[0] = True
    return BeatSeries("client", [], t, rr, g)


def test_rmssd_over_the_corrected_series_equals_neurokit2() -> None:
    from coregulate.recordings.pipeline import person_summary
    from coregulate.signal.screening import classify_beats

    nk = pytest.importorskip("neurokit2")
    rng = np.random.default_rng(4)
    rr = np.round(800 + 25 * np.sin(np.arange(300) / 5) + rng.normal(0, 5, 300))
    beats = _series(rr)
    summary = person_summary(beats).to_dict()
    kinds, _ = classify_beats(beats.t_ns, beats.rr_ms, beats.gap_before)
    normal = kinds == "normal"
    assert 0 < summary["artifact_share"] == pytest.approx(1 - normal.mean())
    # Reference: NeuroKit2 hrv_time on the corrected intervals (issue 13: every
    # difference the corrected series makes valid is kept), times rebuilt from them.
    from coregulate.signal.artifacts import classify_series

    _, nn = classify_series(beats.t_ns, rr, beats.gap_before)
    nn = nn[np.isfinite(nn)]
    ref = nk.hrv_time({"RRI": nn, "RRI_Time": np.cumsum(nn) / 1000.0})
    assert summary["rmssd_ms"] == pytest.approx(float(ref["HRV_RMSSD"].iloc[0]), rel=1e-12)
    assert summary["mean_hr_bpm"] == pytest.approx(60000 / float(np.mean(rr[normal])))


def test_an_artifact_is_classified_as_live_and_no_difference_spans_it() -> None:
    from coregulate.recordings.pipeline import person_summary

    rng = np.random.default_rng(5)
    rr = np.round(800 + 30 * np.sin(np.arange(200) / 3) + rng.normal(0, 8, 200))
    rr[120] = 2 * rr[120]  # a missed beat: two intervals merged (Lipponen & Tarvainen)
    summary = person_summary(_series(rr)).to_dict()
    assert summary["artifacts"] == {"missed": 1}
    assert summary["artifact_share"] == pytest.approx(1 / 200)
    normal = np.ones(200, bool)
    normal[120] = False
    gaps = np.zeros(200, bool)
    # The missed beat is halved and its differences kept (issue 13): close to the
    # RMSSD of the normal beats alone, and exactly the corrected series' RMSSD.
    from coregulate.signal.screening import corrected_rmssd_ms

    t = (np.cumsum(rr) * 1e6).astype(np.int64)
    assert summary["rmssd_ms"] == pytest.approx(corrected_rmssd_ms(t, rr, gaps), rel=1e-12)
    assert summary["rmssd_ms"] == pytest.approx(rmssd_normal_ms(rr, gaps, normal), rel=0.1)


def test_rmssd_never_spans_a_gap_or_an_artifact() -> None:
    rr = np.array([800.0, 810, 400, 820, 830, 900, 910])
    gaps = np.array([True, False, False, False, False, True, False])
    normal = np.array([True, True, False, True, True, True, True])
    # Pairs: 800-810, 820-830, 900-910 (400 excluded; 830-900 spans the gap).
    assert rmssd_normal_ms(rr, gaps, normal) == pytest.approx(10.0)


def test_analyze_session_writes_json_and_report(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=900)
    out, report = tmp_path / "a.json", tmp_path / "r.png"
    run = subprocess.run(
        [*CLI, "analyze", str(path), "--json", str(out), "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(out.read_text())
    for role, resting in (("client", 78.0), ("therapist", 64.0)):  # demo_config's profiles
        person = summary[role]
        assert abs(person["mean_hr_bpm"] - resting) < 4
        assert 10 < person["rmssd_ms"] < 80 and 0 <= person["artifact_share"] < 0.05
    sync = summary["synchrony"]
    assert set(sync) >= {"peak_lag_s", "mean_peak_z", "surrogate_es", "n_surrogates"}
    assert sync["peak_lag_s"] > 0  # the simulated therapist leads by 2 s
    assert math.isfinite(sync["surrogate_es"]) and sync["n_surrogates"] > 100
    assert report.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert os.stat(out).st_mode & 0o777 == 0o600 and os.stat(report).st_mode & 0o777 == 0o600


def test_batch_analyses_every_pair_and_names_bad_rows(tmp_path: Path) -> None:
    for seed in (1, 2):
        write_simulated_session(tmp_path / f"s{seed}.sqlite", seed=seed, duration_s=300)
    (tmp_path / "pairs.csv").write_text("session\ns1.sqlite\ns2.sqlite\n")
    out = tmp_path / "all.json"
    run = subprocess.run(
        [
            *CLI,
            "analyze",
            "--batch",
            str(tmp_path / "pairs.csv"),
            "--json",
            str(out),
            "--jobs",
            "2",
            "--progress",  # stderr is a pipe here: progress only when asked (issue 20 item 5)
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(out.read_text())
    assert [Path(r["inputs"]["client"]).name for r in results] == ["s1.sqlite", "s2.sqlite"]
    assert "2/2" in run.stderr  # the progress bar
    (tmp_path / "bad.csv").write_text("who\nx\n")
    run = subprocess.run(
        [*CLI, "analyze", "--batch", str(tmp_path / "bad.csv")], capture_output=True, text=True
    )
    assert run.returncode == BAD_INPUT and "row 2" in run.stderr and "Traceback" not in run.stderr


def _clean(**overrides: object):
    from coregulate.acquisition.simulator import PersonProfile

    quiet = dict(
        episodes=(),
        ectopic_rate=0.0,
        missed_rate=0.0,
        extra_rate=0.0,
        contact_loss=(),
        disconnections=(),
    )
    return PersonProfile(**quiet, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("leader", "lag_s", "expected_lag_s"), [("therapist", 2.0, 2.0), ("client", 3.0, -3.0)]
)
def test_synchrony_recovers_the_simulated_lag_and_surrogates_separate_coupling(
    tmp_path: Path, leader: str, lag_s: float, expected_lag_s: float
) -> None:
    from coregulate.acquisition.simulator import Coupling, DyadConfig
    from coregulate.recordings.pipeline import read_beats, run_offline_pipeline

    def synchrony(coupling: Coupling | None, name: str) -> dict:
        config = DyadConfig(
            client=_clean(resting_hr_bpm=75.0, breathing_hz=0.28),
            therapist=_clean(resting_hr_bpm=65.0, breathing_hz=0.22),
            coupling=coupling,
            duration_s=1800.0,
            seed=3,
        )
        path = write_simulated_session(tmp_path / name, config=config)
        return run_offline_pipeline(read_beats(path)).synchrony

    # Ground truth: the simulator's coupling (the leader's slow HR drives the follower's
    # after lag_s; tests/test_simulator.py checks the truth itself).
    coupled = synchrony(Coupling(leader=leader, lag_s=lag_s, strength=0.75), "coupled.sqlite")
    assert abs(coupled["peak_lag_s"] - expected_lag_s) <= 0.5
    assert coupled["surrogate_es"] > 0.6
    uncoupled = synchrony(None, "uncoupled.sqlite")
    assert abs(uncoupled["surrogate_es"]) < 0.4 < coupled["surrogate_es"]


def test_batch_pseudo_pairs_compare_each_dyad_with_strangers(tmp_path: Path) -> None:
    """`--pseudo-pairs N`: the client of one dyad with the therapist of another.

    Ground truth: the simulator's demo dyads are coupled (the therapist's slow HR drives
    the client's 2 s later), so each real dyad is more in step than its pseudo dyads.
    """
    from coregulate.commands._exit_codes import USAGE

    for seed in (1, 2, 3):
        write_simulated_session(tmp_path / f"s{seed}.sqlite", seed=seed, duration_s=300)
    (tmp_path / "pairs.csv").write_text("session\ns1.sqlite\ns2.sqlite\ns3.sqlite\n")
    out = tmp_path / "all.json"
    args = ["analyze", "--batch", str(tmp_path / "pairs.csv"), "--json", str(out)]
    run = subprocess.run(
        [*CLI, *args, "--jobs", "1", "--pseudo-pairs", "100"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(out.read_text())
    for dyad in results:
        null = dyad["synchrony"]["pseudo_pairs"]
        # N is per dyad (issue 18): 100 >= n - 1, so each client with both other therapists.
        assert null["n_dyads"] == 3 and null["n_pseudo_pairs"] == 2
        assert null["pooled_n_pseudo_pairs"] == 6 and len(null["pseudo_therapist_dyads"]) == 2
        # The pooled z is what this test asserted before N became per dyad (all 6 pairs);
        # a dyad's own z rests on 2 pseudo pairs here, too few to assert its sign.
        assert null["statistic"] == "mean_abs_peak_z" and null["pooled_z"] > 0, null
        assert null["z"] is not None and 0 <= null["percentile"] <= 100
        assert "_hr_grid" not in dyad
    run = subprocess.run(
        [*CLI, "analyze", str(tmp_path / "s1.sqlite"), "--pseudo-pairs", "5"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == USAGE and "needs --batch" in run.stderr
