"""Writes a whole session file offline (imports, tests, benchmarks): all or nothing.

Live sessions are written by the hub; a file made from data that already exists
(an imported RR file, a simulated dyad) is written here, through the same store and
with the same envelope, so everything downstream reads it like a live recording.
The file is built under a temporary name beside the target and renamed into place
only when complete: a failure leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from coregulate.bus.envelope import make_message
from coregulate.recordings.store import SessionStore
from coregulate.sessionfile.access import SessionFileError


class SessionWriter:
    """Appends messages with per-stream sequence numbers; use as a context manager.

    Parameters
    ----------
    path
        The session file to create; it must not exist.
    source
        The `src` of every message written (e.g. ``"import"``).
    """

    def __init__(self, path: str | os.PathLike[str], source: str) -> None:
        self.path = Path(path)
        if self.path.exists():
            raise SessionFileError(
                f"{self.path} already exists; a session file is never overwritten"
            )
        self._tmp = self.path.with_name(f".{self.path.name}.partial-{os.getpid()}")
        self.source = source
        self._seqs: dict[str, int] = {}
        self._store: SessionStore | None = SessionStore(self._tmp)

    def send(self, topic: str, payload: Any, t_ns: int, enc: str | None = None) -> None:
        """Queue one message (same signature as BusProducer.send)."""
        seq = self._seqs.get(topic, 0) + 1
        self._seqs[topic] = seq
        msg = make_message(topic, self.source, seq, int(t_ns), payload, enc)
        assert self._store is not None
        self._store.add(msg, msg.header_bytes(), time.monotonic_ns())
        if self._store.uncommitted >= 5000:
            self._store.commit()

    def add_row(self, row: tuple[Any, ...]) -> None:
        """Queue one raw message row, frames verbatim (salvage copies rows this way)."""
        assert self._store is not None
        self._store.add_row(row)
        if self._store.uncommitted >= 5000:
            self._store.commit()

    def set_meta(self, items: dict[str, Any]) -> None:
        """Store session metadata."""
        assert self._store is not None
        self._store.set_meta(items)

    def finish(self) -> Path:
        """Commit, close and move the file into place; return its path."""
        assert self._store is not None
        self._store.close()
        self._store = None
        if self.path.exists():
            self.abort()
            raise SessionFileError(f"{self.path} appeared while writing; nothing was overwritten")
        os.replace(self._tmp, self.path)
        return self.path

    def abort(self) -> None:
        """Remove the partial file."""
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()
            self._store = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self._tmp}{suffix}").unlink()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.abort()
        elif self._store is not None:
            self.finish()
