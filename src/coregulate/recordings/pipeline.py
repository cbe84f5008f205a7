"""The offline pipeline: one seam through which every offline command runs the stages.

`run_offline_pipeline` takes the beats of a session (as recorded `beat.<role>`
messages) and returns what the live stages would have published, plus the
session summaries `coregulate analyze` reports. When the per-person metrics
(issue 4) and synchrony (issue 5) stages land, they plug in here:
`offline_stages()` lists the stages run over the beats, `person_summary()` and
`synchrony_summary()` compute the whole-session numbers.
"""

from __future__ import annotations

import heapq
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coregulate.bus.envelope import TOPIC_BEAT, Message
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.store import read_messages, read_session_payload
from coregulate.signal.resample import rr_on_grid
from coregulate.signal.screening import rmssd_normal_ms, screen_beats
from coregulate.signal.synchrony_minimal import (
    SynchronyParams,
    SynchronyResult,
    windowed_synchrony,
)
from coregulate.stages.base import Stage
from coregulate.stages.metrics_stage import PersonMetricsStage

_NO_SYNCHRONY: dict[str, Any] = {
    "peak_lag_s": None,
    "mean_peak_z": None,
    "surrogate_es": None,
    "n_surrogates": 0,
}


@dataclass
class BeatSeries:
    """One person's beats: the recorded messages and their beats flattened to arrays."""

    role: str
    messages: list[Message]
    t_ns: np.ndarray
    rr_ms: np.ndarray
    gap_before: np.ndarray
    artifact: np.ndarray | None = None  # per-beat artifact class when the file has it


@dataclass
class PipelineResult:
    """Everything the offline pipeline produced for one dyad."""

    outputs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # topic -> payloads
    output_t_ns: dict[str, list[int]] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    synchrony: dict[str, Any] = field(default_factory=dict)
    synchrony_series: SynchronyResult | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def beats_from_messages(role: str, messages: list[Message], shift_ns: int = 0) -> BeatSeries:
    """Return one person's BeatSeries from `beat.<role>` messages (times shifted by `shift_ns`)."""
    t, rr, gap, art = [], [], [], []
    has_artifact = False
    for msg in messages:
        body = msg.json()
        n = len(body["rr_ms"])
        t.extend(int(x) + shift_ns for x in body["t_ns"])
        rr.extend(float(x) for x in body["rr_ms"])
        gap.extend([bool(body.get("gap_before"))] + [False] * (n - 1))
        if "artifact" in body:
            has_artifact = True
            art.extend(body["artifact"])
        else:
            art.extend([None] * n)
    if shift_ns:
        messages = [
            Message(m.topic, m.source, m.seq, m.t_ns + shift_ns, _shift_payload(m, shift_ns))
            for m in messages
        ]
    return BeatSeries(
        role,
        messages,
        np.asarray(t, dtype=np.int64),
        np.asarray(rr, dtype=float),
        np.asarray(gap, dtype=bool),
        np.asarray(art, dtype=object) if has_artifact else None,
    )


def _shift_payload(msg: Message, shift_ns: int) -> bytes:
    import json

    body = msg.json()
    body["t_ns"] = [int(x) + shift_ns for x in body["t_ns"]]
    return json.dumps(body, separators=(",", ":")).encode()


def read_beats(path: str | os.PathLike[str], role: str | None = None) -> dict[str, BeatSeries]:
    """Return the beats of every role in a session file (or only `role`)."""
    by_role: dict[str, list[Message]] = {}
    for msg in read_messages(path, (TOPIC_BEAT + ".",)):
        if msg.role and (role is None or msg.role == role):
            by_role.setdefault(msg.role, []).append(msg)
    return {r: beats_from_messages(r, msgs) for r, msgs in by_role.items()}


def offline_stages() -> list[Stage]:
    """Return the stages the offline pipeline runs over the beats, in order."""
    return [PersonMetricsStage()]


def person_summary(beats: BeatSeries) -> dict[str, Any]:
    """Return one person's whole-session numbers (HR, RMSSD over normal beats, artifacts)."""
    if beats.rr_ms.size == 0:
        return {
            "n_beats": 0,
            "mean_hr_bpm": None,
            "rmssd_ms": None,
            "artifact_share": None,
            "artifact_method": None,
        }
    if beats.artifact is not None:
        normal = np.array([a in (None, "normal", "N") for a in beats.artifact])
        method = "recorded per-beat classes"
    else:
        normal = screen_beats(beats.rr_ms, beats.gap_before)
        method = "Malik 20 % screening (signal/screening.py)"
    rmssd = rmssd_normal_ms(beats.rr_ms, beats.gap_before, normal)
    mean_rr = float(np.mean(beats.rr_ms[normal])) if normal.any() else math.nan
    return {
        "n_beats": int(beats.rr_ms.size),
        "mean_hr_bpm": _num(60000.0 / mean_rr),
        "rmssd_ms": _num(rmssd),
        "artifact_share": float(1.0 - normal.mean()),
        "artifact_method": method,
    }


