"""Run the benchmarks and print a table: ``python benchmarks/run.py [--quick] [--json OUT]``.

Every ``benchmarks/bench_<name>.py`` is a benchmark (see `_harness` for what it
defines), so later issues add one by adding a file. ``--only NAME`` runs one of
them; ``--json OUT`` also writes the results with the machine and the exact command.

The exit status is 1 if a benchmark crashed or a correctness check failed (e.g. a
message missing from the session file); missed performance goals are reported, not
fatal, because timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import logging
import os
import shlex
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from _harness import CORRECTNESS, format_result, machine_info, measure

HERE = Path(__file__).resolve().parent


def discover() -> tuple[dict[str, ModuleType], list[str]]:
    """Return the harness benchmarks by NAME (file order) and the standalone scripts.

    A standalone script is a ``bench_*.py`` without the harness interface (NAME,
    TITLE, ``run(quick) -> Result``); it is listed, not run.
    """
    modules: dict[str, ModuleType] = {}
    standalone: list[str] = []
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        if (
            hasattr(module, "NAME")
            and hasattr(module, "TITLE")
            and callable(getattr(module, "run", None))
        ):
            modules[module.NAME] = module
        else:
            standalone.append(path.name)
    return modules, standalone


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmarks; return the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    parser.add_argument("--only", metavar="NAME", action="append", help="run only NAME")
    parser.add_argument("--json", metavar="OUT", type=Path, help="also write results here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    modules, standalone = discover()
    names = args.only or list(modules)
    unknown = [n for n in names if n not in modules]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(modules)}")
    if standalone:
        print(
            f"not run (no run(quick) -> Result, see _harness.py): {', '.join(standalone)}; "
            "run them directly with python benchmarks/<file>"
        )

    started = datetime.now(UTC).isoformat(timespec="seconds")
    command = shlex.join(getattr(sys, "orig_argv", [sys.executable, *sys.argv]))
    machine = machine_info()
    print(f"command: {command}")
    print(
        "machine: {cpu_model}, {cores} cores ({cores_usable} usable), {memory_gib} GiB; "
        "{platform}".format(**machine)
    )
    print(
        "software: {python}, numpy {numpy}, pyzmq {pyzmq} (libzmq {libzmq}), "
        "SQLite {sqlite}; coregulate {git}".format(**machine)
    )

    results, errors, failed = [], [], False
    for name in names:
        print()
        try:
            result = measure(functools.partial(modules[name].run, quick=args.quick))
        except Exception:
            failed = True
            errors.append({"name": name, "error": traceback.format_exc()})
            print(f"== {name}: CRASHED\n{traceback.format_exc()}")
            continue
        results.append(result)
        print(format_result(result))
        failed |= any(not c.passed and c.kind == CORRECTNESS for c in result.checks)

    if args.json:
        report = {
            "command": command,
            "cwd": os.getcwd(),
            "started_utc": started,
            "quick": args.quick,
            "machine": machine,
            "results": [r.to_json() for r in results],
            "errors": errors,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
