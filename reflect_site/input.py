"""Reading what users send: JSON bodies, version numbers and texts bound for the database.

Shared by every app (courses, grading, activations), so each rule lives once:
- JSON is parsed with a bounded nesting depth, and NaN/Infinity are refused unless asked for;
- a number stored in an integer column must fit PostgreSQL's `integer` (0..2,147,483,647);
- a text saved to the database holds no NUL and no lone surrogate, which PostgreSQL refuses
  and UTF-8 cannot encode.
Every refusal raises InputError (a ValueError) with a message fit to show the user.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError

INT32_MAX = 2_147_483_647
JSON_MAX_DEPTH = 32
UNSAVABLE_MESSAGE = (
    "contains characters that can't be saved (a NUL or an unpaired surrogate); remove them and try again."
)

# NUL, and UTF-16 surrogate code points, which never stand alone in valid text.
_UNSAVABLE = re.compile("[\x00\ud800-\udfff]")
_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


class InputError(ValueError):
    """What the user sent cannot be used; `message` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def has_unsavable_characters(text: str) -> bool:
    return _UNSAVABLE.search(text) is not None


def savable_text(text: str, *, what: str = "This text") -> str:
    """`text` unchanged if the database can store it; InputError naming `what` otherwise."""
    if has_unsavable_characters(text):
        raise InputError(f"{what} {UNSAVABLE_MESSAGE}")
    return text


def validate_savable_text(value) -> None:
    """A form-field validator: NUL and lone surrogates are refused like any other bad value."""
    if isinstance(value, str) and has_unsavable_characters(value):
        raise ValidationError(f"This text {UNSAVABLE_MESSAGE}", code="unsavable")


def _refuse_constant(token: str):
    raise InputError(f"The request contains {token}, which is not a number JSON allows.")


def _check_depth_and_strings(value, max_depth: int) -> None:
    """Walk the parsed value without recursion: refuse deep nesting and unsavable strings."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = []
            for key, child in item.items():
                children.append(key)
                children.append(child)
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, str) and has_unsavable_characters(item):
                raise InputError(f"The request {UNSAVABLE_MESSAGE}")
            continue
        if depth > max_depth:
            raise InputError(f"The request is nested too deeply (at most {max_depth} levels).")
        stack.extend((child, depth + 1) for child in children)


def read_json(body: bytes | str, *, max_depth: int = JSON_MAX_DEPTH, allow_non_finite: bool = False):
    """The body parsed as JSON, or InputError.

    Nesting beyond `max_depth` is refused (and so is the RecursionError Python's parser
    raises on very deep input). NaN and ±Infinity are refused unless `allow_non_finite`,
    for callers that report them themselves. Strings holding NUL or lone surrogates are
    refused everywhere, keys included, since nothing downstream may store them.
    """
    try:
        if allow_non_finite:
            data = json.loads(body)
        else:
            data = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise InputError(f"The request is nested too deeply (at most {max_depth} levels).") from None
    except InputError:
        raise
    except (ValueError, UnicodeDecodeError, TypeError):
        raise InputError("The request body is not valid JSON.") from None
    _check_depth_and_strings(data, max_depth)
    return data


def read_json_object(body: bytes | str, **options) -> dict:
    """Like read_json, but the top level must be an object."""
    data = read_json(body, **options)
    if not isinstance(data, dict):
        raise InputError("The request body must be a JSON object.")
    return data


def int_in_range(value, *, what: str, low: int = 0, high: int = INT32_MAX) -> int:
    """A whole number from JSON (an int, not a bool or float) or a form (ASCII digits), within low..high."""
    if isinstance(value, str) and _ASCII_DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{what} must be a whole number from {low:,} to {high:,}.")
    return value
