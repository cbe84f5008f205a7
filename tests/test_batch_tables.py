"""`analyze --batch --tables DIR [--segments CSV]`: tidy Parquet/CSV tables that match the JSON."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pq = pytest.importorskip("pyarrow.parquet")

from coregulate.batch.tables import dyad_row  # noqa: E402
from coregulate.recordings.simulated_file import write_simulated_session  # noqa: E402

CLI = [sys.executable, "-m", "coregulate.cli"]
NS = 10**9


def _same(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b)) or b == ""
    if isinstance(a, float | int) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-12)  # type: ignore[arg-type]
    return str(a) == str(b)


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    markers = [
        ("marker", {"kind": "rupture-withdrawal"}, 60 * NS),
        ("marker", {"kind": "repair"}, 130 * NS),
        ("marker", {"kind": "rupture-confrontation"}, 200 * NS),  # never repaired
    ]
    write_simulated_session(folder / "m1.sqlite", seed=4, duration_s=300, extra=markers)
    write_simulated_session(folder / "s2.sqlite", seed=2, duration_s=300)
    ratings = [  # ORS before the session's work, SRS after it (alliance/schedule.py)
        ("rating", {"instrument": "ORS", "items": [5, 6, 7, 8], "total": 26, "phase": "start"},
         20 * NS),
        ("rating", {"instrument": "SRS", "items": [9, 8, 9, 9], "total": 35, "phase": "end"},
         250 * NS),
    ]  # fmt: skip
    write_simulated_session(folder / "s3.sqlite", seed=3, duration_s=300, extra=ratings)
    (folder / "pairs.csv").write_text("session\nm1.sqlite\ns2.sqlite\ns3.sqlite\n")
    # An annotation file as a lab writes it (speech turns; the session by name or stem),
    # plus one segment covering the whole of s2: its numbers must equal the session's.
    (folder / "turns.csv").write_text(
        "session,onset_s,duration_s,label\n"
        "m1.sqlite,40,20,client speaks\n"
        "m1,60,35.5,therapist speaks\n"
        "s2.sqlite,0,100000,whole session\n"
    )
    run = subprocess.run(
        [
            *(*CLI, "analyze", "--batch", str(folder / "pairs.csv"), "--jobs", "1"),
            *("--pseudo-pairs", "6", "--tables", str(folder / "out"), "--json"),
            *(str(folder / "all.json"), "--segments", str(folder / "turns.csv")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return folder


def test_dyads_table_has_one_row_per_pair_matching_the_json(tables: Path) -> None:
    results = json.loads((tables / "all.json").read_text())
    parquet = pd.read_parquet(tables / "out" / "dyads.parquet")
    csv = pd.read_csv(tables / "out" / "dyads.csv")
    assert list(parquet["dyad"]) == [1, 2, 3] and list(csv.columns) == list(parquet.columns)
    assert list(parquet["session"]) == ["m1.sqlite", "s2.sqlite", "s3.sqlite"]
    for k, result in enumerate(results):
        want = dyad_row(k + 1, result)
        for column, value in want.items():
            assert _same(value, parquet[column][k]), (column, value, parquet[column][k])
            assert _same(value, csv[column][k]), (column, value, csv[column][k])
    # The documented columns, against the JSON by name.
    row = parquet.iloc[0]
    assert row["client_mean_hr_bpm"] == results[0]["client"]["mean_hr_bpm"]
    assert row["pseudo_z"] == results[0]["synchrony"]["pseudo_pairs"]["z"]
    # N is per dyad (issue 18): 3 dyads, so each client with the 2 other therapists.
    assert row["pseudo_n_pseudo_pairs"] == 2 and row["pseudo_pooled_n_pseudo_pairs"] == 6
    assert row["sync_peak_lag_s"] > 0
    assert 290 < row["duration_s"] <= 300


def test_segments_from_markers_and_annotations_one_row_each(tables: Path) -> None:
    results = json.loads((tables / "all.json").read_text())
    table = pq.read_table(tables / "out" / "segments.parquet").to_pylist()
    assert table == [
        {k: row.get(k) for k in table[0]}
        for n, r in enumerate(results, start=1)
        for row in (
            {"dyad": n, "session": Path(r["inputs"]["client"]).name} | s for s in r["segments"]
        )
    ]
    m1 = [r for r in table if r["dyad"] == 1 and r["scope"] == "dyad"]
    assert [(r["source"], r["label"], r["onset_s"]) for r in m1] == [
        ("annotation", "client speaks", 40.0),
        ("annotation", "therapist speaks", 60.0),  # same onset: ordered by source
        ("marker", "rupture: withdrawal → repair", 60.0),
        ("marker", "rupture: confrontation → end of session", 200.0),
    ]
    assert m1[2]["duration_s"] == 70.0 and not m1[2]["open_ended"] and m1[3]["open_ended"]
    assert all(r["n_windows"] > 0 for r in m1[1:])
    scopes = [r["scope"] for r in table if r["dyad"] == 1]
    assert scopes == ["client", "therapist", "dyad"] * 4
    # A segment spanning the whole session gives the session's own numbers.
    whole = {r["scope"]: r for r in table if r["dyad"] == 2}
    for role in ("client", "therapist"):
        for key in ("n_beats", "mean_hr_bpm", "rmssd_ms", "artifact_share"):
            assert whole[role][key] == pytest.approx(results[1][role][key], rel=1e-12), key
    phases = [r for r in table if r["dyad"] == 3 and r["scope"] == "dyad"]
    assert [(r["source"], r["label"], r["onset_s"]) for r in phases] == [
        ("rating", "start ratings", 0.0),
        ("rating", "therapy", 20.0),
        ("rating", "end ratings", 250.0),
    ]
    assert phases[1]["duration_s"] == 230.0
    csv = pd.read_csv(tables / "out" / "segments.csv")
    assert len(csv) == len(table) and list(csv["label"]) == [r["label"] for r in table]
