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


def test_half_truncated_long_session_keeps_its_first_half(tmp_path: Path) -> None:
    # An hour: the messages tree is three levels deep and the interior pages that
    # lead to the first leaves were allocated late, so they sit past the cut.
    path = write_simulated_session(tmp_path / "long.sqlite", seed=1, duration_s=3600)
    original = _rows(path)
    db = sqlite3.connect(path)
    order = {tuple(r[:3]): r[3] for r in db.execute("SELECT source, topic, seq, id FROM messages")}
    db.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = salvage(path, tmp_path / "out.sqlite")
    recovered = _rows(tmp_path / "out.sqlite")
    assert report.rows == len(recovered) > 0.4 * len(original)
    assert all(original[k] == row for k, row in recovered.items())
    assert report.missing_ids == 0  # the leaves before the cut hold ids 1..n, every one
    # Arrival order is kept: the salvaged file's rows are the original's first ids, in order.
    db = sqlite3.connect(tmp_path / "out.sqlite")
    ids = [
        order[tuple(r)] for r in db.execute("SELECT source, topic, seq FROM messages ORDER BY id")
    ]
    db.close()
    assert ids == list(range(1, len(ids) + 1))


def test_rows_only_in_the_wal_are_salvaged(tmp_path: Path) -> None:
    # A recording killed before any checkpoint: the main file is a shell, the rows
    # are in `-wal`; both are copied as a user would find them, then one is cut.
    from coregulate.bus.envelope import make_message
    from coregulate.recordings.store import SessionStore

    live = tmp_path / "live" / "s.sqlite"
    live.parent.mkdir()
    store = SessionStore(live)
    store._db.execute("PRAGMA wal_autocheckpoint=0")
    for seq in range(1, 301):
        msg = make_message("beat.client", "acq", seq, seq, {"rr_ms": [800.0], "n": seq})
        store.add(msg, msg.header_bytes(), seq)
        if seq % 50 == 0:
            store.commit()
    path = tmp_path / "s.sqlite"
    shutil.copyfile(live, path)
    shutil.copyfile(f"{live}-wal", f"{path}-wal")
    store.close()
    wal = Path(f"{path}-wal")
    wal.write_bytes(wal.read_bytes()[:-100])  # the last frame torn: its commit is lost
    report = salvage(path, tmp_path / "out.sqlite")
    seqs = sorted(k[2] for k in _rows(tmp_path / "out.sqlite"))
    assert seqs == list(range(1, 251))  # every committed transaction but the torn one
    assert report.rows == 250


def test_salvage_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", seed=1, duration_s=30)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version=3")
    db.close()
    run = subprocess.run([*CLI, "salvage", str(path)], capture_output=True, text=True)
    assert run.returncode == BAD_INPUT and "newer coregulate" in run.stderr, run.stderr
    assert not (tmp_path / "s-salvaged.sqlite").exists()
