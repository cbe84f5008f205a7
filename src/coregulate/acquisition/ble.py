"""What the BLE modules share: GATT UUIDs, bleak backends, and plain-words Bluetooth errors.

This module, `ble_source.py` and `ble_scan.py` are the only ones that import bleak.
"""

from __future__ import annotations

import asyncio
import errno
import importlib
import weakref
from typing import Any, Final

from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError, BleakError
from bleak.uuids import normalize_uuid_16, normalize_uuid_str

from coregulate.acquisition import pmd

HEART_RATE_SERVICE: Final = normalize_uuid_16(0x180D)
HEART_RATE_MEASUREMENT: Final = normalize_uuid_16(0x2A37)
BATTERY_SERVICE: Final = normalize_uuid_16(0x180F)
BATTERY_LEVEL: Final = normalize_uuid_16(0x2A19)
# Polar Measurement Data service (Polar BLE SDK, "PMD"): control point and data.
PMD_SERVICE: Final = normalize_uuid_str(pmd.PMD_SERVICE_UUID)
PMD_CONTROL: Final = normalize_uuid_str(pmd.PMD_CONTROL_UUID)
PMD_DATA: Final = normalize_uuid_str(pmd.PMD_DATA_UUID)

Backends = tuple[Any, Any]  # (BaseBleakScanner subclass, BaseBleakClient subclass) or Nones


class BluetoothUnavailableError(RuntimeError):
    """No usable Bluetooth on this machine; the text says why and what to do."""


def resolve_backends(name: str | None) -> Backends:
    """Return ``(scanner_backend, client_backend)`` for bleak's ``backend=``.

    `name` is ``"module:attribute"`` naming a callable that returns the pair, or None
    for the platform's own stack (bleak chooses: BlueZ, CoreBluetooth, WinRT).
    """
    if name is None:
        return (None, None)
    module_name, _, attr = name.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    scanner, client = factory()
    return (scanner, client)


_NO_BLUETOOTH_HINT: Final = (
    "check that this computer has Bluetooth (a USB Bluetooth 4.0+ dongle works), "
    "that it is switched on, and on Linux that the bluetooth service runs "
    "(`systemctl status bluetooth`) and you may use it (group `bluetooth`)"
)


def explain_unavailable(exc: BaseException) -> str | None:
    """Return what to tell the user if `exc` means "no usable Bluetooth", else None."""
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reason = exc.reason.name.replace("_", " ").lower()
        return f"Bluetooth is not available ({reason}): {_NO_BLUETOOTH_HINT}"
    if isinstance(exc, BleakDBusError):
        if exc.dbus_error in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NoReply",
        ):
            return f"the Bluetooth service (BlueZ) is not running: {_NO_BLUETOOTH_HINT}"
        if exc.dbus_error in ("org.bluez.Error.NotReady", "org.bluez.Error.Failed"):
            return "Bluetooth is switched off: switch it on (`bluetoothctl power on`) and retry"
        if exc.dbus_error.endswith("AccessDenied") or exc.dbus_error.endswith("NotPermitted"):
            return f"not permitted to use Bluetooth: {_NO_BLUETOOTH_HINT}"
        return None
    if isinstance(exc, PermissionError):
        return f"not permitted to use Bluetooth ({exc.strerror}): {_NO_BLUETOOTH_HINT}"
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOENT, errno.ECONNREFUSED)
    ):
        # BlueZ is reached over the D-Bus system bus; its socket is missing or refused.
        return (
            f"no Bluetooth stack found (the D-Bus system bus is not reachable): "
            f"{_NO_BLUETOOTH_HINT}"
        )
    if isinstance(exc, BleakError) and "adapter" in str(exc).lower():
        return f"no Bluetooth adapter found ({exc}): {_NO_BLUETOOTH_HINT}"
    return None


# One connection attempt at a time per event loop: BlueZ refuses a second LE connect
# while one is pending ("InProgress"), and other stacks serialize them anyway.
_connect_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def connect_lock() -> asyncio.Lock:
    """Return the lock that serializes connection attempts in the running loop."""
    loop = asyncio.get_running_loop()
    lock = _connect_locks.get(loop)
    if lock is None:
        lock = _connect_locks[loop] = asyncio.Lock()
    return lock
