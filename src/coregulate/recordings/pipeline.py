"""The offline pipeline: one seam through which every offline command runs the stages.

`run_offline_pipeline` takes the beats of a session (`BeatSeries`: the recorded
`beat.<role>` messages), runs them through the same per-person bus stages as a live
session, chained as on the bus (`offline_stages()`), then the dyadic synchrony of the
whole session through the synchrony stage's offline path (`hr_synchrony()`,
`slow_synchrony()`),
and returns what they published plus the whole-session summaries
`coregulate analyze` reports (`person_summary()`, `synchrony_summary()`). A new
per-person stage joins offline analyses by its entry in `coregulate.stages.registry`.
"""

from __future__ import annotations

import functools
import heapq
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coregulate.bus.envelope import TOPIC_SYNC, Message, make_message
from coregulate.recordings.forked import Workers, paused_gc
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.summary import PersonSummary
from coregulate.sessionfile.access import read_session_payload
from coregulate.sessionfile.beats import BeatSeries
from coregulate.sessionfile.record import read_session
from coregulate.signal.dyad import ROLES
from coregulate.signal.person import is_no_signal
from coregulate.signal.screening import (
    classify_beats_and_rmssd,
    normal_mask,
    rmssd_normal_ms,
)
from coregulate.signal.synchrony import HR_PARAMS, SLOW_PARAMS, SynchronyReport, synchrony_offline
from coregulate.signal.synchrony import beat_events as sync_beat_events
from coregulate.stages.base import Stage
from coregulate.stages.registry import offline_specs
from coregulate.stages.sync_stage import SLOW_SERIES

_NO_SYNCHRONY: dict[str, Any] = {
    "peak_lag_s": None,
    "median_peak_lag_s": None,
    "mean_peak_z": None,
    "surrogate_es": None,
    "n_surrogates": 0,
    "above_chance": None,
    "p_above_chance": None,
}


@dataclass
class PipelineResult:
    """Everything the offline pipeline produced for one dyad."""

    outputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # topic -> payloads
    output_t_ns: dict[str, list[int]] = field(default_factory=dict)
    people: dict[str, PersonSummary] = field(default_factory=dict)
    synchrony: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    # Each person's heart rate on the synchrony grid from session start, by key, for
    # the pseudo-pair null across sessions (`analyze --batch --pseudo-pairs`).
    hr_grids: dict[str, np.ndarray] | None = None
    # Sessions of 3+ people (`group_pipeline.py`): every pair's summary, and the group's.
    pairs: list[dict[str, Any]] = field(default_factory=list)
    group: dict[str, Any] | None = None

    def sync_updates(self, series: str = "hr_bpm") -> list[dict[str, Any]]:
        """Return the synchrony stage's step updates of one series (not the final one)."""
        return [
            u
            for u in self.outputs.get(TOPIC_SYNC, [])
            if u.get("series") == series and not u.get("final")
        ]


def read_beats(path: str | os.PathLike[str], role: str | None = None) -> dict[str, BeatSeries]:
    """Return the beats of every role in a session file (or only `role`)."""
    roles = None if role is None else (role,)
    return read_session(path, parts=("beats",), roles=roles).beats


def offline_stages(keys: Sequence[str] | None = None) -> list[Stage]:
    """Return the per-person stages the offline pipeline chains over the beats, in bus order.

    They are the registry's stages marked `offline` (`coregulate.stages.registry`),
    built with their default options, as a live session with a baseline builds them.
    Dyadic synchrony runs after them on the whole session at once
    (`hr_synchrony`, `slow_synchrony`): the synchrony stage's offline path, whose updates equal
    the live stage's (docs/synchrony.md, "Live equals replay equals offline").
    With `keys` (a session of more people), every stage that takes a `people`
    option gets them, as a live session's stages do.
    """
    if keys is None:
        return [spec.make() for spec in offline_specs()]
    # A session of more people: every stage that takes the people gets their keys.
    return [
        spec.make(**({"people": tuple(keys)} if "people" in spec.options else {}))
        for spec in offline_specs()
    ]


