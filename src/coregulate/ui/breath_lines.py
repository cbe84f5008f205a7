"""Breathing in words, from the newest `breath.<role>` payload (docs/breathing.md).

The full view always says the breathing rate (or why there is none) once a session
has sent breathing; the calm view says something only when it matters: breathing
outside the HF band (then HF power and RSA are not vagal indices) or moving. A
session without accelerometer sends no `breath.` messages and gets nothing new.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtWidgets

# Updates come every 5 s; three missed ones mean the accelerometer went quiet.
STALE_S = 15.0
SOURCES = {"acc": "chest accelerometer", "ecg": "from the ECG"}
# Readouts marked when the breath payload flags HF power: ln HF is the same power.
FLAG_ALIASES = {"ln_hf": "hf_power_ms2"}


def _rate(breath: dict[str, Any]) -> float | None:
    rate = breath.get("breathing_rate_bpm")
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        return None
    return float(rate)


def breathing_readout(breath: dict[str, Any], age_s: float) -> str:
    """Return the full view's line "Breathing: 14 /min (chest accelerometer, 60 s)", or ""."""
    if not breath:
        return ""  # no ACC in this session: nothing new
    if age_s > STALE_S:
        return f"Breathing: not available (no update for {age_s:.0f} s)"
    rate = _rate(breath)
    if rate is None:
        why = (breath.get("unavailable") or {}).get("breathing_rate_bpm", "no value")
        return f"Breathing: not available ({why})"
    source = SOURCES.get(str(breath.get("breathing_source")), breath.get("breathing_source"))
    window = breath.get("window_s")
    window_text = f", {window:.0f} s" if isinstance(window, int | float) else ""
    text = f"Breathing: {rate:.0f} /min ({source}{window_text})"
    if breath.get("hf_note"):
        text += " · outside the HF band (9-24 /min)"
    if breath.get("moving"):
        text += " · moving"
    return text


def band_flag(name: str, metrics: dict[str, Any], breath: dict[str, Any]) -> str:
    """Return the note marking readout `name` (e.g. "breathing outside the HF band (7/min)")."""
    flags = metrics.get("flags") if "flags" in metrics else breath.get("flags")
    if not isinstance(flags, dict):
        return ""
    note = flags.get(name) or flags.get(FLAG_ALIASES.get(name, ""))
    return str(note) if note else ""


def calm_breath_line(breath: dict[str, Any], age_s: float) -> str:
    """Return the calm view's quiet line, only when breathing matters; else ""."""
    if not breath or age_s > STALE_S:
        return ""
    parts = []
    if breath.get("moving"):
        parts.append("moving: heart rate may rise with it")
    rate = _rate(breath)
    if rate is not None and breath.get("hf_note"):
        parts.append(f"breathing {rate:.0f}/min, outside the HF range (HRV reads differently)")
    return " · ".join(parts)


class BreathLine(QtWidgets.QLabel):
    """A quiet line under a person's numbers, hidden unless breathing or moving matters."""

    def __init__(self) -> None:
        super().__init__("")
        self.setWordWrap(True)
        self.setVisible(False)
        self.setToolTip(
            "HF power and RSA are vagal indices only while breathing is 9-24/min; "
            "movement raises heart rate without arousal (docs/breathing.md)."
        )

    def show_breath(self, breath: dict[str, Any], age_s: float) -> None:
        """Show the line for the newest breath payload `age_s` old (hidden when empty)."""
        text = calm_breath_line(breath, age_s)
        if text != self.text():
            self.setText(text)
        if self.isHidden() == bool(text):
            self.setVisible(bool(text))
