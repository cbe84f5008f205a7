"""Simulated straps on the session clock: ACC interleaved, and no strap starves another."""

from __future__ import annotations

import asyncio
import time

from coregulate.acquisition.process import run_sources
from coregulate.acquisition.specs import SimulatedStrapSpec, make_source, prepare
from coregulate.clock import SessionClock


class _Sent:
    """A producer that keeps what is sent, in order."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, int]] = []

    def send(self, topic: str, payload: object, t_ns: int, enc: str | None = None) -> None:
        self.messages.append((topic, t_ns))

    async def pump_forever(self) -> None:
        await asyncio.Event().wait()


def test_straps_that_start_late_catch_up_together() -> None:
    """Behind the clock, two straps' events still come interleaved, as a host receives them.

    The acquisition process may get the session clock late (a busy machine at
    --speed 100 with --acc). Catching up alone, the first strap used to send its whole
    backlog before the second strap's first event: in `demo --acc --duration 600
    --speed 100` the therapist's beats reached the sync stage 54-107 s of session
    time behind the client's (its settle_s is 20 s: those values were late).
    """
    specs = [SimulatedStrapSpec(role, 1, 120.0, acc=True) for role in ("client", "therapist")]
    for spec in specs:
        prepare(spec)
    # The session started 60 s (of session time) before the straps could run.
    clock = SessionClock(time.monotonic_ns() - 600_000_000, time.time_ns(), 100.0)
    sent = _Sent()
    asyncio.run(run_sources([make_source(spec, clock) for spec in specs], sent, clock))  # type: ignore[arg-type]
    newest_ns, behind_s = 0, 0.0
    for topic, t_ns in sent.messages:
        newest_ns = max(newest_ns, t_ns)
        if topic.startswith(("beat.", "acc.")):  # (breath.: held back by disconnections)
            behind_s = max(behind_s, (newest_ns - t_ns) / 1e9)
    roles = {topic.split(".", 1)[1] for topic, _ in sent.messages if topic.startswith("beat.")}
    assert roles == {"client", "therapist"}
    assert behind_s < 5.0, behind_s  # was 60 s: the whole backlog of one strap first