def _end_ns(people: dict[str, BeatSeries]) -> int:
    return max(int(p.t_ns[-1]) for p in people.values() if p.t_ns.size)


def hr_synchrony(people: dict[str, BeatSeries], phase: bool) -> SynchronyReport | None:
    """Return the heart-rate synchrony of the session's beats; None without both people."""
    if any(role not in people for role in ROLES):
        return None
    events = {
        role: sync_beat_events(p.t_ns, p.rr_ms, p.gap_before, kind="hr_bpm")
        for role, p in people.items()
        if role in ROLES
    }
    return synchrony_offline(events, HR_PARAMS, _end_ns(people), "hr_bpm", phase)


def slow_synchrony(
    people: dict[str, BeatSeries],
    outputs: dict[str, list[dict[str, Any]]],
    phase: bool,
    series_names: Sequence[str] = SLOW_SERIES,
    pair: tuple[str, str] = ROLES,
) -> dict[str, SynchronyReport]:
    """Return the synchrony of each slow series both people's metrics carry (`pair`: a, b)."""
    if any(role not in people for role in pair):
        return {}
    reports = {}
    for series in series_names:
        slow = {}
        for role, slot in zip(pair, ROLES, strict=True):
            # As the live synchrony stage: "no signal" updates are not values.
            payloads = [p for p in outputs.get(f"metrics.{role}", []) if not is_no_signal(p)]
            if not payloads or series not in payloads[0]:
                break
            t = np.array([int(p["t_ns"]) for p in payloads], dtype=np.int64)
            v = np.array([np.nan if p[series] is None else p[series] for p in payloads], float)
            slow[slot] = (t, v)
        if len(slow) == 2:
            reports[series] = synchrony_offline(slow, SLOW_PARAMS, _end_ns(people), series, phase)
    return reports


def person_summary(beats: BeatSeries) -> PersonSummary:
    """Return one person's whole-session numbers (HR, RMSSD over normal beats, artifacts).

    Beats are classified as the live signal stage does (Lipponen & Tarvainen 2019,
    `signal/screening.py`), unless the file carries per-beat classes. `mean_hr_bpm`
    is 60000 / mean of the normal intervals; `rmssd_ms` is over every successive
    difference of the corrected series within a contiguous run, as live (with
    recorded per-beat classes and no corrected values: every difference of two
    successive normal beats not separated by a gap); `artifact_share_0to1` is the
    share of beats that are not normal.
    """
    if beats.rr_ms.size == 0:
        return PersonSummary(beats.role)
    gaps = beats.gap_before
    if beats.artifact is not None:
        kinds = np.array(["normal" if a in (None, "normal") else str(a) for a in beats.artifact])
        method = "per-beat classes recorded in the file"
        rmssd = rmssd_normal_ms(beats.rr_ms, gaps, normal_mask(kinds))
    else:
        # One classification for both (it was run twice): the same classes and
        # corrected values as the live chain's final ones (signal/artifacts.py).
        kinds, gaps, rmssd = classify_beats_and_rmssd(beats.t_ns, beats.rr_ms, beats.gap_before)
        method = "Lipponen & Tarvainen 2019, as the live signal stage (signal/artifacts.py)"
    normal = normal_mask(kinds)
    mean_rr = float(np.mean(beats.rr_ms[normal])) if normal.any() else math.nan
    names, counts = np.unique(kinds[~normal], return_counts=True)
    return PersonSummary(
        beats.role,
        n_beats=int(beats.rr_ms.size),
        mean_hr_bpm=_num(60000.0 / mean_rr),
        rmssd_ms=_num(rmssd),
        artifact_share_0to1=float(1.0 - normal.mean()),
        artifact_counts={str(n): int(c) for n, c in zip(names, counts, strict=True)},
        artifact_method=method,
    )


