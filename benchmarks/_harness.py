"""What every benchmark returns, the machine it ran on, how results are printed, and
the measuring helpers the benchmarks share (percentile rows, process CPU, temporary
session folders, helper processes, running one benchmark alone).

A benchmark module is a file ``benchmarks/bench_<name>.py`` defining

- ``NAME``: the short name used by ``run.py --only`` (``"bus"``),
- ``TITLE``: the heading in the table and in docs/performance.md,
- ``run(quick: bool) -> Result``: runs the benchmark, bounded in time.

`run.py` finds these modules by their file name, so a new benchmark is a new file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

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


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=5
    ).stdout.strip()


def _git_revision() -> str | None:
    try:
        rev = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
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


# -- shared measuring helpers -------------------------------------------------------


def percentile(values: Sequence[float] | np.ndarray, q: float) -> float | None:
    """Return the `q`-th percentile of `values` (NumPy's linear rule), None if empty."""
    arr = np.asarray(values, dtype=np.float64)
    return float(np.percentile(arr, q)) if arr.size else None


def latency_row(
    what: str, values_ms: Sequence[float] | np.ndarray, quantiles: Sequence[float] = (50, 99)
) -> dict[str, Any]:
    """Return a table row: `what`, the count, the given percentiles and the max (ms).

    Keys are ``n``, ``p<q>_ms`` for each quantile (``p50_ms``, ``p99_ms``...) and
    ``max_ms``; an empty sample gives None values.
    """
    arr = np.asarray(values_ms, dtype=np.float64)
    row: dict[str, Any] = {"what": what, "n": int(arr.size)}
    for q in quantiles:
        row[f"p{q:g}_ms"] = percentile(arr, q)
    row["max_ms"] = float(arr.max()) if arr.size else None
    return row


def latency_columns(
    what: str = "measure", n: str = "n", *, max_fmt: str = "{:.2f}", extra: Sequence[Column] = ()
) -> list[Column]:
    """Return the columns of `latency_row` rows: name, count, p50, p99, max, then `extra`."""
    return [
        Column("what", what),
        Column("n", n, "{:,}"),
        Column("p50_ms", "p50 ms", "{:.3f}"),
        Column("p99_ms", "p99 ms", "{:.3f}"),
        Column("max_ms", "max ms", max_fmt),
        *extra,
    ]


def timed_calls_ms(
    call: Callable[[Any], object], items: Sequence[Any]
) -> tuple[np.ndarray, list[Any]]:
    """Return the wall time in ms of ``call(item)`` for each item, and what each returned.

    Only the call is timed (`time.perf_counter_ns` just before and after it).
    """
    times, results = np.empty(len(items)), []
    for i, item in enumerate(items):
        t0 = time.perf_counter_ns()
        out = call(item)
        times[i] = (time.perf_counter_ns() - t0) / 1e6
        results.append(out)
    return times, results


def process_cpu_s(pid: int | None) -> float | None:
    """Return user + system CPU seconds of process `pid` (all threads), None if unknown."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None  # not Linux, or the process is gone
    fields = stat.rpartition(")")[2].split()  # the name in (...) may contain spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float | None:
    """Return CPU seconds the whole machine has spent not idle (Linux), None if unknown."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    ticks = [int(x) for x in first[1:9]]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def temp_folder() -> Iterator[Path]:
    """Yield a new temporary folder for session files and keys, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="coregulate-bench-") as tmp:
        yield Path(tmp)


def start_process(
    ctx: Any, name: str, target: Callable[..., None], *args: Any, **kwargs: Any
) -> Any:
    """Start ``target(*args, ready, **kwargs)`` in a process and wait until it sets `ready`.

    `ctx` is a multiprocessing context (the benchmarks use "spawn", as a session does).
    """
    ready = ctx.Event()
    proc = ctx.Process(target=target, args=(*args, ready), kwargs=kwargs, name=name)
    proc.start()
    if not ready.wait(30):
        proc.kill()
        raise RuntimeError(f"the {name} process did not start within 30 s")
    return proc


def stop_process(proc: Any) -> int | None:
    """Stop a process with SIGTERM (as a session stops its hub); return its exit code."""
    proc.terminate()
    proc.join(30)
    if proc.is_alive():
        proc.kill()
        proc.join(5)
    return proc.exitcode


def measure(make: Callable[[], Result]) -> Result:
    """Return ``make()`` with its elapsed time and the load average before and after."""
    t0 = time.monotonic()
    before = load_average()
    result = make()
    result.elapsed_s = time.monotonic() - t0
    result.params["load_average_before"] = before
    result.params["load_average_after"] = load_average()
    return result


def standalone_parser(description: str) -> argparse.ArgumentParser:
    """Return a parser with the options every benchmark has alone: ``--quick``, ``--json``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a shorter run (a smoke test)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the result here")
    return parser


def run_alone(make: Callable[[], Result], json_out: Path | None = None) -> int:
    """Run one benchmark outside `run.py`: print its table, write `json_out`; return 0."""
    result = measure(make)
    print(format_result(result))
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    return 0


def simulated_hour_main(
    description: str, run_benchmark: Callable[[float, int], Result], argv: list[str] | None
) -> int:
    """Run alone a benchmark of a simulated session: ``run_benchmark(duration_s, repeats)``.

    Options: ``--duration-s`` (3600, 1800 with ``--quick``), ``--repeats`` (3, 1 with
    ``--quick``) and ``--json``.
    """
    parser = standalone_parser(description)
    parser.add_argument("--duration-s", type=float, default=None, help="default 3600 (1800)")
    parser.add_argument("--repeats", type=int, default=None, help="default 3 (1 with --quick)")
    args = parser.parse_args(argv)
    duration_s = args.duration_s or (1800.0 if args.quick else 3600.0)
    repeats = args.repeats or (1 if args.quick else 3)
    return run_alone(lambda: run_benchmark(duration_s, repeats), args.json)
