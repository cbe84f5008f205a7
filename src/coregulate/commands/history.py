"""`coregulate history CLIENT_ID`: a client's ratings and physiology across sessions."""

from __future__ import annotations

import argparse
import logging
import math
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, add_path_option, output_ok

ORDER = 45
log = logging.getLogger("coregulate")

# (column, heading, format) of the printed table; the CSV has every column.
_PRINTED = (
    ("session_number", "#", "{:>2.0f}"),
    ("start_utc", "start (UTC)", "{:<20}"),
    ("ors_total_0to40", "ORS", "{:>5.1f}"),
    ("ors_change_from_intake_points", "ΔORS", "{:>+5.1f}"),
    ("srs_total_0to40", "SRS", "{:>5.1f}"),
    ("wai_sr_total_sum", "WAI-SR", "{:>6.0f}"),
    ("client_mean_hr_bpm", "HR c", "{:>5.1f}"),
    ("therapist_mean_hr_bpm", "HR t", "{:>5.1f}"),
    ("client_mean_arousal_index_z", "arous c", "{:>+7.2f}"),
    ("sync_hr_susy_es", "sync ES", "{:>+7.2f}"),
    ("ruptures_n", "rupt", "{:>4.0f}"),
    ("repairs_n", "rep", "{:>3.0f}"),
)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `history` parser."""
    parser = add_command(
        sub,
        "history",
        run,
        help="a client's SRS/ORS/WAI-SR and physiology across sessions",
        description="List a client's sessions (found by the pseudonymous client id recorded "
        "in each session file) with ORS (change from intake, reliable change of 5), SRS "
        "(concern at 36 or less), WAI-SR sums, session-level physiology, synchrony and "
        "rupture/repair counts. Optionally export the table as CSV or draw it.",
    )
    parser.add_argument("client_id", help="the pseudonymous client id")
    add_path_option(
        parser,
        "--folder",
        "folder searched for session files (default: your coregulate sessions folder)",
        metavar="DIR",
    )
    add_path_option(parser, "--csv", "write the per-session table", metavar="OUT")
    add_path_option(parser, "--plot", "draw the trends", metavar="PDF|PNG")


def _flags(row: dict[str, Any], prefix: str = "") -> str:
    """Return a client's flags (`prefix`: another client's columns, e.g. ``partner_``)."""
    out = []
    if row.get(f"{prefix}srs_concern"):
        out.append("SRS≤36")
    if row.get(f"{prefix}ors_clinically_significant"):
        out.append("ORS clin. signif. change")
    elif row.get(f"{prefix}ors_reliable_improvement"):
        out.append("ORS reliable +")
    if row.get(f"{prefix}ors_reliable_deterioration"):
        out.append("ORS reliable −")
    return ", ".join(out)


def _all_flags(row: dict[str, Any], others: list[str]) -> str:
    """Return the client's flags, then each other client's named (``partner: SRS≤36``)."""
    parts = [_flags(row)] + [f"{key}: {f}" for key in others if (f := _flags(row, f"{key}_"))]
    return "; ".join(p for p in parts if p)


def _cell(value: Any, spec: str) -> str:
    width = len(spec.format(0))
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–".rjust(width)
    return spec.format(value)


def _printed(others: list[str]) -> tuple[tuple[str, str, str], ...]:
    """Return the printed columns: each other client's own ORS and SRS after the client's."""
    extra = tuple(
        (
            f"{key}_{name}_total_0to40",
            f"{label} {key}",
            "{:>" + str(len(label) + 1 + len(key)) + ".1f}",
        )
        for key in others
        for name, label in (("ors", "ORS"), ("srs", "SRS"))
    )
    return _PRINTED[:5] + extra + _PRINTED[5:]


def format_table(rows: list[dict[str, Any]]) -> str:
    """Return the printed history table (a couple's: each partner's ORS and SRS too)."""
    from coregulate.review.history import other_clients

    others = other_clients(rows)
    printed = _printed(others)
    lines = ["  ".join(h.rjust(len(f.format(0))) for _, h, f in printed) + "  flags"]
    for row in rows:
        cells = "  ".join(_cell(row.get(k), f) for k, _, f in printed)
        lines.append(cells + "  " + _all_flags(row, others))
    return "\n".join(lines)


def _derived_note(args: argparse.Namespace) -> str:
    """Return why the client's files in the folder, if any, were not listed (derived ones)."""
    from coregulate.sessionfile.catalog import list_sessions

    entries = list_sessions(args.folder)[0].get(args.client_id, [])
    kinds = sorted({str(e.derived.get("kind", "derived")) for e in entries if e.derived})
    if not kinds:
        return ""
    n = sum(1 for e in entries if e.derived)
    return (
        f" ({n} file(s) of this client are derived ({', '.join(kinds)}): not sessions of "
        f"their own, so not in the history; `coregulate sessions {args.folder}` lists them, "
        "`coregulate report FILE` draws one)"
    )


def run(args: argparse.Namespace) -> int:
    """Run `coregulate history`; return the exit code."""
    from coregulate.review.history import client_history, write_csv
    from coregulate.sessionfile.catalog import find_client_sessions

    if args.folder is None:
        from platformdirs import user_data_path

        args.folder = user_data_path("coregulate", appauthor=False) / "sessions"
    if not args.folder.is_dir():
        log.error("%s is not a folder; give the folder of session files with --folder", args.folder)
        return ex.BAD_INPUT
    for out, kinds in ((args.csv, (".csv",)), (args.plot, (".pdf", ".png"))):
        if out is not None and out.suffix.lower() not in kinds:
            log.error("%s: use a %s file name", out, " or ".join(kinds))
            return ex.USAGE
    if not output_ok(args.csv, args.plot):
        return ex.CANNOT_CREATE
    paths, problems = find_client_sessions(args.client_id, args.folder)
    rows, more = client_history(paths)
    for problem in problems + more:
        log.warning("%s", problem)
    if not rows:
        log.error(
            "no session of client %r in %s%s", args.client_id, args.folder, _derived_note(args)
        )
        return ex.FAILED
    noun = "session" if len(rows) == 1 else "sessions"
    print(f"client {args.client_id}: {len(rows)} {noun} in {args.folder}")  # noqa: T201
    print(format_table(rows))  # noqa: T201 - the command's own output
    try:
        if args.csv:
            print(f"wrote {write_csv(rows, args.csv)}")  # noqa: T201
        if args.plot:
            from coregulate.review.history_plot import write_history_plot

            print(f"wrote {write_history_plot(rows, args.client_id, args.plot)}")  # noqa: T201
    except OSError as exc:
        log.error("cannot write %s: %s", exc.filename or "the output", exc.strerror or exc)
        return ex.WRITE_FAILED
    return ex.OK
