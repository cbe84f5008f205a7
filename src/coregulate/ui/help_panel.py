"""The "what am I looking at" panel, written for clinicians."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

HELP_HTML = """
<h2>What am I looking at?</h2>
<p>Two chest straps measure the time between heartbeats of the client and of you.
From it the program computes a few standard measures and compares each person
<b>with their own resting baseline</b>, taken in the first minutes of the session.</p>

<h3>The calm view</h3>
<ul>
<li><b>settled / activated / highly activated</b>: heart rate up and heart-rate
variability down compared with this person's baseline, beyond their usual resting
wobble. It changes only after the pattern has lasted 15 s, so it does not flicker.
It is an indicator, <b>not a diagnosis</b>: talking, moving, laughing, a warm room
and fear all look alike to a heart.</li>
<li><b>taking baseline</b>: the first 3 minutes are a quiet resting period for
each person (the countdown is shown); the states appear after it. <b>no baseline</b>:
it was switched off or failed (hover to see why); re-take it (<b>Re-take
baseline</b> in the toolbar) or use a stored one.</li>
<li>The line under it is the <b>arousal index</b> of the last 10 minutes: 0 is the
baseline; the dotted lines are where "activated" (1.5) and "highly activated" (3)
begin.</li>
<li><b>HR synchrony</b>: the strip shows how closely the two heart rates move
together in each 30 s window (r from −1 to +1). The line beside it sums up the last
2 minutes and changes at most every 30 s: it names who moves first only when most
of those windows agree and are stronger than unrelated people's heart rates would
be by chance; otherwise, or when the heart rates move in opposite directions, or
while the session's synchrony is not above chance, it says <b>no clear lead</b>.
Synchrony is information about the relationship, <b>not a goal</b>: studies link
high physiological synchrony with good and with difficult moments alike.</li>
<li>A value beyond the plot's range is held at the edge with small triangles, and
the furthest value is written on the plot ("off scale: peak +5.9").</li>
<li>A strap problem (no contact, disconnected, low battery) appears at the top right
only while there is one.</li>
</ul>

<h3>The full view</h3>
<ul>
<li><b>HR</b>: heart rate, beats per minute, mean of the last 10 s.</li>
<li><b>lnRMSSD</b>: beat-to-beat variability over 60 s (natural log of ms); higher
usually means more vagal, "brake-on" activity. Dotted lines: the person's baseline
mean ± one standard deviation.</li>
<li><b>ln HF</b> (solid) and <b>RSA</b> (dashed): the breathing-linked part of
that variability over 120 s.</li>
<li><b>Artifacts</b>: share of beats the strap got wrong and that were repaired.
Above 20 % a measure is not shown.</li>
<li><b>Sync r and lag</b>: the strongest correlation within ±5 s and the delay at
which it occurs; a positive lag means <b>the therapist leads</b>. Dotted lines around
r (when the synchrony stage gives them): the chance band, what 95 % of unrelated
stretches stay within; a window inside it is no evidence of synchrony.</li>
</ul>

<h3>Couples, families and groups (3 to 6 people)</h3>
<ul>
<li>Each person has a <b>tile</b>: their name, their state against their own
baseline, since when, heart rate and HRV in words (no trend, so that several fit).
<b>F4</b> hides the therapists' own tiles, for a screen the clients see.</li>
<li>The line beside the strip names the <b>group index</b> (cluster-phase ρ, 0 to 1:
how closely everyone's heart-rate rhythms move together) against its chance level,
and the <b>closest pair</b>: of the pairs above chance over the last 2 minutes, the
one whose heart rates moved together most, and who moves first in it when most
windows agree.</li>
<li>The full view draws everyone's traces in their own colour, the group index and
how many pairs were above chance over time, and a <b>pair strip</b>: each pair's
newest window, its lag (a positive lag means the <b>second</b> person named leads;
the strip also says who in words) and whether the window and the session so far are
above chance.</li>
<li>A marker can name whom it is about: choose the names beside the marker buttons
(<b>Alt+1</b>...<b>Alt+6</b>), then the marker's key.</li>
</ul>

<h3>Gaps and "not available"</h3>
<p>A broken line means there was no trustworthy data (the strap lost contact or
disconnected). "Not available" means a value could not be computed honestly; hover
over it to see why (for example: still collecting the baseline, too many repaired
beats).</p>

<h3>Keys</h3>
<p><b>W</b> rupture (withdrawal) · <b>C</b> rupture (confrontation) · <b>R</b> repair ·
<b>N</b> note (type, then Enter; Esc cancels) · <b>Ctrl+Z</b> undo the last marker ·
<b>F2</b> calm/full view · <b>F3</b> dark/light · <b>F1</b> this help · <b>F4</b>
hide or show the therapists' own tiles, for a screen the clients see (mode changes
are on F-keys, so a marker key can never slip into one). With three or more people,
<b>Alt+1</b>…<b>Alt+6</b> (or the names beside the marker buttons) choose whom the
next marker is about, e.g. a rupture between the partners; it is drawn with their names.
Markers are stored in the session file with the session time of the key press.
A clinic may set its own marker kinds (a small TOML file: key, label, colour); the
marker bar always shows this window's kinds with their keys.</p>
<p>Rating forms: <b>Tab</b> to each item, <b>arrows</b> move the mark (Shift: 1 cm,
Home/End: the ends) or across the answers, <b>Space</b> picks and presses Done.</p>
"""


class HelpPanel(QtWidgets.QDialog):
    """A non-modal window with the help text."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("coregulate — what am I looking at?")
        self.resize(620, 640)
        layout = QtWidgets.QVBoxLayout(self)
        text = QtWidgets.QTextBrowser()
        text.setHtml(HELP_HTML)
        text.setOpenExternalLinks(False)
        layout.addWidget(text)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.hide)
        layout.addWidget(close, 0, QtCore.Qt.AlignmentFlag.AlignRight)
