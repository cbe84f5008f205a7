"""The viewer's model and buffers, without Qt: de-duplication, order, gaps, markers."""

from __future__ import annotations

import math

import numpy as np

from coregulate.bus.envelope import make_message
from coregulate.ui.buffers import SeriesBuffer
from coregulate.ui.markers import marker_payload, retraction_payload
from coregulate.ui.model import MAX_STEP_S, SessionModel

NS = 1_000_000_000


def _metrics(seq: int, t_s: float, hr: float | None) -> object:
    return make_message("metrics.client", "signal", seq, int(t_s * NS), {"hr_bpm": hr})


def test_buffer_keeps_time_order_through_growth_and_late_rows() -> None:
    buf = SeriesBuffer(("a",), capacity=2)
    for t in (1.0, 2.0, 4.0, 5.0, 3.0, 0.5):
        buf.append(t, {"a": t * 10})
    assert list(buf.t_s) == [0.5, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert list(buf.column("a")) == [5.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert buf.since(2.5) == slice(2, 6)  # one row before the window, to enter from the edge


def test_same_message_twice_is_taken_once() -> None:
    model = SessionModel()
    assert model.ingest(_metrics(1, 1.0, 70.0))
    assert not model.ingest(_metrics(1, 1.0, 70.0))
    assert len(model.people["client"].metrics) == 1 and model.count() == 1


def test_no_line_across_a_stretch_without_updates() -> None:
    model = SessionModel()
    model.ingest(_metrics(1, 1.0, 70.0))
    model.ingest(_metrics(2, 1.0 + MAX_STEP_S + 5, 72.0))
    hr = model.people["client"].metrics.column("hr_bpm")
    assert hr[0] == 70.0 and math.isnan(hr[1]) and hr[2] == 72.0


def test_retraction_hides_its_marker_and_nameless_kinds_are_refused() -> None:
    model = SessionModel()
    a = marker_payload("repair", 5 * NS)
    b = marker_payload("note", 6 * NS, "text")
    model.ingest(make_message("marker", "ui-1", 1, 5 * NS, a))
    model.ingest(make_message("marker", "ui-1", 2, 6 * NS, b))
    model.ingest(make_message("marker", "ui-1", 3, 7 * NS, retraction_payload(b["id"], 7 * NS)))
    assert [m.id for m in model.visible_markers()] == [a["id"]]
    # A clinic's own kind (a marker kinds file) is a marker like any other ...
    own = {**a, "id": "own", "kind": "self-disclosure"}
    model.ingest(make_message("marker", "ui-1", 4, 8 * NS, own))
    assert "own" in model.markers and model.ignored == 0
    # ... but a kind that is no short name is refused.
    for seq, kind in enumerate(("", 7, "k" * 41), start=5):
        bad = {**a, "id": f"x{seq}", "kind": kind}
        model.ingest(make_message("marker", "ui-1", seq, 8 * NS, bad))
    assert model.ignored == 3 and not any(f"x{i}" in model.markers for i in (5, 6, 7))
    assert np.isfinite(model.now_s)
