"""CSV injection: the one rule for making a cell inert in spreadsheets, shared by every export.

It lives in `courses` so both the roster export here and the grade export in `grading`
use it (`courses` never imports `grading`).
"""

from __future__ import annotations

# A spreadsheet evaluates a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula(value: str) -> bool:
    """True when a spreadsheet would read the text as a formula."""
    return value.startswith(FORMULA_PREFIXES)


def neutralise(value):
    """Make a text cell inert in spreadsheets (CSV injection); numbers pass through."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value
