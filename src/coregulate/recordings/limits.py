"""What a session file can hold, and the check that a file to analyse is within it.

A session holds at most 48 h of session time (`signal/dyad.SESSION_T_LIMIT_NS`):
the hub refuses later times and `coregulate import` refuses longer files. At 300 bpm
(an RR of 200 ms, the shortest heartbeat interval) that is 864,000 beats per person.
A file with more (written by hand, or by a tool without these checks) would make
`analyze` run for minutes and take gigabytes (issue 15: 10 million beats, > 300 s,
10.6 GB), so it is refused in one line before any work.
"""

from __future__ import annotations

import os
from typing import Final

from coregulate.sessionfile.access import SessionFileError, open_readonly
from coregulate.signal.dyad import SESSION_T_LIMIT_NS

MAX_BEATS_PER_PERSON: Final = SESSION_T_LIMIT_NS // 1_000_000_000 * 5  # 48 h at 300 bpm

_BEATS_PER_ROLE = """
SELECT substr(topic, 6), sum(CASE WHEN json_valid(CAST(payload AS TEXT))
    THEN json_array_length(CAST(payload AS TEXT), '$.t_ns') ELSE 0 END)
FROM messages WHERE topic >= 'beat.' AND topic < 'beat/' GROUP BY topic"""


def check_within_limits(path: str | os.PathLike[str]) -> None:
    """Raise SessionFileError if a person's beats in `path` exceed what a session holds."""
    db = open_readonly(path)
    try:
        counts = {role: int(n or 0) for role, n in db.execute(_BEATS_PER_ROLE)}
    finally:
        db.close()
    for role, n in sorted(counts.items()):
        if n > MAX_BEATS_PER_PERSON:
            raise SessionFileError(
                f"{path} holds {n} beats of the {role}, more than a session can "
                f"({MAX_BEATS_PER_PERSON}: 48 h at 300 bpm); analyze refuses it: split the "
                "recording and import each part"
            )
