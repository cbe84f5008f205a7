"""Honest numbers: a value with its unit, or "not available" with the reason on hover."""

from __future__ import annotations

import math
from typing import Any

from PySide6 import QtWidgets

# Shown when the signal stage of this session does not publish a field at all.
NOT_PUBLISHED = "this session's signal stage does not publish it"


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
