"""The session-info file: how a viewer finds a running session on this machine.

A running session writes one small JSON file, owner-only (0600, in an 0700
folder), in the per-user runtime directory (``$XDG_RUNTIME_DIR/coregulate`` on
Linux): ``session-<pid>.json`` with the hub's endpoints, the session file, the
clock and the pseudonymous client id. It is removed when the session ends.
`coregulate view` reads it to attach a window; a viewer on another machine is
given the endpoints instead (and then has no file to backfill from).

Why a file and not only the bus's `session` message: that message is sent once at
the start, so a viewer opened later never sees it on the bus; and the file path is
local knowledge that does not belong on a network stream.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coregulate.security.files import write_private_file

log = logging.getLogger(__name__)

FORMAT = "coregulate.session-info"
VERSION = 1


class SessionInfoError(Exception):
    """A session-info file that cannot be used; the text says what to do."""


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a viewer needs to attach to a running session."""

    input_endpoint: str
    output_endpoint: str
    session_file: str
    clock: dict[str, Any]
    client_id: str = ""
    pid: int = field(default_factory=os.getpid)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object written to the file."""
        return {"format": FORMAT, "version": VERSION, **asdict(self)}


RUNTIME_DIR_ENV = "COREGULATE_RUNTIME_DIR"  # overrides the folder (tests, several users' setups)


def runtime_dir() -> Path:
    """Return the per-user runtime folder for session-info files (created owner-only)."""
    from platformdirs import user_runtime_path

    override = os.environ.get(RUNTIME_DIR_ENV)
    if override:
        folder = Path(override)
    else:
        # Without XDG_RUNTIME_DIR platformdirs falls back to /tmp/runtime-<uid> with a
        # warning; the ownership check below is what makes that fallback safe.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            folder = user_runtime_path("coregulate", appauthor=False)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = folder.stat()
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o077):
        raise PermissionError(
            f"{folder} is not owned by you alone (mode {st.st_mode & 0o777:o}); "
            f"remove it or set {RUNTIME_DIR_ENV} to a private folder"
        )
    return folder


def write_session_info(info: SessionInfo, folder: Path | None = None) -> Path:
    """Write `info` owner-only; return the file's path (remove it when the session ends)."""
    folder = folder or runtime_dir()
    path = folder / f"session-{info.pid}.json"
    write_private_file(path, json.dumps(info.to_json()))  # readers never see half of it
    return path


def read_session_info(path: Path) -> SessionInfo:
    """Return the SessionInfo in `path`, or raise SessionInfoError saying what is wrong."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SessionInfoError(f"cannot read session info {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SessionInfoError(f"{path} is not a coregulate session-info file")
    if data.get("version") != VERSION:
        raise SessionInfoError(
            f"{path} has version {data.get('version')!r}; this build reads {VERSION}"
        )
    try:
        return SessionInfo(
            input_endpoint=str(data["input_endpoint"]),
            output_endpoint=str(data["output_endpoint"]),
            session_file=str(data["session_file"]),
            clock=dict(data["clock"]),
            client_id=str(data.get("client_id", "")),
            pid=int(data["pid"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionInfoError(
            f"{path} is incomplete ({exc}); is the session still starting?"
        ) from exc


def running_sessions(folder: Path | None = None) -> list[tuple[Path, SessionInfo]]:
    """Return the sessions running on this machine, newest first (stale files are skipped)."""
    folder = folder or runtime_dir()
    found = []
    for path in folder.glob("session-*.json"):
        try:
            info = read_session_info(path)
        except SessionInfoError as exc:
            log.warning("%s", exc)
            continue
        if _alive(info.pid):
            found.append((path, info))
    return sorted(found, key=lambda item: item[0].stat().st_mtime, reverse=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
