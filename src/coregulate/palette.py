"""The one palette: the colours of people, states and markers, for the window and the pages.

Qt-free, so `ui/theme.py` and the report and history pages (matplotlib) import
the same values. Colour is never the only carrier of meaning: every state is
also a word, every marker also a letter, a label and a line style.

How the colours were chosen (tests/test_palette.py checks each claim):

- Panels are neutral; meaning sits in a coloured edge, never in a full-width
  saturated block.
- The state ramp is low in saturation and its lightness falls as activation
  rises (CIELAB L* ≈ 86 → 65 → 40), so the order reads without hue; its three
  colours stay ≥ 20 CIEDE2000 apart under simulated deuteranopia, protanopia
  and tritanopia (Machado et al. 2009) as well as in normal vision.
- People, synchrony and markers are lines on both themes' backgrounds: each has
  ≥ 3:1 contrast there (WCAG 2.x non-text contrast, 1.4.11). Text drawn in one
  of them goes through `ink()`, which darkens or lightens it to ≥ 4.5:1 (1.4.3).
- Sessions of 3-6 people (issue 19): the client and the therapist keep their
  colours; the others take `EXTRA_PEOPLE_COLOURS_BY_THEME` in session order. Six
  lines with 3:1 on both themes cannot stay apart in every vision (see the markers
  below), so these, like the markers, are per theme: on each theme all six people
  are >= 20 CIEDE2000 apart in normal vision and under the three simulations. They
  are not kept apart from the marker colours (markers are vertical lines with a
  letter and a line style; people are traces, named in every legend and tile).
- Marker colours, per theme, are ≥ 20 CIEDE2000 from each other and from both
  people's colours in normal vision and under the three simulations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Theme:
    """The neutral colours of one theme (window or printed page)."""

    name: str
    background: str
    panel: str
    foreground: str
    muted: str
    axis: str
    band: str  # baseline band fill: opaque, a shade off the background


DARK: Final = Theme("dark", "#1C1D20", "#26282C", "#DADADA", "#A0A0A0", "#8C8C8C", "#2F3A36")
LIGHT: Final = Theme("light", "#FAFAF7", "#EFEFEA", "#202020", "#575757", "#6A6A6A", "#DCEBE4")
PAPER: Final = Theme("paper", "#FFFFFF", "#F4F4F4", "#202020", "#555555", "#6A6A6A", "#E4EEE9")
THEMES: Final = {"dark": DARK, "light": LIGHT}

# People: a warm and a cool line, 3:1 or more on every background above.
CLIENT: Final = "#BC4F15"  # burnt orange
THERAPIST: Final = "#3F83F7"  # mid blue
ROLE_COLOURS: Final = {"client": CLIENT, "therapist": THERAPIST}
ROLE_NAMES: Final = {"client": "Client", "therapist": "Therapist"}
# The third to sixth person of a session, per theme: a search of the sRGB cube at
# steps of 17 for four colours >= 20 CIEDE2000 from each other and from the dyad's
# in every vision, with CIELAB chroma >= 12 (colours, not greys) and 3:1 on the
# theme's grounds. In order of their distance from the marker colours, so that the
# partner and the co-therapist of a 4-person session are the most distinct.
EXTRA_PEOPLE_COLOURS_BY_THEME: Final = {
    "dark": ("#EE88AA", "#BBBB11", "#EEFFCC", "#22FFFF"),  # pink, olive, cream, cyan
    "light": ("#006666", "#3300BB", "#110033", "#552222"),  # teal, indigo, ink, brown
}
EXTRA_PEOPLE_COLOURS_BY_THEME["paper"] = EXTRA_PEOPLE_COLOURS_BY_THEME["light"]
# Synchrony is information, not a score: one neutral colour, no good/bad scale.
SYNC_COLOUR: Final = "#B86E8A"  # muted rose
NOTE_GREY: Final = "#8C8C8C"

# States relative to the person's own baseline, drawn as the panel's edge; the word
# is always shown too, in the theme's text colour on the neutral panel.
SETTLED: Final = "#C2DDE9"  # pale blue, L* 86
ACTIVATED: Final = "#AF9D72"  # muted ochre, L* 65
HIGHLY_ACTIVATED: Final = "#894961"  # muted plum, L* 40
STATE_COLOURS: Final = {
    "settled": SETTLED,
    "activated": ACTIVATED,
    "highly activated": HIGHLY_ACTIVATED,
}

# Marker kinds, per theme; each also has its own line style (solid, dash, dot,
# dash-dot) and letter. Why per theme: every line must stand out from its background
# (>= 3:1), which on a palette shared by a dark and a light theme leaves a band of
# lightness (L* ~44-62) where the two people's lines already sit, and no 6 colours
# in that band stay >= 20 CIEDE2000 apart under all three dichromacy simulations (a
# search of the sRGB cube at steps of 17 found at most 4). So markers step out of
# the people's band: lighter than them on the dark theme, darker on the light theme
# and the printed page; lightness alone then keeps them apart in every vision.
MARKER_COLOURS_BY_THEME: Final = {
    "dark": {
        "rupture-withdrawal": "#18E8F8",  # light cyan
        "rupture-confrontation": "#F8C050",  # amber
        "repair": "#E8F0D8",  # pale sage
        "note": "#989898",  # grey
    },
    "light": {
        "rupture-withdrawal": "#005088",  # navy
        "rupture-confrontation": "#601808",  # maroon
        "repair": "#201828",  # ink
        "note": "#686060",  # grey
    },
}
MARKER_COLOURS_BY_THEME["paper"] = MARKER_COLOURS_BY_THEME["light"]
# The window opens in the dark theme: its kinds' colours as `MarkerKind`s carry them.
MARKER_COLOURS: Final = MARKER_COLOURS_BY_THEME["dark"]
MARKER_LINES: Final = {
    "rupture-withdrawal": "dash",
    "rupture-confrontation": "dashdot",
    "repair": "solid",
    "note": "dot",
}
_CATEGORY_KIND: Final = {"rupture": "rupture-confrontation", "repair": "repair", "note": "note"}
# The colour of each category on the printed page, for a kind written otherwise (an
# imported or older file: "rupture (withdrawal)", "Rupture").
MARKER_CATEGORY_COLOURS: Final = {
    category: MARKER_COLOURS_BY_THEME["paper"][kind] for category, kind in _CATEGORY_KIND.items()
}
# Ratings: the synchrony's neutral colour; a flagged rating (SRS concern, ORS in the
# clinical range) also gets a flag beside it, so the colour is not the only cue.
RATING_COLOUR: Final = SYNC_COLOUR
RATING_FLAG_COLOUR: Final = MARKER_COLOURS_BY_THEME["paper"]["rupture-confrontation"]

TEXT_CONTRAST: Final = 4.5  # WCAG 2.x 1.4.3, normal-size text
LINE_CONTRAST: Final = 3.0  # WCAG 2.x 1.4.11, graphical objects


def person_colours(keys: Sequence[str], theme: str = "dark") -> dict[str, str]:
    """Return each person's line colour in `theme`: the dyad's as ever, the others in order.

    A session without a client or a therapist gives their colours to the last others.
    """
    spare = [*EXTRA_PEOPLE_COLOURS_BY_THEME[theme]]
    spare += [c for k, c in ROLE_COLOURS.items() if k not in keys]
    colours = {}
    for key in keys:
        colours[key] = ROLE_COLOURS.get(key) or spare.pop(0)
    return colours


def person_name(key: str) -> str:
    """Return how the window names a person: "Client", "Partner", "Co-therapist"."""
    return ROLE_NAMES.get(key) or key[:1].upper() + key[1:]


def marker_kind(kind: str) -> str | None:
    """Return the window's kind for a marker kind however a file wrote it, or None."""
    k = kind.lower()
    if k in MARKER_COLOURS:
        return k
    for name in ("withdrawal", "confrontation"):
        if name in k:
            return f"rupture-{name}"
    return None


