"""The full view's status panel: straps, baselines, newest numbers, synchrony statistics."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from coregulate.palette import person_name
from coregulate.signal import catalogue
from coregulate.signal import people as ppl
from coregulate.ui import theme as th
from coregulate.ui.breath_lines import band_flag, breathing_readout
from coregulate.ui.model import Person, SessionModel
from coregulate.ui.readouts import MetricReadout

STATUS_PX = 280  # the panel's width beside a dyad's plots


class StatusPanel(QtWidgets.QFrame):
    """Text readouts beside the plots; every number has its unit, every gap its reason."""

    def __init__(self, model: SessionModel) -> None:
        super().__init__()
        self.model = model
        self.setFixedWidth(STATUS_PX)
        self._layout = layout = QtWidgets.QVBoxLayout(self)
        self.readouts: dict[tuple[str, str], MetricReadout] = {}
        self.straps: dict[str, QtWidgets.QLabel] = {}
        self.baselines: dict[str, QtWidgets.QLabel] = {}
        self.breathing: dict[str, QtWidgets.QLabel] = {}  # hidden without breath. messages
        self.titles: dict[str, QtWidgets.QLabel] = {}  # coloured by set_theme
        self.keys: tuple[str, ...] = ()
        self._items: list[QtWidgets.QWidget | QtWidgets.QLayoutItem] = []  # people's sections
        self.theme: th.Theme | None = None
        self._set_people(model.keys)
        title = QtWidgets.QLabel("Synchrony (heart rate)")
        layout.addWidget(title)
        self.titles["sync"] = title
        self.sync = QtWidgets.QLabel("waiting")
        self.sync.setWordWrap(True)
        self.sync.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.sync)
        self.bus = QtWidgets.QLabel("")
        self.bus.setWordWrap(True)
        layout.addWidget(self.bus)
        layout.addStretch(1)

    def _set_people(self, keys: tuple[str, ...]) -> None:
        """Make a section per person (name, strap, baseline, breathing, readouts), in order."""
        for item in self._items:
            if isinstance(item, QtWidgets.QWidget):
                self._layout.removeWidget(item)
                item.hide()  # at once: deleteLater waits for the event loop's next turn
                item.deleteLater()
            else:
                self._layout.removeItem(item)
        for mapping in (self.straps, self.baselines, self.breathing, self.titles):
            for key in self.keys:
                mapping.pop(key, None)
        self.readouts = {k: r for k, r in self.readouts.items() if k[0] not in self.keys}
        self._items, self.keys = [], keys
        for role in keys:
            self.titles[role] = QtWidgets.QLabel(th.person_name(role))
            self.straps[role] = QtWidgets.QLabel("strap: waiting")
            self.baselines[role] = QtWidgets.QLabel("baseline: waiting")
            self.breathing[role] = QtWidgets.QLabel("")
            self.breathing[role].setWordWrap(True)
            self.breathing[role].setVisible(False)
            widgets = [self.titles[role], self.straps[role], self.baselines[role]]
            widgets.append(self.breathing[role])
            for metric in catalogue.metrics():
                if metric.readout is not None:
                    self.readouts[(role, metric.name)] = MetricReadout(metric)
                    widgets.append(self.readouts[(role, metric.name)])
            for widget in widgets:
                self._layout.insertWidget(len(self._items), widget)
                self._items.append(widget)
            self._layout.insertSpacing(len(self._items), 8)
            self._items.append(self._layout.itemAt(len(self._items)))
        if self.theme is not None:
            self.set_theme(self.theme)

    def set_theme(self, theme: th.Theme) -> None:
        """Recolour for `theme` (the palette does most of it; titles read at 4.5:1)."""
        self.theme = theme
        self.setStyleSheet(f"QFrame {{ background: {theme.panel}; }}")
        colours = {**th.person_colours(self.keys, theme.name), "sync": th.SYNC_COLOUR}
        for key, title in self.titles.items():
            ink = th.ink(colours[key], theme.panel)
            title.setStyleSheet(f"font-weight: 600; font-size: 15px; color: {ink};")

    def redraw(self) -> None:
        """Refresh every readout from the newest messages."""
        m = self.model
        if m.keys != self.keys:
            self._set_people(m.keys)
        for (role, name), readout in self.readouts.items():
            person = m.people.get(role) or Person()
            readout.show(person.latest)
            flag = band_flag(name, person.latest, person.breath) if readout.available else ""
            if flag:
                # Said beside the number: HF power and RSA are vagal indices only
                # while breathing stays in the HF band (docs/breathing.md).
                readout.setText(f"{readout.text()} · {flag}")
                readout.setToolTip(f"{readout.toolTip()}: {flag}")
        for role in self.keys:
            person = m.people.get(role) or Person()
            strap = person.strap
            word = strap.get("status", "waiting")
            battery = strap.get("battery_pct")
            extra = f", battery {battery:.0f} %" if isinstance(battery, int | float) else ""
            _set(self.straps[role], f"strap: {word}{extra}")
            _set(self.baselines[role], "baseline: " + baseline_text(person.latest.get("baseline")))
            breathing = breathing_readout(person.breath, person.breath_age_s(m.now_s))
            _set(self.breathing[role], breathing)
            self.breathing[role].setVisible(bool(breathing))
        _set(self.sync, sync_text(m))
        lost = m.bus_lost
        _set(
            self.bus,
            f"{lost} messages missed by this window (filled from the file if it is open)"
            if lost
            else "",
        )


def _set(label: QtWidgets.QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)


def baseline_text(baseline: object) -> str:
    """Return a short description of a person's baseline status."""
    if not isinstance(baseline, dict):
        return "not published by this session's signal stage"
    status = baseline.get("status", "?")
    if status == "collecting":
        return f"collecting ({100 * float(baseline.get('progress') or 0):.0f} %)"
    if status == "failed":
        return f"failed: {baseline.get('reason', 'no reason given')}"
    profile = baseline.get("profile") or {}
    if profile:
        return (
            f"{status}: HR {profile.get('hr_bpm_mean', float('nan')):.0f} bpm, "
            f"lnRMSSD {profile.get('ln_rmssd_mean', float('nan')):.2f} ± "
            f"{profile.get('ln_rmssd_sd', float('nan')):.2f}"
        )
    return str(status)


