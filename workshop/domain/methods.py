"""Voting methods: the rules of a ballot and how ballots become item values.

Each method of the contract's table is one small class in the ``METHODS``
registry. A method checks one resident's ``choices`` (``validate``) and turns a
list of already validated choices into per-item values plus the linear rule
that maps a value to a 0-100 score (``tally``). Nothing here knows about
requests, rows or sockets: a stage is the typed stage of the workshop
definition (``domain.definition``) and ballots are plain dicts.
"""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .definition import (
    METHODS as METHOD_NAMES,
)
from .definition import (
    ApprovalStage,
    BudgetStage,
    DotsStage,
    ScoreStage,
    StageDefinition,
    WordsStage,
)
from .problems import Problem
from .words import count_entries, space_words

#: A stage of a workshop definition (with its current items).
Stage = StageDefinition
#: One resident's validated, normalized choices for one stage.
Choices = Mapping[str, Any]
#: Splits one given word or phrase into words (Thai needs a real segmenter).
Segmenter = Callable[[str], list[str]]
#: Value of an item: a count, points, an amount or a mean; None if nobody scored it.
Value = int | float | None

#: Longest word or phrase a words ballot may hold, in characters.
MAX_WORD_LENGTH = 40


class BallotRejected(Exception):
    """A ballot that breaks a rule; refused whole.

    ``code`` is the contract's acknowledgement code (``invalid``); ``problem`` says
    which rule, as a code of ``domain.problems`` with its parameters, so that each
    page says it in its language; ``message`` is its English text (API, sockets).
    """

    code: str = "invalid"

    def __init__(self, reason: str, **params: Any) -> None:
        self.problem = Problem(reason, params)
        super().__init__(self.problem.message)

    @property
    def message(self) -> str:
        """English, precise and safe to show, e.g. "unknown item 'p9'"."""
        return self.problem.message


def simple_segment(text: str) -> list[str]:
    """Casefold and split on whitespace; punctuation around words is dropped.

    The default segmenter: enough for languages that put spaces between
    words. Thai text needs a dictionary-based segmenter passed in instead.
    """
    words = []
    for token in text.casefold().split():
        word = _strip_punctuation(token)
        if word:
            words.append(word)
    return words


def _strip_punctuation(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start]).startswith("P"):
        start += 1
    while end > start and unicodedata.category(token[end - 1]).startswith("P"):
        end -= 1
    return token[start:end]


@dataclass(frozen=True)
class ItemTally:
    """Item values of one set of ballots and the rule that scores them.

    ``score(key) = (value - floor) / denominator x 100``; the score is None
    when the value is None or the denominator is 0 (no ballots, no dots or
    amounts cast). ``values`` is in the order items are listed before ranking:
    definition order, or for a words stage value descending then the word.
    """

    values: Mapping[str, Value]
    #: What a value is divided by: ballots, dots cast, ballots x N, max - min, ...
    denominator: float
    #: The value that scores 0 (the scale minimum for the score method, else 0).
    floor: float = 0
    #: Value of a key missing from ``values`` (a word this set of ballots did not give).
    default: Value = 0
    #: Score method only: item -> criterion -> mean of the scores given.
    criteria: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: Words method only: entry -> how it is shown (as most residents typed it).
    labels: Mapping[str, str] = field(default_factory=dict)

    def value(self, key: str) -> Value:
        """The value of ``key``, ``default`` if these ballots never named it."""
        return self.values.get(key, self.default)

    def score(self, key: str) -> float | None:
        """The 0-100 score of ``key``, unrounded; None where the contract says null."""
        value = self.value(key)
        if value is None or self.denominator == 0:
            return None
        return (value - self.floor) / self.denominator * 100


# ---------------------------------------------------------------------------
# Shared checks


def _is_int(value: object) -> bool:
    """A JSON integer: ``True`` and ``False`` are not numbers here."""
    return isinstance(value, int) and not isinstance(value, bool)


def _item_keys(stage: Stage) -> list[str]:
    return stage.item_keys


