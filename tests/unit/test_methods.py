"""Ballot rules of every method: what is accepted, how it is normalized, why it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.stages import typed_stage
from workshop.domain.definition import METHODS as DEFINITION_METHODS
from workshop.domain.definition import Criterion, Item, StageDefinition
from workshop.domain.methods import (
    METHODS,
    BallotRejected,
    check_item_costs,
    get_method,
    item_values,
    simple_segment,
    validate_ballot,
)


def make_stage(method: str, keys: str = "a b c d", **options: Any) -> StageDefinition:
    """A normalized stage as the workshop loader hands it over."""
    stage: dict[str, Any] = {
        "key": method,
        "kind": "other",
        "method": method,
        "title": method.title(),
        "prompt": None,
        "max_choices": None,
        "dots": None,
        "max_per_item": None,
        "criteria": None,
        "scale": None,
        "budget": None,
        "max_words": 3,
        "show_results": "after_close",
        "allow_comments": True,
        "allow_ideas": False,
        "items": [{"key": key, "title": key.upper()} for key in keys.split()],
    }
    stage.update(options)
    return typed_stage(stage)


OPTIONS_OF: dict[str, dict[str, Any]] = {
    "dots": {"dots": 3},
    "score": {"criteria": [{"key": "q", "label": "Q"}]},
    "budget": {"budget": 100},
    "words": {"keys": ""},
}

SINGLE = make_stage("single")
APPROVAL = make_stage("approval", max_choices=2)
APPROVAL_ALL = make_stage("approval", keys="a b c")
DOTS = make_stage("dots", dots=10, max_per_item=4)
DOTS_DEFAULT_CAP = make_stage("dots", dots=5, max_per_item=5)
RANK = make_stage("rank")
SCORE = make_stage(
    "score",
    criteria=[
        {"key": "importance", "label": "Importance", "weight": 2},
        {"key": "feasibility", "label": "Feasibility", "weight": 1},
    ],
    scale={"min": 1, "max": 5},
)
BUDGET = make_stage("budget", budget=500000)
WORDS = make_stage("words", keys="", max_words=3)
WORDS_TWO = make_stage("words", keys="", max_words=2)


ACCEPTED = [
    # single
    pytest.param(SINGLE, {"item": "b"}, {"item": "b"}, id="single"),
    # approval
    pytest.param(APPROVAL, {"items": ["c"]}, {"items": ["c"]}, id="approval-one"),
    pytest.param(APPROVAL, {"items": ["c", "a"]}, {"items": ["c", "a"]}, id="approval-max"),
    pytest.param(APPROVAL_ALL, {"items": ["a", "b", "c"]}, {"items": ["a", "b", "c"]}, id="approval-all"),
    # dots
    pytest.param(DOTS, {"dots": {"a": 4, "b": 4, "c": 2}}, {"dots": {"a": 4, "b": 4, "c": 2}}, id="dots-all"),
    pytest.param(DOTS, {"dots": {"a": 0, "b": 1}}, {"dots": {"b": 1}}, id="dots-drops-zero"),
    pytest.param(DOTS_DEFAULT_CAP, {"dots": {"d": 5}}, {"dots": {"d": 5}}, id="dots-cap-is-dots"),
    # rank
    pytest.param(RANK, {"order": ["c", "a", "d", "b"]}, {"order": ["c", "a", "d", "b"]}, id="rank-full"),
    pytest.param(RANK, {"order": ["d"]}, {"order": ["d"]}, id="rank-partial"),
    # score
    pytest.param(
        SCORE,
        {"scores": {"a": {"importance": 5, "feasibility": 1}, "b": {"feasibility": 3}}},
        {"scores": {"a": {"importance": 5, "feasibility": 1}, "b": {"feasibility": 3}}},
        id="score-partial",
    ),
    pytest.param(
        SCORE,
        {"scores": {"a": {}, "c": {"importance": 1}}},
        {"scores": {"c": {"importance": 1}}},
        id="score-drops-empty-item",
    ),
    # budget
    pytest.param(BUDGET, {"budget": {"a": 500000}}, {"budget": {"a": 500000}}, id="budget-all"),
    pytest.param(
        BUDGET, {"budget": {"a": 0, "b": 1, "c": 2}}, {"budget": {"b": 1, "c": 2}}, id="budget-drops-zero"
    ),
    # words
    pytest.param(WORDS, {"words": ["  สะอาด ", "green"]}, {"words": ["สะอาด", "green"]}, id="words-stripped"),
    pytest.param(
        WORDS, {"words": ["Green", "Green", "x"]}, {"words": ["Green", "Green", "x"]}, id="words-as-given"
    ),
    pytest.param(WORDS, {"words": ["w" * 40]}, {"words": ["w" * 40]}, id="words-40-chars"),
]


@pytest.mark.parametrize(("stage", "choices", "normalized"), ACCEPTED)
def test_valid_ballot_is_normalized(
    stage: dict[str, Any], choices: object, normalized: dict[str, Any]
) -> None:
    assert validate_ballot(stage, choices) == normalized


REFUSED = [
    # the envelope, same for every method
    pytest.param(SINGLE, ["a"], "choices must be an object with the key 'item'", id="not-an-object"),
    pytest.param(SINGLE, None, "choices must be an object with the key 'item'", id="none"),
    pytest.param(SINGLE, {}, "choices must have the key 'item'", id="missing-key"),
    pytest.param(SINGLE, {"items": ["a"]}, "unexpected key 'items' in choices", id="wrong-key"),
    pytest.param(SINGLE, {"item": "a", "note": 1}, "unexpected key 'note' in choices", id="extra-key"),
    pytest.param(DOTS, {"items": ["a"]}, "unexpected key 'items' in choices", id="dots-wrong-key"),
    # single
    pytest.param(SINGLE, {"item": "z"}, "unknown item 'z'", id="single-unknown"),
    pytest.param(SINGLE, {"item": ""}, "unknown item ''", id="single-empty"),
    pytest.param(SINGLE, {"item": None}, "'item' must be an item key", id="single-none"),
    pytest.param(SINGLE, {"item": ["a"]}, "'item' must be an item key", id="single-list"),
    # approval
    pytest.param(APPROVAL, {"items": "a"}, "'items' must be a list of item keys", id="approval-str"),
    pytest.param(APPROVAL, {"items": []}, "choose at least one item", id="approval-empty"),
    pytest.param(APPROVAL, {"items": ["a", "z"]}, "unknown item 'z'", id="approval-unknown"),
    pytest.param(APPROVAL, {"items": [1]}, "unknown item 1", id="approval-not-str"),
    pytest.param(APPROVAL, {"items": ["a", "a"]}, "'a' appears twice", id="approval-duplicate"),
    pytest.param(APPROVAL, {"items": ["a", "b", "c"]}, "at most 2 choices", id="approval-too-many"),
    pytest.param(
        make_stage("approval", max_choices=1),
        {"items": ["a", "b"]},
        "at most 1 choice",
        id="approval-one-only",
    ),
    # dots
    pytest.param(
        DOTS, {"dots": ["a"]}, "'dots' must be an object of item keys to whole numbers", id="dots-list"
    ),
    pytest.param(DOTS, {"dots": {"z": 1}}, "unknown item 'z'", id="dots-unknown"),
    pytest.param(DOTS, {"dots": {"a": True}}, "dots for 'a' must be a whole number", id="dots-bool"),
    pytest.param(DOTS, {"dots": {"a": 1.0}}, "dots for 'a' must be a whole number", id="dots-float"),
    pytest.param(DOTS, {"dots": {"a": "2"}}, "dots for 'a' must be a whole number", id="dots-str"),
    pytest.param(DOTS, {"dots": {"a": -1, "b": 3}}, "dots for 'a' must not be negative", id="dots-negative"),
    pytest.param(DOTS, {"dots": {"a": 5}}, "5 dots on 'a', at most 4 per item", id="dots-per-item"),
    pytest.param(DOTS, {"dots": {"a": 4, "b": 4, "c": 4}}, "12 dots given, 10 allowed", id="dots-total"),
    pytest.param(DOTS, {"dots": {}}, "give at least one dot", id="dots-empty"),
    pytest.param(DOTS, {"dots": {"a": 0, "b": 0}}, "give at least one dot", id="dots-all-zero"),
    # rank
    pytest.param(RANK, {"order": {"a": 1}}, "'order' must be a list of item keys", id="rank-object"),
    pytest.param(RANK, {"order": []}, "rank at least one item", id="rank-empty"),
    pytest.param(RANK, {"order": ["a", "z"]}, "unknown item 'z'", id="rank-unknown"),
    pytest.param(RANK, {"order": ["b", "a", "b"]}, "'b' appears twice in the order", id="rank-duplicate"),
    # score
    pytest.param(
        SCORE, {"scores": [1]}, "'scores' must be an object of item keys to scores", id="score-list"
    ),
    pytest.param(SCORE, {"scores": {}}, "give at least one score", id="score-empty"),
    pytest.param(SCORE, {"scores": {"a": {}, "b": {}}}, "give at least one score", id="score-all-empty"),
    pytest.param(SCORE, {"scores": {"z": {"importance": 3}}}, "unknown item 'z'", id="score-unknown-item"),
    pytest.param(
        SCORE, {"scores": {"a": {"cost": 3}}}, "unknown criterion 'cost'", id="score-unknown-criterion"
    ),
    pytest.param(
        SCORE, {"scores": {"a": 4}}, "scores for 'a' must be an object of criteria to scores", id="score-flat"
    ),
    pytest.param(
        SCORE,
        {"scores": {"a": {"importance": 7}}},
        "score 7 for a/importance is outside 1-5",
        id="score-above",
    ),
    pytest.param(
        SCORE,
        {"scores": {"a": {"feasibility": 0}}},
        "score 0 for a/feasibility is outside 1-5",
        id="score-below",
    ),
    pytest.param(
        SCORE,
        {"scores": {"a": {"importance": 4.5}}},
        "score for a/importance must be a whole number",
        id="score-float",
    ),
    pytest.param(
        SCORE,
        {"scores": {"a": {"importance": True}}},
        "score for a/importance must be a whole number",
        id="score-bool",
    ),
    # budget
    pytest.param(
        BUDGET, {"budget": 5}, "'budget' must be an object of item keys to whole numbers", id="budget-int"
    ),
    pytest.param(BUDGET, {"budget": {"z": 5}}, "unknown item 'z'", id="budget-unknown"),
    pytest.param(
        BUDGET, {"budget": {"a": 100.0}}, "amount for 'a' must be a whole number", id="budget-float"
    ),
    pytest.param(BUDGET, {"budget": {"a": False}}, "amount for 'a' must be a whole number", id="budget-bool"),
    pytest.param(
        BUDGET, {"budget": {"a": -5, "b": 10}}, "amount for 'a' must not be negative", id="budget-negative"
    ),
    pytest.param(
        BUDGET, {"budget": {"a": 300000, "b": 300000}}, "budget 600000 exceeds 500000", id="budget-over"
    ),
    pytest.param(BUDGET, {"budget": {}}, "give an amount to at least one item", id="budget-empty"),
    pytest.param(BUDGET, {"budget": {"a": 0}}, "give an amount to at least one item", id="budget-zero"),
    # words
    pytest.param(WORDS, {"words": "green"}, "'words' must be a list of strings", id="words-str"),
    pytest.param(WORDS, {"words": []}, "give at least one word", id="words-empty"),
    pytest.param(WORDS, {"words": ["a", "b", "c", "d"]}, "at most 3 words", id="words-too-many"),
    pytest.param(WORDS_TWO, {"words": ["a", "b", "c"]}, "at most 2 words", id="words-max-option"),
    pytest.param(WORDS, {"words": ["a", 5]}, "word 2 must be a string", id="words-not-str"),
    pytest.param(WORDS, {"words": ["a", "   "]}, "word 2 is empty", id="words-blank"),
    pytest.param(WORDS, {"words": ["w" * 41]}, "word 1 is longer than 40 characters", id="words-too-long"),
]


@pytest.mark.parametrize(("stage", "choices", "message"), REFUSED)
def test_invalid_ballot_is_refused_with_reason(stage: dict[str, Any], choices: object, message: str) -> None:
    with pytest.raises(BallotRejected) as refused:
        validate_ballot(stage, choices)
    assert refused.value.message == message
    assert str(refused.value) == message
    assert refused.value.code == "invalid"


def test_words_are_stripped_before_the_length_check() -> None:
    assert validate_ballot(WORDS, {"words": [" " + "w" * 40 + " "]}) == {"words": ["w" * 40]}


def test_validation_does_not_change_the_given_choices() -> None:
    choices = {"dots": {"a": 0, "b": 2}}
    validate_ballot(DOTS, choices)
    assert choices == {"dots": {"a": 0, "b": 2}}


def test_registry_has_one_method_per_contract_row() -> None:
    assert list(METHODS) == ["single", "approval", "dots", "rank", "score", "budget", "words"]
    for name, method in METHODS.items():
        assert method.name == name


def test_unknown_method_makes_no_stage() -> None:
    """The typed stage cannot hold a method without rules (the model lists the methods)."""
    with pytest.raises(ValueError, match="literal_error"):
        make_stage("poll")


def test_registry_follows_the_definitions_list_of_methods() -> None:
    assert tuple(METHODS) == DEFINITION_METHODS
    for name in DEFINITION_METHODS:
        assert get_method(make_stage(name, **OPTIONS_OF.get(name, {}))).name == name


def test_item_values_default_to_stage_definition_order() -> None:
    tally = item_values(SINGLE, [{"item": "c"}])
    assert list(tally.values) == ["a", "b", "c", "d"]
    assert tally.values == {"a": 0, "b": 0, "c": 1, "d": 0}


def test_tally_ignores_keys_that_are_no_longer_items() -> None:
    tally = item_values(DOTS, [{"dots": {"a": 2, "gone": 3}}])
    assert tally.values == {"a": 2, "b": 0, "c": 0, "d": 0}
    assert tally.score("a") == 100.0


def test_score_tally_exposes_criterion_means() -> None:
    ballots = [
        {"scores": {"a": {"importance": 5, "feasibility": 2}}},
        {"scores": {"a": {"importance": 4}}},
    ]
    tally = item_values(SCORE, ballots)
    # importance (5 + 4) / 2 = 4.5; feasibility 2 / 1 = 2.0
    assert tally.criteria["a"] == {"importance": 4.5, "feasibility": 2.0}
    assert tally.criteria["b"] == {}
    # (2 x 4.5 + 1 x 2.0) / 3 = 11 / 3
    assert tally.value("a") == pytest.approx(11 / 3)
    assert tally.value("b") is None
    assert tally.score("b") is None


def test_score_with_all_weights_zero_falls_back_to_plain_mean() -> None:
    # A file cannot say weight 0 (the model wants > 0); the tally still never divides by 0.
    stage = make_stage("score", criteria=[{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}])
    zero = [Criterion.model_construct(key=c.key, label=c.label, weight=0) for c in stage.criteria]
    stage = stage.model_copy(update={"criteria": zero})
    tally = item_values(stage, [{"scores": {"a": {"x": 5, "y": 3}}}])
    assert tally.value("a") == 4.0


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Green City", ["green", "city"]),
        ("  clean,  green!  ", ["clean", "green"]),
        ("— ... !!", []),
        ("เมืองสะอาด", ["เมืองสะอาด"]),
        ("rock-'n'-roll", ["rock-'n'-roll"]),
    ],
)
def test_simple_segment(text: str, words: list[str]) -> None:
    assert simple_segment(text) == words


COSTED = make_stage("budget", keys="", budget=500000).model_copy(
    update={"items": [Item(key="a", title="A", budget=200000), Item(key="b", title="B")]})


def test_an_item_never_takes_more_than_its_own_cost() -> None:
    check_item_costs(COSTED, {"budget": {"a": 200000, "b": 300000}})  # its cost exactly; b: no cost
    with pytest.raises(BallotRejected) as refused:
        check_item_costs(COSTED, validate_ballot(COSTED, {"budget": {"a": 200001}}))
    assert refused.value.message == "amount 200001 for 'a' exceeds its cost 200000"
    check_item_costs(DOTS, {"dots": {"a": 9}})  # other methods: nothing to check
