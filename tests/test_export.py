"""`coregulate export`: CSV tables and BIDS-style physio files a researcher's tools read."""

from __future__ import annotations

import csv
import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coregulate.recordings.export import HR_GRID_HZ, hr_grid
from coregulate.recordings.pipeline import read_beats
from coregulate.recordings.simulated_file import write_simulated_session

CLI = [sys.executable, "-m", "coregulate.cli"]
# Markers as the window publishes them (docs/protocol.md): one note undone by a
# retraction, which the export must leave out.
EXTRA = [
    (
        "marker",
        {"id": "a" * 32, "kind": "rupture-withdrawal", "t_ns": 600 * 10**9, "text": None},
        600 * 10**9,
    ),
    (
        "marker",
        {"id": "b" * 32, "kind": "repair", "t_ns": 700 * 10**9, "text": "named it"},
        700 * 10**9,
    ),
    ("marker", {"id": "c" * 32, "kind": "note", "t_ns": 710 * 10**9, "text": "typo"}, 710 * 10**9),
    (
        "marker",
        {"id": "d" * 32, "kind": "retraction", "t_ns": 711 * 10**9, "retracts": "c" * 32},
        711 * 10**9,
    ),
    ("rating", {"instrument": "SRS", "items": [9, 8, 9, 9], "total": 35}, 1850 * 10**9),
]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 1900 s: the simulated client loses contact and disconnects once each (gaps).
    path = tmp_path_factory.mktemp("export") / "s.sqlite"
    return write_simulated_session(path, seed=1, duration_s=1900, extra=EXTRA)


def _export(session: Path, fmt: str, out: Path) -> None:
    run = subprocess.run(
        [*CLI, "export", str(session), "--format", fmt, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


def test_csv_tables_hold_every_beat_with_units_and_are_owner_only(
    session: Path, tmp_path: Path
) -> None:
    out = tmp_path / "csv"
    _export(session, "csv", out)
    people = read_beats(session)
    with (out / "beats.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) >= {"role", "t_s", "rr_ms", "rr_ticks_1024th_s", "gap_before"}
    for role, beats in people.items():
        mine = [r for r in rows if r["role"] == role]
        assert [float(r["rr_ms"]) for r in mine] == beats.rr_ms.tolist()
        assert [int(r["t_ns"]) for r in mine] == beats.t_ns.tolist()
    with (out / "markers.csv").open() as f:
        markers = list(csv.DictReader(f))
    assert [(m["kind"], float(m["t_s"]), m["note"]) for m in markers] == [
        ("rupture-withdrawal", 600.0, ""),
        ("repair", 700.0, "named it"),
    ]
    with (out / "ratings.csv").open() as f:
        assert next(csv.DictReader(f))["total_points"] == "35"
    session_json = json.loads((out / "session.json").read_text())
    assert session_json["session"]["client_id"] == "sim-client"
    assert "beats.csv" in (out / "README.md").read_text()
    # A simulated file holds no live metrics: the README says why those tables are empty.
    assert "holds no live metrics or synchrony" in (out / "README.md").read_text()
    assert out.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in out.iterdir())


def test_bids_physio_has_sidecars_and_the_grid_values(session: Path, tmp_path: Path) -> None:
    out = tmp_path / "bids"
    _export(session, "bids", out)
    # sub-/ses- entities (issue 18): the session's start is its ses- label.
    ses = "ses-20231114T221320"
    base = out / "sub-simclient" / ses / "beh" / f"sub-simclient_{ses}_task-session"
    sidecar = json.loads(base.with_name(base.name + "_recording-hr_physio.json").read_text())
    assert sidecar["SamplingFrequency"] == HR_GRID_HZ
    assert sidecar["Columns"] == ["hr_bpm", "rr_ms"]
    assert sidecar["rr_ms"]["Units"] == "ms" and sidecar["hr_bpm"]["Units"] == "bpm"
    assert sidecar["Parameters"]["session"]["seed"] == 1  # every parameter travels along
    text = gzip.decompress(
        base.with_name(base.name + "_recording-hr_physio.tsv.gz").read_bytes()
    ).decode()
    table = np.array(
        [
            [np.nan if v == "n/a" else float(v) for v in line.split("\t")]
            for line in text.splitlines()
        ]
    )
    beats = read_beats(session)["client"]
    start_s, hr, rr = hr_grid(beats.t_ns, beats.rr_ms, beats.gap_before)
    assert sidecar["StartTime"] == start_s
    assert table.shape == (hr.size, 2)
    np.testing.assert_allclose(table[:, 1], rr, atol=5e-5)  # 4 decimals written
    # The simulated disconnection and contact loss: no value is made up across them.
    t = start_s + np.arange(hr.size) / HR_GRID_HZ
    beat_s = beats.t_ns / 1e9
    gaps = np.flatnonzero(beats.gap_before)[1:]
    assert gaps.size == 2
    for i in gaps:
        inside = (t > beat_s[i - 1]) & (t < beat_s[i])
        assert inside.sum() > 20 and np.isnan(table[inside, 0]).all()
    events = base.with_name(base.name + "_events.tsv").read_text().splitlines()
    assert events[0].split("\t") == ["onset", "duration", "trial_type", "value", "note"]
    assert len(events) == 4 and "SRS" in events[3]
    assert (out / "README").is_file() and (out / "participants.tsv").is_file()


def test_hr_grid_equals_the_beats_at_beat_times() -> None:
    t_ns = np.array([1_000_000_000, 1_750_000_000, 2_500_000_000, 3_300_000_000])
    rr = np.array([750.0, 750.0, 750.0, 800.0])
    start, hr, rr_grid = hr_grid(t_ns, rr, np.array([True, False, False, False]))
    assert start == 1.0
    # Grid 1.0, 1.25, ...: at 1.75 s and 2.5 s the value is the beat's own RR.
    np.testing.assert_allclose(rr_grid[[3, 6]], [750.0, 750.0])
    assert rr_grid[9] == pytest.approx(750 + 50 * (3.25 - 2.5) / 0.8)
    np.testing.assert_allclose(hr, 60000 / rr_grid)


def test_export_refuses_a_non_empty_folder(session: Path, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    run = subprocess.run(
        [*CLI, "export", str(session), "--format", "csv", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2 and "not an empty folder" in run.stderr


def test_a_file_with_live_metrics_gets_no_note_about_empty_tables(tmp_path: Path) -> None:
    from review_support import NS, FileBuilder

    b = FileBuilder()
    b.add("session", {"client_id": "c-1"}, 0, "session")
    b.add("beat.client", {"t_ns": [NS], "rr_ms": [800.0], "gap_before": True}, NS, "acq")
    b.add("metrics.client", {"t_ns": NS, "hr_bpm": 75.0, "unavailable": {}}, NS, "signal")
    out = tmp_path / "csv"
    _export(b.write(tmp_path / "live.sqlite"), "csv", out)
    assert "holds no live metrics" not in (out / "README.md").read_text()
