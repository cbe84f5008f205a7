"""Every analysis parameter of the pipeline, as recorded in each session file.

Read from the defaults the session actually runs (the beat timer's signature, the
signal stage's `PersonConfig`, the synchrony stage's `SyncParams`), so the record
follows the code: a stage that changes a default changes what is written, with no
second list to keep in step.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from coregulate.acquisition.beat_timing import BeatTimer
from coregulate.signal import artifacts
from coregulate.signal.person import PersonConfig
from coregulate.signal.synchrony.params import HR_PARAMS, SLOW_PARAMS


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
        "person_metrics": dataclasses.asdict(PersonConfig()),
        "artifacts": {
            "method": "Lipponen & Tarvainen 2019, causal (signal/artifacts.py)",
            "c1": artifacts.C1,
            "c2": artifacts.C2,
            "alpha": artifacts.ALPHA,
            "quartile_window_beats": artifacts.QUARTILE_WINDOW,
            "median_window_beats": artifacts.MEDIAN_WINDOW,
            "min_rr_ms": artifacts.MIN_RR_MS,
            "max_rr_ms": artifacts.MAX_RR_MS,
        },
        "synchrony_hr": HR_PARAMS.to_dict(),
        "synchrony_slow": SLOW_PARAMS.to_dict(),
    }
