"""The spreadsheet formula guard: added to cells the error report echoes, removed from cells uploaded.

A cell starting with `= + - @`, a tab or a carriage return is a formula to a spreadsheet (OWASP CSV
injection), so the report prefixes it with `'`. A vendor who fixes the report in a text editor and
uploads it as it is must get back exactly what they first wrote, so every upload removes that prefix.

To keep the round trip lossless for every cell, the guard is added to a cell that is a run of
quotes followed by a trigger too (`'=x` becomes `''=x`), and removing it takes off exactly one quote
from such a cell. A cell without a trigger after its leading quotes is never changed either way.
"""

from __future__ import annotations

FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
FORMULA_GUARD = "'"


def _needs_guard(value: str) -> bool:
    return value.lstrip(FORMULA_GUARD).startswith(FORMULA_TRIGGERS)


def guard_cell(value: str) -> str:
    """Make a cell inert in a spreadsheet: `=1+1` becomes `'=1+1`."""
    return FORMULA_GUARD + value if _needs_guard(value) else value


def unguard_cell(value: str) -> str:
    """Undo `guard_cell`: `'=1+1` becomes `=1+1`; any cell `guard_cell` would not touch stays as it is."""
    return value[1:] if value.startswith(FORMULA_GUARD) and _needs_guard(value) else value
