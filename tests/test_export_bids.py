"""`coregulate export --format bids`: a dataset the official BIDS validator accepts.

The validator is the legacy npm `bids-validator` 1.15.0 (node 20). Tests never reach
the network: it is found at $BIDS_VALIDATOR, or installed by .ci/run with
``npm install --prefix ~/.cache/coregulate/bids-validator bids-validator@1.15.0``;
without it (or without node) the validator test skips and says why.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.commands._exit_codes import USAGE
from coregulate.recordings.simulated_file import write_simulated_session

CLI = [sys.executable, "-m", "coregulate.cli"]
NS = 10**9
DAY_NS = 86_400 * NS
CACHE = Path.home() / ".cache/coregulate/bids-validator/node_modules/.bin/bids-validator"


def _validator() -> str | None:
    found = os.environ.get("BIDS_VALIDATOR") or (str(CACHE) if CACHE.exists() else None)
    return found if found and shutil.which("node") else None


def _export(session: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "export", str(session), "--format", "bids", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sessions of one client (a week apart) exported into one dataset."""
    folder = tmp_path_factory.mktemp("bids")
    from coregulate.acquisition.pmd import encode_ecg_frame

    # Polar PMD ECG frames (130 Hz, 73 samples each, strap clock 5 s behind the
    # session's); the third frame is lost, so its samples must be n/a.
    step_ns = round(1e9 / 130)
    last_ns = [k * 73 * step_ns + 72 * step_ns for k in range(5)]  # each frame's last sample
    ecg = [
        ("ecg.client", encode_ecg_frame(last_ns[k], [k * 1000 + i for i in range(73)]),
         last_ns[k] + 5 * NS + 3_000_000)  # arrives 3 ms after its last sample
        for k in range(5) if k != 2
    ]  # fmt: skip
    # ACC frames (200 Hz, 36 samples each, x = k, y = -i, z = 1000 + i mg) on a strap
    # clock 7 s behind; the second frame is lost, so its 36 rows must be n/a.
    from coregulate.acquisition.pmd_acc import encode_acc_frame

    acc_step_ns = 5_000_000
    acc = [
        ("acc.client", encode_acc_frame((k * 36 + 35) * acc_step_ns,
                                        [(k, -i, 1000 + i) for i in range(36)]),
         (k * 36 + 35) * acc_step_ns + 7 * NS + 20_000_000)  # arrives 20 ms after its last
        for k in range(3) if k != 1
    ]  # fmt: skip
    extra = [("marker", {"kind": "rupture-withdrawal", "text": "went quiet"}, 60 * NS), *ecg, *acc]
    for week in (0, 1):
        path = folder / f"w{week}.sqlite"
        wall = 1_700_000_000 * NS + week * 7 * DAY_NS
        write_simulated_session(path, seed=week + 1, duration_s=120, extra=extra,
                                wall_anchor_ns=wall)  # fmt: skip
        run = _export(path, folder / "ds")
        assert run.returncode == 0, run.stderr
    return folder / "ds"


def test_sessions_share_one_dataset_with_sub_and_ses_entities(dataset: Path) -> None:
    sessions = sorted(p.name for p in (dataset / "sub-simclient").iterdir())
    assert sessions == ["ses-20231114T221320", "ses-20231121T221320"]
    beh = dataset / "sub-simclient" / sessions[1] / "beh"
    base = f"sub-simclient_{sessions[1]}_task-session"
    sidecar = json.loads((beh / f"{base}_recording-hr_physio.json").read_text())
    assert {"SamplingFrequency", "StartTime", "Columns"} <= set(sidecar)  # BIDS: REQUIRED
    events = (beh / f"{base}_events.tsv").read_text().splitlines()
    assert events[0].split("\t") == ["onset", "duration", "trial_type", "value", "note"]
    assert events[1].split("\t") == ["60.000000", "0", "rupture-withdrawal", "n/a", "went quiet"]
    participants = (dataset / "participants.tsv").read_text().splitlines()
    assert participants == ["participant_id\trole", "sub-simclient\tclient",
                            "sub-simtherapist\ttherapist"]  # fmt: skip
    ecg = json.loads((beh / f"{base}_recording-ecg_physio.json").read_text())
    assert ecg["SamplingFrequency"] == 130.0 and ecg["Columns"] == ["cardiac"]
    rows = gzip.decompress((beh / f"{base}_recording-ecg_physio.tsv.gz").read_bytes())
    values = rows.decode().split()
    assert len(values) == 5 * 73 and values[:2] == ["0.0000", "1.0000"]
    assert values[2 * 73 : 3 * 73] == ["n/a"] * 73 and values[3 * 73] == "3000.0000"
    # The first sample, on the session clock: the least-delayed frame arrived 3 ms
    # after its last sample on a strap clock 5 s behind.
    # (within 1 µs: the strap's sample times are rounded to whole ns per sample)
    assert ecg["StartTime"] == pytest.approx(5.003, abs=1e-6)
    acc = json.loads((beh / f"{base}_recording-acc_physio.json").read_text())
    assert acc["SamplingFrequency"] == 200.0 and acc["Columns"] == ["accel_x", "accel_y", "accel_z"]
    assert {acc[c]["Units"] for c in acc["Columns"]} == {"mg"}
    assert acc["StartTime"] == pytest.approx(7.020, abs=1e-6)  # least-delayed frame: 20 ms
    rows = gzip.decompress((beh / f"{base}_recording-acc_physio.tsv.gz").read_bytes())
    acc_rows = [r.split("\t") for r in rows.decode().splitlines()]
    assert len(acc_rows) == 3 * 36 and acc_rows[0] == ["0", "0", "1000"]
    assert acc_rows[35] == ["0", "-35", "1035"] and acc_rows[36:72] == [["n/a"] * 3] * 36
    assert acc_rows[72] == ["2", "0", "1000"]
    again = _export(dataset.parent / "w1.sqlite", dataset)  # the same session twice: refused
    assert again.returncode == USAGE and "already there" in again.stderr


def test_the_bids_validator_accepts_the_dataset(dataset: Path, tmp_path: Path) -> None:
    validator = _validator()
    if validator is None:
        pytest.skip("no BIDS validator: node and npm's bids-validator@1.15.0 (see .ci/run)")

    def issues(folder: Path) -> dict[str, list[str]]:
        run = subprocess.run(
            ["node", validator, str(folder), "--json"], capture_output=True, text=True, timeout=60
        )
        report = json.loads(run.stdout)
        return {k: [i["key"] for i in report["issues"][k]] for k in ("errors", "warnings")}

    found = issues(dataset)
    assert found["errors"] == [], found
    # Warnings, not errors: one generic author line, and only the client's strap sent
    # ECG here (INCONSISTENT_SUBJECTS: subjects hold different files).
    assert set(found["warnings"]) <= {"TOO_FEW_AUTHORS", "INCONSISTENT_SUBJECTS"}, found
    # The check can fail: without .bidsignore the beat tables are not BIDS files.
    broken = tmp_path / "broken"
    shutil.copytree(dataset, broken)
    (broken / ".bidsignore").unlink()
    assert "NOT_INCLUDED" in issues(broken)["errors"]