def _known_item(key: object, known: Sequence[str]) -> str:
    if not isinstance(key, str) or key not in known:
        raise BallotRejected("unknown_item", key=repr(key))
    return key


def _int_map(raw: object, field_name: str, what: str, known: Sequence[str]) -> dict[str, int]:
    """Check ``{item: whole number >= 0}``; returns it without the zeros. ``what``: dots or amount."""
    if not isinstance(raw, dict):
        raise BallotRejected("amounts_type", field=field_name)
    kept: dict[str, int] = {}
    for key, amount in raw.items():
        item = _known_item(key, known)
        if not _is_int(amount):
            raise BallotRejected(f"{what}_not_whole", key=repr(item))
        if amount < 0:
            raise BallotRejected(f"{what}_negative", key=repr(item))
        if amount:
            kept[item] = amount
    return kept


def _key_list(raw: object, field_name: str, known: Sequence[str], twice: str) -> list[str]:
    """Check a list of known item keys without duplicates (``twice``: the code of a repeat)."""
    if not isinstance(raw, list):
        raise BallotRejected("key_list_type", field=field_name)
    seen: set[str] = set()
    for key in raw:
        item = _known_item(key, known)
        if item in seen:
            raise BallotRejected(twice, key=repr(item))
        seen.add(item)
    return list(raw)


# ---------------------------------------------------------------------------
# The methods


class Method(ABC):
    """One voting method: its ballot rules and its tally."""

    #: Name in the workshop file's ``method`` field.
    name: ClassVar[str]
    #: The one key of this method's ``choices`` object.
    field: ClassVar[str]

    def validate(self, stage: Stage, choices: object) -> dict[str, Any]:
        """Return the normalized choices, or raise ``BallotRejected``."""
        if not isinstance(choices, dict):
            raise BallotRejected("choices_type", field=self.field)
        for key in choices:
            if key != self.field:
                raise BallotRejected("unexpected_key", key=repr(key))
        if self.field not in choices:
            raise BallotRejected("choices_missing", field=self.field)
        return {self.field: self.check(stage, choices[self.field])}

    @abstractmethod
    def check(self, stage: Stage, raw: object) -> Any:
        """Check the value under ``field`` and return it normalized."""

    @abstractmethod
    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        """Values of the stage's items over validated ``ballots``.

        Keys that are not (or no longer) items of the stage are ignored.
        """


class Single(Method):
    """One item per ballot; value = ballots naming it."""

    name = "single"
    field = "item"

    def check(self, stage: Stage, raw: object) -> str:
        if not isinstance(raw, str):
            raise BallotRejected("item_type")
        return _known_item(raw, _item_keys(stage))

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        values = dict.fromkeys(_item_keys(stage), 0)
        for ballot in ballots:
            key = ballot[self.field]
            if key in values:
                values[key] = values[key] + 1
        return ItemTally(values, denominator=len(ballots))


class Approval(Method):
    """Up to ``max_choices`` items per ballot; value = ballots naming it."""

    name = "approval"
    field = "items"

    def check(self, stage: Stage, raw: object) -> list[str]:
        assert isinstance(stage, ApprovalStage)
        chosen = _key_list(raw, self.field, _item_keys(stage), "appears_twice")
        if not chosen:
            raise BallotRejected("choose_one")
        limit = stage.choice_limit
        if len(chosen) > limit:
            raise BallotRejected("too_many_choices", num=limit)
        return chosen

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        values = dict.fromkeys(_item_keys(stage), 0)
        for ballot in ballots:
            for key in ballot[self.field]:
                if key in values:
                    values[key] = values[key] + 1
        return ItemTally(values, denominator=len(ballots))


class Dots(Method):
    """``dots`` to spread, at most ``max_per_item`` on one; value = dots on it."""

    name = "dots"
    field = "dots"

    def check(self, stage: Stage, raw: object) -> dict[str, int]:
        assert isinstance(stage, DotsStage)
        total_allowed, per_item = stage.dots, stage.per_item_limit
        dots = _int_map(raw, self.field, "dots", _item_keys(stage))
        for key, count in dots.items():
            if count > per_item:
                raise BallotRejected("dots_on_item", num=count, key=repr(key), max=per_item)
        total = sum(dots.values())
        if total > total_allowed:
            raise BallotRejected("dots_total", num=total, max=total_allowed)
        if total == 0:
            raise BallotRejected("no_dots")
        return dots

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        return _sum_amounts(stage, ballots, self.field)


