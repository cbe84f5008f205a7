"""A minimal live window: both people's HR and RMSSD over session time.

It is only a bus subscriber: it can be opened, closed or crash without touching
acquisition or the recording. Data are drained into buffers on one timer and the
plots redrawn on another, independent of data arrival. The UI issue builds the
real calm and full views on this.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from coregulate.bus.envelope import TOPIC_METRICS, TOPIC_STATUS, EnvelopeError
from coregulate.bus.subscriber import BusSubscriber

log = logging.getLogger(__name__)

# Okabe–Ito colour-blind-safe pair.
ROLE_COLOURS = {"client": "#E69F00", "therapist": "#56B4E9"}
ROLE_NAMES = {"client": "Client", "therapist": "Therapist"}
NS_PER_MIN = 60e9
GAP_STATUSES = ("disconnected", "contact lost", "reconnecting")


@dataclass
class _Series:
    t_min: list[float] = field(default_factory=list)
    hr_bpm: list[float] = field(default_factory=list)
    rmssd_ms: list[float] = field(default_factory=list)
    status: str = "waiting"


class LiveWindow(QtWidgets.QMainWindow):
    """Shows the metrics published on the hub at `output_endpoint`."""

    def __init__(self, output_endpoint: str, poll_ms: int = 50, redraw_ms: int = 250) -> None:
        super().__init__()
        self.setWindowTitle("coregulate — demo session")
        self.resize(1000, 640)
        self._sub = BusSubscriber(output_endpoint, (TOPIC_METRICS + ".", TOPIC_STATUS + "."))
        self._series = {role: _Series() for role in ROLE_COLOURS}
        self._last_t_min = 0.0

        central = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(central)
        header = QtWidgets.QHBoxLayout()
        self._labels: dict[str, QtWidgets.QLabel] = {}
        for role, colour in ROLE_COLOURS.items():
            label = QtWidgets.QLabel(f"{ROLE_NAMES[role]}: waiting for data")
            label.setStyleSheet(f"color: {colour}; font-size: 18px; font-weight: 600;")
            header.addWidget(label)
            self._labels[role] = label
        self._timer_label = QtWidgets.QLabel("00:00")
        self._timer_label.setStyleSheet("font-size: 18px;")
        header.addStretch(1)
        header.addWidget(self._timer_label)
        layout.addLayout(header)

        pg.setConfigOptions(antialias=True)
        self._plots = pg.GraphicsLayoutWidget()
        self._hr_plot = self._plots.addPlot(row=0, col=0)
        self._rmssd_plot = self._plots.addPlot(row=1, col=0)
        self._hr_plot.setLabel("left", "HR, 10 s mean (bpm)")
        self._rmssd_plot.setLabel("left", "RMSSD, 60 s window (ms)")
        self._rmssd_plot.setLabel("bottom", "session time (min)")
        self._rmssd_plot.setXLink(self._hr_plot)
        self._hr_plot.addLegend(offset=(10, 10))
        self._curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        for role, colour in ROLE_COLOURS.items():
            pen = pg.mkPen(colour, width=2)
            # connect="finite": a NaN (gap or "not available") breaks the line.
            self._curves[(role, "hr")] = self._hr_plot.plot(
                pen=pen, name=ROLE_NAMES[role], connect="finite"
            )
            self._curves[(role, "rmssd")] = self._rmssd_plot.plot(pen=pen, connect="finite")
        layout.addWidget(self._plots, 1)
        self._status = QtWidgets.QLabel("")
        layout.addWidget(self._status)
        self.setCentralWidget(central)

        self._poll_timer = QtCore.QTimer(self)
        self._poll_timer.timeout.connect(self.poll)
        self._poll_timer.start(poll_ms)
        self._redraw_timer = QtCore.QTimer(self)
        self._redraw_timer.timeout.connect(self.redraw)
        self._redraw_timer.start(redraw_ms)

    def poll(self) -> None:
        """Move every waiting bus message into the buffers."""
        for msg in self._sub.drain():
            role = msg.role
            if role not in self._series:
                continue
            try:
                body = msg.json()
            except EnvelopeError as exc:
                log.warning("ignored %s: %s", msg.topic, exc)
                continue
            series = self._series[role]
            if msg.topic.startswith(TOPIC_METRICS):
                t_min = msg.t_ns / NS_PER_MIN
                series.t_min.append(t_min)
                series.hr_bpm.append(_num(body.get("hr_bpm")))
                series.rmssd_ms.append(_num(body.get("rmssd_ms")))
                self._last_t_min = max(self._last_t_min, t_min)
            else:
                series.status = str(body.get("status", "?"))
                if series.status in GAP_STATUSES:
                    # Break the lines here: no data is drawn across a gap.
                    series.t_min.append(msg.t_ns / NS_PER_MIN)
                    series.hr_bpm.append(math.nan)
                    series.rmssd_ms.append(math.nan)

    def redraw(self) -> None:
        """Redraw curves, labels and the status line from the buffers."""
        for role, s in self._series.items():
            self._curves[(role, "hr")].setData(s.t_min, s.hr_bpm)
            self._curves[(role, "rmssd")].setData(s.t_min, s.rmssd_ms)
            hr = s.hr_bpm[-1] if s.hr_bpm else math.nan
            rmssd = s.rmssd_ms[-1] if s.rmssd_ms else math.nan
            self._labels[role].setText(
                f"{ROLE_NAMES[role]}: HR {_show(hr)} bpm · RMSSD {_show(rmssd)} ms"
            )
        minutes, seconds = divmod(int(self._last_t_min * 60), 60)
        self._timer_label.setText(f"{minutes:02d}:{seconds:02d}")
        straps = " · ".join(f"{ROLE_NAMES[r]} strap: {s.status}" for r, s in self._series.items())
        lost = self._sub.lost
        self._status.setText(straps + (f" · {lost} messages missed by this window" if lost else ""))

    @property
    def series(self) -> dict[str, _Series]:
        """Return the buffered data per role (for tests)."""
        return self._series

    def closeEvent(self, event: object) -> None:
        """Stop the timers and close the bus socket."""
        self._poll_timer.stop()
        self._redraw_timer.stop()
        self._sub.close()
        super().closeEvent(event)  # type: ignore[arg-type]


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else math.nan


def _show(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.0f}"
