"""Test fixtures for group synchrony: simulated groups, and their bus messages.

`group_beats(simulate_group(...))` gives each person's delivered beats from the
project's N-person simulator. `four_people` is a cheaper four-person session made of
two independent `simulate_dyad` sessions: dyad A gives `client` and `therapist` (the
therapist leads by 2 s), dyad B gives `partner` and `co-therapist` (the partner leads by 3 s), each
coupled with its own strength (0 = independent). Pairs across the dyads are
uncoupled by construction (independent seeds). In session order
(client, partner, therapist, co-therapist), pair (client, therapist) should read
+2 s (b leads) and pair (partner, co-therapist) −3 s (a leads).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from coregulate.acquisition.sim_messages import beat_messages as sim_beat_messages
from coregulate.acquisition.simulator import Coupling, DyadConfig, PersonProfile, simulate_dyad

KEYS4 = ("client", "partner", "therapist", "co-therapist")
COUPLED_LAGS_S = {("client", "therapist"): 2.0, ("partner", "co-therapist"): -3.0}


def delivered(sim: Any, role: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (t_ns, rr_ms, gap_before) of the beats that reached the host."""
    truth = sim.truth[role]
    keep = truth.delivered
    gap = np.concatenate(([False], ~keep[:-1]))[keep]
    return truth.t_ns[keep], truth.rr_ms[keep], gap


def group_beats(sim: Any) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Return every person's delivered beats of a `simulate_group` result, in session order."""
    return {key: delivered(sim, key) for key in sim.truth}


def four_people(
    seed: int, strength_a: float, strength_b: float, duration_s: float = 900.0
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Return the beats of four people in session order (see the module docstring)."""
    dyad_a = simulate_dyad(
        DyadConfig(
            client=PersonProfile(resting_hr_bpm=76.0, rmssd_ms=35.0, breathing_hz=0.27),
            therapist=PersonProfile(resting_hr_bpm=64.0, rmssd_ms=45.0, breathing_hz=0.2),
            coupling=Coupling("therapist", 2.0, strength_a),
            duration_s=duration_s,
            seed=seed,
        )
    )
    dyad_b = simulate_dyad(
        DyadConfig(
            client=PersonProfile(resting_hr_bpm=82.0, rmssd_ms=30.0, breathing_hz=0.3),
            therapist=PersonProfile(resting_hr_bpm=60.0, rmssd_ms=50.0, breathing_hz=0.22),
            coupling=Coupling("client", 3.0, strength_b),
            duration_s=duration_s,
            seed=seed + 1000,
        )
    )
    return {
        "client": delivered(dyad_a, "client"),
        "partner": delivered(dyad_b, "client"),
        "therapist": delivered(dyad_a, "therapist"),
        "co-therapist": delivered(dyad_b, "therapist"),
    }


def beat_messages(beats: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> list[Any]:
    """Return one `beat.<key>` message per second of each person's beats, in time order."""
    return sim_beat_messages(beats, "test")
