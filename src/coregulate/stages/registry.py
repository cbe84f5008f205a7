"""Every bus stage, declared once as data: what it is, what it reads and writes.

The live session starts a process per entry of `STAGES` and stops them in the
order `stage_order()` derives from what each consumes: a stage that reads another
stage's output comes after it, so at shutdown the upstream stage flushes first and
the downstream one still receives everything. The offline pipeline chains the
entries marked `offline` over a recorded session's beats, in the same order.

A new stage is one class in `coregulate.stages` (with `topics`, `produces`,
`update()`, `terminate()`) plus one `StageSpec` here: the session, the process
entry point (`coregulate.stages.runner.run_stage_process`) and the offline
pipeline pick it up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from coregulate.signal.dyad import DEFAULT_BASELINE_S, ROLES
from coregulate.stages.base import Stage
from coregulate.stages.metrics_stage import PersonMetricsStage
from coregulate.stages.sync_stage import SyncStage

log = logging.getLogger(__name__)


def _metrics_stage(
    source: str,
    baseline_s: float = DEFAULT_BASELINE_S,
    profile_paths: dict[str, str] | None = None,
    people: tuple[str, ...] = ROLES,
) -> Stage:
    """Return the per-person metrics stage publishing as `source`, for the keys `people`.

    `baseline_s` is the resting period collected at the start of the session;
    `profile_paths` maps a role to a stored baseline profile (docs/metrics.md) used
    instead. A profile that cannot be read is reported and that person's baseline is
    collected in the session instead: a bad file never stops a session.
    """
    from coregulate.signal.baseline import BaselineError, BaselineProfile
    from coregulate.signal.person import PersonConfig

    profiles = {}
    for role, path in (profile_paths or {}).items():
        try:
            profiles[role] = BaselineProfile.load(path)
        except BaselineError as exc:
            log.error("%s; the %s's baseline is taken in this session instead", exc, role)
    config = PersonConfig(baseline_s=baseline_s)
    return PersonMetricsStage(config, profiles, name=source, people=tuple(people))


def _sync_stage(source: str, people: tuple[str, ...] = ROLES) -> Stage:
    """Return the synchrony stage publishing as `source`: every pair of `people`, the group."""
    return SyncStage(name=source, people=tuple(people))


@dataclass(frozen=True)
class StageSpec:
    """One bus stage: its name, how to build it, its topics and its options.

    `consumes` and `produces` are topic prefixes, read from the stage class so they
    are declared once, beside the `update()` that handles them. `options` are the
    factory's keyword arguments with their defaults; a session overrides the ones
    it sets (`options_from`). `offline` says whether the offline pipeline chains
    the stage message by message (the synchrony stage has a whole-session offline
    path instead, whose updates equal the live stage's: docs/synchrony.md).
    """

    name: str  # process name and bus source name (a restart adds "-1", "-2", ...)
    stage_class: type
    factory: Callable[..., Stage]  # factory(source, **options) -> Stage
    options: Mapping[str, Any] = field(default_factory=dict)
    offline: bool = True
    # Each person's messages in, that person's topics out; other people's messages
    # matter only as time passing (the stage's `observe(t_ns)`). The offline pipeline
    # may then run each person's chain apart (on another core) with the same result.
    per_role: bool = False
    # Modules the stage's process imports in the background once it runs, so that
    # its `terminate()` does not spend the stop's seconds importing them.
    preload: tuple[str, ...] = ()

    @property
    def consumes(self) -> tuple[str, ...]:
        """Return the topic prefixes this stage reads."""
        return tuple(self.stage_class.topics)

    @property
    def produces(self) -> tuple[str, ...]:
        """Return the topic prefixes this stage publishes."""
        return tuple(self.stage_class.produces)

    def options_from(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Return this stage's options: its defaults, overridden by the `settings` it takes."""
        return {key: settings.get(key, default) for key, default in self.options.items()}

    def make(self, source: str | None = None, **options: Any) -> Stage:
        """Return a new stage publishing as `source` (default: the spec's name)."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise TypeError(f"stage {self.name!r} takes no option {sorted(unknown)}")
        return self.factory(source or self.name, **{**self.options, **options})


STAGES: tuple[StageSpec, ...] = (
    StageSpec(
        "signal",
        PersonMetricsStage,
        _metrics_stage,
        MappingProxyType(
            {"baseline_s": DEFAULT_BASELINE_S, "profile_paths": None, "people": ROLES}
        ),
        per_role=True,
    ),
    # The end-of-session phase synchrony imports NeuroKit2 (1.4 s, more on a busy machine).
    StageSpec(
        "sync",
        SyncStage,
        _sync_stage,
        MappingProxyType({"people": ROLES}),
        offline=False,
        preload=("neurokit2",),
    ),
)


def _feeds(upstream: StageSpec, downstream: StageSpec) -> bool:
    """Return True if `downstream` consumes any topic `upstream` produces."""
    return any(
        topic.startswith(prefix) or prefix.startswith(topic)
        for topic in upstream.produces
        for prefix in downstream.consumes
    )


def stage_order(specs: tuple[StageSpec, ...] = STAGES) -> tuple[StageSpec, ...]:
    """Return `specs` so that every stage comes after the stages whose output it consumes.

    Ties keep the order of `specs`. Raises ValueError on a cycle (two stages that
    each read the other's output), which no start or stop order could serve.
    """
    remaining = list(specs)
    ordered: list[StageSpec] = []
    while remaining:
        ready = next(
            (s for s in remaining if not any(_feeds(u, s) for u in remaining if u is not s)),
            None,
        )
        if ready is None:
            names = ", ".join(s.name for s in remaining)
            raise ValueError(f"the stages {names} consume each other's output in a cycle")
        ordered.append(ready)
        remaining.remove(ready)
    return tuple(ordered)


def stage_spec(name: str) -> StageSpec:
    """Return the spec of the stage called `name`; KeyError names the known ones."""
    for spec in STAGES:
        if spec.name == name:
            return spec
    raise KeyError(f"no stage {name!r}; known: {', '.join(s.name for s in STAGES)}")


def offline_specs() -> tuple[StageSpec, ...]:
    """Return the stages the offline pipeline chains over recorded beats, in bus order."""
    return tuple(s for s in stage_order() if s.offline)
