"""`coregulate scan`: emulated straps are found; a machine without Bluetooth is told so."""

from __future__ import annotations

import asyncio
import json

import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason

from coregulate.acquisition import ble_scan
from coregulate.acquisition.ble import BluetoothUnavailableError
from coregulate.acquisition.ble_scan import FoundStrap, scan_straps
from coregulate.cli import main
from coregulate.commands.scan import format_table
from emulated_ble import EmulatedRadio, EmulatedStrap


def test_scan_finds_both_straps_with_battery_and_ecg_support() -> None:
    async def run() -> list[FoundStrap]:
        radio = EmulatedRadio()
        await radio.power_on()
        straps = [
            EmulatedStrap(
                radio, "C1:00:00:00:00:01", "Polar H10 0A1B2C3D", battery_pct=64, with_pmd=True
            ),
            EmulatedStrap(radio, "C1:00:00:00:00:02", "TICKR 5E6F", battery_pct=12),
        ]
        for strap in straps:
            await strap.start()
        return await scan_straps(0.2, backends=radio.backends())

    found = {s.address: s for s in asyncio.run(run())}
    assert set(found) == {"C1:00:00:00:00:01", "C1:00:00:00:00:02"}
    polar, tickr = found["C1:00:00:00:00:01"], found["C1:00:00:00:00:02"]
    assert (polar.name, polar.battery_pct, polar.polar_pmd) == ("Polar H10 0A1B2C3D", 64, True)
    assert (tickr.name, tickr.battery_pct, tickr.polar_pmd) == ("TICKR 5E6F", 12, False)
    assert polar.heart_rate_service and tickr.heart_rate_service
    assert isinstance(polar.rssi_dbm, int)
    table = format_table([polar, tickr])
    assert table.splitlines()[0].split() == ["NAME", "ADDRESS", "RSSI", "BATTERY", "ECG"]
    assert "64 %" in table and "12 %" in table


class _NoBluetooth:
    """Stands in for BleakScanner on a machine whose D-Bus socket is missing."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    async def discover(self, *args: object, **kwargs: object) -> None:
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (FileNotFoundError(2, "No such file or directory"), "no Bluetooth stack found"),
        (
            BleakBluetoothNotAvailableError("off", BleakBluetoothNotAvailableReason.POWERED_OFF),
            "powered off",
        ),
        (PermissionError(13, "Permission denied"), "not permitted"),
    ],
)
def test_scan_without_bluetooth_says_so_and_exits_3(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    exc: BaseException,
    words: str,
) -> None:
    monkeypatch.setattr(ble_scan, "BleakScanner", _NoBluetooth(exc))
    assert main(["scan", "--timeout", "0.1"]) == 3
    assert words in caplog.text and "Traceback" not in caplog.text
    assert capsys.readouterr().out == ""
    assert main(["scan", "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["straps"] == [] and words in out["error"]


def test_unexplained_errors_are_not_hidden_as_missing_bluetooth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ble_scan, "BleakScanner", _NoBluetooth(ValueError("a bug")))
    with pytest.raises(ValueError, match="a bug"):
        asyncio.run(scan_straps(0.1))
    monkeypatch.setattr(ble_scan, "BleakScanner", _NoBluetooth(FileNotFoundError(2, "x")))
    with pytest.raises(BluetoothUnavailableError):
        asyncio.run(scan_straps(0.1))


def test_scan_json_lists_straps(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    strap = FoundStrap("C1:00:00:00:00:01", "Polar H10 0A1B2C3D", -60, True, True, 80)

    async def fake_scan(*args: object, **kwargs: object) -> list[FoundStrap]:
        return [strap]

    monkeypatch.setattr(ble_scan, "scan_straps", fake_scan)
    assert main(["scan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"straps": [strap.to_dict()]}
    assert main(["scan"]) == 0
    assert "Polar H10 0A1B2C3D" in capsys.readouterr().out
