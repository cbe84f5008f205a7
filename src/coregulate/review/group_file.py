"""A recorded session of 3-6 people read back for the report: its pairs and group synchrony.

The live sync stage publishes each pair under `sync.<a>.<b>` and the group index
under `sync.group` (`signal/people.py`); `coregulate report FILE` draws them as
`analyze --report` draws the offline pipeline's (`review.from_analysis`).
"""

from __future__ import annotations

import os
from typing import Any

from coregulate.review.group_data import GroupSeries, group_series
from coregulate.review.session_data import SyncSeries, sync_series
from coregulate.sessionfile.access import read_messages
from coregulate.signal.people import SYNC_GROUP_TOPIC, pair_of_topic, pairs
from coregulate.signal.synchrony.group_offline import no_verdict_reason


def group_summary_of(last: dict[str, Any], n_pairs: int) -> dict[str, Any]:
    """Return the analysis' `group` keys the page reads, from the newest live group update."""
    summary, session = last.get("summary") or {}, last.get("session") or {}
    unavailable = dict(last.get("unavailable") or {})
    if session.get("above_chance") is None and "above_chance" not in unavailable:
        need = (last.get("params") or {}).get("chance_min_blocks", "more")
        window_s = last.get("window_s")
        length = float(window_s) if isinstance(window_s, int | float) else float("nan")
        unavailable["above_chance"] = no_verdict_reason(session, length, need)
    return {
        "index": last.get("index"),
        "window_s": last.get("window_s"),
        "value": summary.get("mean_value"),
        "share_windows_above_chance": summary.get("share_above_chance"),
        "above_chance": session.get("above_chance"),
        "p_above_chance": session.get("p_above_chance"),
        "unavailable": unavailable,
        "n_coupled_pairs_above_chance": last.get("n_coupled_pairs_above_chance"),
        "n_pairs": n_pairs,
    }


def read_group(
    path: str | os.PathLike[str], keys: tuple[str, ...]
) -> tuple[dict[tuple[str, str], SyncSeries], GroupSeries | None]:
    """Return every pair's HR synchrony (session order) and the group index a file recorded."""
    updates: dict[tuple[str, str], list[dict[str, Any]]] = {pair: [] for pair in pairs(keys)}
    finals: dict[tuple[str, str], dict[str, Any]] = {}
    group: list[dict[str, Any]] = []
    group_final: dict[str, Any] | None = None
    for msg in read_messages(path, ("sync.",)):
        payload = msg.json()
        if msg.topic == SYNC_GROUP_TOPIC:
            if payload.get("final"):  # the last step again, with the session's summary
                group_final = payload
            else:
                group.append(payload)
            continue
        pair = pair_of_topic(msg.topic, keys)
        if pair is None or payload.get("series") != "hr_bpm":
            continue
        if payload.get("final"):
            finals[pair] = payload
        else:
            updates[pair].append(payload)
    out = {}
    for pair, pair_updates in updates.items():
        series = sync_series(pair_updates, finals.get(pair))
        if series is not None:
            out[pair] = series
    summary = group_summary_of(group[-1], len(updates)) if group else None
    if group_final is not None and isinstance(group_final.get("session_summary"), dict):
        summary = group_final["session_summary"]  # what `analyze` says of the session
    return out, group_series(group, summary)
