"""The exit codes of every `coregulate` command: one table, the same code for the same mistake.

docs/exports.md ("Exit codes") shows this table to users; a test checks they agree.
The file codes follow BSD's sysexits.h, which scripts and service managers know.
"""

from __future__ import annotations

from typing import Final

OK: Final = 0
# The command ran but could not do its job: nothing to compute in an intact file, a
# job of a batch failed, the hub did not confirm, a session ended in an error.
FAILED: Final = 1
# The command line is wrong: options that do not fit together, a wrong suffix, an
# output that already exists (argparse exits 2 for an unknown option too).
USAGE: Final = 2
NO_BLUETOOTH: Final = 3  # no usable Bluetooth adapter (scan, monitor)
NO_DISPLAY: Final = 4  # a window command on a machine without a display
# The input file is missing, unreadable, not a session file, damaged or from a newer
# coregulate (EX_NOINPUT).
BAD_INPUT: Final = 66
# The output cannot be created there: its folder is missing or is a file, no
# permission, or the name is a symbolic link (EX_CANTCREAT). Nothing was written.
CANNOT_CREATE: Final = 73
# Writing failed part-way, e.g. the disk is full (EX_IOERR); the same value as the
# hub process's recordings.hub.EXIT_WRITE_FAILED (a test checks they agree).
WRITE_FAILED: Final = 74

# (code, name, meaning) in the order of the documented table.
TABLE: Final = (
    (OK, "OK", "done"),
    (FAILED, "FAILED", "the command ran but could not do its job (it says why)"),
    (USAGE, "USAGE", "the command line is wrong, or the output already exists"),
    (NO_BLUETOOTH, "NO_BLUETOOTH", "no usable Bluetooth adapter"),
    (NO_DISPLAY, "NO_DISPLAY", "a window command without a display"),
    (BAD_INPUT, "BAD_INPUT", "the input file is missing, not a session file or damaged"),
    (CANNOT_CREATE, "CANNOT_CREATE", "the output cannot be created there; nothing written"),
    (WRITE_FAILED, "WRITE_FAILED", "writing failed part-way (e.g. disk full)"),
)
