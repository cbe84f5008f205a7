"""The session file: SQLite in WAL mode holding every bus message, written by the hub.

One file per session. The ``messages`` table keeps each message exactly as it was on
the bus (the header frame's bytes and the payload's bytes) beside the decoded
fields used to query it, so nothing a device or a stage sent is ever lost or
reinterpreted. Schema 2 adds the analysis tables beside it as SQL views over
``messages`` (`coregulate.sessionfile.schema`): beats, metrics, status, synchrony,
markers, ratings, ECG and the session's metadata, always consistent with the raw
log because they are computed from it. docs/file-format.md says why.

The hub is the only writer; this module is the write side. Readers open the file
read-only through `coregulate.sessionfile` and may do so while a session is running
(WAL lets them read the last committed state).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from coregulate.bus.envelope import Message
from coregulate.security.files import create_private_file
from coregulate.sessionfile.access import SessionFileError, newer_schema_error
from coregulate.sessionfile.schema import APPLICATION_ID, STORE_SCHEMA_VERSION, VIEWS_SQL

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id      INTEGER PRIMARY KEY,
    source  TEXT    NOT NULL,
    topic   TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    t_ns    INTEGER NOT NULL,
    enc     TEXT    NOT NULL,
    header  BLOB    NOT NULL,
    payload BLOB    NOT NULL,
    hub_ns  INTEGER NOT NULL,
    UNIQUE (source, topic, seq)
);
CREATE INDEX IF NOT EXISTS messages_topic_t ON messages (topic, t_ns);
"""


def migrate(db: sqlite3.Connection, version: int) -> None:
    """Bring an open, writable session file from schema `version` to the current one.

    Schema 1 to 2 adds the analysis views; the raw log is untouched, so a migration
    can never lose data. Runs in one transaction: a crash leaves the old version.
    """
    if version >= STORE_SCHEMA_VERSION:
        return
    with db:
        db.execute("BEGIN IMMEDIATE")
        for statement in VIEWS_SQL:
            db.execute(statement)
        db.execute(f"PRAGMA user_version={STORE_SCHEMA_VERSION}")
    log.info("session file migrated from schema %d to %d", version, STORE_SCHEMA_VERSION)


class SessionStore:
    """Writes bus messages to one session file in batched transactions.

    Parameters
    ----------
    path
        The session file. It is created owner-only if missing; an existing session
        file is opened to continue (a restarted hub appends to the same session).
    """

    def __init__(self, path: str | os.PathLike[str], max_pages: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.exists():
            create_private_file(self.path)
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a crash of any process (not a power cut);
            # the 250 ms commit cadence bounds what an OS crash could take.
            self._db.execute("PRAGMA synchronous=NORMAL")
            app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise SessionFileError(
                f"{self.path} is not a readable session file ({exc}); "
                "choose another --out path or run `coregulate salvage` on it"
            ) from exc
        if app_id not in (0, APPLICATION_ID):
            raise SessionFileError(f"{self.path} is an SQLite file of another program")
        if version > STORE_SCHEMA_VERSION:
            self._db.close()
            raise newer_schema_error(self.path, version)
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA application_id={APPLICATION_ID}")
        migrate(self._db, version)
        if max_pages is not None:
            # Caps the file's size: how the tests make the disk "full" without root.
            self._db.execute(f"PRAGMA max_page_count={int(max_pages)}")
        self._batch: list[tuple[Any, ...]] = []

    def add(self, msg: Message, header: bytes, hub_ns: int) -> None:
        """Queue one message for the next commit (`header` is its frame, verbatim)."""
        self._batch.append(
            (msg.source, msg.topic, msg.seq, msg.t_ns, msg.enc, header, msg.payload, hub_ns)
        )

    @property
    def uncommitted(self) -> int:
        """Return how many queued messages the next commit will write."""
        return len(self._batch)

    def commit(self) -> int:
        """Write the queued messages in one transaction; return how many were written.

        Raises sqlite3.OperationalError (e.g. "database or disk is full") with the
        batch kept, so the caller can report it and retry or end the session.
        """
        if not self._batch:
            return 0
        with self._db:
            self._db.execute("BEGIN")
            # OR IGNORE: a message resent after a hub restart is already here.
            self._db.executemany(
                "INSERT OR IGNORE INTO messages "
                "(source, topic, seq, t_ns, enc, header, payload, hub_ns) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                self._batch,
            )
        n = len(self._batch)
        self._batch.clear()
        return n

    def checkpoint(self) -> None:
        """Copy the WAL's committed pages into the main file (PASSIVE: never waits on readers).

        SQLite does this by itself only once the WAL holds 1000 pages (4 MiB), so a
        quiet session's main file would otherwise stay a 4 KiB shell until it closes,
        and a copy of the `.sqlite` alone, or a disk that fills, leaves the record in
        the `-wal` only. The cost is the pages written since the last checkpoint.
        """
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def add_row(self, row: tuple[Any, ...]) -> None:
        """Queue one raw row (source, topic, seq, t_ns, enc, header, payload, hub_ns)."""
        self._batch.append(row)

    def set_meta(self, items: dict[str, Any]) -> None:
        """Store session metadata (values as JSON), committed at once."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in items.items()],
            )

    def stream_seqs(self) -> dict[tuple[str, str], list[int]]:
        """Return every stored seq per (source, topic): what a restarted hub has."""
        out: dict[tuple[str, str], list[int]] = {}
        for source, topic, seq in self._db.execute(
            "SELECT source, topic, seq FROM messages ORDER BY source, topic, seq"
        ):
            out.setdefault((source, topic), []).append(seq)
        return out

    def rows_after(
        self, after_id: int, upto_id: int, limit: int
    ) -> list[tuple[int, str, str, int, bytes, bytes]]:
        """Return committed rows (id, source, topic, seq, header, payload) in (after, upto].

        In id order, at most `limit`: the hub's replay to a stage that missed them.
        """
        return self._db.execute(
            "SELECT id, source, topic, seq, header, payload FROM messages "
            "WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
            (after_id, upto_id, limit),
        ).fetchall()

    def last_id(self) -> int:
        """Return the id of the newest committed row (0 for an empty file)."""
        return int(self._db.execute("SELECT COALESCE(MAX(id), 0) FROM messages").fetchone()[0])

    def session_payload(self) -> bytes | None:
        """Return the recorded `session` message's payload (src `session`), if any."""
        row = self._db.execute(
            "SELECT payload FROM messages WHERE source = 'session' AND topic = 'session' "
            "ORDER BY id LIMIT 1"
        ).fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        """Commit anything queued, fold the WAL into the main file and close."""
        try:
            self.commit()
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._db.close()
