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
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

OWNER_ONLY_DIR = 0o700
OWNER_ONLY_FILE = 0o600


class PermissionsError(Exception):
    """A private file or folder that others can read; the text says how to fix it."""


class OutputPathError(OSError):
    """An output cannot be created where asked; the one-line text says why and what to do."""


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


def check_output_path(path: Path, *, folder: bool = False) -> Path:
    """Return `path` if a new file (a folder with `folder`) can be put there, else raise.

    Raises OutputPathError, one line saying what is wrong and what to do, when the
    folder it goes into is missing (it is never created behind the user's back), is a
    file, or cannot be written, and when `path` is a symbolic link (an output is never
    written through one: the link could point at anybody's file) or, for a file, a
    folder. Nothing is left behind by the check.
    """
    path = _check_place(Path(path), folder)
    fd, probe = _temporary_beside(path, ".probe-", "")
    os.close(fd)
    os.unlink(probe)
    return path


def _check_place(path: Path, folder: bool) -> Path:
    parent = path.parent
    if path.is_symlink():
        raise OutputPathError(
            f"{path} is a symbolic link; outputs are never written through one: "
            "give the real path or another name"
        )
    if not folder and path.is_dir():
        raise OutputPathError(f"{path} is a folder; give a file name in it instead")
    if not parent.exists():
        raise OutputPathError(
            f"the folder {parent} does not exist; create it first or choose another place"
        )
    if not parent.is_dir():
        raise OutputPathError(f"{parent} is a file, not a folder; choose another place")
    return path


def _temporary_beside(path: Path, prefix: str, suffix: str) -> tuple[int, str]:
    # Trying to create a file is the only reliable test (root, read-only mounts, ACLs).
    try:
        return tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)  # 0600
    except OSError as exc:
        raise OutputPathError(
            f"cannot create files in {path.parent} ({exc.strerror or exc}); "
            "choose a folder of your own"
        ) from None


@contextmanager
def private_output(path: Path, *, exclusive: bool = False) -> Iterator[Path]:
    """Yield a new owner-only temporary file beside `path`; on success it becomes `path`.

    The one way an output file is written. The caller writes the whole output into
    the yielded path (it has `path`'s suffix, for writers that choose the format by
    it); when the block ends without an error the file is synced and atomically takes
    `path`'s name, so a reader or a crash sees the old file or the new one, never half
    of it, and an existing `path` becomes a new owner-only file whatever its mode was.
    On an error the temporary file is removed and `path` is untouched. With
    `exclusive`, an existing `path` is never replaced: FileExistsError. The place is
    checked first (`check_output_path`: OutputPathError, never through a symlink).
    """
    path = _check_place(Path(path), folder=False)
    fd, name = _temporary_beside(path, ".tmp-", path.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        if exclusive:
            os.link(tmp, path)  # fails if `path` exists, atomically
            tmp.unlink()
        else:
            os.replace(tmp, path)  # replaces a link that appeared since: never follows it
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_private_file(path: Path, data: str | bytes, *, exclusive: bool = False) -> None:
    """Write `data` (text as UTF-8, or bytes) to `path` atomically, owner-only.

    See `private_output`: a crash leaves the old file or the new one, never half of
    it; with `exclusive`, an existing `path` is never replaced (FileExistsError); a
    bad place or a symbolic link is OutputPathError.
    """
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with private_output(Path(path), exclusive=exclusive) as tmp:
        tmp.write_bytes(payload)


def create_private_file(path: Path) -> None:
    """Create `path` (and missing parents) readable and writable by its owner only.

    For a file written in place while it grows (a SQLite session file); a finished
    output is written with `private_output` instead. An existing file is kept and
    made owner-only; a symbolic link is refused (OSError), never followed.
    """
    path = Path(path)
    make_missing_dirs(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), OWNER_ONLY_FILE)
    try:
        os.fchmod(fd, OWNER_ONLY_FILE)
    finally:
        os.close(fd)


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
