"""Chest straps emulated in-process with bumble, behind bleak's real API.

`EmulatedRadio` is a bumble `LocalLink` with one central device (the host's
adapter). `EmulatedStrap`s on the same link are complete BLE peripherals: they
advertise a name and the Heart Rate Service, accept connections, serve bumble's
`HeartRateService` and `BatteryService` (and optionally a Polar-PMD-like service),
and can drop the link and stay away. `radio.backends()` returns bleak backend
classes (`BaseBleakScanner`, `BaseBleakClient` subclasses) bound to the radio, so
``BleakScanner(backend=...)`` and ``BleakClient(device, backend=...)`` really scan,
connect, discover, read, write and receive notifications over the emulated link.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, ClassVar

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError
from bleak.uuids import normalize_uuid_str
from bumble import gatt
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection, Device, Peer
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.profiles.battery_service import BatteryService
from bumble.profiles.heart_rate_service import HeartRateService
from bumble.transport.common import AsyncPipeSink

from coregulate.acquisition import pmd
from coregulate.acquisition.pmd_acc import START_ACC_200HZ, TYPE_ACC

CENTRAL_ADDRESS = "F0:F0:F0:F0:F0:F0"
ADVERTISING_INTERVAL_MS = 20  # short, so scans in tests find straps at once


def _bleak_uuid(uuid: UUID) -> str:
    return normalize_uuid_str(uuid.to_hex_str("-"))


def _make_device(link: LocalLink, address: str, name: str) -> Device:
    controller = Controller(name, link=link, public_address=address)
    device = Device(address=Address(address), host=Host(controller, AsyncPipeSink(controller)))
    device.name = name
    return device


_PROPERTY_NAMES = {
    gatt.Characteristic.Properties.BROADCAST: "broadcast",
    gatt.Characteristic.Properties.READ: "read",
    gatt.Characteristic.Properties.WRITE_WITHOUT_RESPONSE: "write-without-response",
    gatt.Characteristic.Properties.WRITE: "write",
    gatt.Characteristic.Properties.NOTIFY: "notify",
    gatt.Characteristic.Properties.INDICATE: "indicate",
}


class EmulatedRadio:
    """A bumble link with the host's central device; straps join it."""

    def __init__(self) -> None:
        self.link = LocalLink()
        self.central = _make_device(self.link, CENTRAL_ADDRESS, "host")
        self._scanners: set[BaseBleakScanner] = set()
        self._scanning = False
        self.straps: dict[str, EmulatedStrap] = {}
        self.central.on("advertisement", self._on_advertisement)

    async def power_on(self) -> None:
        """Start the host's emulated controller."""
        await self.central.power_on()

    def _on_advertisement(self, adv: Any) -> None:
        name = adv.data.get(AdvertisingData.COMPLETE_LOCAL_NAME)
        uuids: list[str] = []
        for group in adv.data.get_all(AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS):
            uuids += [_bleak_uuid(u) for u in (group if isinstance(group, list) else [group])]
        address = adv.address.to_string(False)
        data = AdvertisementData(
            local_name=name,
            manufacturer_data={},
            service_data={},
            service_uuids=sorted(set(uuids)),
            tx_power=None,
            rssi=adv.rssi,
            platform_data=(adv,),
        )
        for scanner in list(self._scanners):
            if not scanner.is_allowed_uuid(data.service_uuids):
                continue
            device = scanner.create_or_update_device(address, address, name, adv, data)
            scanner.call_detection_callbacks(device, data)

    async def _add_scanner(self, scanner: BaseBleakScanner) -> None:
        self._scanners.add(scanner)
        if not self._scanning:
            self._scanning = True
            await self.central.start_scanning(filter_duplicates=False)

    async def _remove_scanner(self, scanner: BaseBleakScanner) -> None:
        self._scanners.discard(scanner)
        if not self._scanners and self._scanning:
            self._scanning = False
            await self.central.stop_scanning()

    def backends(self) -> tuple[type[BaseBleakScanner], type[BaseBleakClient]]:
        """Return bleak backend classes that use this radio."""
        radio = self
        scanner = type("EmulatedScanner", (_EmulatedScanner,), {"radio": radio})
        client = type("EmulatedClient", (_EmulatedClient,), {"radio": radio})
        return scanner, client


