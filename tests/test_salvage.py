"""Damaged files: a clear error, and `coregulate salvage` recovers every intact row."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.recordings.salvage import salvage
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.summary import integrity_ok

CLI = [sys.executable, "-m", "coregulate.cli"]
_ROW = "SELECT source, topic, seq, t_ns, enc, header, payload FROM messages"


def _rows(path: Path) -> dict[tuple, tuple]:
    db = sqlite3.connect(path)
    rows = {(r[0], r[1], r[2]): r for r in db.execute(_ROW)}
    db.close()
    return rows


def _intact_and_damaged(tmp_path: Path) -> tuple[dict, Path]:
    path = write_simulated_session(tmp_path / "s.sqlite", seed=1, duration_s=900)
    shutil.copyfile(path, tmp_path / "intact.sqlite")
    return _rows(path), path


def test_truncated_file_salvages_every_readable_row(tmp_path: Path) -> None:
    original, path = _intact_and_damaged(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    run = subprocess.run([*CLI, "analyze", str(path)], capture_output=True, text=True)
    assert run.returncode == BAD_INPUT and "coregulate salvage" in run.stderr
    assert "Traceback" not in run.stderr
    run = subprocess.run([*CLI, "salvage", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "s-salvaged.sqlite"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # original untouched
    assert integrity_ok(out)
    recovered = _rows(out)
    assert 0.3 * len(original) < len(recovered) < len(original)
    # Every recovered row is exactly the original row.
    assert all(original[k] == row for k, row in recovered.items())


def test_damage_in_the_middle_keeps_rows_on_both_sides(tmp_path: Path) -> None:
    original, path = _intact_and_damaged(tmp_path)
    page = 4096
    data = bytearray(path.read_bytes())
    middle = (len(data) // page // 2) * page
    data[middle : middle + 3 * page] = b"\xa5" * (3 * page)  # three pages overwritten
    path.write_bytes(bytes(data))
    report = salvage(path, tmp_path / "out.sqlite")
    recovered = _rows(tmp_path / "out.sqlite")
    assert report.rows == len(recovered) > 0.8 * len(original)
    assert len(recovered) < len(original)
    # Rows on both sides of the damaged pages survive (ids of the original file).
    db = sqlite3.connect(tmp_path / "intact.sqlite")
    ids = {
        (r[0], r[1], r[2]): r[3] for r in db.execute("SELECT source, topic, seq, id FROM messages")
    }
    db.close()
    lost = [ids[k] for k in original if k not in recovered]
    kept = [ids[k] for k in recovered]
    assert min(kept) < min(lost) and max(kept) > max(lost)
    assert all(original[k] == row for k, row in recovered.items())


def test_salvage_of_garbage_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"\x00\x01garbage" * 100)
    run = subprocess.run([*CLI, "salvage", str(path)], capture_output=True, text=True)
    assert run.returncode == BAD_INPUT and "nothing can be recovered" in run.stderr
    assert not (tmp_path / "junk-salvaged.sqlite").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["junk.sqlite"]  # nothing partial left
