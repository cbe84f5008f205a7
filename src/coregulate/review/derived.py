"""What a file without live metrics shows: the offline pipeline's messages, from its beats.

A live session's file holds every message its stages published, and the report and
the review window read those. An imported recording (`coregulate import`, a lab's RR
files) or a simulated one holds the beats only: read as recorded, its report drew
empty plots and said "no synchrony (it needs the beats of both people)" although
both people's beats were there, and the review window showed nothing at all. For
such a file both now use what `coregulate analyze` computes from the beats, the same
stages over the same beats (docs/protocol.md: the payloads equal the live ones, but
for the "no signal" updates, which need the live order of messages), and say so.
"""

from __future__ import annotations

import logging
import os

from coregulate.bus.envelope import Message, make_message
from coregulate.recordings.analysis import Analysis, analyze_files

log = logging.getLogger(__name__)

DERIVED_SOURCE = "analyze"  # the `src` of the messages computed here
DERIVED_NOTE = "metrics and synchrony computed from the recorded beats (no live metrics in file)"


def derived_analysis(path: str | os.PathLike[str], parallel: bool = False) -> Analysis:
    """Return `coregulate analyze`'s analysis of the file (in this process unless `parallel`).

    `parallel` lets the analysis fork a worker, as `analyze` does: never in a
    process with a QApplication (docs/architecture.md). Raises SessionFileError (or
    OSError) as `analyze_files` does, e.g. for a file without beats.
    """
    # Said on the terminal: the window or the page waits a few seconds per recorded hour.
    log.warning(
        "%s holds no live metrics: computing metrics and synchrony from its beats, as "
        "`coregulate analyze` does",
        os.path.basename(os.fspath(path)),
    )
    return analyze_files(path, parallel=parallel)


def derived_messages(analysis: Analysis) -> list[Message]:
    """Return the analysis's stage outputs (`metrics.*`, `sync*`) as bus messages, in time."""
    messages = []
    result = analysis.result
    for topic, payloads in result.outputs.items():
        times = result.output_t_ns.get(topic, [])
        for seq, (payload, t_ns) in enumerate(zip(payloads, times, strict=True), start=1):
            messages.append(make_message(topic, DERIVED_SOURCE, seq, int(t_ns), payload))
    messages.sort(key=lambda m: m.t_ns)
    return messages
