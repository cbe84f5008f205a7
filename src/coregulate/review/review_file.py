"""Review annotations of a recorded session, kept in their own file beside the recording.

A trainee's or supervisor's notes never alter the recording: they go to
``<recording>.review.jsonl`` (owner-only), one JSON object per line::

    {"format": "coregulate.review", "version": 1, "id": "<32 hex>",
     "t_ns": int,          # the session time the note is about
     "text": str, "author": str, "written_utc": "YYYY-MM-DDTHH:MM:SSZ"}

Appending a line is the only write; a line that cannot be read is reported with its
number and skipped, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FORMAT = "coregulate.review"
VERSION = 1


@dataclass(frozen=True, slots=True)
class Annotation:
    """One review note about a moment of a recorded session."""

    id: str
    t_ns: int
    text: str
    author: str
    written_utc: str


def review_path(recording: str | os.PathLike[str]) -> Path:
    """Return the review file that belongs to a recording (beside it, never inside it)."""
    p = Path(recording)
    return p.with_name(p.name + ".review.jsonl")


def add_annotation(
    recording: str | os.PathLike[str], t_ns: int, text: str, author: str = ""
) -> Annotation:
    """Append a note about session time `t_ns` to the recording's review file; return it."""
    text = text.strip()
    if not text:
        raise ValueError("an annotation needs some text")
    note = Annotation(
        uuid.uuid4().hex,
        int(t_ns),
        text,
        author,
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    path = review_path(recording)
    if not path.exists():
        from coregulate.security.files import create_private_file

        create_private_file(path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"format": FORMAT, "version": VERSION, **asdict(note)}) + "\n")
    return note


def read_annotations(recording: str | os.PathLike[str]) -> tuple[list[Annotation], list[str]]:
    """Return (the recording's review notes in time order, one problem per unreadable line)."""
    path = review_path(recording)
    if not path.exists():
        return [], []
    notes, problems = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if obj.get("format") != FORMAT:
                raise ValueError("not a coregulate review line")
            notes.append(
                Annotation(
                    str(obj["id"]),
                    int(obj["t_ns"]),
                    str(obj["text"]),
                    str(obj.get("author", "")),
                    str(obj.get("written_utc", "")),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"{path} line {number}: skipped ({exc})")
    notes.sort(key=lambda n: n.t_ns)
    return notes, problems
