"""The metric catalogue: one entry per metric, and every reader of metrics follows it.

A metric added as one catalogue entry plus its computation step reaches the
payload, the CSV export, the full view's rows and the status panel's readouts.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from coregulate.bus.envelope import make_message
from coregulate.recordings.export import export_csv
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.signal import catalogue, person_steps
from coregulate.signal.catalogue import Metric
from coregulate.signal.person import PersonSignal
from coregulate.signal.person_steps import Update

NS = 1_000_000_000
DOCS = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"
DUMMY = Metric(
    "dummy_ms", "Dummy", "ms", "time", "window_s", "beat",
    "the newest NN interval", "a test", readout="{window} window",
    plot="Dummy: newest NN, {window} window", export_column="dummy_ms",
)  # fmt: skip


def _beats(person: PersonSignal, n: int) -> list:
    out, t = [], 0
    for i in range(n):
        rr = 800.0 + 20.0 * (i % 5)
        t += int(rr * 1e6)
        out.append(person.update([t], [rr], gap_before=(i == 0)))
    return out


def test_the_docs_table_lists_exactly_the_catalogue() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert catalogue.markdown_table() in text, "run: python scripts/metrics_table.py"
    table = text.split("<!-- metric table:", 1)[1].split("<!-- end of metric table -->", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", table, flags=re.MULTILINE)
    assert [(n, u.strip()) for n, u in rows] == [(m.name, m.unit) for m in catalogue.metrics()]


def test_the_payload_is_the_catalogue_in_order_and_complete() -> None:
    names = [f.name for f in catalogue.PAYLOAD]
    assert len(set(names)) == len(names)
    metrics = _beats(PersonSignal(), 300)
    assert list(metrics[0].to_dict()) == names  # the first update: nothing classified yet
    assert list(metrics[-1].to_dict()) == names
    assert metrics[-1].hr_bpm is not None and metrics[-1].state is not None
    # Every metric that can be missing says why when it is.
    first = metrics[0]
    for f in catalogue.PAYLOAD:
        if f.explained:
            assert f.name in first.unavailable


def test_steps_write_nothing_the_catalogue_does_not_declare() -> None:
    person = PersonSignal()
    _beats(person, 200)
    t = person._ring.view("t")
    u = Update(
        int(t[-1]), t, person._ring.view("nn"), person._ring.view("seg"),
        person._ring.view("kind"), {}, {},
    )  # fmt: skip
    for step in person._steps:
        step(u)
    names = {f.name for f in catalogue.PAYLOAD}
    assert set(u.values) <= names and set(u.unavailable) <= names


def test_windows_and_readouts_have_a_config_field() -> None:
    from coregulate.signal.person import PersonConfig

    for m in catalogue.metrics():
        assert m.domain in catalogue.DOMAINS and m.cadence in ("beat", "spectral")
        if m.window_field is not None:
            assert hasattr(PersonConfig(), m.window_field)
            assert m.window_field in {f.name for f in catalogue.PAYLOAD}
        if m.plot_with is not None:
            assert catalogue.metric(m.plot_with).plot is not None


class _Dummy:
    """The dummy metric's computation: the newest NN interval, ms."""

    def __init__(self, config: object) -> None:
        self.config = config

    def __call__(self, u: Update) -> None:
        u.values["dummy_ms"] = float(u.nn_ms[-1])


@pytest.fixture
def dummy_metric(monkeypatch: pytest.MonkeyPatch) -> Metric:
    """Add the dummy metric: one catalogue entry plus its step, nothing else."""
    monkeypatch.setattr(catalogue, "PAYLOAD", (*catalogue.PAYLOAD, DUMMY))
    monkeypatch.setattr(person_steps, "STEPS", (*person_steps.STEPS, _Dummy))
    return DUMMY


def test_a_new_metric_reaches_the_payload_and_the_export(
    dummy_metric: Metric, tmp_path: Path
) -> None:
    metrics = _beats(PersonSignal(), 120)
    assert metrics[0].dummy_ms is None and "dummy_ms" in metrics[0].unavailable
    assert metrics[-1].dummy_ms == pytest.approx(800.0, abs=100.0)
    extra = [("metrics.client", m.to_dict(), m.t_ns) for m in metrics]
    session = write_simulated_session(tmp_path / "s.sqlite", seed=1, duration_s=60, extra=extra)
    export_csv(session, tmp_path / "csv")
    with open(tmp_path / "csv" / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert "dummy_ms" in rows[0]
    assert [r["dummy_ms"] for r in rows][-1] == repr(metrics[-1].dummy_ms)


def test_a_new_metric_gets_a_row_and_a_readout(dummy_metric: Metric, qtbot) -> None:
    from coregulate.ui.full_view import FullView
    from coregulate.ui.model import SessionModel

    model = SessionModel()
    view = FullView(model)
    qtbot.addWidget(view)
    assert "dummy_ms" in view.plots and ("client", "dummy_ms") in view.curves
    assert ("therapist", "dummy_ms") in view.status.readouts
    payload = {"t_ns": 5 * NS, "hr_bpm": 70.0, "dummy_ms": 812.0, "window_s": 30.0}
    model.ingest(make_message("metrics.client", "signal", 1, 5 * NS, payload))
    view.redraw(force=True)
    readout = view.status.readouts[("client", "dummy_ms")]
    assert readout.text() == "Dummy: 812 ms" and "30 s window" in readout.toolTip()
    _, y = view.curves[("client", "dummy_ms")].getData()
    assert list(y) == [812.0]
    # The row's title names the window the message gives, not a fixed one.
    assert "30 s window" in view.plots["dummy_ms"].titleLabel.text