class _EmulatedScanner(BaseBleakScanner):
    radio: ClassVar[EmulatedRadio]

    def __init__(
        self,
        detection_callback: Any = None,
        service_uuids: list[str] | None = None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)

    async def start(self) -> None:
        self.seen_devices = {}
        await self.radio._add_scanner(self)

    async def stop(self) -> None:
        await self.radio._remove_scanner(self)


class _EmulatedClient(BaseBleakClient):
    radio: ClassVar[EmulatedRadio]

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.get("disconnected_callback"),
            timeout=kwargs.get("timeout", 10.0),
        )
        self._name = (
            address_or_ble_device.name if isinstance(address_or_ble_device, BLEDevice) else None
        )
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._proxies: dict[int, Any] = {}
        self._mtu = 23

    @property
    def name(self) -> str:
        return self._name or self.address

    @property
    def mtu_size(self) -> int:
        return self._mtu

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        try:
            connection = await self.radio.central.connect(
                Address(self.address), timeout=self._timeout
            )
        except Exception as exc:  # bumble raises its own timeout and HCI errors
            raise BleakError(f"emulated connect to {self.address} failed: {exc}") from exc
        self._connection = connection
        connection.on("disconnection", self._on_disconnection)
        self._peer = Peer(connection)
        # Like BlueZ and CoreBluetooth, exchange a large ATT MTU at once: an ECG frame
        # (230 bytes) does not fit the default 23.
        self._mtu = await self._peer.request_mtu(247)
        await self._peer.discover_all()
        self.services = self._collect_services(self._peer)

    def _on_disconnection(self, _reason: int) -> None:
        self._connection = None
        self._peer = None
        if self._disconnected_callback is not None:
            self._disconnected_callback()

    def _collect_services(self, peer: Peer) -> BleakGATTServiceCollection:
        services = BleakGATTServiceCollection()
        for sp in peer.services:
            service = BleakGATTService(sp, sp.handle, _bleak_uuid(sp.uuid))
            services.add_service(service)
            for cp in sp.characteristics:
                props = [n for flag, n in _PROPERTY_NAMES.items() if cp.properties & flag]
                char = BleakGATTCharacteristic(
                    cp, cp.handle, _bleak_uuid(cp.uuid), props, lambda: self._mtu - 3, service
                )
                services.add_characteristic(char)
                self._proxies[cp.handle] = cp
                for dp in cp.descriptors:
                    services.add_descriptor(
                        BleakGATTDescriptor(dp, dp.handle, _bleak_uuid(dp.type), char)
                    )
        return services

    def _require_peer(self) -> Peer:
        if self._peer is None:
            raise BleakError("not connected")
        return self._peer

    async def disconnect(self) -> None:
        if self._connection is not None:
            connection = self._connection
            # A disconnect we asked for is not reported through the callback.
            connection.remove_listener("disconnection", self._on_disconnection)
            self._connection = None
            self._peer = None
            with contextlib.suppress(Exception):
                await connection.disconnect()

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kw: Any
    ) -> bytearray:
        return bytearray(await self._require_peer().read_value(characteristic.obj))

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kw: Any
    ) -> bytearray:
        return bytearray(await self._require_peer().read_value(descriptor.handle))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        await self._require_peer().write_value(characteristic.obj, bytes(data), response)

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._require_peer().write_value(descriptor.handle, bytes(data), True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kw: Any
    ) -> None:
        await self._require_peer().subscribe(
            characteristic.obj, lambda value: callback(bytearray(value))
        )

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        await self._require_peer().unsubscribe(characteristic.obj)


