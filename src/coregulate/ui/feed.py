"""Feeds a SessionModel: live from the hub's bus, and from the session file for what it missed.

A viewer opened mid-session (or reopened after a close or a crash) first reads the
session file read-only (SQLite WAL lets readers in while the hub writes) and then
keeps reading new rows every few seconds; the bus gives the same messages sooner.
The model de-duplicates by (source, topic, seq), so the two paths never double a
point, and a message the bus dropped (slow subscriber, joined late) still arrives
from the file within `TAIL_EVERY_S` of its commit.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

from coregulate.bus.subscriber import BusSubscriber, CurveClientKeys
from coregulate.sessionfile.access import SessionFileError, SessionTail
from coregulate.ui.model import SessionModel

log = logging.getLogger(__name__)

# What the views read. Beats and raw notifications stay out: they are the bulk.
UI_TOPICS = ("metrics.", "status.", "breath.", "sync", "marker", "rating", "session")
TAIL_EVERY_S = 2.0
ROWS_PER_STEP = 3000  # per call, so a long backfill never freezes the window


class SessionFeed:
    """The bus subscription and the session-file reader of one viewer."""

    def __init__(
        self,
        model: SessionModel,
        output_endpoint: str | None,
        session_file: str | Path | None = None,
        curve: CurveClientKeys | None = None,
    ) -> None:
        self.model = model
        # Subscribe before reading the file: whatever is published meanwhile is
        # then either in the file already or on its way to the subscription.
        self.sub = (
            BusSubscriber(output_endpoint, UI_TOPICS, curve=curve) if output_endpoint else None
        )
        self._tail: SessionTail | None = None
        self.file_error = ""
        if session_file:
            try:
                self._tail = SessionTail(session_file, UI_TOPICS)
            except SessionFileError as exc:
                self.file_error = str(exc)
                log.warning("no backfill from the session file: %s", exc)
        self._next_tail_s = 0.0
        self.backfilling = self._tail is not None
        self.from_file = 0  # messages that came from the file first
        self.from_bus = 0

    def poll(self) -> int:
        """Take what the bus and (when due) the file have; return how many messages were new."""
        new = 0
        if self.sub is not None:
            for msg in self.sub.drain():
                if self.model.ingest(msg):
                    new += 1
                    self.from_bus += 1
        if self._tail is not None and (self.backfilling or time.monotonic() >= self._next_tail_s):
            new += self._read_file()
            self._next_tail_s = time.monotonic() + TAIL_EVERY_S
        self.model.bus_lost = self.sub.lost if self.sub is not None else 0
        return new

    def _read_file(self) -> int:
        try:
            messages = self._tail.read(ROWS_PER_STEP)  # type: ignore[union-attr]
        except sqlite3.Error as exc:
            log.warning("reading the session file failed (%s); will retry", exc)
            return 0
        new = sum(1 for msg in messages if self.model.ingest(msg))
        self.from_file += new
        self.backfilling = len(messages) == ROWS_PER_STEP
        return new

    def close(self) -> None:
        """Close the subscription and the file."""
        if self.sub is not None:
            self.sub.close()
        if self._tail is not None:
            self._tail.close()
