"""The stage registry: one list of stages, ordered by what each consumes."""

from __future__ import annotations

import pickle

import pytest

from coregulate.recordings.pipeline import offline_stages
from coregulate.stages.metrics_stage import PersonMetricsStage
from coregulate.stages.registry import STAGES, StageSpec, stage_order, stage_spec


def test_stages_start_after_the_stages_whose_output_they_read() -> None:
    order = [s.name for s in stage_order()]
    assert order == ["signal", "sync"]  # sync reads the signal stage's metrics
    assert [s.name for s in stage_order(tuple(reversed(STAGES)))] == ["signal", "sync"]


def test_a_cycle_of_stages_is_refused() -> None:
    class A:
        topics, produces = ("b",), ("a",)

    class B:
        topics, produces = ("a",), ("b",)

    specs = (StageSpec("a", A, lambda source: A()), StageSpec("b", B, lambda source: B()))
    with pytest.raises(ValueError, match="cycle"):
        stage_order(specs)


def test_a_stage_is_built_from_its_name_and_picklable_options() -> None:
    spec = stage_spec("signal")
    options = spec.options_from({"baseline_s": 0.0, "unrelated": 1})
    assert pickle.loads(pickle.dumps(options)) == {
        "baseline_s": 0.0,
        "profile_paths": None,
        "people": ("client", "therapist"),
    }
    stage = spec.make("signal-1", **options)
    assert isinstance(stage, PersonMetricsStage)
    assert (stage.name, stage.config.baseline_s) == ("signal-1", 0.0)
    with pytest.raises(TypeError):
        spec.make(nope=1)
    with pytest.raises(KeyError):
        stage_spec("nope")


def test_the_offline_pipeline_runs_the_registered_offline_stages() -> None:
    stages = offline_stages()
    assert [s.name for s in stages] == [s.name for s in stage_order() if s.offline]
    assert [type(s).__name__ for s in stages] == ["PersonMetricsStage"]
