"""`coregulate doctor`: can a session start on this computer? Each check, and each fix.

Exit 0 only when a session can start (no check failed); 1 otherwise. ``--json`` is
for support requests: it carries no strap names or addresses and no user name
unless ``--show-ids`` is given.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, sessions_folder
from coregulate.commands._doctor_checks import FAIL, WARN, Check

ORDER = 90
log = logging.getLogger("coregulate")

_MARK = {"ok": "ok  ", WARN: "warn", FAIL: "FAIL"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `doctor` parser."""
    parser = add_command(
        sub,
        "doctor",
        run,
        help="check that a session can run on this computer, and say how to fix what cannot",
        description="Check Python and packages, Bluetooth, the display and the libraries the "
        "window needs, the data folder, free disk for a 90-minute session, the clock and "
        "(with --scan) whether the remembered straps are in range. Exit 0 only when a session "
        "can start.",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable, for support")
    parser.add_argument(
        "--show-ids", action="store_true", help="include strap names and addresses in --json"
    )
    parser.add_argument(
        "--scan", action="store_true", help="also look for the remembered straps (5 s)"
    )


def run_checks(scan: bool = False) -> list[Check]:
    """Return every check's verdict, in the order they are shown."""
    from coregulate.commands import _doctor_checks as dc
    from coregulate.commands._last_pair import load_last_pair

    folder = sessions_folder()
    checks = [dc.check_python(), dc.check_bluetooth(), dc.check_display()]
    checks += [dc.check_folder(folder), dc.check_disk(folder), dc.check_clock()]
    bluetooth_ok = checks[1].status != FAIL
    checks.append(dc.check_pair(load_last_pair(), _scan() if scan and bluetooth_ok else None))
    return checks


def _scan() -> list[tuple[str, str | None]]:
    import asyncio

    from coregulate.acquisition.ble_scan import scan_straps

    return [(s.address, s.name) for s in asyncio.run(scan_straps(5.0, read_details=False))]


def format_text(checks: Sequence[Check]) -> str:
    """Return the report a person reads: one line per check, the fix indented below."""
    lines = []
    for check in checks:
        lines.append(f"{_MARK[check.status]}  {check.name}: {check.summary}")
        lines += [f"      fix: {line}" for line in check.advice.splitlines() if line]
    verdict = (
        "a session can start"
        if can_start(checks)
        else "a session cannot start until the FAIL lines are fixed"
    )
    return "\n".join([*lines, verdict])


def to_json(checks: Sequence[Check], show_ids: bool = False) -> dict[str, Any]:
    """Return the report as JSON-ready data; names and addresses only with `show_ids`."""
    rows = []
    for c in checks:
        row: dict[str, Any] = {"name": c.name, "status": c.status, "summary": c.summary}
        row.update({"advice": c.advice, "details": dict(c.details)})
        if show_ids and c.private:
            row["details"]["ids"] = dict(c.private)
        rows.append(row)
    return {"can_start_session": can_start(checks), "checks": rows}


def can_start(checks: Sequence[Check]) -> bool:
    """Return True if no check failed."""
    return all(c.status != FAIL for c in checks)


def run(args: argparse.Namespace, checks_of: Callable[[bool], list[Check]] = run_checks) -> int:
    """Run `coregulate doctor`; return OK if a session can start, else FAILED."""
    checks = checks_of(args.scan)
    if args.json:
        print(json.dumps(to_json(checks, args.show_ids), indent=2))  # noqa: T201 - output
    else:
        print(format_text(checks))  # noqa: T201 - the command's own output
    return ex.OK if can_start(checks) else ex.FAILED
