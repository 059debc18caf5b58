"""Paper ballots typed by a facilitator: one ballot per line, parsed to ``choices``.

Pure: no Flask, no database. Keys follow the workshop file's rule
(``domain.definition.KEY_PATTERN``). ``parse_lines(method, text)`` turns the text of
the console's paper-ballot box into the contract's ``choices`` objects; the
ballot rules themselves (known items, limits, scale) stay in
``domain.methods`` and are checked when the batch is counted.

The format, shown on the paper-ballot page with the stage's real item keys:

* One ballot per line. Blank lines and lines starting with ``#`` are skipped
  (handy for notes such as ``# box 2, table 5``).
* Item keys are not case-sensitive: ``V1`` is ``v1``.
* Entries on a line are separated by commas, semicolons or spaces.
* Numbers are whole numbers. Thousands may be grouped with a comma or an
  underscore: ``500000``, ``500,000`` and ``500_000`` are the same amount. A
  comma followed by exactly three digits inside a number groups thousands;
  any other comma separates entries, so ``p1=500,000, p2=250,000`` and
  ``p1=500000;p2=250000`` both mean two entries.

=========  ================================================  ==========================
method     line                                              choices
=========  ================================================  ==========================
single     ``v2``                                            ``{"item": "v2"}``
approval   ``v1, v3``                                        ``{"items": ["v1", "v3"]}``
rank       ``g3, g1, g2`` (first = most preferred; ``>``     ``{"order": [...]}``
           also separates: ``g3 > g1 > g2``)
dots       ``g1=3, g4=2``                                    ``{"dots": {...}}``
score      ``p1.importance=5, p1.feasibility=3``             ``{"scores": {"p1": {...}}}``
budget     ``p1=500,000; p2=250,000``                        ``{"budget": {...}}``
words      ``สะอาด, green city`` (comma or semicolon only:   ``{"words": [...]}``
           a phrase may contain spaces)
=========  ================================================  ==========================
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .definition import KEY_RE as KEY
from .definition import (
    METHODS,
    ApprovalStage,
    BudgetStage,
    DotsStage,
    ScoreStage,
    StageDefinition,
)
from .problems import Problem

#: The codes a line can get; their texts are domain.problems' ``paper_<code>``.
CODES = ("one_item", "bad_key", "bad_criterion", "expected_pair", "expected_score", "duplicate", "empty")

_SKIP_KEYS = re.compile(r"[\s,;]+")
_SKIP_RANK = re.compile(r"[\s,;>]+")
_WORD_SEPARATORS = re.compile(r"[,;，]")
# One KEY=NUMBER entry. The number is either thousands-grouped digits, whose
# last group is not followed by a digit, "=" or "." (which would make it the
# next entry's key), or plain digits; "_" always groups.
_PAIR = re.compile(
    r"(?P<key>[^\s=,;]+?)\s*=\s*"
    r"(?P<number>-?(?:\d{1,3}(?:,\d{3})+(?![\d.]|\s*=)|\d+(?:_\d+)*))"
)
_ENTRY_END = re.compile(r"[\s,;]|$")
_TOKEN = re.compile(r"[^\s,;]+")


@dataclass(frozen=True)
class LineError:
    """What is wrong with one line."""

    #: 1-based line number in the text as typed (blank and # lines counted)
    line: int
    #: one of CODES, for a translated message
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def problem(self) -> Problem:
        """What is wrong, as domain.problems says it (code ``paper_<code>``, place ``line N``)."""
        return Problem(f"paper_{self.code}", self.params, f"line {self.line}")

    @property
    def message(self) -> str:
        return self.problem.message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class PaperFormatError(ValueError):
    """Lines that cannot be read; ``errors`` lists every one, ``line`` is the first."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        self.errors = list(errors)
        self.line = self.errors[0].line
        super().__init__("; ".join(str(e) for e in self.errors))


