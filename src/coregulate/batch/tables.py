"""Tidy tables of a batch for statistics tools: dyads and segments, Parquet and CSV.

`dyads` has one row per pair of the batch: ``dyad`` (its row number in the batch
CSV, from 1), ``session``, the input files, ``duration_s``, then every scalar of the
JSON summary flattened with ``_``: ``client_*``, ``therapist_*`` (per-person
summary), ``sync_*`` (synchrony, ``sync_series_*`` each series' final statistics),
``pseudo_*`` (the pseudo-pair null), and ``error`` for a pair that failed. Lists and
the analysis parameters (the same for every dyad, in the JSON) are left out.
`segments` has one row per segment per person and per dyad (`batch.segments`),
with ``dyad`` and ``session`` first. Sessions of any number of people (issue 19):
`people` has one row per person per session (``person`` = key, ``role``, then the
per-person summary), `pairs` one row per pair per session (``pair`` = ``a.b``,
``a``, ``b``, then ``sync_*``: positive lag = b leads; with ``--pseudo-pairs``
``pseudo_*``, the dyad's too), and a session of 3+ people adds ``group_*`` to its
`dyads` row. Units are in the column
names as in the JSON (docs/exports.md, "Tables").
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coregulate.signal.people import role_of

_PREFIXES = {"client": "client", "therapist": "therapist", "synchrony": "sync"}


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "params":  # the same for every dyad: in the JSON's `parameters`
                continue
            _flatten(f"{prefix}_{k}", v, out)
    elif not isinstance(value, list | tuple):
        out[prefix] = value


def session_name(result: dict[str, Any]) -> str:
    """Return the dyad's session label: the session file's name (the client's, for a pair)."""
    inputs = result.get("inputs") or {}
    job = result.get("job") or {}
    path = inputs.get("client") or job.get("session") or job.get("client") or ""
    return Path(str(path)).name


def dyad_row(number: int, result: dict[str, Any]) -> dict[str, Any]:
    """Return one row of `dyads` from a summary of `analyze --batch` (or its error)."""
    inputs = result.get("inputs") or {}
    job = result.get("job") or {}
    row: dict[str, Any] = {
        "dyad": number,
        "session": session_name(result),
        "client_file": inputs.get("client") or job.get("session") or job.get("client"),
        "therapist_file": inputs.get("therapist") or job.get("session") or job.get("therapist"),
        "duration_s": result.get("duration_s"),
        "error": result.get("error"),
    }
    for key, prefix in _PREFIXES.items():
        value = dict(result.get(key) or {})
        pseudo = value.pop("pseudo_pairs", None) if key == "synchrony" else None
        _flatten(prefix, value, row)
        if pseudo is not None:
            _flatten("pseudo", pseudo, row)
    if result.get("group") is not None:  # sessions of 3+ people: the group index
        _flatten("group", result["group"], row)
    return row


def people_table(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per person per session: ``dyad``, ``session``, ``person``, ``role``, ..."""
    return [
        {"dyad": n, "session": session_name(r), "person": key, "role": role_of(key)}
        | _flat(summary)
        for n, r in enumerate(results, start=1)
        for key, summary in (r.get("people") or {}).items()
    ]


def pair_table(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return one row per pair per session: ``dyad``, ``session``, ``pair`` (a.b), a, b, sync_*."""
    rows = []
    for n, r in enumerate(results, start=1):
        for entry in r.get("pairs") or []:
            entry = dict(entry)
            a, b = entry.pop("a"), entry.pop("b")
            # A group's pair holds its own null; a dyad's is in its `synchrony` (batch/pseudo.py).
            pseudo = entry.pop("pseudo_pairs", None)
            if r.get("group") is None:
                pseudo = (r.get("synchrony") or {}).get("pseudo_pairs")
            head = {"dyad": n, "session": session_name(r), "pair": f"{a}.{b}", "a": a, "b": b}
            rows.append(head | _flat(entry, "sync") | _flat(pseudo, "pseudo"))
    return rows


def _flat(value: dict[str, Any] | None, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (value or {}).items():
        _flatten(f"{prefix}_{k}" if prefix else k, v, out)
    return out


def segment_table(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return every dyad's segment rows with ``dyad`` and ``session`` in front."""
    return [
        {"dyad": n, "session": session_name(r), **seg}
        for n, r in enumerate(results, start=1)
        for seg in r.get("segments") or []
    ]


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for row in rows:
        names.update(dict.fromkeys(row))
    return list(names)


def _write(rows: list[dict[str, Any]], base: Path, fixed: list[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = _columns(rows) or fixed
    table = pa.table({n: pa.array([row.get(n) for row in rows]) for n in names})
    pq.write_table(table, base.with_suffix(".parquet"))
    with base.with_suffix(".csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=names, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)


def write_tables(folder: Path, results: list[dict[str, Any]]) -> list[Path]:
    """Write dyads.parquet/.csv and segments.parquet/.csv into `folder`; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    dyads = [dyad_row(n, r) for n, r in enumerate(results, start=1)]
    _write(dyads, folder / "dyads", ["dyad"])
    segments = segment_table(results)
    _write(segments, folder / "segments", ["dyad", "session", "source", "label"])
    _write(people_table(results), folder / "people", ["dyad", "session", "person", "role"])
    _write(pair_table(results), folder / "pairs", ["dyad", "session", "pair", "a", "b"])
    names = ("dyads", "segments", "people", "pairs")
    return [folder / f"{name}.{ext}" for name in names for ext in ("parquet", "csv")]
