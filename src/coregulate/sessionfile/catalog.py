"""The session files in a folder: who each is of, when and how long, and which are derived.

The one catalogue of sessions: `coregulate sessions` lists every file per client
(`list_sessions`); a client's history and the alliance forms' session count take
only the client's own sessions (`find_client_sessions`), never a derived file (a
replay, an import, a salvage or a simulated file, which says so in its metadata).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from coregulate.sessionfile.access import SessionFileError, meta_of, open_readonly

# What a session file may be called when a folder is searched for a client's sessions.
SESSION_SUFFIXES = (".sqlite", ".corg")


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """One session file's identity and extent."""

    path: Path
    client_id: str
    therapist_id: str
    start: datetime | None  # local calendar time of session time 0
    duration_s: float
    mode: str
    wall_anchor_ns: int | None = None  # calendar time of session time 0, ns since the epoch
    derived: dict[str, Any] | None = None  # what the file was derived from; None: a session


def derived_of(info: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any] | None:
    """Return the `derived` note of a file's session payload or metadata (None: a session).

    A replay, an import, a salvage or a simulated file says ``{"kind": ..., "from":
    ...}`` there, so no catalogue counts it as a client's session.
    """
    for source in (info, meta):
        value = source.get("derived")
        if isinstance(value, dict):
            return value
    return None


def describe(path: str | os.PathLike[str]) -> SessionEntry:
    """Return a session file's entry (raises SessionFileError if it is not readable)."""
    p = Path(path)
    db = open_readonly(p)
    try:
        first = db.execute(
            "SELECT CAST(payload AS TEXT) FROM messages WHERE topic = 'session' ORDER BY id LIMIT 1"
        ).fetchone()
        # The last message received: its time is the session's extent (id order is arrival).
        last = db.execute("SELECT t_ns FROM messages ORDER BY id DESC LIMIT 1").fetchone()
        info = json.loads(first[0]) if first else {}
        meta = meta_of(db)
    except (sqlite3.DatabaseError, ValueError) as exc:  # a damaged file or payload
        raise SessionFileError(f"{p}: cannot be read ({exc})") from exc
    finally:
        db.close()
    info = info if isinstance(info, dict) else {}
    wall = (info.get("clock") or {}).get("wall_anchor_ns")
    wall = wall if isinstance(wall, int | float) and not isinstance(wall, bool) else None
    return SessionEntry(
        p,
        str(info.get("client_id") or "unknown"),
        str(info.get("therapist_id") or "unknown"),
        datetime.fromtimestamp(wall / 1e9) if wall else None,
        (last[0] / 1e9) if last else 0.0,
        str(info.get("mode") or "unknown"),
        wall if isinstance(wall, int) else None,
        derived_of(info, meta),
    )


def list_sessions(
    folder: str | os.PathLike[str],
) -> tuple[dict[str, list[SessionEntry]], list[tuple[Path, str]]]:
    """Return the readable session files in `folder` by client id (oldest first), and the rest.

    Every file is listed, derived ones too (their `mode` says what they are). The
    rest are (path, reason) for files that are not readable session files.
    """
    by_client: dict[str, list[SessionEntry]] = {}
    unreadable: list[tuple[Path, str]] = []
    for path in sorted(Path(folder).glob("*.sqlite")):
        try:
            entry = describe(path)
        except SessionFileError as exc:
            unreadable.append((path, str(exc)))
            continue
        by_client.setdefault(entry.client_id, []).append(entry)
    for entries in by_client.values():
        entries.sort(key=lambda e: (e.start or datetime.min, e.path.name))
    return by_client, unreadable


def find_client_sessions(client_id: str, folder: Path) -> tuple[list[Path], list[str]]:
    """Return (the client's own session files under `folder`, one line per unreadable file).

    Derived files (replays, imports, salvages, simulated files) are not the
    client's sessions and are left out.
    """
    found, problems = [], []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in SESSION_SUFFIXES):
        try:
            entry = describe(path)
        except SessionFileError as exc:
            problems.append(f"{path}: skipped ({exc})")
            continue
        if entry.client_id == client_id and entry.derived is None:
            found.append(path)
    return found, problems


def session_start_ns(path: Path) -> int | None:
    """Return the calendar time (ns since the epoch) a session file says it started, or None."""
    return describe(path).wall_anchor_ns
