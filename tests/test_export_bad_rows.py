"""`export` of a file that holds a payload row that does not parse (issue 15 item 5).

Files written before the hub checked payloads can hold such a row. The analysis
views use json_extract, which stops the whole query at the first malformed row, so
`export` failed on the file. It must skip such rows, say how many, and export the rest.
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from coregulate.bus.envelope import Message, make_message
from coregulate.cli import main
from coregulate.recordings.store import SessionStore

S = 1_000_000_000


def _file(path: Path, poison: list[Message]) -> Path:
    store = SessionStore(path)
    clock = {"monotonic_anchor_ns": 0, "wall_anchor_ns": 1_700_000_000 * S, "speed": 1.0}
    msgs = [make_message("session", "session", 1, 0, {"clock": clock, "mode": "test"})]
    for k in range(1, 150):
        t = k * 800_000_000
        for role in ("client", "therapist"):
            body = {"t_ns": [t], "rr_ms": [800.0 + 20 * (k % 3)], "gap_before": False}
            msgs.append(make_message(f"beat.{role}", "acq", k, t, body))
    msgs.append(make_message("marker", "ui-1", 1, 5 * S, {"id": "m1", "kind": "note", "text": "x"}))
    for m in msgs + poison:
        store.add(m, m.header_bytes(), 0)
    store.commit()
    store.close()
    return path


POISON = [
    Message("beat.therapist", "fz", 1, 5 * S, b"{oops"),
    Message("metrics.client", "fz", 1, 6 * S, b"\x00"),
    Message("marker", "fz", 1, 7 * S, b"nope"),
    Message("status.client", "fz", 1, 7 * S, b"[1,"),
]


@pytest.mark.parametrize("fmt", ["csv", "bids"])
def test_export_skips_and_counts_rows_that_do_not_parse(fmt: str, tmp_path: Path, caplog) -> None:
    path = _file(tmp_path / "poisoned.sqlite", POISON)
    out = tmp_path / "out"
    caplog.set_level(logging.WARNING)
    assert main(["export", str(path), "--format", fmt, "--out", str(out)]) == 0
    assert "skipped 4 messages whose payload does not parse" in caplog.text
    if fmt == "csv":
        with (out / "beats.csv").open() as f:
            rows = list(csv.DictReader(f))
        assert sum(r["role"] == "therapist" for r in rows) == 149  # the forged row is not one
        assert sum(r["role"] == "client" for r in rows) == 149
        with (out / "markers.csv").open() as f:
            assert [r["kind"] for r in csv.DictReader(f)] == ["note"]
        assert "4 messages" in (out / "README.md").read_text()


def test_export_of_a_clean_file_says_nothing_was_skipped(tmp_path: Path, caplog) -> None:
    path = _file(tmp_path / "clean.sqlite", [])
    caplog.set_level(logging.WARNING)
    assert main(["export", str(path), "--format", "csv", "--out", str(tmp_path / "o")]) == 0
    assert "skipped" not in caplog.text


def test_an_older_file_without_views_exports_too(tmp_path: Path, caplog) -> None:
    """Schema 1 had no views: the reader makes temp ones, which the skipping replaces."""
    import sqlite3

    from coregulate.sessionfile.schema import VIEW_NAMES

    path = _file(tmp_path / "old.sqlite", POISON)
    db = sqlite3.connect(path)
    for name in VIEW_NAMES:
        db.execute(f"DROP VIEW {name}")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    out = tmp_path / "out"
    assert main(["export", str(path), "--format", "csv", "--out", str(out)]) == 0
    assert "skipped 4 messages" in caplog.text
    assert (out / "beats.csv").read_text().count("\ntherapist,") == 149
