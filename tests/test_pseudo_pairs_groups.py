"""The pseudo-pair null for sessions of 3-6 people: each pair against strangers in b's role.

Found 2026-11-30: `analyze --batch B.csv --pseudo-pairs N` with 4-person sessions in
B.csv gave their pairs no null at all and said nothing (the dyads' came out).
Reference: the definition in docs/synchrony.md ("The pseudo-pair null"): pair (a, b)
of session s against a with the people who have b's key in other sessions; z =
(real − mean) / SD (n − 1) of its own pseudo pairs, percentile with ties counted
half, the statistic `pair_statistic` (the session's mean |peak Fisher z|).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.signal.synchrony import HR_PARAMS
from coregulate.signal.synchrony.pseudo_pairs import (
    PseudoPerson,
    pair_statistic,
    pseudo_pair_null,
    pseudo_partner_null,
)

CLI = [sys.executable, "-m", "coregulate.cli"]
KEYS = ("client", "partner", "therapist")
LAG = 8  # samples at 4 Hz: b leads a by 2 s in every real (client, therapist) pair


def _slow_hr(rng: np.random.Generator, n: int) -> np.ndarray:
    """Return heart rate with slow waves of its own (an AR(1) at 4 Hz around 75 bpm)."""
    noise = rng.normal(0.0, 1.0, n)
    out = np.empty(n)
    out[0] = 0.0
    for i in range(1, n):
        out[i] = 0.97 * out[i - 1] + noise[i]
    return 75.0 + out


def _sessions(n_sessions: int, seed: int = 5, n: int = 4 * 900) -> list[dict[str, np.ndarray]]:
    """Return 3-person sessions: the therapist's HR drives the client's 2 s later."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_sessions):
        therapist, own, partner = (_slow_hr(rng, n) for _ in range(3))
        led = np.concatenate([np.full(LAG, therapist[0]), therapist[:-LAG]])
        out.append({"client": 0.7 * led + 0.3 * own, "partner": partner, "therapist": therapist})
    return out


def _people_and_units(
    sessions: list[dict[str, np.ndarray]],
) -> tuple[list[PseudoPerson], list[tuple[int, int]], list[tuple[int, str, str]]]:
    people, units, names = [], [], []
    for s, grids in enumerate(sessions):
        index = {}
        for key in KEYS:
            index[key] = len(people)
            people.append(PseudoPerson(s, key, grids[key]))
        for i, a in enumerate(KEYS):
            for b in KEYS[i + 1 :]:
                units.append((index[a], index[b]))
                names.append((s, a, b))
    return people, units, names


def test_each_pair_meets_strangers_in_b_s_role_from_other_sessions() -> None:
    sessions = _sessions(5)
    people, units, names = _people_and_units(sessions)
    null = pseudo_partner_null(people, units, HR_PARAMS, n_pseudo=100, seed=1)
    assert null["n_pairs"] == 15 and len(null["pairs"]) == 15
    for (s, a, b), entry in zip(names, null["pairs"], strict=True):
        partners = entry["pseudo_partners"]
        assert [people[p].key for p in partners] == [b] * 4  # roles kept, all 4 others
        assert sorted(people[p].session for p in partners) == [k for k in range(5) if k != s]
        # By hand: its own pseudo pairs' statistics, then z and percentile.
        own = [pair_statistic(people[p].series, sessions[s][a], HR_PARAMS) for p in partners]
        real = pair_statistic(sessions[s][b], sessions[s][a], HR_PARAMS)
        mean, sd = float(np.mean(own)), float(np.std(own, ddof=1))
        assert entry["real"] == real and entry["pseudo_mean"] == pytest.approx(mean, rel=1e-12)
        assert entry["z"] == pytest.approx((real - mean) / sd, rel=1e-12)
        assert entry["percentile"] == 100.0 * sum(v < real for v in own) / 4
    # Ground truth by construction: only (client, therapist) is coupled.
    coupled = [
        e["z"]
        for (_, a, b), e in zip(names, null["pairs"], strict=True)
        if b == "therapist" and a == "client"
    ]
    others = [
        e["z"]
        for (_, a, b), e in zip(names, null["pairs"], strict=True)
        if a != "client" or b != "therapist"
    ]
    assert min(coupled) > 3, coupled
    assert max(abs(z) for z in others) < 3, others


