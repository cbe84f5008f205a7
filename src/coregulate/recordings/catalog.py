"""The sessions in a folder, grouped by client: what `coregulate sessions` lists."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from coregulate.recordings.store import SessionFileError, open_readonly


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """One session file's identity and extent."""

    path: Path
    client_id: str
    therapist_id: str
    start: datetime | None  # local calendar time of session time 0
    duration_s: float
    mode: str


def describe(path: str | os.PathLike[str]) -> SessionEntry:
    """Return a session file's entry (raises SessionFileError if it is not readable)."""
    p = Path(path)
    db = open_readonly(p)
    try:
        row = db.execute(
            "SELECT client_id, therapist_id, wall_anchor_ns, mode FROM session_info"
        ).fetchone()
        # The last message received: its time is the session's extent (id order is arrival).
        last = db.execute("SELECT t_ns FROM messages ORDER BY id DESC LIMIT 1").fetchone()
    except Exception as exc:  # sqlite3.DatabaseError and friends on a damaged file
        raise SessionFileError(f"{p}: cannot be read ({exc})") from exc
    finally:
        db.close()
    client, therapist, wall_ns, mode = row or (None, None, None, None)
    start = datetime.fromtimestamp(wall_ns / 1e9) if wall_ns else None
    return SessionEntry(
        p,
        str(client or "unknown"),
        str(therapist or "unknown"),
        start,
        (last[0] / 1e9) if last else 0.0,
        str(mode or "unknown"),
    )


def list_sessions(
    folder: str | os.PathLike[str],
) -> tuple[dict[str, list[SessionEntry]], list[tuple[Path, str]]]:
    """Return the readable sessions in `folder` by client id (oldest first), and the rest.

    The rest are (path, reason) for files that are not readable session files.
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
