"""A session file from a simulated dyad or group without running processes (tests, benchmarks).

The strap events go through the same `StrapPublisher` (parsing, beat timing) as in
a live session, so the file has the raw notifications, beats and strap status that
`coregulate demo` records (no metrics: no signal stage runs).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import coregulate
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.sim_source import SimulatedStrap
from coregulate.acquisition.simulator import (
    DyadConfig,
    GroupConfig,
    demo_config,
    demo_group_config,
    simulate_dyad,
    simulate_group,
)
from coregulate.acquisition.source import SourceEvent
from coregulate.bus.envelope import TOPIC_SESSION
from coregulate.clock import SessionClock
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.writer import SessionWriter
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import MIN_PEOPLE, make_person, people_meta

# Session time runs 10^12 times faster than the host's: every event is already due.
_ALWAYS_DUE = SessionClock(0, 0, 1e12)


def write_simulated_session(
    path: str | os.PathLike[str],
    seed: int = 1,
    duration_s: float = 600.0,
    extra: Iterable[tuple[str, Any, int]] = (),
    config: DyadConfig | GroupConfig | None = None,
    wall_anchor_ns: int = 1_700_000_000 * 10**9,
    n_people: int = 2,
) -> Path:
    """Return the path of a new session file holding a simulated session's raw data and beats.

    `extra` adds messages (topic, payload, t_ns), e.g. markers and ratings; `config`
    replaces the demo dyad (then `seed` and `duration_s` are the config's); a
    `GroupConfig` or `n_people` 3-6 (`demo_group_config`) writes a group session, whose
    session message names its people (`people.people_meta`); `wall_anchor_ns` is the
    calendar time of session time 0. Two-person files are written as before.
    """
    if config is None:
        config = (
            demo_config(seed=seed, duration_s=duration_s)
            if n_people == MIN_PEOPLE
            else demo_group_config(n_people, seed=seed, duration_s=duration_s)
        )
    sim = simulate_group(config) if isinstance(config, GroupConfig) else simulate_dyad(config)
    clock = SessionClock(0, wall_anchor_ns, 1.0)
    with SessionWriter(path, "acq") as writer:
        writer.send(TOPIC_SESSION, _session_payload(config, clock), 0)
        for role in config.keys:
            publisher = StrapPublisher(role, writer)
            strap = SimulatedStrap(sim, role, _ALWAYS_DUE)
            for event in _events(strap):
                publisher.handle(event)
        for topic, payload, t_ns in extra:
            writer.send(topic, payload, t_ns)
    return Path(path)


def _session_payload(config: DyadConfig | GroupConfig, clock: SessionClock) -> dict[str, Any]:
    """Return the session message: the dyad's as before, a group's with its people."""
    people = tuple(make_person(key, f"sim-{key}") for key in config.keys)
    seed = config.seed
    ids = {f"{p.key}_id": p.id for p in people if p.key in ROLES}
    return {
        "clock": clock.to_dict(),
        "software": f"coregulate {coregulate.__version__}",
        "mode": "simulated (offline)",
        **ids,
        "seed": seed,
        "duration_s": config.duration_s,
        "parameters": pipeline_parameters(),
        "derived": {"kind": "simulated", "from": f"simulator, seed {seed}"},
        **people_meta(people),
    }


def _events(strap: SimulatedStrap) -> list[SourceEvent]:
    """Return a simulated strap's events at once (its clock makes every event due)."""

    async def collect() -> list[SourceEvent]:
        return [e async for e in strap.events()]

    return asyncio.run(collect())
