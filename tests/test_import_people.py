"""`coregulate import --person KEY=FILE ...`: several people's RR files into one session."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from coregulate.commands._exit_codes import BAD_INPUT, USAGE
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.pipeline import read_beats
from coregulate.sessionfile.access import read_session_payload
from coregulate.signal.people import people_from_session

CLI = [sys.executable, "-m", "coregulate.cli"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True)


def _rr(n: int, seed: int, mean: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(mean + 30 * np.sin(np.arange(n) / 6) + rng.normal(0, 8, n))


def _polar(path: Path, rr: np.ndarray, start_s: float) -> Path:
    t = 1_714_557_600.0 + start_s + np.cumsum(rr) / 1000
    rows = [
        f"{datetime.fromtimestamp(x).isoformat(timespec='milliseconds')};{v:.0f}"
        for x, v in zip(t, rr, strict=True)
    ]
    path.write_text("Phone timestamp;RR-interval [ms]\n" + "\n".join(rows) + "\n")
    return path


def test_three_rr_lists_become_one_session_of_three_people(tmp_path: Path) -> None:
    files = {}
    for i, key in enumerate(("client", "partner", "therapist")):
        files[key] = tmp_path / f"{key}.txt"
        files[key].write_text("\n".join(f"{v:.0f}" for v in _rr(400, i, 800 + 50 * i)) + "\n")
    out = tmp_path / "s.sqlite"
    specs = [x for key, f in files.items() for x in ("--person", f"{key}={f}")]
    run = _cli("import", *specs, "--id", "partner=P-7", "--out", str(out))
    assert run.returncode == 0, run.stderr
    people = people_from_session(read_session_payload(out))
    assert [(p.key, p.id) for p in people] == [
        ("client", "unknown"),
        ("partner", "P-7"),
        ("therapist", "unknown"),
    ]
    beats = read_beats(out)
    for i, key in enumerate(files):
        # A plain RR list has no times: its beats start at session start, chained.
        assert beats[key].rr_ms.tolist() == _rr(400, i, 800 + 50 * i).tolist()
        assert beats[key].t_ns[0] == round(beats[key].rr_ms[0] * 1e6)
    summary = json.loads(_cli("analyze", str(out)).stdout)
    assert list(summary["people"]) == list(files)
    assert len(summary["pairs"]) == 3


def test_timed_files_are_placed_as_analyze_aligns_a_client_and_a_therapist_file(
    tmp_path: Path,
) -> None:
    c = _polar(tmp_path / "c.txt", _rr(500, 5, 800), 0.0)
    t = _polar(tmp_path / "t.txt", _rr(500, 6, 950), 30.0)
    pair = tmp_path / "pair.sqlite"
    run = _cli(
        "import", "--person", f"therapist={t}", "--person", f"client={c}", "--out", str(pair)
    )
    assert run.returncode == 0, run.stderr
    # Two people named client and therapist (in any order) are the dyad: no people list.
    assert "people" not in read_session_payload(pair)
    for name in ("c", "t"):
        assert (
            _cli(
                "import", str(tmp_path / f"{name}.txt"), "--out", str(tmp_path / f"{name}.sqlite")
            ).returncode
            == 0
        )
    # Reference: `analyze --client --therapist` shifts the therapist's file by the anchors.
    apart = analyze_files(client=tmp_path / "c.sqlite", therapist=tmp_path / "t.sqlite")
    together = read_beats(pair)
    for role in ("client", "therapist"):
        assert together[role].t_ns.tolist() == apart.people[role].t_ns.tolist()
    assert together["therapist"].t_ns[0] - together["client"].t_ns[0] == pytest.approx(
        30e9, abs=2e9
    )


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--person", "client=A.txt"], USAGE, "2 to 6 people"),
        (["--person", "Client=A.txt", "--person", "x=A.txt"], USAGE, "lower-case"),
        (["--person", "client"], USAGE, "KEY=FILE"),
        (["A.txt", "--person", "client=A.txt"], USAGE, "or --person"),
        (["--person", "client=A.txt", "--person", "therapist=nope.txt"], BAD_INPUT, "nope.txt"),
    ],
)
def test_a_bad_person_list_is_one_clear_line(
    tmp_path: Path, args: list[str], code: int, said: str
) -> None:
    (tmp_path / "A.txt").write_text("800\n810\n790\n")
    out = tmp_path / "s.sqlite"
    run = subprocess.run(
        [*CLI, "import", *args, "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert run.returncode == code, run.stderr
    assert said in run.stderr and "Traceback" not in run.stderr
    assert not out.exists()
