"""A clinic's licensed item wording, loaded from a TOML file and checked against the instruments.

coregulate ships the dimension names only (the forms' wording is copyrighted). A
clinic that holds a licence writes its text into a file of this shape (UTF-8 TOML;
any instrument may be left out, and then shows its dimension names)::

    licence = "SRS/ORS licensed to Example Clinic, 2026"   # optional, shown small

    [SRS]
    instructions = "..."                 # optional, shown above the lines
    items = [
      { text = "...", left = "...", right = "..." },   # one per item, in order
      ...
    ]

    [WAI-SR]
    instructions = "..."
    scale = ["...", "...", "...", "...", "..."]       # the labels of answers 1..5
    items = [ { text = "..." }, ... ]                 # twelve

`left` and `right` are the anchors at the two ends of a line (SRS, ORS); `scale`
labels the answer buttons (WAI-SR). Every problem is reported with the file, the
instrument and the item, so the clinic can fix its file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from coregulate.alliance.instruments import INSTRUMENTS, Instrument


class WordingError(ValueError):
    """A wording file that cannot be used; the text says where and what to change."""


@dataclass(frozen=True, slots=True)
class ItemWording:
    """The licensed text of one item and the anchors of its line (may be empty)."""

    text: str
    left: str = ""
    right: str = ""


@dataclass(frozen=True, slots=True)
class Wording:
    """One instrument's licensed wording."""

    instrument: str
    items: tuple[ItemWording, ...]
    instructions: str = ""
    scale: tuple[str, ...] = ()
    licence: str = ""


def _text(value: object, where: str, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise WordingError(f"{where} must be a non-empty text")
    return value.strip()


def _instrument_wording(inst: Instrument, table: object, where: str, licence: str) -> Wording:
    if not isinstance(table, dict):
        raise WordingError(f"{where} must be a table ([{inst.name}])")
    unknown = set(table) - {"instructions", "items", "scale"}
    if unknown:
        raise WordingError(
            f"{where}: unknown keys {sorted(unknown)} (allowed: instructions, items, scale)"
        )
    items = table.get("items")
    if not isinstance(items, list) or len(items) != inst.n_items:
        got = len(items) if isinstance(items, list) else "no list"
        raise WordingError(f"{where}.items must list {inst.n_items} items in order; got {got}")
    parsed = []
    for n, item in enumerate(items, start=1):
        at = f"{where} item {n} ({inst.item_names[n - 1]})"
        if not isinstance(item, dict):
            raise WordingError(f'{at} must be a table like {{ text = "..." }}')
        extra = set(item) - {"text", "left", "right"}
        if extra:
            raise WordingError(f"{at}: unknown keys {sorted(extra)} (allowed: text, left, right)")
        parsed.append(
            ItemWording(
                _text(item.get("text"), f"{at} text", True),
                _text(item.get("left"), f"{at} left", False),
                _text(item.get("right"), f"{at} right", False),
            )
        )
    scale: tuple[str, ...] = ()
    if "scale" in table:
        n_answers = int(inst.max_score - inst.min_score) + 1
        raw = table["scale"]
        if inst.continuous or not isinstance(raw, list) or len(raw) != n_answers:
            raise WordingError(
                f"{where}.scale: only whole-number instruments have one; "
                f"{inst.name} needs {n_answers} labels"
                if not inst.continuous
                else f"{where}.scale: {inst.name} is a line, give left/right per item instead"
            )
        scale = tuple(_text(s, f"{where}.scale", True) for s in raw)
    return Wording(
        inst.name,
        tuple(parsed),
        _text(table.get("instructions"), f"{where}.instructions", False),
        scale,
        licence,
    )


def load_wording(path: str | Path) -> dict[str, Wording]:
    """Return the wording per instrument name from a clinic's TOML file, or raise WordingError."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise WordingError(f"cannot read the wording file {p}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise WordingError(f"{p} is not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise WordingError(f"{p} is not valid TOML: {exc}") from exc
    licence = _text(data.pop("licence", None), f"{p}: licence", False)
    out: dict[str, Wording] = {}
    for name, table in data.items():
        if name not in INSTRUMENTS:
            raise WordingError(
                f"{p}: unknown instrument [{name}]; use {', '.join(INSTRUMENTS)} (or licence)"
            )
        out[name] = _instrument_wording(INSTRUMENTS[name], table, f"{p}: [{name}]", licence)
    return out
