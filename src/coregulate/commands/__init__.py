"""Subcommands of `coregulate`: one module each, found automatically.

A command module defines ``ORDER`` (its place in ``--help``), ``register(subparsers)``
which adds its parser and sets ``func`` via ``set_defaults(func=run)``, and
``run(args) -> int`` returning the exit code. Heavy imports go inside ``run`` so that
``coregulate --help`` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    """Return every command module of this package, in ``ORDER``."""
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