def synchrony_summary(reports: dict[str, SynchronyReport]) -> dict[str, Any]:
    """Return the session's heart-rate synchrony summary, and every series' final statistics.

    From the ``hr_bpm`` series' final statistics: `peak_lag_s` is the session's lag,
    the peak of the window-averaged cross-correlation profile (positive = therapist
    leads; `median_peak_lag_s` the median of the windows' own peaks, which collapses
    toward 0 under weak coupling), `mean_peak_z` the mean
    Fisher z of the peaks, `surrogate_es` SUSY's effect size against all
    `n_surrogates` segment-shuffled pseudo pairs, `above_chance` the session's verdict
    against circular shifts (`p_above_chance`), null with the reason in
    ``unavailable["above_chance"]``. Definitions: docs/synchrony.md.
    The final statistics of every series (e.g. ``ln_rmssd``) are under ``series``.
    """
    out: dict[str, Any] = dict(_NO_SYNCHRONY)
    hr = reports.get("hr_bpm")
    if hr is None:
        reason = "it needs the beats of both people"
        return {**out, "unavailable": {"synchrony": reason, "above_chance": reason}}
    summary = hr.final.get("summary") or {}
    susy = hr.final.get("susy") or {}
    unavailable = dict(hr.final.get("unavailable", {}))
    if susy.get("above_chance") is None:  # the reason, also when SUSY itself is missing
        unavailable.setdefault(
            "above_chance",
            susy.get("above_chance_unavailable") or unavailable.get("susy") or "not available",
        )
    out.update(
        peak_lag_s=summary.get("profile_lag_s"),
        median_peak_lag_s=summary.get("median_peak_lag_s"),
        mean_peak_z=summary.get("mean_peak_z"),
        surrogate_es=(susy.get("z") or {}).get("es"),
        n_surrogates=int(susy.get("n_pseudo_pairs") or 0),
        lag_sign="positive = therapist leads",
        above_chance=susy.get("above_chance"),
        p_above_chance=susy.get("p_above_chance"),
        unavailable=unavailable,
        method="coregulate.signal.synchrony, offline path (docs/synchrony.md)",
        series={name: report.final for name, report in reports.items()},
    )
    return out


def run_offline_pipeline(
    people: dict[str, BeatSeries], phase: bool = False, parallel: bool = True
) -> PipelineResult:
    """Return the stages' outputs and the session summaries for the beats of a dyad.

    Each beat message goes through the stages in bus order, and what a stage
    publishes goes on to the later stages, as on the bus. Each person's messages
    keep their recorded order. Then the synchrony of the whole session (`phase`:
    with Hilbert phase synchrony, which needs NeuroKit2).

    When every offline stage keeps each person apart (`StageSpec.per_role`), each
    person's chain, and the heart-rate synchrony, are independent pieces; with
    `parallel` they run on several cores where that is safe (`recordings/forked.py`).
    The result is the same either way.
    """
    with paused_gc():
        return _run_pipeline(people, phase, parallel)


def _run_pipeline(people: dict[str, BeatSeries], phase: bool, parallel: bool) -> PipelineResult:
    specs = offline_specs()
    partitions = (
        [{role: beats} for role, beats in people.items()]
        if all(spec.per_role for spec in specs)
        else [people]
    )
    with Workers(parallel) as workers:
        # Three pieces on the cores: the HR synchrony and every chain but the last in
        # workers, the last chain here; the slow series here while the HR one runs on.
        hr_pending = workers.start(functools.partial(hr_synchrony, people, phase))
        result = run_chains(workers, partitions, people)
        # The slow series, one per core: the HR worker is done or nearly by now.
        slow_pending = [
            workers.start(functools.partial(slow_synchrony, people, result.outputs, phase, (n,)))
            for n in SLOW_SERIES[1:]
        ]
        slow = slow_synchrony(people, result.outputs, phase, SLOW_SERIES[:1])
        for pending_series in slow_pending:
            slow.update(pending_series.result())
        hr = hr_pending.result()
    reports = {"hr_bpm": hr, **slow} if hr else {}
    for report in reports.values():
        result.outputs.setdefault(TOPIC_SYNC, []).extend(report.updates)
        result.output_t_ns.setdefault(TOPIC_SYNC, []).extend(u["t_ns"] for u in report.updates)
    result.synchrony = synchrony_summary(reports)
    result.hr_grids = {"client": hr.client, "therapist": hr.therapist} if hr else None
    result.parameters = {
        "stages": [spec.stage_class.__name__ for spec in specs],
        **pipeline_parameters(),
    }
    return result


