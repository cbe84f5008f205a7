"""Find nearby heart-rate straps: name, address, signal strength, battery, ECG support.

A scan listens for advertisements for a few seconds and keeps devices that
advertise the Heart Rate Service (0x180D) or Polar's PMD service, or whose name
is a known strap's. The battery level and PMD support are only readable over a
connection, so each strap found is then connected briefly, one at a time (a strap
already connected to another phone or program will not answer: its battery shows
as unknown).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass
from typing import Any

from bleak import BleakClient, BleakScanner

from coregulate.acquisition.ble import (
    BATTERY_LEVEL,
    HEART_RATE_SERVICE,
    PMD_CONTROL,
    PMD_SERVICE,
    Backends,
    BluetoothUnavailableError,
    explain_unavailable,
)

log = logging.getLogger(__name__)

# Name prefixes of straps that may not list 0x180D in their advertisement.
KNOWN_STRAP_NAMES = ("Polar", "HRM", "TICKR", "Garmin", "Wahoo", "COOSPO", "Decathlon", "H10")


@dataclass(frozen=True, slots=True)
class FoundStrap:
    """One strap seen by a scan."""

    address: str
    name: str | None
    rssi_dbm: int | None
    heart_rate_service: bool
    polar_pmd: bool
    battery_pct: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the strap as JSON-ready fields."""
        return asdict(self)


def _is_strap(name: str | None, service_uuids: list[str]) -> bool:
    uuids = {u.lower() for u in service_uuids}
    if HEART_RATE_SERVICE in uuids or PMD_SERVICE in uuids:
        return True
    return bool(name) and any(name.lower().startswith(p.lower()) for p in KNOWN_STRAP_NAMES)


async def scan_straps(
    timeout_s: float = 5.0,
    *,
    read_details: bool = True,
    connect_timeout_s: float = 10.0,
    backends: Backends = (None, None),
) -> list[FoundStrap]:
    """Return the straps advertising nearby, strongest signal first.

    Raises
    ------
    BluetoothUnavailableError
        If there is no usable Bluetooth (no adapter, stack not running, switched off,
        not permitted); its text says what to do.
    """
    scanner_backend, client_backend = backends
    try:
        seen = await BleakScanner.discover(timeout_s, return_adv=True, backend=scanner_backend)
    except Exception as exc:
        explained = explain_unavailable(exc)
        if explained is None:
            raise
        raise BluetoothUnavailableError(explained) from exc
    found = []
    for device, adv in seen.values():
        name = adv.local_name or device.name
        if not _is_strap(name, adv.service_uuids):
            continue
        uuids = {u.lower() for u in adv.service_uuids}
        strap = FoundStrap(
            address=device.address,
            name=name,
            rssi_dbm=adv.rssi,
            heart_rate_service=HEART_RATE_SERVICE in uuids,
            polar_pmd=PMD_SERVICE in uuids,
        )
        if read_details:
            strap = await _read_details(device, strap, connect_timeout_s, client_backend)
        found.append(strap)
    return sorted(found, key=lambda s: -(s.rssi_dbm if s.rssi_dbm is not None else -999))


async def _read_details(
    device: Any, strap: FoundStrap, timeout_s: float, client_backend: Any
) -> FoundStrap:
    """Return `strap` with its battery and services read over a short connection."""
    client = BleakClient(device, timeout=timeout_s, backend=client_backend)
    try:
        await asyncio.wait_for(client.connect(), timeout_s)
    except Exception as exc:  # any failure only means "details unknown"
        log.info("could not connect to %s for its battery level: %s", strap.address, exc)
        return strap
    try:
        services = client.services
        battery = None
        if services.get_characteristic(BATTERY_LEVEL) is not None:
            value = await client.read_gatt_char(BATTERY_LEVEL)
            battery = int(value[0]) if len(value) >= 1 and value[0] <= 100 else None
        return FoundStrap(
            address=strap.address,
            name=strap.name,
            rssi_dbm=strap.rssi_dbm,
            heart_rate_service=strap.heart_rate_service
            or services.get_service(HEART_RATE_SERVICE) is not None,
            polar_pmd=strap.polar_pmd or services.get_characteristic(PMD_CONTROL) is not None,
            battery_pct=battery,
        )
    except Exception as exc:
        log.info("could not read details of %s: %s", strap.address, exc)
        return strap
    finally:
        with contextlib.suppress(Exception):
            await client.disconnect()


async def check_bluetooth(backends: Backends = (None, None), listen_s: float = 0.5) -> None:
    """Return once a short scan shows Bluetooth is usable.

    Raises
    ------
    BluetoothUnavailableError
        If it is not; the text says what to do.
    """
    await scan_straps(listen_s, read_details=False, backends=backends)
