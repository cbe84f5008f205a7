"""Opening a session file read-only, and its raw messages and metadata.

Readers never change a file, nor leave anything beside it: they open it read-only,
immutable unless it is being recorded (SQLite WAL lets them in while the hub
writes), and an older file gets the current views in the connection only.
Every failure to open or read is a `SessionFileError` whose text says what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from coregulate.bus.envelope import TOPIC_SESSION, Message
from coregulate.sessionfile.schema import APPLICATION_ID, STORE_SCHEMA_VERSION, create_temp_views

_COLUMNS = "topic, source, seq, t_ns, payload, enc"


class SessionFileError(Exception):
    """A session file that cannot be opened or read; the text says what to do."""


def newer_schema_error(path: Path, version: int) -> SessionFileError:
    """Return the error for a file written by a newer coregulate (schema `version`)."""
    return SessionFileError(
        f"{path} was written by a newer coregulate (file schema {version}, this one "
        f"reads up to {STORE_SCHEMA_VERSION}); upgrade coregulate to open it"
    )


def _readonly_uri(path: Path) -> str:
    """Return the SQLite URI that opens `path` read-only, immutable when nobody records it.

    A file in WAL mode gets a ``-wal`` beside it from its first connection until its
    last one closes (or a crash). Without one, nobody is recording it: ``immutable=1``
    makes SQLite create no ``-wal``/``-shm`` and take no lock, so a reader leaves
    nothing beside the file. With one (a running session, e.g. `coregulate view`
    backfilling it, or a hub that was killed), the reader must see the WAL's commits
    as they come, so it opens plain ``mode=ro`` and uses the files already there.
    """
    recording = Path(f"{path}-wal").exists()
    return f"{path.resolve().as_uri()}?mode=ro" + ("" if recording else "&immutable=1")


def open_readonly(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """Return a read-only connection to a session file, or raise SessionFileError."""
    p = Path(path)
    if not p.is_file():
        raise SessionFileError(f"{p}: no such session file")
    try:
        db = sqlite3.connect(_readonly_uri(p), uri=True)
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise SessionFileError(
            f"{p} is damaged or not a session file ({exc}); if it is a session file, "
            f"`coregulate salvage {p}` copies every intact row into a new file"
        ) from exc
    if app_id != APPLICATION_ID:
        db.close()
        raise SessionFileError(f"{p} is not a coregulate session file")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > STORE_SCHEMA_VERSION:
        db.close()
        raise newer_schema_error(p, version)
    if version < STORE_SCHEMA_VERSION:
        # An older file read without changing it: the views live in this connection only.
        create_temp_views(db)
    return db


def check_intact(path: str | os.PathLike[str]) -> None:
    """Raise SessionFileError if the file is damaged (truncated, overwritten, ...)."""
    db = open_readonly(path)
    try:
        problems = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    finally:
        db.close()
    if problems != ["ok"]:
        raise SessionFileError(
            f"{path} is damaged ({'; '.join(problems)}); "
            f"`coregulate salvage {path}` copies every intact row into a new file"
        )


def topic_filter(prefixes: Iterable[str] | None) -> tuple[str, list[Any]]:
    """Return an SQL condition (and its arguments) for topics starting with any prefix."""
    if prefixes is None:
        return "1", []
    wanted = list(prefixes)
    args: list[Any] = []
    for p in wanted:
        args += [len(p), p]
    return "(" + " OR ".join("substr(topic, 1, ?) = ?" for _ in wanted) + ")", args


def message_of(row: tuple[Any, ...]) -> Message:
    """Return the Message of one (topic, source, seq, t_ns, payload, enc) row."""
    topic, source, seq, t_ns, payload, enc = row
    return Message(topic, source, seq, t_ns, bytes(payload), enc)


def iter_messages(db: sqlite3.Connection, topics: Iterable[str] | None = None) -> Iterator[Message]:
    """Yield the messages of an open file in arrival order (topics: prefixes, None = all)."""
    where, args = topic_filter(topics)
    for row in db.execute(f"SELECT {_COLUMNS} FROM messages WHERE {where} ORDER BY id", args):
        yield message_of(row)


def read_messages(
    path: str | os.PathLike[str], topics: Iterable[str] | None = None
) -> Iterator[Message]:
    """Yield the recorded messages in the order the hub received them.

    `topics` restricts to topics starting with any of the given prefixes.
    """
    db = open_readonly(path)
    try:
        yield from iter_messages(db, topics)
    finally:
        db.close()


def last_time_ns(path: str | os.PathLike[str], topics: Iterable[str] | None = None) -> int | None:
    """Return the latest header `t_ns` among the recorded messages (topics: prefixes), or None."""
    where, args = topic_filter(topics)
    db = open_readonly(path)
    try:
        (value,) = db.execute(f"SELECT max(t_ns) FROM messages WHERE {where}", args).fetchone()
    finally:
        db.close()
    return None if value is None else int(value)


def meta_of(db: sqlite3.Connection) -> dict[str, Any]:
    """Return the metadata table of an open file (values decoded from JSON)."""
    return {k: json.loads(v) for k, v in db.execute("SELECT key, value FROM meta")}


def read_meta(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the session metadata stored in the file."""
    db = open_readonly(path)
    try:
        return meta_of(db)
    finally:
        db.close()


def read_session_payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return the payload of the file's first `session` message ({} if none)."""
    for msg in read_messages(path, (TOPIC_SESSION,)):
        if msg.topic == TOPIC_SESSION:
            return dict(msg.json())
    return {}


class SessionTail:
    """Reads a file's new messages in steps, as a viewer does while the hub writes.

    Parameters
    ----------
    path
        The session file (opened read-only at once; raises SessionFileError).
    topics
        Topic prefixes to read; the rest is skipped.
    """

    def __init__(self, path: str | os.PathLike[str], topics: Iterable[str]) -> None:
        self._db = open_readonly(path)
        where, self._args = topic_filter(topics)
        self._sql = (
            f"SELECT id, {_COLUMNS} FROM messages WHERE id > ? AND {where} ORDER BY id LIMIT ?"
        )
        self._last_id = 0

    def read(self, limit: int) -> list[Message]:
        """Return up to `limit` messages after the last one read (raises sqlite3.Error)."""
        rows = self._db.execute(self._sql, [self._last_id, *self._args, limit]).fetchall()
        if rows:
            self._last_id = rows[-1][0]
        return [message_of(row[1:]) for row in rows]

    def close(self) -> None:
        """Close the file."""
        self._db.close()
