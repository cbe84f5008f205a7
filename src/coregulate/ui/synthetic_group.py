"""Synthetic bus messages of a 3-6 person session, shaped like the stages' (docs/protocol.md).

For the window's tests, its benchmark and the group screenshots until a recorded or
simulated group session is at hand: the session message with its people, each
person's metrics (`synthetic.metrics_payload`), every pair's synchrony on
`sync.<a>.<b>` (with `"pair"`) and the group index on `sync.group`. Coupled pairs
(`GroupStory.couplings`) have windows with a high peak r at their lag; the others
stay near zero. Values are plausible, not physiological ground truth; nothing here
is used to compute anything shown in a real session.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from coregulate.bus.envelope import Message, make_message
from coregulate.signal import people as ppl
from coregulate.ui.synthetic import NS, metrics_payload, sync_payload

# Resting heart rate (bpm) and lnRMSSD of each demo person; others get the client's.
_REST = {
    "client": (74.0, 3.4),
    "partner": (80.0, 3.2),
    "child": (88.0, 3.0),
    "sibling": (85.0, 3.1),
    "therapist": (64.0, 3.8),
    "co-therapist": (68.0, 3.6),
}
# When each person is activated (centre s, width s, height of the arousal bump).
_BUMPS = {
    "client": ((1500.0, 240.0, 2.5), (2700.0, 300.0, 1.2)),
    "partner": ((1560.0, 200.0, 2.2),),
    "child": ((1450.0, 150.0, 1.6),),
    "therapist": ((1620.0, 150.0, 1.0),),
}
CHANCE_R = 0.42  # each pair window's chance band (peak |r| of unrelated stretches, 95th pct)
GROUP_CHANCE = 0.35  # the group index's 95th percentile over shuffled sessions


@dataclass(frozen=True, slots=True)
class GroupStory:
    """Who is coupled with whom: pair (a, b) -> (peak r, lag s; + means b leads)."""

    people: tuple[ppl.Person, ...]
    couplings: Mapping[tuple[str, str], tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def demo(cls, n: int) -> GroupStory:
        """Return the `demo --people n` people with the partners and the therapists coupled."""
        people = ppl.demo_people(n)
        keys = ppl.keys_of(people)
        wanted = {
            ("client", "partner"): (0.62, 1.5),  # the partner leads by 1.5 s
            ("client", "therapist"): (0.5, 1.0),
            ("therapist", "co-therapist"): (0.48, -0.8),  # the therapist leads
        }
        return cls(people, {p: v for p, v in wanted.items() if p in ppl.pairs(keys)})


def synthetic_group_session(
    duration_s: float, story: GroupStory, seed: int = 1, session: dict | None = None
) -> Iterator[Message]:
    """Yield the session message, then metrics, pair and group messages in time order."""
    rng = np.random.default_rng(seed)
    seqs: dict[str, int] = {}

    def msg(topic: str, src: str, t_s: float, payload: dict) -> Message:
        seqs[topic] = seqs.get(topic, 0) + 1
        return make_message(topic, src, seqs[topic], int(t_s * NS), payload)

    keys = ppl.keys_of(story.people)
    yield msg("session", "session", 0.0, {**(session or {}), **ppl.people_meta(story.people)})
    for key in keys:
        yield msg(f"status.{key}", "acq", 0.0, {"status": "streaming"})
    n = int(duration_s)
    walk = {k: np.cumsum(rng.normal(0, 0.3, n)) * 0.3 for k in keys}
    for i in range(1, n + 1):
        t_s = float(i)
        for key in keys:
            hr0, ln0 = _REST.get(key, _REST["client"])
            bump = _bump(t_s, key)
            hr = hr0 + 12 * bump + walk[key][i - 1] + rng.normal(0, 0.6)
            ln = ln0 - 0.6 * bump + rng.normal(0, 0.05)
            payload = metrics_payload(t_s, hr, ln, bump, hr0, ln0, rng)
            yield msg(f"metrics.{key}", "signal", t_s, payload)
        if t_s >= 30:
            yield from _sync_step(msg, t_s, story, keys, rng)


def _bump(t_s: float, key: str) -> float:
    return sum(h * math.exp(-(((t_s - c) / w) ** 2)) for c, w, h in _BUMPS.get(key, ()))


def _sync_step(
    msg, t_s: float, story: GroupStory, keys: Sequence[str], rng: np.random.Generator
) -> Iterator[Message]:
    """One second of synchrony: a window per pair, then the group index."""
    n_above = 0
    for a, b in ppl.pairs(keys):
        body = sync_payload(t_s, rng)
        r0, lag0 = story.couplings.get((a, b), (0.0, 0.0))
        r = float(np.clip(r0 + 0.15 * math.sin(t_s / 200) + rng.normal(0, 0.12), -1, 1))
        lag = float(np.clip(round(lag0 + rng.normal(0, 0.4 if r0 else 2.0), 1), -5, 5))
        above = abs(r) > CHANCE_R
        n_above += above
        body["window"] |= {
            "peak_r": r,
            "peak_z": math.atanh(max(-0.999, min(r, 0.999))),
            "peak_lag_s": lag,
            "r_lag0": r * 0.8,
            "leader": "b" if lag > 0 else "a" if lag < 0 else "simultaneous",
            "chance_abs_r95": CHANCE_R,
            "above_chance": above,
        }
        if body["susy"] is not None:
            body["susy"] |= {"above_chance": bool(r0), "p_above_chance": 0.01 if r0 else 0.4}
        yield msg(ppl.sync_topic(a, b, len(keys)), "sync", t_s, {**body, "pair": [a, b]})
    # The index of 30 s windows stepping by 1 s moves slowly: the coupled pairs' share.
    coupled = sum(1 for p in ppl.pairs(keys) if p in story.couplings) / len(ppl.pairs(keys))
    drift = 0.06 * math.sin(t_s / 90) + rng.normal(0, 0.01)
    value = float(np.clip(0.2 + 0.45 * coupled + drift, 0, 1))
    group = {
        "t_ns": int(t_s * NS),
        "index": "cluster_phase_rho",
        "value": value,
        "window_s": 30.0,
        "chance_95": GROUP_CHANCE,
        "above_chance": value > GROUP_CHANCE,
        "people": list(keys),
        "n_coupled_pairs_above_chance": int(n_above),
        # The session so far against circular shifts of each person's blocks (the stage's).
        "session": {"above_chance": None, "p_above_chance": None}
        if t_s < 90
        else {"above_chance": coupled > 0, "p_above_chance": 0.01 if coupled else 0.5},
    }
    yield msg(ppl.SYNC_GROUP_TOPIC, "sync", t_s, group)