class Rank(Method):
    """An order of items, maybe partial; value = Borda points."""

    name = "rank"
    field = "order"

    def check(self, stage: Stage, raw: object) -> list[str]:
        order = _key_list(raw, self.field, _item_keys(stage), "appears_twice_in_order")
        if not order:
            raise BallotRejected("rank_one")
        return order

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        keys = _item_keys(stage)
        n = len(keys)
        values = dict.fromkeys(keys, 0)
        for ballot in ballots:
            ranked = [key for key in ballot[self.field] if key in values]
            for position, key in enumerate(ranked):
                values[key] = values[key] + n - position
        return ItemTally(values, denominator=len(ballots) * n)


class Score(Method):
    """Scores on a scale per criterion, maybe partial; value = weighted mean of means."""

    name = "score"
    field = "scores"

    def check(self, stage: Stage, raw: object) -> dict[str, dict[str, int]]:
        if not isinstance(raw, dict):
            raise BallotRejected("scores_type")
        assert isinstance(stage, ScoreStage)
        known = _item_keys(stage)
        criteria = [criterion.key for criterion in stage.criteria]
        low, high = stage.scale.min, stage.scale.max
        kept: dict[str, dict[str, int]] = {}
        for key, given in raw.items():
            item = _known_item(key, known)
            if not isinstance(given, dict):
                raise BallotRejected("item_scores_type", key=repr(item))
            for criterion, score in given.items():
                if not isinstance(criterion, str) or criterion not in criteria:
                    raise BallotRejected("unknown_criterion", key=repr(criterion))
                if not _is_int(score):
                    raise BallotRejected("score_not_whole", item=item, criterion=criterion)
                if not low <= score <= high:
                    raise BallotRejected("score_outside", score=score, item=item, criterion=criterion,
                                         low=low, high=high)
            if given:
                kept[item] = dict(given)
        if not kept:
            raise BallotRejected("no_scores")
        return kept

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        assert isinstance(stage, ScoreStage)
        low, high = stage.scale.min, stage.scale.max
        weights = {c.key: c.weight for c in stage.criteria}
        given: dict[str, dict[str, list[int]]] = {key: {} for key in _item_keys(stage)}
        for ballot in ballots:
            for item, scores in ballot[self.field].items():
                if item not in given:
                    continue
                for criterion, score in scores.items():
                    if criterion in weights:
                        given[item].setdefault(criterion, []).append(score)
        values: dict[str, Value] = {}
        criteria: dict[str, dict[str, float]] = {}
        for item, by_criterion in given.items():
            # Criteria in definition order, so the float sums never depend on ballot order.
            means = {c: sum(by_criterion[c]) / len(by_criterion[c]) for c in weights if c in by_criterion}
            criteria[item] = means
            values[item] = _weighted_mean(means, weights, low, high)
        return ItemTally(values, denominator=high - low, floor=low, default=None, criteria=criteria)


def _weighted_mean(
    means: Mapping[str, float], weights: Mapping[str, float], low: float, high: float
) -> float | None:
    """Weighted mean of per-criterion means; None if none; plain mean if all weights are 0."""
    if not means:
        return None
    total_weight = sum(weights[c] for c in means)
    if total_weight:
        value = sum(weights[c] * mean for c, mean in means.items()) / total_weight
    else:
        value = sum(means.values()) / len(means)
    # A mean of values within the scale is within the scale; only float rounding can stray.
    return min(max(value, low), high)


