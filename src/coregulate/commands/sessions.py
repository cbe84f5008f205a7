"""`coregulate sessions`: the recorded sessions, listed per client."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, sessions_folder

ORDER = 30
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `sessions` parser."""
    p = add_command(
        sub,
        "sessions",
        run,
        help="list recorded sessions per client",
        description="List the session files in the per-user data folder (or FOLDER), "
        "grouped by pseudonymous client id, oldest first.",
    )
    p.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=None,
        help="folder of session files (default: the per-user data folder)",
    )
    p.add_argument("--client", metavar="ID", help="only this client's sessions")


def run(args: argparse.Namespace) -> int:
    """Run `coregulate sessions`; return the exit code."""
    from coregulate.sessionfile.catalog import list_sessions

    folder = args.folder or sessions_folder()
    if not folder.is_dir():
        if args.folder is not None:
            log.error("%s is not a folder", folder)
            return ex.BAD_INPUT
        print(f"no sessions recorded yet ({folder} does not exist)")  # noqa: T201
        return ex.OK
    by_client, unreadable = list_sessions(folder)
    clients = [args.client] if args.client else sorted(by_client)
    lines = []
    for client in clients:
        entries = by_client.get(client, [])
        lines.append(f"client {client}: {len(entries)} session(s)")
        for e in entries:
            start = e.start.strftime("%Y-%m-%d %H:%M") if e.start else "unknown start"
            lines.append(
                f"  {start}  {e.duration_s / 60:6.1f} min  therapist {e.therapist_id:<14} "
                f"{e.mode:<24} {e.path.name}"
            )
    for path, reason in unreadable:
        lines.append(f"unreadable: {path.name}: {reason}")
    print("\n".join(lines) if lines else f"no sessions in {folder}")  # noqa: T201
    return ex.OK
