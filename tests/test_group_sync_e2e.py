"""Group synchrony end to end: four people of two simulated dyads, and `demo --people 4`.

Slow (simulated sessions, real processes); numbers measured: docs/synchrony.md,
section 6.
"""

from __future__ import annotations

from coregulate.signal.people import SYNC_GROUP_TOPIC, pairs
from coregulate.signal.synchrony.group_offline import group_synchrony
from group_support import COUPLED_LAGS_S, KEYS4, four_people


def test_four_people_lags_verdicts_and_group_rise() -> None:
    """The same on two independent simulated dyads (tests/group_support.py): every seed rises.

    40-minute sessions, seeds 1-3, with 0, 1 and 2 coupled pairs (strength 0.8).
    Measured: see docs/synchrony.md, section 6.
    """
    rho: dict[int, list[float]] = {0: [], 1: [], 2: []}
    verdicts: dict[int, list[bool | None]] = {0: [], 1: [], 2: []}
    uncoupled_above = uncoupled_verdicts = 0
    for seed in (1, 2, 3):
        for n_coupled, strengths in ((0, (0.0, 0.0)), (1, (0.8, 0.0)), (2, (0.8, 0.8))):
            result = group_synchrony(four_people(seed, *strengths, duration_s=2400.0))
            group = result["group"]["final"]
            rho[n_coupled].append(group["summary"]["mean_value"])
            verdicts[n_coupled].append(group["session"]["above_chance"])
            if n_coupled != 2:
                continue
            for pair in result["pairs"]:
                final = pair["final"]
                key = (pair["a"], pair["b"])
                if key in COUPLED_LAGS_S:
                    lag = final["summary"]["profile_lag_s"]
                    assert abs(lag - COUPLED_LAGS_S[key]) <= 0.5, (seed, key, lag)
                    assert final["susy"]["above_chance"] is True
                else:
                    uncoupled_verdicts += final["susy"]["above_chance"] is not None
                    uncoupled_above += final["susy"]["above_chance"] is True
    assert uncoupled_verdicts == 12
    # Nominal 5 %: 12 verdicts expect 0.6; 2 or fewer has probability 0.98.
    assert uncoupled_above <= 2
    for seed in range(3):
        assert rho[0][seed] < rho[1][seed] < rho[2][seed], rho
    # The group's session verdict: every coupled session above chance; the uncoupled
    # ones at the nominal rate (measured p 0.47, 0.045, 0.12 for seeds 1-3).
    assert verdicts[1] == verdicts[2] == [True, True, True]
    assert None not in verdicts[0] and sum(verdicts[0]) <= 1


def test_four_person_demo_publishes_pairs_and_group_and_sync_reproduces_them(
    tmp_path,
) -> None:
    """`demo --people 4` end to end (real processes): 6 pair topics and the group, and
    `coregulate sync FILE` recomputes every one of them identically."""
    import subprocess
    import sys

    from coregulate.sessionfile.access import read_messages

    out = tmp_path / "g.sqlite"
    cli = [sys.executable, "-m", "coregulate.cli"]
    args = ["demo", "--headless", "--people", "4", "--duration", "600", "--speed", "60"]
    run = subprocess.run(
        [*cli, *args, "--out", str(out)], capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stderr
    topics: dict[str, int] = {}
    for msg in read_messages(out, ("sync",)):
        topics[msg.topic] = topics.get(msg.topic, 0) + 1
    assert set(topics) == {f"sync.{a}.{b}" for a, b in pairs(KEYS4)} | {SYNC_GROUP_TOPIC}
    assert topics[SYNC_GROUP_TOPIC] > 500
    replay = subprocess.run([*cli, "sync", str(out)], capture_output=True, text=True, timeout=180)
    assert replay.returncode == 0, replay.stderr
    n = sum(topics.values())
    assert f"{n} of {n} recomputed messages equal the {n} recorded live (identical)" in (
        replay.stdout
    )
