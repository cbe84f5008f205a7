"""`coregulate analyze` of sessions of 3-4 people: people, every pair, the group (issue 19)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session

CLI = [sys.executable, "-m", "coregulate.cli"]
# The demo group's couplings (acquisition/_sim_group.py, DEMO_GROUP_COUPLINGS): the
# therapist leads the client by 2 s and the co-therapist leads the partner by 3 s;
# the four other pairs are independent. Pair (a, b): positive lag = b leads.
COUPLED = {("client", "therapist"): 2.0, ("partner", "co-therapist"): 3.0}


@pytest.fixture(scope="module")
def four_people_hour(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("group") / "four.sqlite"
    return write_simulated_session(path, 1, 3600.0, n_people=4)


def test_a_three_person_file_gives_people_pairs_and_group(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "three.sqlite", 2, 300.0, n_people=3)
    out = tmp_path / "three.json"
    done = subprocess.run(
        [*CLI, "analyze", str(path), "--json", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(out.read_text())
    assert list(summary["people"]) == ["client", "partner", "therapist"]
    assert all(p["n_beats"] > 300 for p in summary["people"].values())
    assert [(p["a"], p["b"]) for p in summary["pairs"]] == [
        ("client", "partner"),
        ("client", "therapist"),
        ("partner", "therapist"),
    ]
    assert {p["lag_sign"] for p in summary["pairs"]} == {"positive = b leads"}
    assert all("peak_lag_s" in p and "above_chance" in p for p in summary["pairs"])
    assert summary["group"]["people"] == ["client", "partner", "therapist"]
    assert summary["group"]["n_pairs"] == 3
    # The dyad's keys belong to two-person files only.
    assert not {"client", "therapist", "synchrony"} & set(summary)


def test_a_two_person_file_keeps_its_keys_and_gains_its_one_pair(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "dyad.sqlite", seed=3, duration_s=300.0)
    summary = analyze_files(path).summary()
    assert summary["people"] == {"client": summary["client"], "therapist": summary["therapist"]}
    (pair,) = summary["pairs"]
    assert (pair["a"], pair["b"], pair["lag_sign"]) == ("client", "therapist", "positive = b leads")
    dyad = {k: v for k, v in summary["synchrony"].items() if k != "lag_sign"}
    assert {k: v for k, v in pair.items() if k not in ("a", "b", "lag_sign")} == dyad
    assert summary["synchrony"]["lag_sign"] == "positive = therapist leads"
    assert summary["group"] is None


def test_every_pair_of_a_four_person_hour_is_found_or_not_as_simulated(
    four_people_hour: Path,
) -> None:
    analysis = analyze_files(four_people_hour)
    summary = analysis.summary()
    assert len(summary["pairs"]) == 6
    for pair in summary["pairs"]:
        key = (pair["a"], pair["b"])
        if key in COUPLED:
            assert pair["peak_lag_s"] == pytest.approx(COUPLED[key], abs=0.5), key
            assert pair["above_chance"] is True, key
        else:
            assert pair["above_chance"] is False, key
    assert summary["group"]["n_coupled_pairs_above_chance"] == 2
    group = summary["group"]
    assert group["index"] == "cluster_phase_rho" and group["above_chance"] is True
    assert 0 < group["value"] < 1 and group["n_pairs"] == 6
    # Each pair's updates are published under its own topic, naming the pair.
    updates = analysis.result.outputs["sync.partner.co-therapist"]
    assert updates and all(u["pair"] == ["partner", "co-therapist"] for u in updates)
    # Every person's metrics (the stages run for the session's people), every pair's slow series.
    assert all(analysis.result.outputs[f"metrics.{key}"] for key in summary["people"])
    assert all("ln_rmssd" in p["series"] for p in summary["pairs"])
    assert "sync" not in analysis.result.outputs


@pytest.mark.parametrize("n", [4, 6])
def test_the_group_pipeline_gives_the_same_result_on_one_core(tmp_path: Path, n: int) -> None:
    from coregulate.recordings.group_pipeline import forked_pairs

    # Four people: the other core takes every pair and the group; six: 13 of 15 pairs.
    assert forked_pairs(4, 6) == 6 and forked_pairs(6, 15) == 13
    path = write_simulated_session(tmp_path / "group.sqlite", 4, 240.0, n_people=n)
    forked = analyze_files(path, parallel=True)
    alone = analyze_files(path, parallel=False)
    assert json.dumps(forked.summary(), sort_keys=True) == json.dumps(
        alone.summary(), sort_keys=True
    )
    assert forked.result.outputs["sync.group"] == alone.result.outputs["sync.group"]
    assert forked.summary()["group"]["n_windows"] > 0


def test_a_malformed_people_list_is_refused_in_one_line(tmp_path: Path) -> None:
    from coregulate.bus.envelope import TOPIC_SESSION
    from coregulate.recordings.writer import SessionWriter

    path = tmp_path / "bad.sqlite"
    with SessionWriter(path, "acq") as writer:
        writer.send(TOPIC_SESSION, {"people": [{"key": "Client!"}, {"key": "x"}]}, 0)
    done = subprocess.run([*CLI, "analyze", str(path)], capture_output=True, text=True)
    assert done.returncode == BAD_INPUT
    assert "Client!" in done.stderr and "Traceback" not in done.stderr


def test_two_people_of_other_keys_are_a_pair_without_the_dyads_keys(tmp_path: Path) -> None:
    import numpy as np

    from coregulate.recordings.import_people import merge_recordings, parse_people
    from coregulate.recordings.importers import read_rr_list
    from coregulate.recordings.importing import write_import

    rng = np.random.default_rng(7)
    specs = []
    for key in ("partner-a", "partner-b"):
        rr = 800 + 40 * np.sin(np.arange(600) / 9) + rng.normal(0, 10, 600)
        (tmp_path / f"{key}.txt").write_text("\n".join(f"{v:.0f}" for v in rr) + "\n")
        specs.append(f"{key}={tmp_path / f'{key}.txt'}")
    people, files = parse_people(specs)
    recording = merge_recordings({k: read_rr_list(p, k) for k, p in files.items()})
    path = write_import(recording, tmp_path / "s.sqlite", "test", people=people)
    analysis = analyze_files(path)
    summary = analysis.summary()
    assert list(summary["people"]) == ["partner-a", "partner-b"]
    assert [(p["a"], p["b"]) for p in summary["pairs"]] == [("partner-a", "partner-b")]
    assert summary["group"] is None and "client" not in summary
    # Two people publish their pair as `sync`, naming no pair (as a live dyad).
    assert analysis.result.outputs["sync"] and not any(
        "pair" in u for u in analysis.result.outputs["sync"]
    )


def test_pairs_and_group_equal_the_synchrony_packages_offline_path(tmp_path: Path) -> None:
    # Reference: signal.synchrony.group_synchrony (group19), the offline path whose
    # updates equal the live sync stage's sync.<a>.<b> and sync.group messages.
    from coregulate.signal.synchrony import group_synchrony

    path = write_simulated_session(tmp_path / "four.sqlite", 6, 600.0, n_people=4)
    analysis = analyze_files(path)
    reference = group_synchrony({k: analysis.people[k] for k in analysis.keys}, updates=True)
    outputs = analysis.result.outputs
    for ref in reference["pairs"]:
        mine = [u for u in outputs[f"sync.{ref['a']}.{ref['b']}"] if u["series"] == "hr_bpm"]
        assert [{k: v for k, v in u.items() if k != "pair"} for u in mine] == ref["updates"]
    assert outputs["sync.group"] == reference["group"]["updates"]
    assert (
        analysis.summary()["group"]["value"] == reference["group"]["final"]["summary"]["mean_value"]
    )


def test_the_group_index_rises_with_the_number_of_coupled_pairs(tmp_path: Path) -> None:
    # Issue 19's done-when, end to end through analyze: the demo group of four with
    # none, one and both of its couplings (acquisition/_sim_group.py), 20 minutes each.
    from coregulate.acquisition._sim_group import DEMO_GROUP_COUPLINGS
    from coregulate.acquisition.simulator import demo_group_config

    values = []
    for n in (0, 1, 2):
        config = demo_group_config(4, seed=3, duration_s=1200, couplings=DEMO_GROUP_COUPLINGS[:n])
        path = write_simulated_session(tmp_path / f"c{n}.sqlite", config=config)
        values.append(analyze_files(path).summary()["group"]["value"])
    assert values[0] < values[1] < values[2], values
