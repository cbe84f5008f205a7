"""Marker kinds are declared once (sessionfile.markers); the window and the palette cover each."""

from __future__ import annotations

from coregulate.palette import MARKER_CATEGORY_COLOURS, MARKER_COLOURS
from coregulate.sessionfile.markers import MARKER_CATEGORIES, MARKER_KINDS, kind_category
from coregulate.ui.markers import BY_KIND, KIND_KEYS


def test_every_kind_has_a_colour_and_a_key() -> None:
    assert set(MARKER_COLOURS) == set(MARKER_KINDS)
    assert set(KIND_KEYS) == set(MARKER_KINDS)
    assert len(set(KIND_KEYS.values())) == len(MARKER_KINDS)  # one key makes one kind
    assert tuple(BY_KIND) == MARKER_KINDS  # the marker bar's order


def test_every_kind_falls_in_a_category_with_a_colour() -> None:
    assert set(MARKER_CATEGORY_COLOURS) == set(MARKER_CATEGORIES)
    assert {kind_category(k) for k in MARKER_KINDS} == set(MARKER_CATEGORIES)
    assert kind_category("rupture (withdrawal)") == "rupture"  # a kind written otherwise
