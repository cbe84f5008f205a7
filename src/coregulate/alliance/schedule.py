"""Which rating forms are due, and which of the client's sessions this is.

ORS at the start of every session, SRS at the end, and the WAI-SR at the end of
every N-th session (N configurable, default 4: an early alliance reading at session
4 and then every four sessions; 0 turns it off). The session number counts the
client's sessions in the session file's folder, so the window's end-of-session
panel and `coregulate rate` agree on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from coregulate.alliance.instruments import ORS, SRS, WAI_SR, Instrument

WAI_SR_EVERY_N_SESSIONS: Final = 4  # sessions between WAI-SR readings; 0: never


def forms_due(
    phase: str, session_number: int, wai_every: int = WAI_SR_EVERY_N_SESSIONS
) -> list[Instrument]:
    """Return the instruments to give at `phase` ("start" or "end") of session `session_number`.

    Session numbers count from 1 per client.
    """
    if phase == "start":
        return [ORS]
    if phase == "end":
        due = [SRS]
        if wai_every > 0 and session_number % wai_every == 0:
            due.append(WAI_SR)
        return due
    return []


def session_number(session_file: Path | None, client_id: str) -> int | None:
    """Return the client's number for the session in `session_file`, None if unknown.

    The number is 1 + the client's sessions in the same folder that started
    earlier (by the calendar time each file records). Without a file or a client
    id the number is unknown.
    """
    if session_file is None or not client_id:
        return None
    # Imported here: the catalogue reads session files, which rating entry needs only now.
    from coregulate.review.history import find_client_sessions, session_start_ns

    session_file = Path(session_file)
    paths, _ = find_client_sessions(client_id, session_file.parent)
    start = session_start_ns(session_file) or 0
    return 1 + sum(1 for p in paths if p != session_file and (session_start_ns(p) or 0) < start)
