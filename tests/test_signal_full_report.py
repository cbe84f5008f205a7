"""The offline full report: NeuroKit2's HRV set per person and per marked segment."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.signal.artifacts import classify_series
from coregulate.signal.full_report import Segment, full_report
from signal_support import pyhrv_nn

nk = pytest.importorskip("neurokit2")
S = 1_000_000_000


def test_report_on_a_real_hour_whole_and_per_segment() -> None:
    nn = pyhrv_nn("Long")
    if nn is None:
        pytest.skip("pyhrv sample series not present")
    t = np.cumsum(nn).astype(np.int64) * 1_000_000
    segments = [Segment("first 5 min", 0, 300 * S), Segment("minute 30-40", 1800 * S, 2400 * S)]
    report = full_report({"client": (t, nn, None)}, segments, max_nonlinear_beats=1200)
    whole = report["client"]["whole"]
    assert whole["n_beats"] == nn.size and whole["nonlinear"] is None
    assert "too slow" in whole["skipped"]["nonlinear"]
    # Reference: nk.hrv_time on the corrected series (classified as live).
    _, corrected = classify_series(t, nn)
    keep = np.isfinite(corrected)
    rri_time = (np.cumsum(corrected[keep]) - corrected[keep][0]) / 1000.0 + t[0] / 1e9
    ref = nk.hrv_time({"RRI": corrected[keep], "RRI_Time": rri_time}).iloc[0]
    assert whole["time"]["HRV_RMSSD"] == pytest.approx(ref["HRV_RMSSD"], rel=1e-12)
    assert whole["time"]["HRV_SDNN"] == pytest.approx(ref["HRV_SDNN"], rel=1e-12)
    assert whole["frequency"]["HRV_HF"] > 0 and whole["frequency_run_s"] > 3500
    first = report["client"]["segments"]["first 5 min"]
    assert 300 < first["n_beats"] < 400
    assert first["nonlinear"] is not None and "HRV_SD1" in first["nonlinear"]
    assert report["client"]["segments"]["minute 30-40"]["time"]["HRV_MeanNN"] > 0


def test_a_gap_splits_the_frequency_run() -> None:
    rng = np.random.default_rng(0)
    rr = 800 + 30 * np.sin(np.arange(600) * 0.8) + rng.normal(0, 10, 600)
    t = np.cumsum(rr).astype(np.int64) * 1_000_000
    t[300:] += 60 * S
    gap = np.zeros(600, bool)
    gap[300] = True
    whole = full_report({"therapist": (t, rr, gap)})["therapist"]["whole"]
    assert whole["frequency_run_s"] < 250  # one side of the gap only
    assert whole["time"]["HRV_RMSSD"] > 0


def test_too_few_beats_is_reported_not_raised() -> None:
    t = np.arange(1, 11, dtype=np.int64) * S
    whole = full_report({"client": (t, np.full(10, 1000.0), None)})["client"]["whole"]
    assert whole["time"] is None and "needs 30" in whole["skipped"]["all"]


def test_the_live_path_does_not_import_neurokit2() -> None:
    code = (
        "import sys; import coregulate.stages.runner, coregulate.stages.metrics_stage, "
        "coregulate.signal.person, coregulate.signal.full_report; "
        "print('neurokit2' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip() == "False", run.stderr


CLI = [sys.executable, "-m", "coregulate.cli"]


@pytest.fixture(scope="module")
def session_file(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report") / "s.sqlite"
    args = ["demo", "--headless", "--duration", "420", "--speed", "60", "--seed", "3"]
    run = subprocess.run([*CLI, *args, "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return out


def test_hrv_report_command_on_a_recorded_session(session_file, tmp_path) -> None:
    import json

    from coregulate.commands.hrv_report import read_beats

    out = tmp_path / "report.json"
    args = ["hrv-report", str(session_file), "--segment", "early:0:200", "--out", str(out)]
    run = subprocess.run([*CLI, *args], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    report = json.loads(out.read_text())
    assert set(report) == {"client", "therapist"}
    beats = read_beats(session_file)
    for role in ("client", "therapist"):
        whole = report[role]["whole"]
        # Every recorded beat is accounted for: reported or rejected as implausible.
        assert whole["n_beats"] + report[role]["rejected_intervals"] == len(beats[role][0])
        assert whole["time"]["HRV_RMSSD"] > 0 and whole["frequency"]["HRV_HF"] > 0
        assert whole["nonlinear"]["HRV_SD1"] > 0  # 7 min: short enough
        early = report[role]["segments"]["early"]
        assert 0 < early["n_beats"] < whole["n_beats"]
    again = subprocess.run([*CLI, *args], capture_output=True, text=True)
    assert again.returncode == 2 and "never overwrites" in again.stderr


def test_hrv_report_command_says_what_is_wrong(tmp_path) -> None:
    missing = subprocess.run(
        [*CLI, "hrv-report", str(tmp_path / "none.sqlite")], capture_output=True, text=True
    )
    assert missing.returncode == BAD_INPUT and "no such session file" in missing.stderr
    bad = subprocess.run(
        [*CLI, "hrv-report", str(tmp_path / "x.sqlite"), "--segment", "a:9:3"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "START_S < END_S" in bad.stderr
    assert "Traceback" not in missing.stderr + bad.stderr


def test_perfectly_regular_beats_skip_what_neurokit2_cannot_compute() -> None:
    # NeuroKit2 0.3.0's hrv_nonlinear divides by the intervals' spread (Poincaré PI)
    # and raised ZeroDivisionError on a metronome: `coregulate hrv-report` printed a
    # traceback. The domain is now skipped with the reason; the others are reported.
    rr = np.full(300, 800.0)
    t_ns = (np.cumsum(rr) * 1e6).astype(np.int64)
    whole = full_report({"client": (t_ns, rr, None)})["client"]["whole"]
    assert whole["time"]["HRV_MeanNN"] == pytest.approx(800.0)
    assert whole["nonlinear"] is None
    assert "could not compute" in whole["skipped"]["nonlinear"]
