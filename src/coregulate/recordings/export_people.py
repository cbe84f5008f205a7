"""The CSV files a session of 3-6 people adds to its export: people, each pair, the group.

The tables every export has (`export.py`) already hold each person's rows under
their key (`role` column: `client`, `partner`, ...). A session of more than two
people adds `people.csv` (key, role, pseudonymous id), one
`synchrony_<a>.<b>.csv` per pair (the columns of `synchrony.csv`, from the pair's
topic `sync.<a>.<b>`; a positive lag means `b` leads) and `synchrony_group.csv`
(the group index per step, `sync.group`). A two-person export is unchanged.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coregulate.sessionfile.access import SessionFileError, read_session_payload
from coregulate.signal.people import (
    SYNC_GROUP_TOPIC,
    PeopleError,
    Person,
    pairs,
    people_from_session,
    sync_topic,
)

# The rows the export may read: JSON payloads that parse (as `export.open_parseable`).
_PARSEABLE = "(enc != 'json' OR json_valid(CAST(payload AS TEXT)))"
_PAIR_SQL = (
    "SELECT source, json_extract(p, '$.series'), json_extract(p, '$.final'), t_ns, t_ns / 1e9, "
    "json_extract(p, '$.window.peak_r'), json_extract(p, '$.window.peak_z'), "
    "json_extract(p, '$.window.peak_lag_s'), json_extract(p, '$.summary.mean_peak_z'), "
    "json_extract(p, '$.summary.median_peak_lag_s'), json_extract(p, '$.susy.z.es'), p "
    "FROM (SELECT source, t_ns, CAST(payload AS TEXT) AS p FROM main.messages "
    f"WHERE topic = ? AND {_PARSEABLE}) ORDER BY 2, t_ns"
)
_GROUP_SQL = (
    "SELECT source, t_ns, t_ns / 1e9, json_extract(p, '$.index'), json_extract(p, '$.value'), "
    "json_extract(p, '$.window_s'), json_extract(p, '$.chance_95'), "
    "json_extract(p, '$.above_chance'), json_extract(p, '$.n_coupled_pairs_above_chance'), "
    "json_extract(p, '$.people'), p "
    "FROM (SELECT source, t_ns, CAST(payload AS TEXT) AS p FROM main.messages "
    f"WHERE topic = ? AND {_PARSEABLE}) "
    # One row per step: the session's final message repeats the last step (its
    # summary is `analyze`'s `group`).
    "WHERE json_extract(p, '$.final') IS NOT 1 ORDER BY t_ns"
)
GROUP_HEADER = [
    "source",
    "t_ns",
    "t_s",
    "index",
    "value",
    "window_s",
    "chance_95",
    "above_chance",
    "n_coupled_pairs_above_chance",
    "people_json",
    "payload_json",
]

README_PEOPLE = """
This session has {n} people ({keys}): every table's `role` column names the
person by key; `people.csv` gives each key's role and pseudonymous id.
`synchrony_<a>.<b>.csv` holds pair (a, b)'s synchrony, with the columns of
synchrony.csv (positive lag = b leads); `synchrony_group.csv` the group index per
step (`index` names it, `value`, its chance level `chance_95`, `above_chance`).
"""


def session_people(path: Path) -> tuple[Person, ...]:
    """Return the people of a session file (an older file: the dyad); SessionFileError if bad."""
    try:
        return people_from_session(read_session_payload(path))
    except PeopleError as exc:
        raise SessionFileError(f"{path}: {exc}") from exc


Table = Callable[[list[list[Any]], list[str]], bytes]
Write = Callable[[Path, bytes], None]


def write_people_csv(
    db: sqlite3.Connection,
    out: Path,
    people: tuple[Person, ...],
    sync_header: list[str],
    table: Table,
    write: Write,
) -> list[Path]:
    """Write people.csv, each pair's and the group's synchrony into `out`; return the files."""
    files = {"people.csv": table([[p.key, p.role, p.id] for p in people], ["key", "role", "id"])}
    for a, b in pairs(people):
        rows = [list(r) for r in db.execute(_PAIR_SQL, (sync_topic(a, b, len(people)),))]
        files[f"synchrony_{a}.{b}.csv"] = table(rows, sync_header)
    rows = [list(r) for r in db.execute(_GROUP_SQL, (SYNC_GROUP_TOPIC,))]
    files["synchrony_group.csv"] = table(rows, GROUP_HEADER)
    written = []
    for name, data in files.items():
        write(out / name, data)
        written.append(out / name)
    return written
