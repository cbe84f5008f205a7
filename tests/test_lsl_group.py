"""`--lsl` in a group session: one synchrony outlet per pair and one for the group index.

A dyad keeps its one `coregulate-sync` outlet (tests/test_lsl_out.py, real pylsl);
here the outlets' samples are checked against a 3-person analysis's `sync.<a>.<b>`
and `sync.group` messages through a stand-in for pylsl's StreamInfo/StreamOutlet.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from coregulate.acquisition.lsl import ClockMap
from coregulate.bus.envelope import make_message
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.lsl_streams import SessionOutlets, stream_defs, sync_stream
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.sessionfile.access import read_session_payload
from coregulate.signal.people import demo_people, keys_of


class _Node:
    def append_child(self, _key: str) -> _Node:
        return _Node()

    def append_child_value(self, _key: str, _value: str) -> _Node:
        return self


class _Info:
    def __init__(self, name: str, *_args: Any) -> None:
        self.name = name

    def desc(self) -> _Node:
        return _Node()


class _Outlet:
    def __init__(self, info: _Info) -> None:
        self.name, self.samples = info.name, []

    def push_sample(self, values: list[Any], stamp: float) -> None:
        self.samples.append((values, stamp))


class _Pylsl:
    IRREGULAR_RATE = 0.0
    StreamInfo, StreamOutlet = _Info, _Outlet


def test_a_group_offers_an_outlet_per_pair_and_the_group_and_the_dyad_keeps_one() -> None:
    names = [d.name for d in stream_defs(keys_of(demo_people(3)))]
    assert "coregulate-sync" not in names
    pairs = ["client.partner", "client.therapist", "partner.therapist"]
    assert [f"coregulate-sync-{p}" for p in pairs] + ["coregulate-sync-group"] == [
        n for n in names if n.startswith("coregulate-sync")
    ]
    assert [d.name for d in stream_defs() if d.type == "Synchrony"] == ["coregulate-sync"]


def test_every_pairs_and_the_groups_steps_reach_their_outlets(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "three.sqlite", 2, 600.0, n_people=3)
    outputs = analyze_files(path).result.outputs
    outlets = SessionOutlets(_Pylsl(), read_session_payload(path))
    clock = ClockMap(0, 1.0, 0.0, 0.0)
    for topic in ("sync.client.partner", "sync.client.therapist", "sync.group"):
        for seq, body in enumerate(outputs[topic], 1):
            outlets.push(make_message(topic, "sync", seq, body["t_ns"], body), clock)
    assert outlets.skipped == 0
    pair = outlets.outlets[sync_stream("client", "therapist")].samples
    steps = [b for b in outputs["sync.client.therapist"] if not b.get("final")]
    assert len(pair) == len(steps) and len(pair) > 50
    labels = [label for label, _ in outlets.defs[sync_stream("client", "therapist")].channels]
    for (values, stamp), step in zip(pair, steps, strict=True):
        assert stamp == step["t_ns"] / 1e9
        want = (step["window"] or {}).get("peak_lag_s")
        got = values[labels.index(f"{step['series']}_peak_lag_s")]
        assert (math.isnan(got) and want is None) or got == want
    assert not outlets.outlets[sync_stream("partner", "therapist")].samples  # none pushed
    group = outlets.outlets["coregulate-sync-group"].samples
    g_steps = [b for b in outputs["sync.group"] if not b.get("final")]
    assert len(group) == len(g_steps) > 0
    for (values, _), step in zip(group, g_steps, strict=True):
        assert (math.isnan(values[0]) and step["value"] is None) or values[0] == step["value"]
