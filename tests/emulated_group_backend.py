"""Emulated straps of a simulated group for a whole session's acquisition process.

`BleStrapSpec(key, address_of(i), backend="emulated_group_backend:backends")` makes the
session's acquisition process (spawned: it imports this module itself) talk to bumble-
emulated straps through bleak's real API. The straps power on when the first scan or
connection starts, and once every strap is connected each sends its person's simulated
notifications (`demo_group_config(n, seed, duration_s)`) at their simulated times,
`speed` times faster: set them with the environment variables below (read in the child).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from coregulate.acquisition.simulator import demo_group_config, simulate_group
from emulated_ble import EmulatedRadio, EmulatedStrap, _EmulatedClient, _EmulatedScanner

N_ENV = "COREGULATE_TEST_GROUP_N"
SEED_ENV = "COREGULATE_TEST_GROUP_SEED"
DURATION_ENV = "COREGULATE_TEST_GROUP_DURATION_S"
SPEED_ENV = "COREGULATE_TEST_GROUP_SPEED"
SUBSCRIBE_WAIT_S = 0.5  # after connecting, the host subscribes before data is sent


def address_of(place: int) -> str:
    """Return the emulated strap address of the person at `place` in the session."""
    return f"C1:00:00:00:01:{place + 1:02X}"


class _Group:
    """The radio, one strap per person and the task that feeds them their notifications."""

    def __init__(self) -> None:
        n = int(os.environ.get(N_ENV, "3"))
        seed = int(os.environ.get(SEED_ENV, "1"))
        duration_s = float(os.environ.get(DURATION_ENV, "60"))
        self.speed = float(os.environ.get(SPEED_ENV, "1"))
        self.sim = simulate_group(demo_group_config(n, seed=seed, duration_s=duration_s))
        self.radio: EmulatedRadio | None = None  # bumble needs the running loop: made there
        self.straps: dict[str, EmulatedStrap] = {}
        self._on: asyncio.Future[None] | None = None
        self._feeder: asyncio.Task[None] | None = None

    async def ensure_on(self) -> None:
        """Power the radio and straps on (once), and start feeding them."""
        if self._on is None:
            self._on = asyncio.ensure_future(self._power_on())
        await asyncio.shield(self._on)

    async def _power_on(self) -> None:
        self.radio = EmulatedRadio()
        self.straps = {
            key: EmulatedStrap(self.radio, address_of(i), f"Polar H10 {i:08X}")
            for i, key in enumerate(self.sim.config.keys)
        }
        GroupScanner.radio = GroupClient.radio = self.radio
        await self.radio.power_on()
        for strap in self.straps.values():
            await strap.start()
        self._feeder = asyncio.get_running_loop().create_task(self._feed())

    async def _feed(self) -> None:
        while not all(s.is_connected for s in self.straps.values()):
            await asyncio.sleep(0.02)
        await asyncio.sleep(SUBSCRIBE_WAIT_S)
        loop = asyncio.get_running_loop()
        t0_s = loop.time()
        for event in self.sim.events:
            if event.kind != "notification":
                continue  # a simulated drop: nothing is sent meanwhile
            delay_s = t0_s + event.arrival_ns / 1e9 / self.speed - loop.time()
            if delay_s > 0:
                await asyncio.sleep(delay_s)
            await self.straps[event.role].notify(event.data)


_GROUP: _Group | None = None


class GroupScanner(_EmulatedScanner):
    """The emulated scanner, on the group's radio once it is on."""

    async def start(self) -> None:
        await _group().ensure_on()
        await super().start()


class GroupClient(_EmulatedClient):
    """The emulated client, on the group's radio once it is on."""

    async def connect(self, *args: Any, **kwargs: Any) -> None:
        await _group().ensure_on()
        await super().connect(*args, **kwargs)


def _group() -> _Group:
    global _GROUP
    if _GROUP is None:
        _GROUP = _Group()
    return _GROUP


def backends() -> tuple[type, type]:
    """Return bleak's (scanner, client) backends on the group's emulated radio."""
    _group()  # simulated now, before the session clock runs
    return GroupScanner, GroupClient