def synchrony_summary(
    client: BeatSeries, therapist: BeatSeries, params: SynchronyParams | None = None
) -> tuple[dict[str, Any], SynchronyResult | None]:
    """Return the session's synchrony summary (and its per-window series) for a dyad."""
    params = params or SynchronyParams()
    empty = _NO_SYNCHRONY
    series = []
    for person in (client, therapist):
        normal = screen_beats(person.rr_ms, person.gap_before)
        # A gap before an excluded beat still separates the normal beats around it.
        segment = np.cumsum(person.gap_before)[normal]
        gap = np.concatenate([[True], segment[1:] != segment[:-1]]) if segment.size else segment
        series.append((person.t_ns[normal], person.rr_ms[normal], gap))
    if any(t.size < 2 for t, _, _ in series):
        return {**empty, "method": "no beats for one person"}, None
    start_s = max(float(series[0][0][0]), float(series[1][0][0])) / 1e9
    end_s = min(float(series[0][0][-1]), float(series[1][0][-1])) / 1e9
    if end_s - start_s < params.window_s + 2 * params.max_lag_s:
        return {**empty, "method": "recordings overlap too little"}, None
    grid_s = np.arange(start_s, end_s, 1.0 / params.grid_hz)
    client_hr, therapist_hr = (60000.0 / rr_on_grid(t, rr, g, grid_s) for t, rr, g in series)
    result = windowed_synchrony(client_hr, therapist_hr, params)
    result = SynchronyResult(
        result.t_s + start_s,
        result.peak_r,
        result.peak_lag_s,
        result.peak_lag_median_s,
        result.mean_peak_z,
        result.surrogate_es,
        result.n_surrogates,
        params,
    )
    return {
        "peak_lag_s": _num(result.peak_lag_median_s),
        "mean_peak_z": _num(result.mean_peak_z),
        "surrogate_es": _num(result.surrogate_es),
        "n_surrogates": result.n_surrogates,
        "lag_sign": "positive = therapist leads",
        "method": "MINIMAL windowed cross-correlation of HR (signal/synchrony_minimal.py)",
        "parameters": {
            "grid_hz": params.grid_hz,
            "window_s": params.window_s,
            "step_s": params.step_s,
            "max_lag_s": params.max_lag_s,
        },
    }, result


def run_offline_pipeline(people: dict[str, BeatSeries]) -> PipelineResult:
    """Return the stages' outputs and the session summaries for the beats of a dyad.

    The stages see the beat messages in time order across both people, as they
    would live.
    """
    result = PipelineResult()
    stages = offline_stages()
    # Each person's messages keep their recorded order; the two are interleaved by time.
    merged = list(heapq.merge(*(p.messages for p in people.values()), key=lambda m: m.t_ns))
    for stage in stages:
        for msg in merged:
            if not msg.topic.startswith(stage.topics):
                continue
            for out in stage.update(msg):
                result.outputs.setdefault(out.topic, []).append(out.payload)
                result.output_t_ns.setdefault(out.topic, []).append(out.t_ns)
        for out in stage.terminate():
            result.outputs.setdefault(out.topic, []).append(out.payload)
            result.output_t_ns.setdefault(out.topic, []).append(out.t_ns)
    for role, beats in people.items():
        result.people[role] = person_summary(beats)
    if "client" in people and "therapist" in people:
        result.synchrony, result.synchrony_series = synchrony_summary(
            people["client"], people["therapist"]
        )
    else:
        result.synchrony = {**_NO_SYNCHRONY, "method": "needs the beats of both people"}
    result.parameters = {
        "stages": [type(s).__name__ for s in stages],
        **pipeline_parameters(),
    }
    return result


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def session_anchor_ns(path: str | os.PathLike[str]) -> int:
    """Return the wall-clock anchor (ns since the epoch) of a session file, 0 if unknown."""
    payload = read_session_payload(path)
    return int(payload.get("clock", {}).get("wall_anchor_ns", 0) or 0)
