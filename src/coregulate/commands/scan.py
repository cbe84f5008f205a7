"""`coregulate scan`: list the heart-rate straps in range."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, positive

ORDER = 20
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `scan` parser."""
    scan = add_command(
        sub,
        "scan",
        run,
        help="list heart-rate straps in range (name, address, signal, battery)",
        description="Listen for Bluetooth LE heart-rate straps (Heart Rate Service 0x180D or "
        "Polar PMD) and list them with name, address, signal strength (RSSI), battery level "
        "and whether they stream ECG. Put the strap on (most straps wake on skin contact) "
        "and make sure no phone app is connected to it.",
    )
    scan.add_argument(
        "--timeout",
        type=positive(float),
        default=5.0,
        metavar="SECONDS",
        help="how long to listen (default 5)",
    )
    scan.add_argument("--json", action="store_true", help="print JSON for scripts")
    scan.add_argument(
        "--no-connect",
        action="store_true",
        help="do not connect to each strap to read its battery level",
    )


def format_table(straps: Sequence[Any]) -> str:
    """Return the straps as an aligned text table (or a hint if there are none)."""
    if not straps:
        return (
            "No heart-rate straps found. Put the strap on (it wakes on skin contact), "
            "disconnect it from any phone app, bring it closer and scan again."
        )
    header = ("NAME", "ADDRESS", "RSSI", "BATTERY", "ECG")
    rows = [
        (
            s.name or "(no name)",
            s.address,
            f"{s.rssi_dbm} dBm" if s.rssi_dbm is not None else "?",
            f"{s.battery_pct} %" if s.battery_pct is not None else "?",
            "yes" if s.polar_pmd else "no",
        )
        for s in straps
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    head = "  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()
    return "\n".join([head, *lines])


def run(args: argparse.Namespace) -> int:
    """Run `coregulate scan`; return the exit code (3: no usable Bluetooth)."""
    from coregulate.acquisition.ble import BluetoothUnavailableError
    from coregulate.acquisition.ble_scan import scan_straps

    try:
        straps = asyncio.run(scan_straps(args.timeout, read_details=not args.no_connect))
    except BluetoothUnavailableError as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "straps": []}))  # noqa: T201
        log.error("%s", exc)
        return ex.NO_BLUETOOTH
    if args.json:
        print(json.dumps({"straps": [s.to_dict() for s in straps]}, indent=2))  # noqa: T201
    else:
        print(format_table(straps))  # noqa: T201
    return ex.OK
