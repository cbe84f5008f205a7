"""`coregulate monitor`: roles from the command line, the last pair remembered."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from coregulate.acquisition import ble_scan
from coregulate.cli import main
from coregulate.commands._last_pair import last_pair_path, load_last_pair
from coregulate.recordings.store import read_messages
from coregulate.recordings.summary import integrity_ok


@pytest.fixture(autouse=True)
def _config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_monitor_without_straps_asks_for_them(caplog: pytest.LogCaptureFixture) -> None:
    assert main(["monitor", "--headless"]) == 2
    assert "give --client and --therapist" in caplog.text


def test_monitor_with_simulated_straps_records_and_remembers_the_pair(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    args = ["monitor", "--client", "sim", "--therapist", "sim", "--headless"]
    assert main([*args, "--duration", "60", "--speed", "60", "--out", str(out)]) == 0
    assert integrity_ok(out)
    beats = {r: list(read_messages(out, (f"beat.{r}",))) for r in ("client", "therapist")}
    assert all(len(b) > 30 for b in beats.values())
    assert load_last_pair() == {"client": "sim", "therapist": "sim"}
    mode = stat.S_IMODE(last_pair_path().stat().st_mode)
    assert mode == 0o600, oct(mode)
    # Next time the pair need not be typed.
    again = tmp_path / "again.sqlite"
    assert (
        main(["monitor", "--headless", "--duration", "30", "--speed", "60", "--out", str(again)])
        == 0
    )
    session = next(iter(read_messages(again, ("session",)))).json()
    assert session["mode"] == "live (simulated straps)"
    assert (session["client_id"], session["therapist_id"]) == ("client", "therapist")


def test_monitor_with_a_real_strap_and_no_bluetooth_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    async def no_bluetooth(*args: object, **kwargs: object) -> None:
        raise ble_scan.BluetoothUnavailableError("no Bluetooth adapter found")

    monkeypatch.setattr(ble_scan, "check_bluetooth", no_bluetooth)
    out = tmp_path / "s.sqlite"
    args = ["monitor", "--client", "Polar H10", "--therapist", "sim", "--headless"]
    assert main([*args, "--out", str(out)]) == 3
    assert "no Bluetooth adapter found" in caplog.text and "'sim'" in caplog.text
    assert not out.exists()
    assert load_last_pair() == {}  # a pair that could not run is not remembered


def test_monitor_refuses_speed_with_real_straps_and_one_strap_for_two(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert main(["monitor", "--client", "AA:BB", "--therapist", "sim", "--speed", "2"]) == 2
    assert "--speed needs both straps simulated" in caplog.text
    assert main(["monitor", "--client", "Polar H10", "--therapist", "polar h10"]) == 2
    assert "same strap" in caplog.text


@pytest.mark.parametrize("flag", ["--client-id", "--therapist-id"])
def test_monitor_refuses_an_id_the_start_dialog_would_refuse(
    flag: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # One pseudonym rule (coregulate.clients): a name-like id never reaches a file.
    args = ["monitor", "--client", "sim", "--therapist", "sim", "--headless"]
    assert main([*args, flag, "J.Doe", "--out", str(tmp_path / "s.sqlite")]) == 2
    assert f"{flag}: 'J.Doe' is not a pseudonymous id" in caplog.text
    assert not (tmp_path / "s.sqlite").exists()
