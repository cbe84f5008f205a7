"""Bus messages of simulated people's delivered beats, for feeding stages directly.

The benchmarks and tests of the group synchrony feed `SyncStage` without a hub or
straps: one `beat.<key>` message per second of each person's delivered beats (a new
message at every gap, as a notification after a reconnection), in time order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coregulate.bus.envelope import make_message

NS_PER_S = 1_000_000_000


def beat_messages(
    beats: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], source: str
) -> list[Any]:
    """Return one `beat.<key>` message per second of each person's beats, in time order.

    `beats` maps each key to its delivered (t_ns, rr_ms, gap_before) arrays; `source`
    names the publisher in the envelopes (each topic numbered from 1).
    """
    rows = []
    for key, (t_ns, rr_ms, gap) in beats.items():
        # A notification per second of beats, and a new one wherever a gap starts.
        notification = np.cumsum(gap) * 10**6 + t_ns // NS_PER_S
        for k in np.unique(notification):
            idx = np.flatnonzero(notification == k)
            t_list = t_ns[idx].tolist()
            payload = {
                "t_ns": t_list,
                "rr_ms": rr_ms[idx].tolist(),
                "gap_before": bool(gap[idx[0]]),
            }
            rows.append((t_list[-1], key, payload))
    rows.sort(key=lambda r: (r[0], r[1]))
    seq: dict[str, int] = {}
    msgs = []
    for t_last, key, payload in rows:
        topic = f"beat.{key}"
        seq[topic] = seq.get(topic, 0) + 1
        msgs.append(make_message(topic, source, seq[topic], t_last, payload))
    return msgs