def run_chains(
    workers: Workers,
    partitions: list[dict[str, BeatSeries]],
    people: dict[str, BeatSeries],
    keys: Sequence[str] | None = None,
) -> PipelineResult:
    """Return every partition's chain merged: all but the last in workers, the last here.

    `keys` are the session's people when not the dyad (`offline_stages`).
    """
    chain = functools.partial(_run_chain, everyone=people, keys=keys)
    pending = [workers.start(functools.partial(chain, p)) for p in partitions[:-1]]
    last = chain(partitions[-1])
    chains = [p.result() for p in pending] + [last]
    result = PipelineResult()
    _merge_chains(result, chains)
    for role in people:
        result.people[role] = next(c.people[role] for c in chains if role in c.people)
    return result


def _run_chain(
    people: dict[str, BeatSeries],
    everyone: dict[str, BeatSeries],
    keys: Sequence[str] | None = None,
) -> PipelineResult:
    """Return what the offline stages publish over these people's beats, and their summaries.

    Each beat message goes through the stages in bus order, and what a stage
    publishes goes on to the later stages, as on the bus; the people's messages are
    interleaved by time. The beats of `everyone` else reach the stages only as time
    passing (`observe`), as a per-person stage needs them (`StageSpec.per_role`).
    """
    result = PipelineResult()
    stages = offline_stages(keys)
    seqs: dict[tuple[str, str], int] = {}

    def publish(i: int, outputs: list[Any]) -> list[Message]:
        made = []
        for out in outputs:
            key = (stages[i].name, out.topic)
            seqs[key] = seqs.get(key, 0) + 1
            result.outputs.setdefault(out.topic, []).append(out.payload)
            result.output_t_ns.setdefault(out.topic, []).append(out.t_ns)
            # Encoded only for a later stage that reads it: JSON-encoding every
            # metrics update nobody consumes cost a tenth of an hour's analysis.
            if any(out.topic.startswith(later.topics) for later in stages[i + 1 :]):
                made.append(make_message(out.topic, key[0], seqs[key], out.t_ns, out.payload))
        return made

    def feed(messages: list[Message], final: bool = False) -> None:
        for i, stage in enumerate(stages):
            produced = []
            for msg in messages:
                if not msg.topic.startswith(stage.topics):
                    continue
                if msg.role is None or msg.role in people:
                    produced += publish(i, stage.update(msg))
                elif hasattr(stage, "observe"):
                    produced += publish(i, stage.observe(msg.t_ns))
            if final:
                produced += publish(i, stage.terminate())
            messages = messages + produced  # later stages see what this one published

    for msg in heapq.merge(*(p.messages for p in everyone.values()), key=lambda m: m.t_ns):
        feed([msg])
    feed([], final=True)
    for role, beats in people.items():
        result.people[role] = person_summary(beats)
    return result


def _merge_chains(result: PipelineResult, chains: list[PipelineResult]) -> None:
    """Put the chains' outputs into `result`, topics in the order they were first published.

    Per-person chains publish disjoint topics (``metrics.client``, ...), so merging
    keeps every topic's messages in their order.
    """
    firsts = sorted(
        (times[0], i, topic)
        for i, chain in enumerate(chains)
        for topic, times in chain.output_t_ns.items()
        if times
    )
    for _, i, topic in firsts:
        if topic in result.outputs:
            raise RuntimeError(
                f"two offline chains published {topic!r}; mark the stage per_role=False"
            )
        result.outputs[topic] = chains[i].outputs[topic]
        result.output_t_ns[topic] = chains[i].output_t_ns[topic]


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def session_anchor_ns(path: str | os.PathLike[str]) -> int:
    """Return the wall-clock anchor (ns since the epoch) of a session file, 0 if unknown."""
    payload = read_session_payload(path)
    return int(payload.get("clock", {}).get("wall_anchor_ns", 0) or 0)
