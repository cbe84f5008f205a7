"""The rooms import only what docs/architecture.md ("The house") says they may.

Each top-level module or package of `coregulate` is a room; this table is the
house's rule, checked on every `import` in the source (also those inside functions,
which would otherwise hide a cycle until the day they run).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "coregulate"

# room -> the rooms it may import (docs/architecture.md, "The house").
MAY_IMPORT: dict[str, set[str]] = {
    "signal": set(),
    "palette": set(),
    "clock": set(),
    "bus": {"signal", "clock"},
    "security": {"bus"},
    "sessionfile": {"signal", "bus", "clock", "security"},
    "stages": {"signal", "bus"},
    "clients": {"security"},
    "session_info": {"security"},
    "acquisition": {"signal", "bus", "clock", "security", "sessionfile"},
    "alliance": {"signal", "bus", "clock", "security", "sessionfile"},
    "recordings": {
        "signal", "bus", "clock", "security", "sessionfile", "stages", "acquisition",
    },
    "batch": {"signal", "recordings"},
    "review": {
        "signal", "bus", "clock", "security", "sessionfile", "palette", "alliance", "recordings",
    },
    "ui": {
        "signal", "bus", "clock", "security", "sessionfile", "palette", "alliance", "review",
        "clients", "session_info",
    },
    "session_options": {"signal", "bus", "security", "acquisition"},
    "session": {
        "signal", "bus", "clock", "security", "stages", "acquisition", "recordings",
        "session_info", "clients", "session_options",
    },
    "commands": {"*"},
    "cli": {"commands"},
    "__init__": set(),
}  # fmt: skip


def _room(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imports(path: Path) -> set[str]:
    """Return the coregulate rooms `path` imports (absolute and relative imports)."""
    rel = path.relative_to(SRC)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                parts = ("coregulate", *rel.parts[:-1])[: len(rel.parts) - node.level + 1]
                module = ".".join((*parts, *(node.module.split(".") if node.module else ())))
            else:
                module = node.module or ""
            names = [module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("coregulate.")}
    return found


def test_every_room_is_in_the_table() -> None:
    rooms = {_room(p) for p in SRC.rglob("*.py")}
    assert rooms <= set(MAY_IMPORT), f"add {rooms - set(MAY_IMPORT)} to the house's table"


def test_no_room_imports_what_the_house_forbids() -> None:
    wrong = []
    for path in sorted(SRC.rglob("*.py")):
        room = _room(path)
        allowed = MAY_IMPORT[room]
        if "*" in allowed:
            continue
        for other in sorted(_imports(path) - allowed - {room}):
            wrong.append(f"{path.relative_to(SRC)} imports {other}")
    assert not wrong, "\n".join(wrong)


def test_the_house_has_no_cycle() -> None:
    # A depth-first walk of the allowed edges (commands, on top, may import anything).
    graph = {room: allowed - {"*"} for room, allowed in MAY_IMPORT.items()}
    state: dict[str, int] = {}

    def visit(room: str, path: tuple[str, ...]) -> None:
        if state.get(room) == 1:
            raise AssertionError(f"cycle: {' -> '.join((*path, room))}")
        if state.get(room) == 2:
            return
        state[room] = 1
        for other in graph.get(room, ()):
            visit(other, (*path, room))
        state[room] = 2

    for room in graph:
        visit(room, ())