class EmulatedStrap:
    """A strap on the emulated link: advertises, serves HR, battery and optionally PMD.

    Parameters
    ----------
    radio
        The link to join.
    address
        Its BLE address (random static: first byte C0..FF).
    name
        The advertised name (``Polar H10 A1B2C3D4``).
    battery_pct
        Initial battery level.
    pmd_error
        With `with_pmd`, the control point error code its start-ECG response carries.
    acc_error
        The error code of its start-ACC response; None: the same as `pmd_error`.
    """

    def __init__(
        self,
        radio: EmulatedRadio,
        address: str,
        name: str,
        *,
        battery_pct: int = 90,
        with_pmd: bool = False,
        pmd_error: int = 0,
        acc_error: int | None = None,
    ) -> None:
        self.radio = radio
        self.address = address
        self.name = name
        self.battery_pct = battery_pct
        self.device = _make_device(radio.link, address, name)
        self.hrs = HeartRateService(read_heart_rate_measurement=lambda _c: None)
        self.battery = BatteryService(lambda _c: self.battery_pct)
        self.device.add_services([self.hrs, self.battery])
        self.pmd_error = pmd_error
        self.acc_error = pmd_error if acc_error is None else acc_error
        self.pmd_commands: list[bytes] = []
        self.ecg_started = asyncio.Event()
        self.acc_started = asyncio.Event()
        if with_pmd:
            self._add_pmd()
        self.connected = asyncio.Event()
        self.away = False
        self.device.on("connection", self._on_connection)
        radio.straps[address] = self

    def _add_pmd(self) -> None:
        self.pmd_control = gatt.Characteristic(
            pmd.PMD_CONTROL_UUID,
            gatt.Characteristic.Properties.READ
            | gatt.Characteristic.Properties.WRITE
            | gatt.Characteristic.Properties.INDICATE,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(read=lambda _c: b"\x0f\x01\x00", write=self._on_pmd_write),
        )
        self.pmd_data = gatt.Characteristic(
            pmd.PMD_DATA_UUID,
            gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.Permissions(0),
            b"",
        )
        self.device.add_service(
            gatt.Service(pmd.PMD_SERVICE_UUID, [self.pmd_control, self.pmd_data])
        )

    def _on_pmd_write(self, _connection: Connection, value: bytes) -> None:
        self.pmd_commands.append(bytes(value))
        acc = len(value) > 1 and value[1] == TYPE_ACC
        error = self.acc_error if acc else self.pmd_error
        reply = bytes((pmd.RESPONSE_CODE, value[0], value[1], error, 0))
        asyncio.get_running_loop().create_task(self._indicate(reply))
        if value == pmd.START_ECG_130HZ and error == 0:
            self.ecg_started.set()
        if value == START_ACC_200HZ and error == 0:
            self.acc_started.set()

    async def _indicate(self, reply: bytes) -> None:
        await self.device.indicate_subscribers(self.pmd_control, reply)

    def _on_connection(self, connection: Connection) -> None:
        self.connected.set()
        connection.on("disconnection", self._on_disconnection)

    def _on_disconnection(self, _reason: int) -> None:
        # A strap advertises again as soon as the host lets go, unless it went away.
        if not self.away:
            asyncio.get_running_loop().create_task(self.advertise())

    async def start(self) -> None:
        """Power on and advertise (name and the Heart Rate Service)."""
        await self.device.power_on()
        await self.advertise()

    async def advertise(self) -> None:
        """Start advertising (again): the strap is in range and free."""
        adv = AdvertisingData(
            [
                (AdvertisingData.COMPLETE_LOCAL_NAME, self.name.encode()),
                (
                    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                    bytes(UUID.from_16_bits(0x180D)),
                ),
            ]
        )
        await self.device.start_advertising(
            advertising_data=bytes(adv),
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
        )

    @property
    def is_connected(self) -> bool:
        """Return True while the host is connected."""
        return bool(self.device.connections)

    async def notify(self, payload: bytes) -> None:
        """Send one Heart Rate Measurement notification, exactly these bytes."""
        await self.device.notify_subscribers(
            self.hrs.heart_rate_measurement_characteristic, payload
        )

    async def notify_ecg(self, frame: bytes) -> None:
        """Send one PMD data notification."""
        await self.device.notify_subscribers(self.pmd_data, frame)

    async def go_away(self) -> None:
        """Drop the link and stop advertising: out of range until `come_back`."""
        self.away = True
        self.connected.clear()
        self.ecg_started.clear()
        self.acc_started.clear()
        with contextlib.suppress(Exception):
            await self.device.stop_advertising()
        for connection in list(self.device.connections.values()):
            with contextlib.suppress(Exception):
                await connection.disconnect()

    async def come_back(self) -> None:
        """Be in range again: advertise, so the host can reconnect."""
        self.away = False
        await self.advertise()


async def wait_for(predicate: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Wait until `predicate()` is true, polling the loop; fail after `timeout_s`."""
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.005)
