"""Exports of sessions of 3-4 people: a file set per person, per pair, the group (issue 19)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session
from test_export_bids import _validator

CLI = [sys.executable, "-m", "coregulate.cli"]


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3-person session holding every pair's and the group's synchrony as analyze computes it."""
    folder = tmp_path_factory.mktemp("people")
    plain = write_simulated_session(folder / "plain.sqlite", 5, 400.0, n_people=3)
    outputs = analyze_files(plain).result.outputs
    extra = [
        (topic, update, update["t_ns"])
        for topic, updates in outputs.items()
        if topic.startswith("sync.")
        for update in updates
    ]
    last = outputs["sync.group"][-1]  # the live stage's final group message repeats it
    extra.append(("sync.group", last | {"final": True, "session_summary": {}}, last["t_ns"]))
    return write_simulated_session(folder / "three.sqlite", 5, 400.0, extra, n_people=3)


def _export(session: Path, out: Path, fmt: str) -> None:
    run = subprocess.run(
        [*CLI, "export", str(session), "--format", fmt, "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_csv_has_the_people_every_pair_and_the_group(three: Path, tmp_path: Path) -> None:
    _export(three, tmp_path / "csv", "csv")
    out = tmp_path / "csv"
    assert _rows(out / "people.csv") == [
        {"key": "client", "role": "client", "id": "sim-client"},
        {"key": "partner", "role": "partner", "id": "sim-partner"},
        {"key": "therapist", "role": "therapist", "id": "sim-therapist"},
    ]
    assert {r["role"] for r in _rows(out / "beats.csv")} == {"client", "partner", "therapist"}
    for a, b in (("client", "partner"), ("client", "therapist"), ("partner", "therapist")):
        rows = _rows(out / f"synchrony_{a}.{b}.csv")
        assert rows, (a, b)
        assert all(json.loads(r["payload_json"])["pair"] == [a, b] for r in rows)
        assert list(rows[0]) == list(_rows(out / "synchrony.csv")[0])
    group = _rows(out / "synchrony_group.csv")
    updates = [json.loads(r["payload_json"]) for r in group]
    assert not any(u.get("final") for u in updates)  # one row per step
    assert len({r["t_ns"] for r in group}) == len(group)
    assert len(group) > 200 and all(
        u["people"] == ["client", "partner", "therapist"] for u in updates
    )
    valued = [(r, u) for r, u in zip(group, updates, strict=True) if u["value"] is not None]
    assert valued, "a 400 s session has windows of 180 s"
    for row, update in valued:
        assert row["index"] == "cluster_phase_rho" and float(row["value"]) == update["value"]
        assert float(row["t_s"]) == update["t_ns"] / 1e9
    assert "synchrony_group.csv" in (out / "README.md").read_text()


def test_bids_has_one_subject_per_person_and_the_validator_accepts_it(
    three: Path, tmp_path: Path
) -> None:
    ds = tmp_path / "bids"
    _export(three, ds, "bids")
    subjects = sorted(p.name for p in ds.glob("sub-*"))
    assert subjects == ["sub-simclient", "sub-simpartner", "sub-simtherapist"]
    participants = (ds / "participants.tsv").read_text().splitlines()
    assert participants[1:] == [
        "sub-simclient\tclient",
        "sub-simpartner\tpartner",
        "sub-simtherapist\ttherapist",
    ]
    levels = json.loads((ds / "participants.json").read_text())["role"]["Levels"]
    assert set(levels) == {"client", "partner", "therapist"}
    validator = _validator()
    if validator is None:
        pytest.skip("no BIDS validator: node and npm's bids-validator@1.15.0 (see .ci/run)")
    run = subprocess.run(
        ["node", validator, str(ds), "--json"], capture_output=True, text=True, timeout=60
    )
    errors = [i["key"] for i in json.loads(run.stdout)["issues"]["errors"]]
    assert errors == []


def test_people_with_one_id_become_distinct_subjects(tmp_path: Path) -> None:
    keys = ("client", "partner", "co-therapist")
    for key in keys:
        (tmp_path / f"{key}.txt").write_text("\n".join(["800", "810", "790"] * 40) + "\n")
    out = tmp_path / "s.sqlite"
    run = subprocess.run(
        [*CLI, "import", "--out", str(out)]
        + [x for k in keys for x in ("--person", f"{k}={tmp_path / k}.txt", "--id", f"{k}=same")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    _export(out, tmp_path / "bids", "bids")
    subjects = sorted(p.name for p in (tmp_path / "bids").glob("sub-*"))
    assert subjects == ["sub-sameclient", "sub-samecotherapist", "sub-samepartner"]