def sync_text(model: SessionModel) -> str:
    """Return the session's synchrony statistics so far, or why there are none."""
    if model.is_group():
        return group_text(model)
    sync = model.sync.get("hr_bpm")
    if sync is None:
        return "not available: none received yet"
    # The stage's shares name the dyad's roles: the pair's first and second person.
    first, second = (person_name(k).lower() for k in model.keys)
    latest = sync.latest
    unavailable = latest.get("unavailable") or {}
    lines = []
    summary = latest.get("summary")
    if summary:
        lines.append(
            f"mean peak z {summary.get('mean_peak_z', float('nan')):+.2f} over "
            f"{summary.get('n_available', 0)} windows; {second} leads "
            f"{100 * (summary.get('share_therapist_leads') or 0):.0f} %, {first} "
            f"{100 * (summary.get('share_client_leads') or 0):.0f} %"
        )
    else:
        lines.append(f"summary not available: {unavailable.get('summary', 'no value')}")
    susy = latest.get("susy")
    if susy:
        es = (susy.get("z") or {}).get("es")
        p = susy.get("p_above_chance")
        verdict = {True: "above chance", False: "not above chance"}.get(
            susy.get("above_chance"), "no verdict yet (too few segments)"
        )
        es_text = f"{es:+.2f}" if isinstance(es, int | float) else "n/a"
        p_text = f"{p:.3f}" if isinstance(p, int | float) else "n/a"
        lines.append(f"SUSY effect size {es_text} (p {p_text}): {verdict}")
    else:
        lines.append(f"SUSY not available: {unavailable.get('susy', 'no value')}")
    return "\n".join(lines)


def group_text(model: SessionModel) -> str:
    """Return the group index's newest value and verdict in a 3+ person session."""
    latest = model.group.latest
    if not latest:
        return "group index: none received yet\neach pair: the strip above"
    value, chance = latest.get("value"), latest.get("chance_95")
    verdict = {True: "above chance", False: "not above chance"}.get(
        latest.get("above_chance"), "no verdict yet"
    )
    value_text = f"{value:.2f}" if isinstance(value, int | float) else "not available"
    chance_text = f" (95 % chance level {chance:.2f})" if isinstance(chance, int | float) else ""
    n_pairs = len(ppl.pairs(model.keys))
    n_above = latest.get("n_coupled_pairs_above_chance")
    session = latest.get("session") or {}
    p = session.get("p_above_chance")
    so_far = {True: "above chance", False: "not above chance"}.get(
        session.get("above_chance"), "no verdict yet"
    ) + (f" (p {p:.3f})" if isinstance(p, int | float) else "")
    return (
        f"group {latest.get('index', 'index')} {value_text}{chance_text}: {verdict}\n"
        f"session so far: {so_far}\n"
        f"{n_above if isinstance(n_above, int) else '?'} of {n_pairs} pairs above chance "
        "in the newest windows; each pair: the strip above"
    )


LOW_BATTERY_PCT = 15


def strap_problem(strap: dict) -> str | None:
    """Return what needs attention about a strap (status payload), or None."""
    status = strap.get("status")
    if status in (None, "streaming", "ended", "ready"):
        battery = strap.get("battery_pct")
        if isinstance(battery, int | float) and battery <= LOW_BATTERY_PCT:
            return f"battery {battery:.0f} %"
        if strap.get("contact") is False:
            return "no skin contact"
        return None
    return str(status)