class _Bad(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def parse_lines(method: str, text: str) -> list[dict[str, Any]]:
    """The ``choices`` of each ballot line of ``text``, in order.

    Raises ``PaperFormatError`` (a ValueError) naming every line that cannot
    be read, and ValueError for an unknown method.
    """
    return [choices for _line, choices in parse_numbered(method, text)]


def parse_numbered(method: str, text: str) -> list[tuple[int, dict[str, Any]]]:
    """Like :func:`parse_lines`, each ballot paired with its 1-based line number."""
    ballots, errors = parse_each(method, text)
    if errors:
        raise PaperFormatError(errors)
    return ballots


def parse_each(method: str, text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[LineError]]:
    """Every line that could be read (with its number) and every line that could not.

    For a page that lists all problems at once: the lines that were read can
    still be checked against the ballot rules while others are being fixed.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    parse = _PARSERS[method]
    ballots: list[tuple[int, dict[str, Any]]] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            ballots.append((number, parse(line)))
        except _Bad as bad:
            errors.append(LineError(number, bad.code, bad.params))
    return ballots, errors


# ---------------------------------------------------------------------------
# Per method


def _key(token: str, code: str = "bad_key") -> str:
    key = token.lower()
    if not KEY.fullmatch(key):
        raise _Bad(code, token=token)
    return key


def _keys(line: str, separators: re.Pattern[str] = _SKIP_KEYS) -> list[str]:
    keys = [_key(token) for token in separators.split(line) if token]
    if not keys:
        raise _Bad("empty")
    return keys


def _single(line: str) -> dict[str, Any]:
    keys = _keys(line)
    if len(keys) != 1:
        raise _Bad("one_item", count=len(keys))
    return {"item": keys[0]}


def _approval(line: str) -> dict[str, Any]:
    return {"items": _keys(line)}


def _rank(line: str) -> dict[str, Any]:
    return {"order": _keys(line, _SKIP_RANK)}


def _number(text: str) -> int:
    """Digits matched by _PAIR, with their thousands separators."""
    return int(text.replace(",", "").replace("_", ""))


def _pairs(line: str, expected: str) -> list[tuple[str, int]]:
    """``KEY=NUMBER`` entries of a line, in order."""
    pairs: list[tuple[str, int]] = []
    position = 0
    while True:
        skipped = _SKIP_KEYS.match(line, position)
        if skipped:
            position = skipped.end()
        if position >= len(line):
            break
        found = _PAIR.match(line, position)
        if found is None or not _ENTRY_END.match(line, found.end()):
            token = _TOKEN.match(line, position)
            raise _Bad(expected, token=token.group() if token else line[position:])
        pairs.append((found["key"], _number(found["number"])))
        position = found.end()
    if not pairs:
        raise _Bad("empty")
    return pairs


def _amounts(line: str) -> dict[str, int]:
    amounts: dict[str, int] = {}
    for token, amount in _pairs(line, "expected_pair"):
        key = _key(token)
        if key in amounts:
            raise _Bad("duplicate", key=key)
        amounts[key] = amount
    return amounts


def _dots(line: str) -> dict[str, Any]:
    return {"dots": _amounts(line)}


def _budget(line: str) -> dict[str, Any]:
    return {"budget": _amounts(line)}


def _score(line: str) -> dict[str, Any]:
    scores: dict[str, dict[str, int]] = {}
    for token, value in _pairs(line, "expected_score"):
        item_token, dot, criterion_token = token.partition(".")
        if not dot or not item_token or not criterion_token:
            raise _Bad("expected_score", token=f"{token}={value}")
        item = _key(item_token)
        criterion = _key(criterion_token, "bad_criterion")
        given = scores.setdefault(item, {})
        if criterion in given:
            raise _Bad("duplicate", key=f"{item}.{criterion}")
        given[criterion] = value
    return {"scores": scores}


def _words(line: str) -> dict[str, Any]:
    words = [word.strip() for word in _WORD_SEPARATORS.split(line)]
    words = [word for word in words if word]
    if not words:
        raise _Bad("empty")
    return {"words": words}


_PARSERS = {
    "single": _single,
    "approval": _approval,
    "rank": _rank,
    "dots": _dots,
    "score": _score,
    "budget": _budget,
    "words": _words,
}


# ---------------------------------------------------------------------------
# Examples for the page, from a stage's real keys


def _grouped(amount: int) -> str:
    return f"{amount:,}"


def example_lines(stage: StageDefinition) -> list[str]:
    """Two or three valid example lines for ``stage`` (with its current items).

    Empty when the stage has no items yet (an ideas stage before any approval).
    """
    method = stage.method
    keys = stage.item_keys
    if method == "words":
        return ["สะอาด, green", "ร่มรื่น; walkable city"]
    if not keys:
        return []
    first, second, third = keys[0], keys[min(1, len(keys) - 1)], keys[min(2, len(keys) - 1)]
    if method == "single":
        return [second, first]
    if isinstance(stage, ApprovalStage):
        limit = stage.choice_limit
        picked = [first, third] if limit >= 2 and third != first else [first]
        return [", ".join(picked), second]
    if method == "rank":
        order = list(dict.fromkeys([third, first, second]))
        return [", ".join(order), " > ".join(reversed(order))]
    if isinstance(stage, DotsStage):
        dots, cap = stage.dots, stage.per_item_limit
        one = min(cap, dots)
        rest = min(cap, dots - one)
        line = f"{first}={one}" + (f", {keys[-1]}={rest}" if rest and keys[-1] != first else "")
        return [line, f"{second}=1"]
    if isinstance(stage, ScoreStage):
        criteria = [c.key for c in stage.criteria]
        low, high = stage.scale.min, stage.scale.max
        middle = (low + high) // 2
        parts = [f"{first}.{criteria[0]}={high}"]
        if len(criteria) > 1:
            parts.append(f"{first}.{criteria[1]}={middle}")
        if second != first:
            parts.append(f"{second}.{criteria[0]}={max(low, high - 1)}")
        return [", ".join(parts), f"{second}.{criteria[-1]}={low}"]
    if isinstance(stage, BudgetStage):
        total = stage.budget
        half = total // 2 // 1000 * 1000 or total // 2
        quarter = total // 4 // 1000 * 1000 or total // 4
        line = f"{first}={_grouped(half)}"
        if second != first and quarter:
            line += f"; {second}={_grouped(quarter)}"
        return [line, f"{third}={_grouped(quarter or total)}"]
    raise ValueError(f"unknown method {method!r}")
