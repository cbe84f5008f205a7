"""Helpers for tests that kill or stop a session's processes: derived output vs. a clean run."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from coregulate.recordings.summary import session_info
from coregulate.sessionfile.access import read_messages, read_session_payload
from coregulate.signal.people import keys_of, people_from_session
from coregulate.stages.registry import stage_spec

CLI = [sys.executable, "-m", "coregulate.cli"]


def _roundtrip(payload: Any) -> Any:
    return json.loads(json.dumps(payload))


def metrics_differences(path: Path) -> list[str]:
    """Return how the recorded metrics differ from the signal stage run once over the file.

    The clean run: a fresh stage fed every recorded message of its topics, in the
    order the hub recorded them (what the live stage receives when nothing fails).
    Every topic, not only the beats: a strap's status is session time passing
    (docs/protocol.md, "No signal"), so a status recorded between a "no signal" step
    and a returning strap's first beats gives that update live, and a reference
    fed beats alone would miss it (tests/test_clean_run_reference.py).
    """
    baseline_s = float(session_info(path).get("baseline_s", 180.0))
    keys = keys_of(people_from_session(read_session_payload(path)))
    people = {"people": keys} if len(keys) > 2 else {}  # a group's people, as live
    stage = stage_spec("signal").make("signal", baseline_s=baseline_s, **people)
    clean: dict[str, list[Any]] = {}
    for msg in read_messages(path, tuple(stage.topics)):
        for out in stage.update(msg):
            clean.setdefault(out.topic, []).append(_roundtrip(out.payload))
    live: dict[str, list[Any]] = {}
    for msg in sorted(read_messages(path, ("metrics.",)), key=lambda m: (m.source, m.seq)):
        live.setdefault(msg.topic, []).append(msg.json())
    problems = []
    for topic in sorted(set(clean) | set(live)):
        a, b = live.get(topic, []), clean.get(topic, [])
        if len(a) != len(b):
            problems.append(f"{topic}: {len(a)} recorded, {len(b)} in a clean run")
        first = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), None)
        if first is not None:
            problems.append(f"{topic}: update {first} differs from a clean run's")
    return problems


def sync_identical(path: Path) -> tuple[bool, str]:
    """Return (True, output) if `coregulate sync FILE` finds the live sync messages identical."""
    run = subprocess.run([*CLI, "sync", str(path)], capture_output=True, text=True, timeout=120)
    text = run.stdout + run.stderr
    return run.returncode == 0 and "(identical)" in run.stdout, text


def derived_equal_to_a_clean_run(path: Path) -> bool:
    """Return True if metrics and synchrony equal a clean run over the file (else print why)."""
    problems = metrics_differences(path)
    same_sync, text = sync_identical(path)
    if not same_sync:
        problems.append(f"coregulate sync: {text.strip()[-400:]}")
    for problem in problems:
        print(problem)  # noqa: T201 - shown by pytest when the assertion fails
    return not problems


def count_topic(out: Path, topic: str) -> int:
    """Return how many `topic` messages a (running) session's file holds now, 0 before it exists."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{out}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT COUNT(*) FROM messages WHERE topic = ?", (topic,))
            return int(row.fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def session_pids(log_text: str) -> dict[str, int]:
    """Return the newest pid of each process a session started, from its -v log."""
    found = re.findall(r"started the (\w+) process \(pid (\d+)\)", log_text)
    return {name: int(pid) for name, pid in found}
