"""The calm view's synchrony strip in a 3-6 person session: the group index and its line."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6 import QtCore

from coregulate.palette import person_name
from coregulate.ui.group_line import summarise_group
from coregulate.ui.model import SessionModel
from coregulate.ui.sync_strip import SyncStrip

GROUP_LINES = 4  # the group line has four short lines (the dyad's three)


class GroupStrip(SyncStrip):
    """The group index over the last 10 minutes, its chance level, and the calm line beside."""

    def __init__(self) -> None:
        super().__init__()
        self.plot.setLabel("left", "group sync")
        self.plot.setYRange(0, 1)
        dotted = pg.mkPen("#8C8C8C", width=1, style=QtCore.Qt.PenStyle.DotLine)
        self.chance = self.plot.plot(pen=dotted, connect="finite")
        self.text.setText("group synchrony: waiting")
        self._pair = False

    def _pair_mode(self, pair: bool) -> None:
        """Show a pair's peak r (-1 to 1) or the group index (0 to 1)."""
        if pair == self._pair:
            return
        self._pair, self._drawn = pair, None
        self.plot.setLabel("left", "HR sync r" if pair else "group sync")
        self.plot.setYRange(-1 if pair else 0, 1)
        self.chance.setVisible(not pair)

    def set_text_px(self, text_px: int) -> None:
        """Use this font size (px) for the line; the plot grows with it."""
        super().set_text_px(text_px)
        self.plot_widget.setFixedHeight(max(120, round(text_px * 1.3 * GROUP_LINES)))

    def redraw_group(
        self, model: SessionModel, now_s: float, missing: list[str], t0_s: float
    ) -> None:
        """Draw the group index from `t0_s` on and say the line (none while someone is missing).

        Two people who are not client and therapist (a couple) have one pair and no
        group index: their pair is drawn and said as a dyad's, with their names.
        """
        if not model.is_group():
            self._pair_mode(True)
            a, b = model.keys
            names = (person_name(a), person_name(b))
            self.redraw(model.pair(a, b), now_s, missing, t0_s, names)
            return
        self._pair_mode(False)
        buf = model.group.windows
        key = (id(buf), buf.version, t0_s)
        if self._drawn != key:
            self._drawn = key
            s = buf.since(t0_s)
            self.curve.setData(buf.t_s[s] / 60, buf.column("value")[s])
            self.chance.setData(buf.t_s[s] / 60, buf.column("chance_95")[s])
        if not len(buf):
            self._say("" if missing else "group synchrony: not available", _WAITING_TIP)
            return
        self._say_at_step(
            "Group synchrony", missing, now_s, lambda at_s: summarise_group(model, at_s)
        )


_WAITING_TIP = "No group synchrony received yet (it needs 30 s of everyone's heart rate)."
