"""The hub's replay from the session file: what a stage missed, by sequence, in recorded order.

A subscriber misses what the hub publishes before its subscription reaches the hub:
a stage that starts or restarts, or one that reconnects to a restarted hub. The hub
is the one reader of the file it writes, so a stage asks it, on the same input
socket producers use, for every committed message of its topics that it has not
taken (per stream: above the last seq it took), in the order the hub recorded
them. The hub publishes only what it has committed, so that order is also the order
in which every subscriber received the rest: a stage's derived output then equals
what a clean run gives on the same file (`coregulate sync`).

Wire format (docs/protocol.md, "Replay"), all frames after the ROUTER identity:

- request: ``[REPLAY_REQUEST, {"topics": [prefix, ...], "have": [[source, topic,
  mark, [seq above mark, ...]], ...], "after_id": int, "upto_id": int | null}]``:
  the stage holds every seq up to `mark` and those listed of each stream
- reply: ``[REPLAY_REPLY, {"from_id": int, "after_id": int, "upto_id": int,
  "done": bool}, topic, header, payload, ...]``, one page of at most `PAGE_ROWS`
  rows scanned; the client asks again from ``after_id`` until ``done``. ``upto_id``
  (fixed by the first page) is where the replay ends: the newest committed row when
  it began.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import zmq

from coregulate.bus.envelope import EnvelopeError, Message, decode_frames
from coregulate.bus.sequences import SeqSet

log = logging.getLogger(__name__)

REPLAY_REQUEST: Final = b"replay?"
REPLAY_REPLY: Final = b"replay"
PAGE_ROWS: Final = 2000  # rows the hub scans per request: a few ms of its loop
MAX_REQUEST_BYTES: Final = 1 << 20  # "have" lists every stream a stage took

StreamKey = tuple[str, str]  # (source, topic)


class ReplayUnavailable(Exception):
    """The hub did not answer a replay request in time."""


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    """What a stage asks the hub for (see the module docstring)."""

    topics: tuple[str, ...]
    have: Mapping[StreamKey, SeqSet]
    after_id: int = 0
    upto_id: int | None = None

    def frames(self) -> list[bytes]:
        """Return the request's frames (after the identity the ROUTER adds)."""
        body = {
            "topics": list(self.topics),
            "have": [[s, t, q.mark, sorted(q.above)] for (s, t), q in self.have.items()],
            "after_id": self.after_id,
            "upto_id": self.upto_id,
        }
        return [REPLAY_REQUEST, json.dumps(body).encode()]

    @classmethod
    def decode(cls, frames: list[bytes]) -> ReplayRequest:
        """Return the request carried by `frames`; raise EnvelopeError("replay") otherwise."""
        try:
            if len(frames) != 2 or len(frames[1]) > MAX_REQUEST_BYTES:
                raise ValueError("not a replay request")
            body = json.loads(frames[1])
            topics = tuple(str(t) for t in body["topics"])
            have = {
                (str(s), str(t)): SeqSet(int(mark), {int(q) for q in above})
                for s, t, mark, above in body["have"]
            }
            upto = body.get("upto_id")
            return cls(topics, have, int(body["after_id"]), None if upto is None else int(upto))
        except (KeyError, TypeError, ValueError, RecursionError) as exc:
            raise EnvelopeError(f"malformed replay request: {exc}", "frames") from exc

    def wanted(self, source: str, topic: str, seq: int) -> bool:
        """Return True if the row (source, topic, seq) is one the stage has not taken."""
        held = self.have.get((source, topic))
        return topic.startswith(self.topics) and (held is None or not held.has(seq))


def reply_frames(
    request: ReplayRequest, rows: Iterable[tuple[int, str, str, int, bytes, bytes]], upto_id: int
) -> list[bytes]:
    """Return the reply page to `request` from committed `rows` (id, source, topic, seq, ...)."""
    frames: list[bytes] = []
    last_id = request.after_id
    n = 0
    for row_id, source, topic, seq, header, payload in rows:
        n += 1
        last_id = row_id
        if request.wanted(source, topic, seq):
            frames += [topic.encode("ascii"), bytes(header), bytes(payload)]
    done = n < PAGE_ROWS or last_id >= upto_id
    head = {"from_id": request.after_id, "after_id": last_id, "upto_id": upto_id, "done": done}
    return [REPLAY_REPLY, json.dumps(head).encode(), *frames]


class ReplayClient:
    """Asks the hub for what a stage missed; one DEALER socket of its own.

    A request the hub does not answer within `attempt_s` (it died, or is
    restarting) is sent again until `timeout_s`: replies are matched to the page
    they answer, so a late duplicate answer is ignored.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        context: zmq.Context | None = None,
        attempt_s: float = 2.0,
        timeout_s: float = 60.0,
    ) -> None:
        self._sock = (context or zmq.Context.instance()).socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.connect(endpoint)
        self.attempt_s = attempt_s
        self.timeout_s = timeout_s
        # The newest row the last finished replay covered: everything up to it the
        # caller now holds or does not want, so the next replay may start there.
        self.covered_id = 0

    def messages(
        self, topics: Iterable[str], have: Mapping[StreamKey, SeqSet], after_id: int = 0
    ) -> Iterator[Message]:
        """Yield every committed message of `topics` not in `have`, in the hub's recorded order.

        Rows up to `after_id` are skipped (pass `covered_id` when `have` holds all
        that an earlier replay yielded). Raises ReplayUnavailable if the hub stays
        silent for `timeout_s`.
        """
        held = {key: SeqSet(seqs.mark, set(seqs.above)) for key, seqs in have.items()}
        request = ReplayRequest(tuple(topics), held, after_id)
        while True:
            head, frames = self._ask(request)
            for i in range(0, len(frames), 3):
                try:
                    yield decode_frames(frames[i : i + 3])
                except EnvelopeError as exc:  # the hub stored it, so this is a bug
                    log.error("skipped an unreadable replayed message: %s", exc)
            if head["done"]:
                self.covered_id = max(self.covered_id, int(head["upto_id"]))
                return
            request = ReplayRequest(request.topics, request.have, head["after_id"], head["upto_id"])

    def _ask(self, request: ReplayRequest) -> tuple[dict[str, Any], list[bytes]]:
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            self._sock.send_multipart(request.frames())
            attempt_end = time.monotonic() + self.attempt_s
            while (left_ms := int((attempt_end - time.monotonic()) * 1000)) > 0:
                if not self._sock.poll(left_ms, zmq.POLLIN):
                    break
                frames = self._sock.recv_multipart()
                if len(frames) < 2 or frames[0] != REPLAY_REPLY:
                    continue
                head = json.loads(frames[1])
                if head.get("from_id") == request.after_id:
                    return head, frames[2:]
            log.warning("the hub did not answer a replay request; asking again")
        raise ReplayUnavailable(f"the hub did not answer a replay request for {self.timeout_s:g} s")

    def close(self) -> None:
        """Close the socket."""
        self._sock.close(linger=0)
