"""The hub's side of replay (`coregulate.bus.replay`): one page of committed rows per request."""

from __future__ import annotations

from coregulate.bus.replay import PAGE_ROWS, ReplayRequest, reply_frames
from coregulate.recordings.store import SessionStore


def answer_replay(store: SessionStore, body: list[bytes]) -> list[bytes]:
    """Return the reply frames to the replay request `body` (raises EnvelopeError if malformed).

    Only committed rows are read, and the hub publishes only committed rows, so a
    stage that takes the replay and then the live stream sees every message once,
    in the file's order.
    """
    request = ReplayRequest.decode(body)
    upto_id = store.last_id() if request.upto_id is None else request.upto_id
    rows = store.rows_after(request.after_id, upto_id, PAGE_ROWS)
    return reply_frames(request, rows, upto_id)
