"""A session file of 3-4 simulated people from two simulated dyads (tests, benchmarks).

The first dyad's client and therapist become the session's first two people (e.g.
`client`, `partner`: coupled, the second leads by the demo's 2 s), the second
dyad's the next ones (`therapist`, `co-therapist`: coupled the same way); people
of different dyads are independent (uncoupled). Three people take the second
dyad's client only. The session message names the people (`people_meta`), as a
live group session's does. As `simulated_file.py`, the strap events go through
the live `StrapPublisher`, so the file holds raw notifications, beats and strap
status, no metrics.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import coregulate
from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.sim_source import SimulatedStrap
from coregulate.acquisition.simulator import DyadConfig, demo_config, simulate_dyad
from coregulate.bus.envelope import TOPIC_SESSION
from coregulate.clock import SessionClock
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.simulated_file import _ALWAYS_DUE, _events
from coregulate.recordings.writer import SessionWriter
from coregulate.signal.people import Person, demo_people, people_meta

# Which simulated dyad (0, 1) and which of its straps each person of the session wears.
_STRAPS = (("client", 0), ("therapist", 0), ("client", 1), ("therapist", 1))


def write_group_session(
    path: str | os.PathLike[str],
    n_people: int = 4,
    seed: int = 1,
    duration_s: float = 600.0,
    people: tuple[Person, ...] | None = None,
    wall_anchor_ns: int = 1_700_000_000 * 10**9,
    extra: Iterable[tuple[str, Any, int]] = (),
) -> Path:
    """Return the path of a new session file of `n_people` (3 or 4) simulated people.

    People 1-2 are one demo dyad (seed `seed`), people 3-4 another (seed `seed` + 1000):
    coupled within a dyad (the second of each leads by 2 s), independent across
    (the second dyad's arousal episodes come at other times).
    `people` replaces `demo_people(n_people)` (keys and ids); `extra` adds messages
    (topic, payload, t_ns), e.g. markers, ratings or synchrony.
    """
    people = people or demo_people(n_people)
    if len(people) not in (3, 4):
        raise ValueError(f"write_group_session makes 3 or 4 people, not {len(people)}")
    configs = [demo_config(seed=seed, duration_s=duration_s), _second_dyad(seed, duration_s)]
    sims = [simulate_dyad(c) for c in configs]
    clock = SessionClock(0, wall_anchor_ns, 1.0)
    with SessionWriter(path, "acq") as writer:
        writer.send(
            TOPIC_SESSION,
            {
                "clock": clock.to_dict(),
                "software": f"coregulate {coregulate.__version__}",
                "mode": "simulated (offline)",
                "client_id": people[0].id,
                "therapist_id": next((p.id for p in people if p.is_therapist), people[-1].id),
                **people_meta(people),
                "seed": seed,
                "duration_s": duration_s,
                "parameters": pipeline_parameters(),
                "derived": {"kind": "simulated", "from": f"two simulated dyads, seed {seed}"},
            },
            0,
        )
        for person, (strap_role, dyad) in zip(people, _STRAPS, strict=False):
            publisher = StrapPublisher(person.key, writer)
            for event in _events(SimulatedStrap(sims[dyad], strap_role, _ALWAYS_DUE)):
                publisher.handle(event)
        for topic, payload, t_ns in extra:
            writer.send(topic, payload, t_ns)
    return Path(path)


def _second_dyad(seed: int, duration_s: float) -> DyadConfig:
    """Return the second dyad's demo config, its client's arousal a fifth of the session later.

    The demo places arousal at fixed fractions of the session: two dyads with the
    same times would share a stimulus, and their people would look coupled.
    """
    config = demo_config(seed=seed + 1000, duration_s=duration_s)
    shift_s = 0.2 * duration_s
    episodes = tuple(
        replace(e, start_s=(e.start_s + shift_s) % max(duration_s - e.duration_s, 1.0))
        for e in config.client.episodes
    )
    return replace(config, client=replace(config.client, episodes=episodes))
