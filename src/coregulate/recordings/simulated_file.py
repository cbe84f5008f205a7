"""A session file from a simulated dyad without running processes (tests, benchmarks).

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
from coregulate.acquisition.simulator import DyadConfig, demo_config, simulate_dyad
from coregulate.acquisition.source import SourceEvent
from coregulate.bus.envelope import TOPIC_SESSION
from coregulate.clock import SessionClock
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.writer import SessionWriter
from coregulate.signal.dyad import ROLES

# Session time runs 10^12 times faster than the host's: every event is already due.
_ALWAYS_DUE = SessionClock(0, 0, 1e12)


def write_simulated_session(
    path: str | os.PathLike[str],
    seed: int = 1,
    duration_s: float = 600.0,
    extra: Iterable[tuple[str, Any, int]] = (),
    config: DyadConfig | None = None,
    wall_anchor_ns: int = 1_700_000_000 * 10**9,
) -> Path:
    """Return the path of a new session file holding a simulated dyad's raw data and beats.

    `extra` adds messages (topic, payload, t_ns), e.g. markers and ratings; `config`
    replaces the demo dyad (then `seed` and `duration_s` are the config's);
    `wall_anchor_ns` is the calendar time of session time 0.
    """
    config = config or demo_config(seed=seed, duration_s=duration_s)
    seed, duration_s = config.seed, config.duration_s
    sim = simulate_dyad(config)
    clock = SessionClock(0, wall_anchor_ns, 1.0)
    with SessionWriter(path, "acq") as writer:
        writer.send(
            TOPIC_SESSION,
            {
                "clock": clock.to_dict(),
                "software": f"coregulate {coregulate.__version__}",
                "mode": "simulated (offline)",
                "client_id": "sim-client",
                "therapist_id": "sim-therapist",
                "seed": seed,
                "duration_s": duration_s,
                "parameters": pipeline_parameters(),
                "derived": {"kind": "simulated", "from": f"simulator, seed {seed}"},
            },
            0,
        )
        for role in ROLES:
            publisher = StrapPublisher(role, writer)
            strap = SimulatedStrap(sim, role, _ALWAYS_DUE)
            for event in _events(strap):
                publisher.handle(event)
        for topic, payload, t_ns in extra:
            writer.send(topic, payload, t_ns)
    return Path(path)


def _events(strap: SimulatedStrap) -> list[SourceEvent]:
    """Return a simulated strap's events at once (its clock makes every event due)."""

    async def collect() -> list[SourceEvent]:
        return [e async for e in strap.events()]

    return asyncio.run(collect())
