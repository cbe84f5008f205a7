"""Honest numbers: a value with its unit, or "not available" with the reason on hover."""

from __future__ import annotations

import math
from typing import Any

from PySide6 import QtWidgets

from coregulate.signal.baseline import LN_RMSSD_SD_FLOOR
from coregulate.signal.catalogue import Metric, window_text
from coregulate.signal.person import PersonConfig

# Shown when the signal stage of this session does not publish a field at all.
NOT_PUBLISHED = "this session's signal stage does not publish it"
# Windows named before a metrics message says which ones this session uses.
_DEFAULT_CONFIG = PersonConfig()


def metric_window(metric: Metric, latest: dict[str, Any]) -> str:
    """Return the metric's window as the newest payload gives it ("60 s"), else the default."""
    if metric.window_field is None:
        return ""
    value = latest.get(metric.window_field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        value = getattr(_DEFAULT_CONFIG, metric.window_field, None)
    return window_text(value)


def metric_text(template: str | None, metric: Metric, latest: dict[str, Any]) -> str:
    """Return `template` (a readout note or row title) with ``{window}`` filled in."""
    return (template or "").format(window=metric_window(metric, latest))


def metric_reason(latest: dict[str, Any], name: str) -> str | None:
    """Return why `name` is not available in the newest metrics payload, or None if it is."""
    if not latest:
        return "no metrics received yet"
    value = latest.get(name)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return None
    unavailable = latest.get("unavailable") or {}
    if name in unavailable:
        return str(unavailable[name])
    if name not in latest:
        return NOT_PUBLISHED
    return "no value"


class Readout(QtWidgets.QLabel):
    """A label "HR 72 bpm" or "HR not available" (the reason in its tooltip)."""

    def __init__(self, title: str, unit: str, fmt: str = "{:.0f}", window: str = "") -> None:
        super().__init__()
        self.title, self.unit, self.fmt, self.window = title, unit, fmt, window
        self.available = False
        self.reason = "no metrics received yet"
        self.set_value(None, self.reason)

    def set_value(self, value: float | None, reason: str | None) -> None:
        """Show `value`, or "not available" with `reason` on hover."""
        suffix = f" ({self.window})" if self.window else ""
        if value is None or reason is not None:
            self.available = False
            self.reason = reason or "no value"
            text = f"{self.title}: not available"
            tip = f"{self.title}{suffix} is not available: {self.reason}"
        else:
            self.available = True
            self.reason = ""
            number = self.fmt.format(value)
            text = f"{self.title}: {number} {self.unit}".rstrip()
            tip = f"{self.title}{suffix}"
        if text != self.text():
            self.setText(text)
        if tip != self.toolTip():  # the reason can change while the text stays
            self.setToolTip(tip)

    def show_metric(self, latest: dict[str, Any], name: str, scale: float = 1.0) -> None:
        """Show metric `name` of the newest payload, multiplied by `scale`."""
        reason = metric_reason(latest, name)
        self.set_value(None if reason else float(latest[name]) * scale, reason)


class MetricReadout(Readout):
    """A readout of one catalogue metric, its note naming the window the message gives."""

    def __init__(self, metric: Metric, title: str | None = None) -> None:
        note = metric_text(metric.readout, metric, {})
        super().__init__(title or metric.title, metric.readout_unit, metric.fmt, note)
        # Not `self.metric`: that would shadow QPaintDevice.metric(), which Qt calls.
        self.entry = metric

    def show(self, latest: dict[str, Any]) -> None:
        """Show the metric in the newest payload (scaled for display), or why it is missing."""
        self.window = metric_text(self.entry.readout, self.entry, latest)
        self.show_metric(latest, self.entry.name, self.entry.scale)
        bridged = bridged_note(self.entry, latest)
        if bridged and self.available:
            # Said beside the number, not only on hover: a value computed across a
            # reconnection is sound but a reviewer of the session should know it.
            self.setText(f"{self.text()} · {bridged}")
            self.setToolTip(f"{self.toolTip()}: {bridged} (docs/metrics.md, bridging short gaps)")


def bridged_note(metric: Metric, latest: dict[str, Any]) -> str:
    """Return "bridged a 5 s gap" when a spectral metric's window spans bridged gaps, else ""."""
    if metric.window_field != "spectral_window_s":
        return ""
    gaps = latest.get("spectral_bridged_gaps_s") or []
    gaps_s = [g for g in gaps if isinstance(g, int | float) and not isinstance(g, bool)]
    if not gaps_s:
        return ""
    if len(gaps_s) == 1:
        return f"bridged a {gaps_s[0]:.0f} s gap"
    return f"bridged {len(gaps_s)} gaps ({sum(gaps_s):.0f} s)"


def hrv_cue(latest: dict[str, Any]) -> tuple[str, str]:
    """Return the calm view's HRV words against the person's own baseline, and the tooltip.

    "HRV lower than baseline" when lnRMSSD is more than one baseline SD below the
    baseline mean, "higher" above, "near" within; the number stays in the full view.
    """
    reason = metric_reason(latest, "ln_rmssd")
    profile = (latest.get("baseline") or {}).get("profile") or {}
    mean, sd = profile.get("ln_rmssd_mean"), profile.get("ln_rmssd_sd")
    if reason or not isinstance(mean, int | float) or not isinstance(sd, int | float):
        why = reason or "no baseline yet"
        return "HRV: not available", f"HRV (lnRMSSD) against own baseline is not available: {why}"
    z = (float(latest["ln_rmssd"]) - mean) / max(float(sd), LN_RMSSD_SD_FLOOR)
    words = "lower than" if z < -1 else "higher than" if z > 1 else "near"
    tip = (
        f"lnRMSSD {float(latest['ln_rmssd']):.2f} against this person's baseline "
        f"{mean:.2f} ± {sd:.2f} (z {z:+.1f}; beyond ±1 SD is lower or higher). "
        "The number is in the full view (F2)."
    )
    return f"HRV {words} baseline", tip
