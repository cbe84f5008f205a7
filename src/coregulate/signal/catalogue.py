"""The metric catalogue: every per-person metric once, with its unit, window and definition.

Pure data. :data:`PAYLOAD` lists the fields of the ``metrics.<role>`` payload
(docs/protocol.md) in the order the signal stage publishes them; the per-person
metrics among them are :class:`Metric` entries, everything else (times, counts, the
state word, the baseline, the beats) :class:`Field` entries. Whoever shows, buffers,
exports or documents metrics iterates :func:`metrics`: the window's rows and
readouts, the viewer's buffers, the CSV export and the table in docs/metrics.md.

Adding a metric is one :class:`Metric` entry here plus the step that computes it
(``signal/person_steps.py``, ``STEPS``); docs/metrics.md's table is regenerated with
``python scripts/metrics_table.py``.

Readers look the catalogue up when they use it (``catalogue.PAYLOAD``), never copy
it at import, so a metric added in a test reaches every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

# Display order of the domains: views and docs show metrics grouped by domain, in
# catalogue order within one (the payload keeps its own, historical order).
DOMAINS: Final = ("time", "frequency", "quality", "baseline")


@dataclass(frozen=True, slots=True)
class Metric:
    """One per-person metric: what it is, its unit and window, and how it is shown.

    Attributes
    ----------
    name
        Payload key (units in the name: ``hr_bpm``, ``rmssd_ms``).
    title
        Short name on screen ("HR", "lnRMSSD").
    unit
        Unit of the published value ("bpm", "ln(ms)", "fraction").
    domain
        One of :data:`DOMAINS`; sets the display order.
    window_field
        The `PersonConfig` field (and payload key) holding its trailing window in
        seconds; None when it has no window of its own.
    cadence
        "beat": recomputed at every update; "spectral": every `spectral_step_s`.
    definition, source
        One sentence, and the reference it follows.
    fmt, scale, shown_unit
        On screen: ``fmt.format(value * scale)`` followed by `shown_unit` ("" when
        the unit is named in the readout's note instead).
    readout
        The status panel's note (``{window}`` is replaced by "60 s"); None: no readout.
    plot
        The full view's row title (``{window}`` as above); None: no row of its own.
    plot_with
        Drawn dashed in the row of this other metric instead of a row of its own.
    display_range
        Fixed y range of its row, in displayed units; None: automatic.
    export_column
        Its column in the CSV export's metrics.csv; None: not exported there.
    empty
        Its value before the first classified beat.
    explained
        A missing value (None) comes with its reason in the payload's `unavailable`.
    """

    name: str
    title: str
    unit: str
    domain: str
    window_field: str | None
    cadence: Literal["beat", "spectral"]
    definition: str
    source: str
    fmt: str = "{:.0f}"
    scale: float = 1.0
    shown_unit: str | None = None
    readout: str | None = None
    plot: str | None = None
    plot_with: str | None = None
    display_range: tuple[float, float] | None = None
    export_column: str | None = None
    empty: Any = None
    explained: bool = True

    @property
    def axis_unit(self) -> str:
        """Return the unit of the displayed value (after `scale`), as a plot axis names it."""
        return self.shown_unit or self.unit

    @property
    def readout_unit(self) -> str:
        """Return the unit printed after the displayed value ("" when the note names it)."""
        return self.unit if self.shown_unit is None else self.shown_unit


@dataclass(frozen=True, slots=True)
class Field:
    """A payload field that is not a metric: a time, a count, the state word, structure."""

    name: str
    description: str
    empty: Any = None
    explained: bool = False


_TIME_SOURCE = "NeuroKit2 hrv_time; Task Force (1996)"
_FREQ_SOURCE = "NeuroKit2 hrv_frequency (normalize=False); Task Force (1996)"
# Measured by scripts/spectral_stability.py (docs/metrics.md, "Spectral layout").
_LATENCY: Final = "; a change shows half-way after about 90 s, 90 % after 190 s"

PAYLOAD: tuple[Metric | Field, ...] = (
    Field("t_ns", "session time of the newest classified beat (the windows' end)"),
    Metric(
        "hr_bpm", "HR", "bpm", "time", "hr_window_s", "beat",
        "60000 / mean NN over the window (corrected intervals)", _TIME_SOURCE,
        readout="{window} window", plot="Heart rate, mean of {window}", export_column="hr_bpm",
    ),
    Metric(
        "rmssd_ms", "RMSSD", "ms", "time", "window_s", "beat",
        "root mean square of successive NN differences, never across a gap", _TIME_SOURCE,
        readout="{window} window", export_column="rmssd_ms",
    ),
    Metric(
        "ln_rmssd", "lnRMSSD", "ln(ms)", "time", "window_s", "beat",
        "natural logarithm of RMSSD", _TIME_SOURCE, fmt="{:.2f}", shown_unit="",
        readout="{window} window, ln(ms)",
        plot="lnRMSSD, {window} window (dotted: own baseline mean ± SD)",
        export_column="ln_rmssd_ln_ms",
    ),
    Metric(
        "sdnn_ms", "SDNN", "ms", "time", "window_s", "beat",
        "sample SD (ddof 1) of the NN intervals", _TIME_SOURCE, readout="{window} window",
    ),
    Field("n_beats", "classified beats in the `window_s` window", empty=0),
    Field("n_diffs", "successive differences in the `window_s` window", empty=0),
    Metric(
        "artifact_share", "Artifacts", "fraction", "quality", "window_s", "beat",
        "share of corrected beats (Lipponen & Tarvainen classes) in the window",
        "Lipponen & Tarvainen (2019)", scale=100.0, shown_unit="%",
        readout="share of corrected beats, {window} window",
        plot="Artifacts: share of repaired beats, {window} window", display_range=(0.0, 100.0),
        export_column="artifact_share_fraction", empty=0.0, explained=False,
    ),
    Field("hr_artifact_share", "share of corrected beats in the HR window", empty=0.0),
    Field("spectral_artifact_share", "share of corrected beats in the newest spectral window"),
    Field("artifacts", "corrected beats in the `window_s` window, per class"),
    Metric(
        "lf_power_ms2", "LF power", "ms²", "frequency", "spectral_window_s", "spectral",
        "Welch power 0.04-0.15 Hz of NN interpolated at 4 Hz (60 s segments)" + _LATENCY,
        _FREQ_SOURCE,
    ),
    Metric(
        "hf_power_ms2", "HF power", "ms²", "frequency", "spectral_window_s", "spectral",
        "Welch power 0.15-0.40 Hz of NN interpolated at 4 Hz (60 s segments)" + _LATENCY,
        _FREQ_SOURCE,
    ),
    Metric(
        "ln_hf", "ln HF", "ln(ms²)", "frequency", "spectral_window_s", "spectral",
        "natural logarithm of HF power", _FREQ_SOURCE, fmt="{:.2f}", shown_unit="",
        readout="0.15-0.40 Hz, {window}, ln(ms²)",
        plot="ln HF power 0.15-0.40 Hz (solid) and RSA (dashed), {window} window",
    ),
    Metric(
        "rsa_ln_ms2", "RSA", "ln(ms²)", "frequency", "spectral_window_s", "spectral",
        "mean ln variance of 30 s epochs of band-passed (0.12-0.40 Hz) heart period"
        " (quintic spline at 2 Hz); a change shows half-way after about 115 s",
        "Porges & Bohrer (1990); Lewis et al. (2012)", fmt="{:.2f}", shown_unit="",
        readout="Porges-Bohrer, {window}, ln(ms²)", plot_with="ln_hf",
    ),
    Field("spectral_t_ns", "session time of the spectral metrics' last computation"),
    Field(
        "spectral_bridged_gaps_s",
        "gaps (s) the spectral window was computed across, oldest first (signal/gap_bridge.py);"
        " [] for none, null before the first computation",
    ),
    Metric(
        "arousal_index", "Arousal index", "z", "baseline", None, "beat",
        "(z(HR) − z(lnRMSSD)) / 2 against the person's own baseline, SDs floored",
        "this project (docs/metrics.md)", fmt="{:+.1f}", shown_unit="",
        readout="(z(HR) − z(lnRMSSD)) / 2 vs own baseline",
    ),
    Field("state", "settled, activated or highly activated (StateThresholds)", explained=True),
    Field("state_since_ns", "session time the state was entered"),
    Field("baseline", "the baseline's status, period and profile"),
    Field("window_s", "trailing window of RMSSD, lnRMSSD, SDNN and the artifact share (s)"),
    Field("hr_window_s", "trailing window of HR (s)"),
    Field("spectral_window_s", "trailing window of LF, HF and RSA (s)"),
    Field("beats", "the beats classified in this update, and those rejected"),
    Field("unavailable", "why each missing value is missing, by field"),
    Field(
        "no_signal_since_ns",
        "in a \"no signal\" update (no beat for `no_signal_s`): the last beat's session time;"
        " null otherwise",
    ),
)  # fmt: skip


def metrics() -> tuple[Metric, ...]:
    """Return the catalogue's metrics in display order (by domain, then catalogue order)."""
    found = [f for f in PAYLOAD if isinstance(f, Metric)]
    return tuple(sorted(found, key=lambda m: DOMAINS.index(m.domain)))


def metric(name: str) -> Metric:
    """Return the metric called `name`, or raise KeyError."""
    for m in metrics():
        if m.name == name:
            return m
    raise KeyError(f"no metric {name!r} in the catalogue")


def window_text(window_s: object) -> str:
    """Return a window length as shown beside a metric ("60 s"), or "" when unknown."""
    if isinstance(window_s, bool) or not isinstance(window_s, int | float):
        return ""
    return f"{window_s:g} s"


def markdown_table() -> str:
    """Return the Markdown table of the catalogue's metrics (docs/metrics.md)."""
    lines = [
        "| metric | unit | window | updated | definition | source |",
        "|---|---|---|---|---|---|",
    ]
    for m in metrics():
        window = f"`{m.window_field}`" if m.window_field else "-"
        every = "every beat" if m.cadence == "beat" else "every `spectral_step_s`"
        lines.append(
            f"| `{m.name}` | {m.unit} | {window} | {every} | {m.definition} | {m.source} |"
        )
    return "\n".join(lines) + "\n"
