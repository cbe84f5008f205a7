"""Emulated straps that reproduce the connection traps real users hit (issue 20).

Each is an `EmulatedStrap` (bumble, behind bleak's real API) with one known failure:

- `DroppingStrap`: drops the link a fixed time after each connection, then advertises
  again at once: the Polar H10/H9 on Linux/BlueZ that drops exactly 150 s after
  connecting (JanCBrammer/OpenHRV#39). Tests use a short `drop_after_s`.
- `StallingStrap`: answers nothing to service discovery on its first `stalls`
  connections, so the host's connect (which includes discovery) never finishes:
  Windows after an unclean exit (bleakheart#5), H10 firmware 4.0.4 during service
  enumeration (polar-ble-sdk#774).
- `ParameterUpdateStrap`: asks the host for new connection parameters over L2CAP as
  soon as it is connected; when the host rejects them it drops the link `drop_s`
  later: the Polar H7 that stops after ~30 s (IanHarvey/bluepy#53, labapart/gattlib#144).
  `reject_parameter_updates(radio)` makes the emulated host reject them.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from bumble import l2cap
from bumble.device import Connection

from emulated_ble import EmulatedRadio, EmulatedStrap


class DroppingStrap(EmulatedStrap):
    """A strap that drops every connection `drop_after_s` after it began."""

    def __init__(self, *args: Any, drop_after_s: float, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.drop_after_s = drop_after_s
        self.drops = 0

    def _on_connection(self, connection: Connection) -> None:
        super()._on_connection(connection)
        asyncio.get_running_loop().create_task(self._drop_later(connection))

    async def _drop_later(self, connection: Connection) -> None:
        await asyncio.sleep(self.drop_after_s)
        if connection in self.device.connections.values():
            self.drops += 1
            with contextlib.suppress(Exception):
                await connection.disconnect()


class StallingStrap(EmulatedStrap):
    """A strap whose GATT server ignores service discovery on its first `stalls` links."""

    def __init__(self, *args: Any, stalls: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.stalls_left = stalls
        self.stalled = 0

    def _on_connection(self, connection: Connection) -> None:
        super()._on_connection(connection)
        server = self.device.gatt_server
        if self.stalls_left > 0:
            self.stalls_left -= 1
            self.stalled += 1
            # An instance attribute shadows the handler bumble looks up by name: the
            # primary-service discovery request is swallowed, the host waits forever.
            server.on_att_read_by_group_type_request = lambda _bearer, _pdu: None
        else:
            server.__dict__.pop("on_att_read_by_group_type_request", None)


class ParameterUpdateStrap(EmulatedStrap):
    """A strap that asks for new connection parameters and drops `drop_s` after a no."""

    def __init__(self, *args: Any, drop_s: float, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.drop_s = drop_s
        self.rejections = 0

    def _on_connection(self, connection: Connection) -> None:
        super()._on_connection(connection)
        asyncio.get_running_loop().create_task(self._ask(connection))

    async def _ask(self, connection: Connection) -> None:
        await asyncio.sleep(0.05)  # after the host's own setup began, as real straps do
        try:
            await self.device.update_connection_parameters(
                connection, 7.5, 15.0, 0, 6000.0, use_l2cap=True
            )
            return
        except Exception:  # bumble's ConnectionParameterUpdateError: the host said no
            self.rejections += 1
        await asyncio.sleep(self.drop_s)
        if connection in self.device.connections.values():
            with contextlib.suppress(Exception):
                await connection.disconnect()


def reject_parameter_updates(radio: EmulatedRadio) -> None:
    """Make the emulated host reject every L2CAP connection-parameter update request."""
    manager = radio.central.l2cap_channel_manager

    def reject(connection: Connection, cid: int, request: Any) -> None:
        manager.send_control_frame(
            connection,
            cid,
            l2cap.L2CAP_Connection_Parameter_Update_Response(
                identifier=request.identifier,
                result=l2cap.L2CAP_CONNECTION_PARAMETERS_REJECTED_RESULT,
            ),
        )

    manager.on_l2cap_connection_parameter_update_request = reject
