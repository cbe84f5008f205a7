"""What the session's supervisor restarted, and what each restart cost, read from the file.

The session records each restart as a `status.supervisor` message (process, exit
code, how many restarts). A restarted hub or stage loses nothing (producers resend,
stages take what they missed from the hub's replay of the file); a restarted
straps' process does: the straps' notifications between the death and the restart
were never received. The summary says so, per person, with the times.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from typing import Final

from coregulate.bus.envelope import TOPIC_HRM
from coregulate.sessionfile.access import read_messages

SUPERVISOR_TOPIC: Final = "status.supervisor"
# A pause between notifications shorter than this is a strap's own rhythm, not a loss.
_NOTIFICATION_GAP_NS: Final = 2_000_000_000


def clock_text(t_ns: int) -> str:
    """Return a session time as h:mm:ss."""
    s = max(0, int(t_ns) // 1_000_000_000)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def restart_lines(path: str | os.PathLike[str]) -> list[str]:
    """Return one line per recorded restart, saying what it lost (nothing, or a strap gap)."""
    restarts = [m for m in read_messages(path, (SUPERVISOR_TOPIC,)) if m.topic == SUPERVISOR_TOPIC]
    if not restarts:
        return []
    arrivals: dict[str, list[int]] = {}
    for msg in read_messages(path, (TOPIC_HRM + ".",)):
        arrivals.setdefault(msg.role or "?", []).append(msg.t_ns)
    for times in arrivals.values():
        times.sort()
    lines = []
    for msg in restarts:
        body = msg.json()
        name = body.get("process", "?")
        line = (
            f"the {name} process died (exit code {body.get('exit_code')}) and was restarted "
            f"at {clock_text(msg.t_ns)}"
        )
        if name != "acquisition":
            lines.append(f"{line}; nothing lost (recomputed or resent from the file)")
            continue
        gaps = [_gap_text(role, times, msg.t_ns) for role, times in sorted(arrivals.items())]
        lines.append(f"{line}; NOT RECORDED meanwhile: {', '.join(gaps)}")
    return lines


def _gap_text(role: str, times: list[int], restart_ns: int) -> str:
    """Return the role's stretch without notifications around `restart_ns`."""
    i = bisect_left(times, restart_ns)
    before = times[i - 1] if i else 0
    if i == len(times):
        return f"{role} from {clock_text(before)} on"
    after = times[i]
    if after - before < _NOTIFICATION_GAP_NS:
        return f"{role} nothing"
    return f"{role} {clock_text(before)}-{clock_text(after)} ({(after - before) / 1e9:.1f} s)"
