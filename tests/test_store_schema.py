"""Session file schema 2: analysis views over the raw log, migration, version errors."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from coregulate.bus.envelope import make_message
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.store import SessionStore
from coregulate.sessionfile.access import SessionFileError, check_intact, open_readonly
from coregulate.sessionfile.schema import APPLICATION_ID, STORE_SCHEMA_VERSION, VIEW_NAMES

_V1_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, topic TEXT NOT NULL, seq INTEGER NOT NULL,
    t_ns INTEGER NOT NULL, enc TEXT NOT NULL, header BLOB NOT NULL, payload BLOB NOT NULL,
    hub_ns INTEGER NOT NULL, UNIQUE (source, topic, seq));
"""


def _v1_file(path: Path) -> Path:
    db = sqlite3.connect(path)
    db.executescript(_V1_SCHEMA)
    beat = {
        "t_ns": [1_000, 2_000],
        "rr_ms": [800.0, 810.0],
        "rr_ticks": [819, 829],
        "gap_before": True,
        "hr_bpm": 74,
        "contact": True,
    }
    msg = make_message("beat.client", "acq", 1, 2_000, beat)
    db.execute(
        "INSERT INTO messages (source, topic, seq, t_ns, enc, header, payload, hub_ns) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
        (msg.source, msg.topic, msg.seq, msg.t_ns, msg.enc, msg.header_bytes(), msg.payload),
    )
    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    return path


def test_views_give_one_row_per_beat_with_units(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", duration_s=120)
    db = open_readonly(path)
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='view'")}
    assert set(VIEW_NAMES) <= names
    n_beats = db.execute("SELECT COUNT(*) FROM beats").fetchone()[0]
    expected = sum(
        len(json.loads(p)["rr_ms"])
        for (p,) in db.execute("SELECT payload FROM messages WHERE topic LIKE 'beat.%'")
    )
    assert n_beats == expected > 100
    row = db.execute(
        "SELECT role, rr_ms, rr_ticks, source FROM beats ORDER BY role, t_ns LIMIT 1"
    ).fetchone()
    assert row[0] == "client" and row[1] == pytest.approx(row[2] * 1000 / 1024)
    assert row[3] == "strap"
    info = db.execute("SELECT client_id, therapist_id, wall_anchor_ns FROM session_info").fetchone()
    assert info == ("sim-client", "sim-therapist", 1_700_000_000 * 10**9)
    (params,) = db.execute(
        "SELECT json_extract(parameters_json, '$.parameters') FROM session_info"
    ).fetchone()
    # Every analysis parameter, read from the running code's defaults.
    assert json.loads(params)["person_metrics"]["window_s"] == 60.0
    assert json.loads(params)["artifacts"]["alpha"] == 5.2  # Lipponen & Tarvainen 2019
    devices = db.execute("SELECT role, name FROM devices ORDER BY role").fetchall()
    assert devices == [
        ("client", "simulated client strap"),
        ("therapist", "simulated therapist strap"),
    ]
    db.close()


def test_v1_file_is_read_unchanged_and_migrated_when_opened_for_writing(tmp_path: Path) -> None:
    path = _v1_file(tmp_path / "old.sqlite")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    db = open_readonly(path)  # views exist for this connection only
    assert db.execute("SELECT rr_ms FROM beats ORDER BY t_ns").fetchall() == [(800.0,), (810.0,)]
    db.close()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    SessionStore(path).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == STORE_SCHEMA_VERSION == 2
    assert db.execute("SELECT COUNT(*) FROM beats").fetchone()[0] == 2
    assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 1  # raw log untouched
    db.close()


def test_newer_schema_gives_a_clear_error(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", duration_s=30)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={STORE_SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    for opener in (open_readonly, SessionStore):
        with pytest.raises(SessionFileError, match=r"newer coregulate.*upgrade"):
            opener(path)


def test_damaged_file_is_reported_with_the_salvage_hint(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", duration_s=600)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SessionFileError, match="coregulate salvage"):
        check_intact(path)
