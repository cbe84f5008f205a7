"""Owner-only folders and files for health data, keys and configuration.

A session file, a secret key or the viewer allow-list must never be readable by
another account on the same machine. Permissions are set when a file is created
(never "create, then tighten", which leaves a window) and checked again where it
matters, so a folder someone loosened by hand is noticed.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

OWNER_ONLY_DIR = 0o700
OWNER_ONLY_FILE = 0o600


class PermissionsError(Exception):
    """A private file or folder that others can read; the text says how to fix it."""


def make_missing_dirs(path: Path) -> None:
    """Create `path` and its missing parents owner-only; existing folders are left as they are.

    ``Path.mkdir(parents=True, mode=...)`` applies the mode to the last folder only;
    its parents would get the umask's default (often world-readable).
    """
    missing = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        # mkdir's mode is filtered by the umask, which can only remove bits: fine.
        folder.mkdir(mode=OWNER_ONLY_DIR, exist_ok=True)


def private_dir(path: Path) -> Path:
    """Return `path`, created if missing, as a folder only its owner can enter.

    Missing parents are created owner-only too. An existing folder of ours with
    looser permissions is tightened (and the change logged); a folder owned by
    another account is refused, because its owner could read what we put there.
    """
    path = Path(path)
    make_missing_dirs(path)
    info = path.stat()
    if not stat.S_ISDIR(info.st_mode):
        raise PermissionsError(f"{path} exists and is not a folder; move it away")
    if info.st_uid != os.getuid():
        raise PermissionsError(
            f"{path} belongs to another account; choose a folder in your own home"
        )
    if info.st_mode & 0o077:
        log.warning("%s was open to other accounts; made it owner-only", path)
        path.chmod(OWNER_ONLY_DIR)
    return path


def write_private_file(path: Path, data: str | bytes, *, exclusive: bool = False) -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically, owner-only.

    The data go to a temporary file created 0600 in the same folder, which then
    replaces `path`: a crash leaves the old file or the new one, never half of it.
    With `exclusive`, an existing `path` is never replaced: FileExistsError.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if `path` exists, atomically
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def create_private_file(path: Path) -> None:
    """Create `path` (and missing parents) readable and writable by its owner only.

    For writers that open a file by its name (SQLite, matplotlib, csv): they write
    into this file, which keeps its mode. An existing file is kept and made owner-only.
    """
    path = Path(path)
    make_missing_dirs(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, OWNER_ONLY_FILE)
    os.close(fd)
    os.chmod(path, OWNER_ONLY_FILE)


def check_owner_only(path: Path) -> None:
    """Raise PermissionsError if another account could read or change `path`."""
    info = Path(path).stat()
    if info.st_uid != os.getuid():
        raise PermissionsError(f"{path} belongs to another account; do not use it")
    if info.st_mode & 0o077:
        mode = "700" if stat.S_ISDIR(info.st_mode) else "600"
        raise PermissionsError(
            f"{path} can be read by other accounts (mode {info.st_mode & 0o777:o}); "
            f"run `chmod {mode} {path}` and check who may have copied it"
        )
