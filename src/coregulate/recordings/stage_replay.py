"""A stage's input replayed from a file, with the signal stage's metrics made when none were kept.

`coregulate sync FILE` replays a file's messages through the synchrony stage as the
hub delivered them live. That stage takes beats *and* each person's `metrics.*`
(which beats the artifact correction kept), so a file without live metrics (an
import, a simulation) gave no window at all: "a gap in someone's data within the
window" at every step. For such a file the signal stage runs here over the same
recorded messages and its updates follow each message that made them, as they
follow it on the bus. Such a file was never in a hub's order either: an import or
a simulation is written one person after the other, and replayed in that order the
second person's beats all came "late" for the grid. Its messages go in session
time instead (the offline pipeline's order, `pipeline._run_chain`), ties in file
order.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from coregulate.bus.envelope import Message, make_message
from coregulate.recordings.summary import session_info
from coregulate.sessionfile.access import last_time_ns, read_messages
from coregulate.signal.dyad import DEFAULT_BASELINE_S
from coregulate.stages.registry import stage_spec


def has_live_metrics(path: str | os.PathLike[str]) -> bool:
    """Return True if the file holds any `metrics.*` message a live signal stage published."""
    return last_time_ns(path, ("metrics.",)) is not None


def stage_inputs(
    path: str | os.PathLike[str],
    topics: tuple[str, ...],
    people: tuple[str, ...],
    derive: bool = False,
) -> Iterator[Message]:
    """Yield the file's messages of `topics` in recorded order, or with computed metrics.

    `people` are the session's keys. With `derive` (for a file without live
    metrics, whose stages never ran: the caller knows), the messages go in time
    order, a fresh signal stage (the session's baseline length) is fed those of its
    own topics, and its updates are yielded right after the message that made them.
    """
    if not derive:
        yield from read_messages(path, topics)
        return
    baseline_s = float(session_info(path).get("baseline_s", DEFAULT_BASELINE_S))
    options = {"people": people} if len(people) > 2 else {}
    signal = stage_spec("signal").make("signal", baseline_s=baseline_s, **options)
    seqs: dict[str, int] = {}
    recorded = read_messages(path, tuple(topics) + tuple(signal.topics))
    for msg in sorted(recorded, key=lambda m: m.t_ns):  # stable: ties keep file order
        if msg.topic.startswith(topics):
            yield msg
        if not msg.topic.startswith(tuple(signal.topics)):
            continue
        for out in signal.update(msg):
            seqs[out.topic] = seqs.get(out.topic, 0) + 1
            yield make_message(out.topic, "signal", seqs[out.topic], out.t_ns, out.payload)