class Budget(Method):
    """Amounts of a ``budget`` given to items; value = amount given."""

    name = "budget"
    field = "budget"

    def check(self, stage: Stage, raw: object) -> dict[str, int]:
        assert isinstance(stage, BudgetStage)
        limit = stage.budget
        amounts = _int_map(raw, self.field, "amount", _item_keys(stage))
        total = sum(amounts.values())
        if total > limit:
            raise BallotRejected("over_budget", total=total, limit=limit)
        if total == 0:
            raise BallotRejected("no_amount")
        return amounts

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter) -> ItemTally:
        return _sum_amounts(stage, ballots, self.field)


class Words(Method):
    """Up to ``max_words`` free words or phrases; the words become the items."""

    name = "words"
    field = "words"

    def check(self, stage: Stage, raw: object) -> list[str]:
        assert isinstance(stage, WordsStage)
        limit = stage.max_words
        if not isinstance(raw, list):
            raise BallotRejected("words_type")
        if not raw:
            raise BallotRejected("no_words")
        if len(raw) > limit:
            raise BallotRejected("too_many_words", num=limit)
        words = []
        for number, word in enumerate(raw, start=1):
            if not isinstance(word, str):
                raise BallotRejected("word_type", number=number)
            word = word.strip()
            if not word:
                raise BallotRejected("word_empty", number=number)
            if len(word) > MAX_WORD_LENGTH:
                raise BallotRejected("word_too_long", number=number, max=MAX_WORD_LENGTH)
            words.append(word)
        return words

    def tally(self, stage: Stage, ballots: Sequence[Choices], segment: Segmenter,
              merges: Mapping[str, Any] | None = None) -> ItemTally:
        # One entry per answer (split only when long), once per ballot, merges applied:
        # the rules live in domain.words. ``merges`` ({"map", "labels"}) come from stage_results.
        merges = merges or {}
        found = count_entries(
            [ballot[self.field] for ballot in ballots], segment,
            merges.get("map"), merges.get("labels"),
        )
        return ItemTally(found.counts, denominator=len(ballots), labels=found.labels)


def _sum_amounts(stage: Stage, ballots: Sequence[Choices], field_name: str) -> ItemTally:
    """Dots and budget: value = amount on the item; denominator = all amounts cast."""
    values = dict.fromkeys(_item_keys(stage), 0)
    total = 0
    for ballot in ballots:
        for key, amount in ballot[field_name].items():
            if key in values:
                values[key] = values[key] + amount
                total += amount
    return ItemTally(values, denominator=total)


#: The methods of the contract, by the name used in workshop files.
METHODS: dict[str, Method] = {
    method.name: method for method in (Single(), Approval(), Dots(), Rank(), Score(), Budget(), Words())
}
assert tuple(METHODS) == METHOD_NAMES, "one Method per method of domain.definition, in its order"


def check_item_costs(stage: Stage, choices: Choices) -> None:
    """A phone ballot of a budget stage never gives an item more than its own cost.

    Raises ``BallotRejected`` naming the first such item. Applied to phone ballots
    (the resident page enforces it as the amounts are typed); paper ballots are
    counted as residents wrote them, as contract 1.1's ballot rules say.
    """
    if stage.method != "budget":
        return
    costs = {item.key: item.budget for item in stage.items}
    for key, amount in (choices.get("budget") or {}).items():
        cost = costs.get(key)
        if _is_int(cost) and amount > cost:
            raise BallotRejected("over_cost", amount=amount, key=repr(key), cost=cost)


def get_method(stage: Stage) -> Method:
    """The method of ``stage``; ValueError for a name not in ``METHODS``."""
    try:
        return METHODS[stage.method]
    except KeyError:
        raise ValueError(f"unknown method {stage.method!r}") from None


def validate_ballot(stage: Stage, choices: object) -> dict[str, Any]:
    """Check one resident's ``choices`` for ``stage``; return them normalized.

    Raises ``BallotRejected`` (code ``invalid``) naming the first broken rule.
    """
    return get_method(stage).validate(stage, choices)


def item_values(stage: Stage, ballots: Sequence[Choices], segment: Segmenter = space_words) -> ItemTally:
    """Tally validated, normalized ``ballots`` of ``stage`` with its method."""
    return get_method(stage).tally(stage, ballots, segment)
