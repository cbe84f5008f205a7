"""The known connection traps, through bleak's real API against bumble-emulated straps:
each strap comes back within seconds and the gap is recorded (issue 20 item 2)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from emulated_ble import EmulatedRadio, EmulatedStrap, wait_for
from emulated_traps import (
    DroppingStrap,
    ParameterUpdateStrap,
    StallingStrap,
    reject_parameter_updates,
)
from test_ble_source import FAST, Session, hrm

# "Within seconds": from the drop to streaming again, on the session clock.
BACK_WITHIN_S = 3.0
ADDRESS = "C1:00:00:00:00:07"


@contextlib.asynccontextmanager
async def beating(strap: EmulatedStrap, every_s: float = 0.3) -> AsyncIterator[None]:
    """Send a beat every `every_s` while the strap is connected (a heart keeps beating).

    Its RR interval is the time between notifications (300 ms: fast, but a heartbeat),
    so the beat timer places each beat where it arrived.
    """
    rr_ticks = round(every_s * 1024)

    async def run() -> None:
        while True:
            if strap.is_connected:
                with contextlib.suppress(Exception):
                    await strap.notify(hrm((rr_ticks,), hr=200))
            await asyncio.sleep(every_s)

    task = asyncio.create_task(run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def reconnect_delays_s(s: Session) -> list[float]:
    """Return, per drop, seconds from ``disconnected`` to the next ``streaming``."""
    delays: list[float] = []
    t_drop: int | None = None
    for topic, payload, t_ns in s.rec.sent:
        if topic != "status.client":
            continue
        if payload["status"] == "disconnected" and t_drop is None:
            t_drop = t_ns
        elif payload["status"] == "streaming" and t_drop is not None:
            delays.append((t_ns - t_drop) / 1e9)
            t_drop = None
    return delays


def gaps_recorded(s: Session) -> list[float]:
    """Return the ``gap_s`` of each streaming status that followed a drop."""
    return [
        p["gap_s"]
        for p in s.rec.payloads("status.client")
        if p["status"] == "streaming" and "gap_s" in p
    ]


async def started(strap: EmulatedStrap) -> tuple[EmulatedRadio, dict[str, EmulatedStrap]]:
    await strap.start()
    return strap.radio, {"client": strap}


async def radio() -> EmulatedRadio:
    r = EmulatedRadio()
    await r.power_on()
    return r


def test_strap_that_drops_at_a_fixed_time_comes_back_within_seconds() -> None:
    # Polar H10 on BlueZ drops 150 s after connecting (OpenHRV#39); here 0.6 s.
    async def main() -> None:
        strap = DroppingStrap(await radio(), ADDRESS, "Polar H10 0A1B2C3D", drop_after_s=1.0)
        r, straps = await started(strap)
        async with Session(r, straps) as s, beating(strap):
            await wait_for(lambda: s.sources["client"].connections >= 3, timeout_s=15)
            await wait_for(lambda: len(gaps_recorded(s)) >= 2)
            beats_before = len(s.rec.payloads("beat.client"))
            await wait_for(lambda: len(s.rec.payloads("beat.client")) > beats_before + 3)
        assert strap.drops >= 2
        delays = reconnect_delays_s(s)
        assert len(delays) >= 2 and max(delays) < BACK_WITHIN_S, delays
        gaps = gaps_recorded(s)
        assert all(0 < g < BACK_WITHIN_S for g in gaps), gaps
        # The first beat after each reconnection starts a new series: never bridged.
        beats = s.rec.payloads("beat.client")
        assert sum(b["gap_before"] for b in beats) >= 3  # the start and each return

    asyncio.run(main())


def test_strap_that_stalls_service_discovery_is_let_go_and_connected_again() -> None:
    # Windows after an unclean exit stalls at service discovery (bleakheart#5).
    async def main() -> None:
        strap = StallingStrap(await radio(), ADDRESS, "Polar H10 0A1B2C3D", stalls=2)
        r, straps = await started(strap)
        policy = replace(FAST, connect_timeout_s=0.5)
        async with Session(r, straps, policy=policy) as s, beating(strap):
            await wait_for(lambda: s.sources["client"].connections >= 1, timeout_s=10)
            await wait_for(lambda: len(s.rec.payloads("beat.client")) >= 3)
        assert strap.stalled == 2
        statuses = s.rec.payloads("status.client")
        # Each stalled attempt was reported with its reason, then given up on.
        errors = [p.get("error", "") for p in statuses if "error" in p]
        assert sum("timed out" in e for e in errors) == 2, errors
        client = [(p, t) for topic, p, t in s.rec.sent if topic == "status.client"]
        t_first = client[0][1]
        t_streaming = next(t for p, t in client if p["status"] == "streaming")
        # Two stalls of 0.5 s plus backoff: streaming within seconds, not never.
        assert (t_streaming - t_first) / 1e9 < 2 * 0.5 + BACK_WITHIN_S

    asyncio.run(main())


def test_strap_that_drops_after_a_rejected_parameter_update_comes_back() -> None:
    # A Polar H7 stops ~30 s after its connection-parameter request is rejected
    # (bluepy#53, gattlib#144); here 0.4 s.
    async def main() -> None:
        r = await radio()
        reject_parameter_updates(r)
        strap = ParameterUpdateStrap(r, ADDRESS, "Polar H7 1234", drop_s=0.4)
        r, straps = await started(strap)
        async with Session(r, straps) as s, beating(strap):
            await wait_for(lambda: s.sources["client"].connections >= 3, timeout_s=15)
            await wait_for(lambda: len(gaps_recorded(s)) >= 2)
        assert strap.rejections >= 2
        delays = reconnect_delays_s(s)
        assert len(delays) >= 2 and max(delays) < BACK_WITHIN_S, delays

    asyncio.run(main())
