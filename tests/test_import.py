"""`coregulate import`: RR lists, Polar Sensor Logger and XDF files become session files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.recordings.importers import ImportFileError, read_polar_rr, read_rr_list, read_xdf
from coregulate.recordings.importing import write_import
from coregulate.recordings.pipeline import read_beats
from coregulate.sessionfile.access import read_session_payload
from xdf_writer import write_xdf

CLI = [sys.executable, "-m", "coregulate.cli"]


def _rr(n: int, seed: int, mean_ms: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.round(mean_ms + 30 * np.sin(np.arange(n) / 4) + rng.normal(0, 10, n))


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120)


def test_rr_list_imports_every_interval_in_order(tmp_path: Path) -> None:
    rr = _rr(400, 1, 820)
    src = tmp_path / "kubios.txt"
    src.write_text("RR (ms)\n" + "\n".join(f"{v:.0f}" for v in rr) + "\n\n")
    out = tmp_path / "s.sqlite"
    run = _cli("import", str(src), "--out", str(out), "--role", "therapist")
    assert run.returncode == 0, run.stderr
    beats = read_beats(out)["therapist"]
    assert beats.rr_ms.tolist() == rr.tolist()
    # Without timestamps, beats follow one another from time 0.
    assert beats.t_ns.tolist() == (np.cumsum(rr) * 1e6).astype(np.int64).tolist()
    assert beats.gap_before.tolist() == [True] + [False] * 399
    assert read_session_payload(out)["mode"] == "import (rr-list)"


def test_rr_list_in_seconds_is_converted(tmp_path: Path) -> None:
    src = tmp_path / "elite.txt"
    src.write_text("0.812\n0.800\n0.795\n")
    rec = read_rr_list(src)
    assert rec.notifications["client"][0].rr_ms == pytest.approx([812.0, 800.0, 795.0])


def test_polar_rows_with_one_timestamp_are_one_notification_placed_by_the_beat_timer(
    tmp_path: Path,
) -> None:
    src = tmp_path / "Polar_H10_RR.txt"
    src.write_text(
        "Phone timestamp;RR-interval [ms]\n"
        "2024-04-24T14:10:16.752;937\n"
        "2024-04-24T14:10:17.700;901\n"
        "2024-04-24T14:10:17.700;905\n"
        "2024-04-24T14:10:18.650;950\n"
    )
    rec = read_polar_rr(src)
    notes = rec.notifications["client"]
    assert [n.rr_ms for n in notes] == [[937.0], [901.0, 905.0], [950.0]]
    assert [n.arrival_ns for n in notes] == [2_000_000_000, 2_948_000_000, 3_898_000_000]
    out = write_import(rec, tmp_path / "s.sqlite", src.name)
    beats = read_beats(out)["client"]
    # Reference: the live beat timer fed the same arrivals.
    timer = BeatTimer()
    expected = [t for n in notes for t in timer.place(n.arrival_ns, n.rr_ms).t_ns]
    assert beats.t_ns.tolist() == expected


def test_polar_hr_file_gives_hr_only(tmp_path: Path) -> None:
    src = tmp_path / "Polar_H10_HR.txt"
    src.write_text(
        "Phone timestamp;HR [bpm];HRV [ms];Breathing interval [rpm];\n"
        "2024-04-24T14:10:16.752;64;42.5;;\n"
        "2024-04-24T14:10:17.752;66;;;\n"
        "2024-04-24T14:10:18.752;71;;;\n"
    )
    out = tmp_path / "hr.sqlite"
    run = _cli("import", str(src), "--out", str(out), "--role", "therapist")
    assert run.returncode == 0 and "3 HR samples (no beats)" in run.stdout, run.stderr
    import sqlite3

    db = sqlite3.connect(out)
    rows = db.execute("SELECT role, t_ns, hr_bpm FROM hr_samples ORDER BY t_ns").fetchall()
    db.close()
    assert rows == [
        ("therapist", 2 * 10**9, 64.0),
        ("therapist", 3 * 10**9, 66.0),
        ("therapist", 4 * 10**9, 71.0),
    ]
    rr = tmp_path / "c.txt"
    rr.write_text("\n".join(f"{v:.0f}" for v in _rr(200, 1, 800)))
    _cli("import", str(rr), "--out", str(tmp_path / "c.sqlite"))
    run = _cli("analyze", "--client", str(tmp_path / "c.sqlite"), "--therapist", str(out))
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["therapist"]["mean_hr_bpm"] == pytest.approx(67.0)
    assert summary["therapist"]["rmssd_ms"] is None
    assert summary["synchrony"]["n_surrogates"] == 0
    assert "both people" in summary["synchrony"]["unavailable"]["synchrony"]


def test_xdf_streams_become_client_and_therapist(tmp_path: Path) -> None:
    rr_c, rr_t = _rr(300, 2, 780), _rr(280, 3, 900)
    t_c = (1000.0 + np.cumsum(rr_c) / 1000).tolist()
    t_t = (1000.5 + np.cumsum(rr_t) / 1000).tolist()
    src = write_xdf(
        tmp_path / "lab.xdf",
        [
            ("H10-A RR", "RR", t_c, rr_c.tolist()),
            ("H10-B RR", "RR", t_t, (rr_t / 1000).tolist()),
            ("H10-A HR", "HR", t_c, (60000 / rr_c).tolist()),
        ],
    )
    with pytest.raises(ImportFileError, match="2 RR streams"):
        read_xdf(src)
    out = tmp_path / "s.sqlite"
    run = _cli(
        "import",
        str(src),
        "--out",
        str(out),
        "--client-stream",
        "H10-A RR",
        "--therapist-stream",
        "H10-B RR",
    )
    assert run.returncode == 0, run.stderr
    people = read_beats(out)
    assert people["client"].rr_ms.tolist() == rr_c.tolist()
    assert people["therapist"].rr_ms == pytest.approx(rr_t.tolist())  # from seconds
    # Both people on one clock: the therapist's first sample 0.5 s after the client's.
    first_c = read_xdf(src, {"client": "H10-A RR", "therapist": "H10-B RR"}).notifications
    assert first_c["therapist"][0].arrival_ns - first_c["client"][0].arrival_ns == pytest.approx(
        int(0.5e9 + (rr_t[0] - rr_c[0]) * 1e6), abs=2_000
    )
    analysis = _cli("analyze", str(out))
    assert analysis.returncode == 0, analysis.stderr
    summary = json.loads(analysis.stdout)
    assert summary["client"]["mean_hr_bpm"] == pytest.approx(60000 / rr_c.mean(), rel=1e-3)


def test_two_imported_files_analyze_as_a_dyad(tmp_path: Path) -> None:
    header = "Phone timestamp;RR-interval [ms]\n"
    for name, mean, start in (("c", 800, 0.0), ("t", 950, 30.0)):
        rr = _rr(500, 5, mean)
        t = 1_714_557_600.0 + start + np.cumsum(rr) / 1000
        from datetime import datetime

        rows = [
            f"{datetime.fromtimestamp(x).isoformat(timespec='milliseconds')};{v:.0f}"
            for x, v in zip(t, rr, strict=True)
        ]
        (tmp_path / f"{name}.txt").write_text(header + "\n".join(rows) + "\n")
        run = _cli(
            "import", str(tmp_path / f"{name}.txt"), "--out", str(tmp_path / f"{name}.sqlite")
        )
        assert run.returncode == 0, run.stderr
    run = _cli(
        "analyze", "--client", str(tmp_path / "c.sqlite"), "--therapist", str(tmp_path / "t.sqlite")
    )
    assert run.returncode == 0, run.stderr
    summary = json.loads(run.stdout)
    assert summary["client"]["mean_hr_bpm"] == pytest.approx(60000 / 800, rel=0.02)
    assert summary["therapist"]["mean_hr_bpm"] == pytest.approx(60000 / 950, rel=0.02)
    assert summary["synchrony"]["n_surrogates"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary data"),
        (b"812\n800\nabc\n790\n", "line 3: 'abc' is not a number"),
        (b"812\n0\n790\n", "line 2: RR 0 ms is not a heartbeat interval"),
        (b"812\n3500\n790\n", "line 2: RR 3500 ms"),
        (
            b"Phone timestamp;RR-interval [ms]\n2024-04-24T14:10:17.7;900\n"
            b"2024-04-24T14:10:16.7;910\n",
            "line 3: time 2024-04-24T14:10:16.7 is earlier",
        ),
        (
            b"Phone timestamp;RR-interval [ms]\nyesterday;900\n",
            "line 2: 'yesterday' is not a timestamp",
        ),
    ],
)
def test_bad_input_is_one_clear_error_and_leaves_nothing(
    tmp_path: Path, content: bytes, message: str
) -> None:
    src = tmp_path / "in.txt"
    src.write_bytes(content)
    out = tmp_path / "out.sqlite"
    run = _cli("import", str(src), "--out", str(out))
    assert run.returncode == BAD_INPUT
    assert str(src) in run.stderr and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.txt"]  # nothing partial


def test_newer_session_file_is_refused_by_name(tmp_path: Path) -> None:
    import sqlite3

    from coregulate.recordings.simulated_file import write_simulated_session

    path = write_simulated_session(tmp_path / "new.sqlite", duration_s=60)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=99")
    db.commit()
    db.close()
    run = _cli("analyze", str(path))
    assert run.returncode == BAD_INPUT
    assert "newer coregulate" in run.stderr and str(path) in run.stderr
