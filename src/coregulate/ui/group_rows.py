"""The full view's synchrony rows in a 3+ person session: the group index and pairs above chance.

A dyad's two rows show its one pair's peak r and lag. With three or more people
there are 3-15 pairs: their newest windows are in the pair strip (`pair_table.py`),
and the two rows show what is over time for the group: the group index
(`sync.group`, e.g. the cluster-phase order parameter) with its 95 % chance level,
and how many pairs were above chance in each window.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore

from coregulate.palette import person_name
from coregulate.ui import theme as th
from coregulate.ui.curve import Curve
from coregulate.ui.decimate import envelope
from coregulate.ui.model import GroupSync

INDEX_NAMES = {"cluster_phase_rho": "cluster-phase ρ (0-1)"}


class GroupRows:
    """Curves on the synchrony rows' plots, shown instead of the dyad's in group sessions."""

    def __init__(self, index_plot: pg.PlotItem, count_plot: pg.PlotItem) -> None:
        self.plots = (index_plot, count_plot)
        pen = pg.mkPen(th.SYNC_COLOUR, width=1)
        dotted = pg.mkPen("#8C8C8C", width=1, style=QtCore.Qt.PenStyle.DotLine)
        # Bare curves (not PlotDataItems): the same drawing, half the cost of a setData.
        self.value = Curve(pen=pen, connect="finite")
        self.chance = Curve(pen=dotted, connect="finite")
        self.count = Curve(pen=pen, connect="finite", stepMode=None)
        index_plot.addItem(self.value)
        index_plot.addItem(self.chance)
        count_plot.addItem(self.count)
        self.shown = False
        self.n_pairs = 0
        self._drawn: tuple[int, int] | None = None

    def titles(self, latest: dict) -> dict[str, str]:
        """Return the two rows' titles for the newest group payload."""
        index = str(latest.get("index") or "group index")
        window = latest.get("window_s")
        span = f", {window:g} s windows" if isinstance(window, int | float) else ""
        return {
            "sync_r": f"Group synchrony: {INDEX_NAMES.get(index, index)}{span}"
            " · dotted: 95 % chance level",
            "sync_lag": f"Pairs above chance in each window (of {self.n_pairs})",
        }

    @staticmethod
    def pair_titles(keys: tuple[str, ...]) -> dict[str, str]:
        """Return the lag row's title naming a two-person session's own people (a couple)."""
        if len(keys) != 2 or keys == ("client", "therapist"):
            return {}
        a, b = (person_name(k).lower() for k in keys)
        return {"sync_lag": f"Lag of the peak: + {b} leads, − {a} leads"}

    def show(self, shown: bool, n_pairs: int) -> None:
        """Show (or hide) the group curves and set the rows' ranges for `n_pairs` pairs."""
        self.shown, self.n_pairs = shown, n_pairs
        for curve in (self.value, self.chance, self.count):
            curve.setVisible(shown)
        index_plot, count_plot = self.plots
        if shown:
            index_plot.setYRange(0, 1, padding=0.02)
            count_plot.setYRange(0, max(1, n_pairs), padding=0.05)
            count_plot.setLabel("left", "pairs")
            index_plot.setLabel("left", "index")
        self._drawn = None

    def redraw(self, group: GroupSync, start_s: float | None, width: int, force: bool) -> None:
        """Draw the group index from `start_s` on (None: everything)."""
        buf = group.windows
        key = (id(buf), buf.version)
        if not self.shown or (not force and self._drawn == key):
            return
        self._drawn = key
        x = buf.t_s / 60
        start = buf.since(start_s).start if start_s is not None else 0
        self.value.setData(*envelope(x, buf.column("value"), start, width))
        self.chance.setData(*envelope(x, buf.column("chance_95"), start, width))
        count = buf.column("n_coupled_pairs_above_chance")
        self.count.setData(*envelope(x, np.asarray(count, dtype=float), start, width))
