"""`analyze --batch --tables` over sessions of two and three people (issue 19)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.recordings.simulated_file import write_simulated_session

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")
CLI = [sys.executable, "-m", "coregulate.cli"]
NS = 1_000_000_000
MARKERS = [
    ("marker", {"kind": "rupture-withdrawal", "text": "", "who": ["client", "partner"]}, 60 * NS),
    ("marker", {"kind": "repair", "text": ""}, 120 * NS),
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("batch_people")
    write_simulated_session(folder / "d.sqlite", seed=2, duration_s=240, extra=MARKERS)
    write_simulated_session(folder / "g.sqlite", 3, 240, extra=MARKERS, n_people=3)
    (folder / "list.csv").write_text("session\nd.sqlite\ng.sqlite\n")
    run = subprocess.run(
        [
            *(*CLI, "analyze", "--batch", str(folder / "list.csv"), "--jobs", "1"),
            *("--tables", str(folder / "out"), "--json", str(folder / "all.json")),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    return folder


def test_people_table_has_a_row_per_person_of_every_session(batch: Path) -> None:
    results = json.loads((batch / "all.json").read_text())
    people = pd.read_parquet(batch / "out" / "people.parquet")
    assert list(zip(people["dyad"], people["person"], strict=True)) == [
        (1, "client"),
        (1, "therapist"),
        (2, "client"),
        (2, "partner"),
        (2, "therapist"),
    ]
    assert list(people["role"]) == ["client", "therapist", "client", "partner", "therapist"]
    for _, row in people.iterrows():
        want = results[row["dyad"] - 1]["people"][row["person"]]
        assert row["mean_hr_bpm"] == want["mean_hr_bpm"] and row["n_beats"] == want["n_beats"]
    csv = pd.read_csv(batch / "out" / "people.csv")
    assert list(csv.columns) == list(people.columns) and len(csv) == 5


def test_pairs_table_has_a_row_per_pair_and_the_dyad_keeps_its_row(batch: Path) -> None:
    results = json.loads((batch / "all.json").read_text())
    pairs = pd.read_parquet(batch / "out" / "pairs.parquet")
    assert list(zip(pairs["dyad"], pairs["pair"], strict=True)) == [
        (1, "client.therapist"),
        (2, "client.partner"),
        (2, "client.therapist"),
        (2, "partner.therapist"),
    ]
    assert set(pairs["sync_lag_sign"]) == {"positive = b leads"}
    for k, entry in enumerate([p for r in results for p in r["pairs"]]):
        assert pairs["sync_peak_lag_s"][k] == entry["peak_lag_s"]
    dyads = pd.read_parquet(batch / "out" / "dyads.parquet")
    # The two-person session's row as before; the group's carries the group index.
    assert dyads["client_mean_hr_bpm"][0] == results[0]["client"]["mean_hr_bpm"]
    assert dyads["sync_peak_lag_s"][0] == pairs["sync_peak_lag_s"][0]
    assert dyads["group_n_pairs"][1] == 3 and pd.isna(dyads["group_n_pairs"][0])


def test_segments_of_a_group_session_have_a_row_per_person_and_per_pair(batch: Path) -> None:
    segments = pd.read_parquet(batch / "out" / "segments.parquet")
    group = segments[segments["dyad"] == 2]
    assert list(group["scope"]) == ["client", "partner", "therapist"] + ["pair"] * 3
    assert list(group["pair"][group["scope"] == "pair"]) == [
        "client.partner",
        "client.therapist",
        "partner.therapist",
    ]
    assert (group["n_windows"][group["scope"] == "pair"] > 0).all()
    dyad = segments[segments["dyad"] == 1]
    assert list(dyad["scope"]) == ["client", "therapist", "dyad"]
