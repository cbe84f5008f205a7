"""Every analysis parameter of the pipeline, as recorded in each session file.

Read from the defaults of the classes the session actually runs (by signature, and
the synchrony stage's `SyncParams`), so the record follows the code: a stage that
changes a default changes what is written, with no second list to keep in step.
"""

from __future__ import annotations

import inspect
from typing import Any

from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.signal.synchrony.params import HR_PARAMS, SLOW_PARAMS
from coregulate.signal.trailing import TrailingHrv
from coregulate.stages.metrics_stage import PersonMetricsStage


def _defaults(cls: type) -> dict[str, Any]:
    return {
        name: p.default
        for name, p in inspect.signature(cls).parameters.items()
        if p.default is not inspect.Parameter.empty
        and isinstance(p.default, int | float | str | bool)
    }


def pipeline_parameters() -> dict[str, dict[str, Any]]:
    """Return {component: {parameter: value}} for the live pipeline's components."""
    return {
        "beat_timing": _defaults(BeatTimer),
        "metrics_stage": {k: v for k, v in _defaults(PersonMetricsStage).items() if k != "name"},
        "trailing_hrv": _defaults(TrailingHrv),
        "synchrony_hr": HR_PARAMS.to_dict(),
        "synchrony_slow": SLOW_PARAMS.to_dict(),
    }
