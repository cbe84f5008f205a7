"""The offline pipeline of a session of 3-6 people: every person's chain, every pair, the group.

A two-person session runs `pipeline.run_offline_pipeline` exactly as before. With
more people, each person's beats go through the same per-person stages (one chain
per person, as the dyad's), every pair `(a, b)` in session order gets the dyad's
offline synchrony (heart rate, then the slow series; a positive lag means `b`
leads, `signal/people.py`), published as on the bus under `sync.<a>.<b>` with
`"pair": [a, b]`, and the group index runs over everyone's heart rate on the
pairs' grid, published as `sync.group` (`group_summary.group_updates`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from coregulate.recordings.forked import Workers, paused_gc
from coregulate.recordings.group_summary import group_summary, group_updates, pair_entry
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.pipeline import (
    PipelineResult,
    _end_ns,
    run_chains,
    slow_synchrony,
    synchrony_summary,
)
from coregulate.sessionfile.beats import BeatSeries
from coregulate.signal.people import SYNC_GROUP_TOPIC, pairs, sync_topic
from coregulate.signal.synchrony import HR_PARAMS, SynchronyReport, pairs_offline
from coregulate.signal.synchrony import beat_events as sync_beat_events
from coregulate.stages.registry import offline_specs
from coregulate.stages.sync_stage import SLOW_SERIES


def run_group_pipeline(
    people: dict[str, BeatSeries], keys: Sequence[str], phase: bool = False, parallel: bool = True
) -> PipelineResult:
    """Return the stages' outputs, each person's summary, every pair's and the group's.

    `keys` are the session's people in session order (`people_from_session`); a
    person without beats has no chain, and their pairs say why they have no numbers.
    With `parallel` the work is split between two cores where that is safe
    (`forked_pairs`, `recordings/forked.py`); the result is the same either way.
    """
    with paused_gc():
        return _run(people, tuple(keys), phase, parallel)


# Relative CPU costs of the pieces of an hour (per-person chain 1, a pair's heart-rate
# synchrony 0.9, its slow series 0.3; measured with benchmarks/bench_analyze_group.py),
# to split the work between two cores with one fork: a fork per piece cost a fifth
# more CPU (copied pages, results pickled) than the pieces themselves.
# The group index costs about 0.15 (4 people); the other core takes it with all the pairs.
_CHAIN, _HR_PAIR, _SLOW_PAIR, _GROUP = 1.0, 0.9, 0.3, 0.15


def forked_pairs(n_chains: int, n_pairs: int) -> int:
    """Return how many pairs' heart-rate synchrony the other core takes: half the work."""
    total = n_chains * _CHAIN + n_pairs * (_HR_PAIR + _SLOW_PAIR) + _GROUP
    return min(n_pairs, round(total / 2 / _HR_PAIR))


def _run(
    people: dict[str, BeatSeries], keys: tuple[str, ...], phase: bool, parallel: bool
) -> PipelineResult:
    specs = offline_specs()
    ordered = {k: people[k] for k in keys if k in people}
    ordered |= {k: b for k, b in people.items() if k not in ordered}
    partitions = (
        [{key: beats} for key, beats in ordered.items()]
        if all(spec.per_role for spec in specs)
        else [ordered]
    )
    session_pairs = pairs(keys)
    end_ns = _end_ns(ordered)
    k = forked_pairs(len(partitions), len(session_pairs))
    with Workers(parallel) as workers:
        # The other core: the first k pairs' heart-rate synchrony (and the group index
        # when k is every pair). This one: every person's chain, the other pairs, then
        # every pair's slow series.
        far = workers.start(
            functools.partial(_far, ordered, keys, session_pairs[:k], end_ns, phase)
        )
        with Workers(False) as here:
            result = run_chains(here, partitions, ordered, keys)
        hr = _hr_pairs(ordered, session_pairs[k:], end_ns, phase)
        slow = {
            pair: slow_synchrony(ordered, result.outputs, phase, SLOW_SERIES, pair)
            for pair in session_pairs
        }
        far_hr, group = far.result()
        hr |= far_hr
    reports = [{"hr_bpm": hr[pair], **slow[pair]} if hr.get(pair) else {} for pair in session_pairs]
    _add_pairs(result, keys, session_pairs, reports, group)
    result.hr_grids = _person_grids(hr) or None
    result.parameters = {
        "stages": [spec.stage_class.__name__ for spec in specs],
        **pipeline_parameters(),
    }
    return result


