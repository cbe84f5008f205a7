"""A clinic's licensed wording file: the documented format loads; every mistake is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from coregulate.alliance.wording import WordingError, load_wording

# Placeholder text: the real wording is the clinic's licensed copy, never shipped.
_SRS = "\n".join(
    f'  {{ text = "placeholder {n}", left = "low {n}", right = "high {n}" }},' for n in range(4)
)
_WAI = "\n".join(f'  {{ text = "wai placeholder {n}" }},' for n in range(12))
GOOD = f"""
licence = "test licence"
[SRS]
instructions = "rate today"
items = [
{_SRS}
]
["WAI-SR"]
scale = ["a", "b", "c", "d", "e"]
items = [
{_WAI}
]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "wording.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_format_loads(tmp_path: Path) -> None:
    wording = load_wording(_write(tmp_path, GOOD))
    assert set(wording) == {"SRS", "WAI-SR"}
    srs = wording["SRS"]
    assert (srs.instructions, srs.licence) == ("rate today", "test licence")
    assert [i.left for i in srs.items] == ["low 0", "low 1", "low 2", "low 3"]
    assert wording["WAI-SR"].scale == ("a", "b", "c", "d", "e")
    assert wording["WAI-SR"].items[11].text == "wai placeholder 11"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[SRS\n", "is not valid TOML"),
        ("[PHQ]\nitems = []\n", "unknown instrument [PHQ]"),
        ('[ORS]\nitems = [{ text = "x" }]\n', "[ORS].items must list 4 items in order; got 1"),
        (
            '[ORS]\nitems = [{ text = "x" }, { text = "" }, { text = "x" }, { text = "x" }]\n',
            "item 2 (Interpersonally) text must be a non-empty text",
        ),
        (
            '[ORS]\nitems = [{ txt = "x" }, { text = "x" }, { text = "x" }, { text = "x" }]\n',
            "unknown keys ['txt']",
        ),
        (
            '[ORS]\nscale = ["a"]\nitems = [{ text = "x" }, { text = "x" }, { text = "x" }, '
            '{ text = "x" }]\n',
            "ORS is a line, give left/right per item instead",
        ),
        ('["WAI-SR"]\nscale = ["a", "b"]\nitems = []\n', "[WAI-SR].items must list 12 items"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(WordingError) as info:
        load_wording(_write(tmp_path, text))
    assert message in str(info.value)
    assert "wording.toml" in str(info.value)


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(WordingError, match="cannot read the wording file"):
        load_wording(tmp_path / "absent.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('licence = "caf\xe9"'.encode("latin-1"))
    with pytest.raises(WordingError, match="is not UTF-8 text"):
        load_wording(bad)