def test_draws_are_seeded_per_pair_and_a_batch_of_dyads_gets_the_dyads_null() -> None:
    sessions = _sessions(6, seed=9, n=4 * 600)
    people, units, _ = _people_and_units(sessions)
    drawn = pseudo_partner_null(people, units, HR_PARAMS, n_pseudo=2, seed=3)
    assert drawn == pseudo_partner_null(people, units, HR_PARAMS, n_pseudo=2, seed=3)
    assert all(len(e["pseudo_partners"]) == 2 for e in drawn["pairs"])
    assert all(e["n_pseudo_pairs"] == 2 for e in drawn["pairs"])
    # Dyads only: the same numbers and draws as the dyads' own null (issue 18's).
    dyads = [(g["therapist"], g["client"]) for g in sessions]
    old = pseudo_pair_null(dyads, HR_PARAMS, n_pseudo=2, seed=3)
    people = [
        PseudoPerson(k, key, g[key])
        for k, g in enumerate(sessions)
        for key in ("client", "therapist")
    ]
    new = pseudo_partner_null(people, [(2 * k, 2 * k + 1) for k in range(6)], HR_PARAMS, 2, 3)
    assert [[i, p // 2] for i, p in new["pseudo_pairs"]] == old["pseudo_pairs"]
    assert new["pooled"] == old["pooled"]
    for a, b in zip(new["pairs"], old["dyads"], strict=True):
        assert [p // 2 for p in a["pseudo_partners"]] == b["pseudo_therapists"]
        assert {k: v for k, v in a.items() if k != "pseudo_partners"} == {
            k: v for k, v in b.items() if k != "pseudo_therapists"
        }


def test_a_role_no_other_session_has_is_said() -> None:
    sessions = _sessions(3, n=4 * 400)
    people, units, names = _people_and_units(sessions)
    people = [
        PseudoPerson(
            p.session, "partner-2" if p.session == 2 and p.key == "partner" else p.key, p.series
        )
        for p in people
    ]
    null = pseudo_partner_null(people, units, HR_PARAMS, n_pseudo=5)
    entry = null["pairs"][names.index((2, "client", "partner"))]
    assert entry["z"] is None and entry["pseudo_partners"] == []
    assert entry["unavailable"].endswith("no other session of the batch has a 'partner-2'")


def test_a_batch_of_dyads_and_groups_gives_every_pair_its_null(tmp_path: Path) -> None:
    for seed in (1, 2):
        write_simulated_session(tmp_path / f"d{seed}.sqlite", seed=seed, duration_s=300)
        write_simulated_session(
            tmp_path / f"g{seed}.sqlite", seed=seed + 2, duration_s=300, n_people=4
        )
    (tmp_path / "b.csv").write_text("session\nd1.sqlite\ng1.sqlite\nd2.sqlite\ng2.sqlite\n")
    out, tables = tmp_path / "all.json", tmp_path / "tables"
    args = ["--jobs", "1", "--pseudo-pairs", "5", "--json", str(out), "--tables", str(tables)]
    run = subprocess.run(
        [*CLI, "analyze", "--batch", str(tmp_path / "b.csv"), *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(out.read_text())
    n_pairs = 2 * 1 + 2 * 6
    for row, result in enumerate(results, start=1):
        if result["group"] is None:  # a dyad: where it always was, against all 3 therapists
            null = result["synchrony"]["pseudo_pairs"]
            assert null["n_dyads"] == n_pairs and null["pseudo_therapist_dyads"] == [
                r for r in (1, 2, 3, 4) if r != row
            ]
            continue
        for entry in result["pairs"]:
            null = entry["pseudo_pairs"]
            assert null["n_pairs"] == n_pairs and row not in null["pseudo_partner_sessions"]
            if entry["b"] == "therapist":  # both dyads' therapists and the other group's
                assert len(null["pseudo_partner_sessions"]) == 3 and null["z"] is not None
            else:  # partner or co-therapist: only the other group has one
                assert null["pseudo_partner_sessions"] == [6 - row] and null["z"] is None
                assert "fewer than 2 pseudo pairs" in null["unavailable"]
    pd = pytest.importorskip("pandas")
    table = pd.read_csv(tables / "pairs.csv")
    assert len(table) == n_pairs
    group_row = table[(table["dyad"] == 2) & (table["pair"] == "client.therapist")].iloc[0]
    entry = next(e for e in results[1]["pairs"] if (e["a"], e["b"]) == ("client", "therapist"))
    assert group_row["pseudo_z"] == pytest.approx(entry["pseudo_pairs"]["z"], rel=1e-12)
    dyad_row = table[table["dyad"] == 1].iloc[0]
    assert dyad_row["pseudo_z"] == pytest.approx(
        results[0]["synchrony"]["pseudo_pairs"]["z"], rel=1e-12
    )