def _far(
    people: dict[str, BeatSeries],
    keys: tuple[str, ...],
    some_pairs: Sequence[tuple[str, str]],
    end_ns: int,
    phase: bool,
) -> tuple[dict[tuple[str, str], SynchronyReport | None], list[dict[str, Any]] | None]:
    """Return these pairs' heart-rate synchrony, and the group's updates when they are all."""
    reports = _hr_pairs(people, some_pairs, end_ns, phase)
    if len(keys) <= 2 or len(some_pairs) < len(pairs(keys)):
        return reports, None  # the group is computed where every pair is
    return reports, _group_of(keys, reports)


def _group_of(
    keys: tuple[str, ...], reports: dict[tuple[str, str], SynchronyReport | None]
) -> list[dict[str, Any]]:
    """Return the group's updates over the people's heart rate on the pairs' grid."""
    pair_updates = {pair: hr.updates for pair, hr in reports.items() if hr is not None}
    return group_updates(keys, _person_grids(reports), pair_updates)


def _person_grids(
    reports: dict[tuple[str, str], SynchronyReport | None],
) -> dict[str, np.ndarray]:
    """Return each person's heart rate on the session's synchrony grid (every pair shares it)."""
    grids: dict[str, np.ndarray] = {}
    for (a, b), hr in reports.items():
        if hr is not None:
            grids.setdefault(a, hr.client)
            grids.setdefault(b, hr.therapist)
    return grids


def _hr_pairs(
    people: dict[str, BeatSeries],
    some_pairs: Sequence[tuple[str, str]],
    end_ns: int,
    phase: bool,
) -> dict[tuple[str, str], SynchronyReport | None]:
    """Return these pairs' heart-rate synchrony; None for a pair with someone without beats.

    Each person's events are computed once for all their pairs; `a` takes the
    client's slot and `b` the therapist's, so a positive lag means `b` leads.
    """
    needed = [key for key in people if any(key in pair for pair in some_pairs)]
    events = {key: _hr_events(people[key]) for key in needed}
    computable = [pair for pair in some_pairs if all(key in events for key in pair)]
    report = pairs_offline(events, HR_PARAMS, end_ns, "hr_bpm", phase, only=computable)
    return {pair: report.pairs.get(pair) for pair in some_pairs}


def _add_pairs(
    result: PipelineResult,
    keys: tuple[str, ...],
    session_pairs: list[tuple[str, str]],
    reports: list[dict[str, SynchronyReport]],
    group: list[dict[str, Any]] | None = None,
) -> None:
    """Publish every pair's and the group's updates under their topics; summarise them.

    `group`: the group's updates when already computed (`_far`), else computed here.
    """
    for (a, b), pair_reports in zip(session_pairs, reports, strict=True):
        topic = sync_topic(a, b, len(keys))
        for report in pair_reports.values():
            for update in (*report.updates, report.final) if len(keys) > 2 else ():
                update["pair"] = [a, b]  # as live: a dyad's `sync` names no pair
            result.outputs.setdefault(topic, []).extend(report.updates)
            result.output_t_ns.setdefault(topic, []).extend(u["t_ns"] for u in report.updates)
        result.pairs.append(pair_entry(a, b, synchrony_summary(pair_reports)))
    if len(keys) <= 2:
        return
    # The group index over everyone's heart rate on the pairs' grid (signal/synchrony).
    hr = {pair: r.get("hr_bpm") for pair, r in zip(session_pairs, reports, strict=True)}
    updates = group if group is not None else _group_of(keys, hr)
    result.outputs[SYNC_GROUP_TOPIC] = updates
    result.output_t_ns[SYNC_GROUP_TOPIC] = [u["t_ns"] for u in updates]
    result.group = group_summary(keys, updates, result.pairs)


def _hr_events(beats: BeatSeries) -> tuple[np.ndarray, np.ndarray]:
    """Return one person's heart-rate events for the synchrony grid (`grid.beat_events`)."""
    return sync_beat_events(beats.t_ns, beats.rr_ms, beats.gap_before, kind="hr_bpm")
