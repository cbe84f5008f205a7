"""The one palette: Okabe–Ito colours by meaning, for the live window and the printed pages.

Okabe, M. & Ito, K. (2008), "Color Universal Design": eight colours that stay
distinct under the common colour-vision deficiencies. Colour is never the only
carrier of meaning: every state is also a word, every marker also a letter or a
label. Qt-free, so `ui/theme.py` and the report and history pages (matplotlib)
import the same values.
"""

from __future__ import annotations

from typing import Final

ORANGE: Final = "#E69F00"
SKY_BLUE: Final = "#56B4E9"
BLUISH_GREEN: Final = "#009E73"
YELLOW: Final = "#F0E442"
BLUE: Final = "#0072B2"
VERMILLION: Final = "#D55E00"
REDDISH_PURPLE: Final = "#CC79A7"
NOTE_GREY: Final = "#999999"

ROLE_COLOURS: Final = {"client": ORANGE, "therapist": SKY_BLUE}
ROLE_NAMES: Final = {"client": "Client", "therapist": "Therapist"}
# Synchrony is information, not a score: one neutral colour, no good/bad scale.
SYNC_COLOUR: Final = REDDISH_PURPLE
# Ratings: distinct from the marker colours; a flagged rating (SRS concern, ORS in
# the clinical range) is drawn in vermillion with a flag beside it.
RATING_COLOUR: Final = REDDISH_PURPLE
RATING_FLAG_COLOUR: Final = VERMILLION
# States relative to the person's own baseline; the word is always shown too.
STATE_COLOURS: Final = {
    "settled": BLUISH_GREEN,
    "activated": YELLOW,
    "highly activated": VERMILLION,
}
# Text drawn on a state colour (yellow needs dark text).
STATE_TEXT: Final = {"settled": "#FFFFFF", "activated": "#202020", "highly activated": "#FFFFFF"}
# Marker kinds as the window's marker bar draws them, and the colour of each category
# for a kind written otherwise (an imported or older file: "rupture (withdrawal)").
MARKER_COLOURS: Final = {
    "rupture-withdrawal": BLUE,
    "rupture-confrontation": VERMILLION,
    "repair": BLUISH_GREEN,
    "note": NOTE_GREY,
}
MARKER_CATEGORY_COLOURS: Final = {"rupture": VERMILLION, "repair": BLUISH_GREEN, "note": NOTE_GREY}


def marker_colour(kind: str, category: str) -> str:
    """Return the colour of a marker: its kind's as in the window, else its category's."""
    return MARKER_COLOURS.get(kind) or MARKER_CATEGORY_COLOURS.get(category, NOTE_GREY)
