"""Which pairs of a batch are already in a previous output (`analyze --batch --resume`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

Key = tuple[str, ...]


def _norm(path: str) -> str:
    return os.path.normpath(os.path.abspath(path))


def job_key(job: dict[str, Any]) -> Key:
    """Return the identity of a batch job: its session file, or its client and therapist files."""
    if job.get("session"):
        return ("session", _norm(job["session"]))
    return ("pair", _norm(job["client"]), _norm(job["therapist"]))


def result_key(result: dict[str, Any]) -> Key | None:
    """Return the identity of the job a finished summary came from (None for an error)."""
    if "error" in result:
        return None
    inputs = result.get("inputs") or {}
    paths = {_norm(p) for p in inputs.values()}
    if len(paths) == 1:  # one file for every role present: a session job
        return ("session", paths.pop())
    if inputs.get("client") and inputs.get("therapist"):
        return ("pair", _norm(inputs["client"]), _norm(inputs["therapist"]))
    return None


def split_done(
    jobs: Sequence[dict[str, Any]], previous: Sequence[dict[str, Any]]
) -> tuple[list[int], dict[int, dict[str, Any]]]:
    """Return (indices of jobs still to run, {index: previous summary} for those done).

    A pair counts as done when the previous output holds its summary; a pair that
    failed before (an ``error`` entry) runs again.
    """
    done = {k: r for r in previous if (k := result_key(r)) is not None}
    todo, kept = [], {}
    for i, job in enumerate(jobs):
        if (found := done.get(job_key(job))) is not None:
            kept[i] = found
        else:
            todo.append(i)
    return todo, kept
