"""What a value from outside may hold: checked once, where it enters (issue 14).

Every value a resident, a facilitator's API call, a paper line or a file sends is
decoded JSON (or YAML, or form text). Before any use case sees it, :func:`problem`
walks it once, without recursion, and names the first thing no stored row may hold:

- a string with a lone UTF-16 surrogate (U+D800..U+DFFF, which JSON's ``\\ud800``
  escape can carry but UTF-8 cannot encode: such a row broke every CSV and JSON
  export) or a Unicode noncharacter (U+FDD0..U+FDEF and the last two code points of
  every plane, U+FFFE, U+FFFF, ...);
- nesting deeper than :data:`MAX_DEPTH` (nothing we read is deeper than 8);
- an integer outside a 64-bit database integer (a 4,300-digit number).

Texts are otherwise taken as sent (trimming is each field's rule).
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Any, NamedTuple

#: deepest nesting of any body or event we accept (a workshop file is 7 deep)
MAX_DEPTH = 32
#: integers fit a signed 64-bit database column
MAX_INT = 2**63 - 1

_BAD_CHAR = re.compile(
    "[\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]"
)


class Problem(NamedTuple):
    """Why a value cannot be taken: ``kind`` is bad_text, too_deep or too_large_number."""

    kind: str
    message: str


BAD_TEXT = Problem("bad_text", "a text holds a character that is not valid Unicode text")
TOO_LARGE = Problem("too_large_number", "a number is too large")
_NESTED = (dict, list, tuple)
_chain = chain.from_iterable


def bad_text(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate or a noncharacter (never in ASCII text:
    every one of them is above U+D7FF, so ASCII skips the search)."""
    return not text.isascii() and _BAD_CHAR.search(text) is not None


def _leaf(item: Any) -> Problem | None:
    """The problem of a value that holds no other (a text, a number, ...), or None."""
    if isinstance(item, str):
        return BAD_TEXT if bad_text(item) else None
    if isinstance(item, int) and not isinstance(item, bool) and not -MAX_INT - 1 <= item <= MAX_INT:
        return TOO_LARGE
    return None


def problem(value: Any, *, max_depth: int = MAX_DEPTH) -> Problem | None:
    """The first reason ``value`` (decoded JSON) cannot be taken, or None. Linear, iterative.

    Every value of every event passes here (a ballot: about a dozen), so the walk keeps
    only containers on its stack and checks texts and numbers where it meets them.
    """
    if not isinstance(value, _NESTED):
        return _leaf(value)
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= max_depth:
            return Problem("too_deep", f"nested more than {max_depth} levels deep")
        inner_depth = depth + 1
        for inner in _chain(item.items()) if isinstance(item, dict) else item:  # keys and values
            if isinstance(inner, _NESTED):
                stack.append((inner, inner_depth))
            elif isinstance(inner, str):
                if not inner.isascii() and _BAD_CHAR.search(inner) is not None:
                    return BAD_TEXT
            elif (found := _leaf(inner)) is not None:
                return found
    return None