def marker_colour(kind: str, category: str, theme: str = "paper") -> str:
    """Return the colour of a marker in `theme`: its kind's as the window draws it, else
    its category's (the printed page's unless a window theme is named)."""
    colours = MARKER_COLOURS_BY_THEME[theme]
    known = marker_kind(kind)
    if known:
        return colours[known]
    return colours[_CATEGORY_KIND.get(category, "note")]


def marker_line(kind: str, category: str) -> str:
    """Return the line style of a marker ("solid", "dash", "dot", "dashdot")."""
    known = marker_kind(kind) or {"rupture": "rupture-confrontation"}.get(category, category)
    return MARKER_LINES.get(known, "dot")


def hex_to_rgb(colour: str) -> tuple[float, float, float]:
    """Return the sRGB channels (0-1) of "#RRGGBB"."""
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def linear_rgb(colour: str) -> tuple[float, float, float]:
    """Return the linear-light channels of "#RRGGBB" (IEC 61966-2-1 transfer)."""
    return tuple(  # type: ignore[return-value]
        v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in hex_to_rgb(colour)
    )


def relative_luminance(colour: str) -> float:
    """Return the WCAG 2.x relative luminance of "#RRGGBB" (0 black, 1 white)."""
    r, g, b = linear_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(colour1: str, colour2: str) -> float:
    """Return the WCAG 2.x contrast ratio of two colours (1 to 21)."""
    y1, y2 = sorted((relative_luminance(colour1), relative_luminance(colour2)))
    return (y2 + 0.05) / (y1 + 0.05)


def ink(colour: str, background: str, ratio: float = TEXT_CONTRAST) -> str:
    """Return `colour` mixed towards black or white just enough to read as text on `background`.

    The hue stays; only the lightness moves, away from the background's.
    """
    target = 0.0 if relative_luminance(background) > 0.18 else 1.0
    rgb = hex_to_rgb(colour)
    for step in range(21):
        t = step / 20
        mixed = "#" + "".join(f"{round((v + (target - v) * t) * 255):02X}" for v in rgb)
        if contrast_ratio(mixed, background) >= ratio:
            return mixed
    return "#000000" if target == 0.0 else "#FFFFFF"
