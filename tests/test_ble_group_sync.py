"""Issue 19's done-when through emulated straps over BLE: three people, lags and verdicts.

Three simulated people (client, partner, therapist; the therapist's slow heart rate
leads the client's by 2 s, strength 0.8; the partner is coupled to nobody) stream
through bleak's real API from bumble-emulated straps into a hub
(`ble_group_support.record_group_over_ble`), 25 minutes of session time at 30x.
`analyze` of that file must find what the simulation holds and what the same
simulation written offline gives: the coupled pair's lag within ±0.5 s of 2 s and
above chance, the uncoupled pairs not, and the same group index (beats are stamped
on arrival, so the BLE file's times carry the host's jitter; measured in
test_ble_people: median under 150 ms).

Measured (seed 4): over BLE client-therapist +1.75 s above chance, client-partner
-2.75 s and partner-therapist +2.25 s not above chance, group rho 0.699; offline the
same but partner-therapist +2.50 s, rho 0.699.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ble_group_support import record_group_over_ble
from coregulate.acquisition.simulator import Coupling, demo_group_config
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session

COUPLING = Coupling(leader="therapist", follower="client", lag_s=2.0, strength=0.8)
DURATION_S = 1500.0  # 25 min: 21 valid 30 s segments for a session verdict need 10.5


def test_three_people_over_ble_find_the_coupled_pair_and_only_it(tmp_path: Path) -> None:
    config = demo_group_config(3, seed=4, duration_s=DURATION_S, couplings=(COUPLING,))
    ble, _ = record_group_over_ble(tmp_path / "ble.sqlite", config, speed=30.0)
    offline = write_simulated_session(tmp_path / "offline.sqlite", config=config)
    over_ble, reference = analyze_files(ble).summary(), analyze_files(offline).summary()
    assert list(over_ble["people"]) == ["client", "partner", "therapist"]
    pairs = {(p["a"], p["b"]): p for p in over_ble["pairs"]}
    same = {(p["a"], p["b"]): p for p in reference["pairs"]}
    assert set(pairs) == {("client", "partner"), ("client", "therapist"), ("partner", "therapist")}
    coupled = pairs[("client", "therapist")]
    assert coupled["peak_lag_s"] == pytest.approx(2.0, abs=0.5)  # positive: b (therapist) leads
    assert coupled["above_chance"] is True
    for key in (("client", "partner"), ("partner", "therapist")):
        assert pairs[key]["above_chance"] is False, key
    for key, pair in pairs.items():  # BLE and offline agree pair by pair
        assert pair["above_chance"] == same[key]["above_chance"], key
        assert pair["peak_lag_s"] == pytest.approx(same[key]["peak_lag_s"], abs=0.5), key
    assert over_ble["group"]["value"] == pytest.approx(reference["group"]["value"], abs=0.03)
