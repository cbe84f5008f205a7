"""What every benchmark returns, the machine it ran on, and how results are printed.

A benchmark module is a file ``benchmarks/bench_<name>.py`` defining

- ``NAME``: the short name used by ``run.py --only`` (``"bus"``),
- ``TITLE``: the heading in the table and in docs/performance.md,
- ``run(quick: bool) -> Result``: runs the benchmark, bounded in time.

`run.py` finds these modules by their file name, so a new benchmark is a new file.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

GOAL = "goal"  # a performance target: reported as met or missed, never fatal
CORRECTNESS = "correctness"  # something that must hold whatever the speed: fatal


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a result table: the row key, its heading and its format."""

    key: str
    header: str
    fmt: str = "{}"


@dataclass(frozen=True, slots=True)
class Check:
    """A goal or a correctness condition, with the numbers behind the verdict."""

    what: str
    passed: bool
    detail: str
    kind: str = GOAL


@dataclass(slots=True)
class Result:
    """What one benchmark measured: a table, checks, notes and its parameters."""

    name: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON-ready data."""
        return asdict(self)


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or None


def _mem_total_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    return None


def _git_revision() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{rev}{'+dirty' if dirty else ''}"


def machine_info() -> dict[str, Any]:
    """Return what a reader needs to compare numbers across machines."""
    import numpy
    import zmq

    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": usable,
        "memory_gib": _mem_total_gib(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": numpy.__version__,
        "pyzmq": zmq.pyzmq_version(),
        "libzmq": zmq.zmq_version(),
        "sqlite": sqlite3.sqlite_version,
        "git": _git_revision(),
    }


def load_average() -> list[float] | None:
    """Return the 1, 5 and 15 minute load averages (other work skews timings)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def format_table(columns: list[Column], rows: list[dict[str, Any]]) -> str:
    """Return rows as an aligned plain-text table (missing values print as "-")."""
    cells = [[c.header for c in columns]]
    for row in rows:
        cells.append(["-" if row.get(c.key) is None else c.fmt.format(row[c.key]) for c in columns])
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    # The first column names the row: left-aligned; numbers right-aligned.
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def format_result(result: Result) -> str:
    """Return a benchmark's table, checks and notes as readable text."""
    heading = f"== {result.title} ({result.elapsed_s:.1f} s"
    before = result.params.get("load_average_before")
    after = result.params.get("load_average_after")
    if before and after:
        heading += f"; 1-min load average {before[0]:.2f} before, {after[0]:.2f} after"
    out = [heading + ")", format_table(result.columns, result.rows)]
    for check in result.checks:
        verdict = "ok" if check.passed else ("MISSED" if check.kind == GOAL else "FAILED")
        out.append(f"[{verdict}] {check.what}: {check.detail}")
    out.extend(f"- {note}" for note in result.notes)
    return "\n".join(out)
