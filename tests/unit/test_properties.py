"""Properties of the tally over random valid ballots of every method (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.stages import typed_stage
from workshop.domain.methods import METHODS, simple_segment, validate_ballot
from workshop.domain.results import stage_results

GROUPS = ["resident", "government", "private", "civil"]
VOCABULARY = ["สะอาด", "เมืองสะอาด", "green", "Green city", "ปลอดภัย", "safe!", "...", "น้ำ ไฟ"]

#: Enough ballots for several per group, few enough to keep each property near 1 s.
MAX_BALLOTS = 8

Ballots = list[tuple[str, dict[str, Any]]]


def segment(text: str) -> list[str]:
    """A fake Thai segmenter: splits one compound, else the simple segmenter."""
    return ["เมือง", "สะอาด"] if text == "เมืองสะอาด" else simple_segment(text)


def results(stage: dict[str, Any], ballots: Ballots) -> dict[str, Any]:
    return stage_results(typed_stage(stage), ballots, segment=segment)


@st.composite
def stages(draw: st.DrawFn, method: str) -> dict[str, Any]:
    """A normalized stage of ``method`` with random options."""
    keys = [f"i{number}" for number in range(draw(st.integers(1, 5)))]
    stage: dict[str, Any] = {
        "key": "s", "kind": "other", "method": method, "title": "S", "prompt": None,
        "max_choices": None, "dots": None, "max_per_item": None, "criteria": None, "scale": None,
        "budget": None, "max_words": 3, "show_results": "live", "allow_comments": False,
        "allow_ideas": False, "items": [{"key": key, "title": key} for key in keys],
    }  # fmt: skip
    if method == "approval":
        stage["max_choices"] = draw(st.none() | st.integers(1, len(keys)))
    elif method == "dots":
        stage["dots"] = draw(st.integers(1, 12))
        stage["max_per_item"] = draw(st.integers(1, stage["dots"]))
    elif method == "score":
        low = draw(st.integers(-2, 3))
        stage["scale"] = {"min": low, "max": low + draw(st.integers(1, 6))}
        stage["criteria"] = [
            {"key": f"c{number}", "label": "C", "weight": draw(st.sampled_from([1, 2, 3, 0.5, 1.5]))}
            for number in range(draw(st.integers(1, 3)))
        ]
    elif method == "budget":
        stage["budget"] = draw(st.integers(1, 10**7))
    elif method == "words":
        stage["items"] = []
        stage["max_words"] = draw(st.integers(1, 4))
    return stage


def split(draw: st.DrawFn, total: int, keys: list[str], cap: int) -> dict[str, int]:
    """``total`` units over ``keys``, at most ``cap`` on one (as a resident might)."""
    given = dict.fromkeys(keys, 0)
    for _ in range(total):
        room = [key for key in keys if given[key] < cap]
        if not room:
            break
        given[draw(st.sampled_from(room))] += 1
    return given


@st.composite
def raw_choices(draw: st.DrawFn, stage: dict[str, Any]) -> dict[str, Any]:
    """Choices a resident may send for ``stage``: valid, not yet normalized."""
    keys = [item["key"] for item in stage["items"]]
    method = stage["method"]
    if method == "single":
        return {"item": draw(st.sampled_from(keys))}
    if method == "approval":
        limit = stage["max_choices"] or len(keys)
        return {"items": draw(st.lists(st.sampled_from(keys), min_size=1, max_size=limit, unique=True))}
    if method == "dots":
        total = draw(st.integers(1, stage["dots"]))
        dots = split(draw, total, keys, stage["max_per_item"])
        return {"dots": dots} if sum(dots.values()) else {"dots": {keys[0]: 1}}
    if method == "rank":
        return {"order": draw(st.lists(st.sampled_from(keys), min_size=1, unique=True))}
    if method == "score":
        criteria = [criterion["key"] for criterion in stage["criteria"]]
        scale = st.integers(stage["scale"]["min"], stage["scale"]["max"])
        given = st.tuples(st.sampled_from(keys), st.sampled_from(criteria), scale)
        scores: dict[str, dict[str, int]] = {}
        for key, criterion, score in draw(st.lists(given, min_size=1, max_size=5)):
            scores.setdefault(key, {})[criterion] = score
        return {"scores": scores}
    if method == "budget":
        remaining = draw(st.integers(1, stage["budget"]))
        amounts = {}
        for key in keys[:-1]:
            amounts[key] = draw(st.integers(0, remaining))
            remaining -= amounts[key]
        amounts[keys[-1]] = remaining
        return {"budget": amounts}
    words = st.sampled_from(VOCABULARY) | st.text("ab เม.", min_size=1, max_size=8).filter(str.strip)
    return {"words": draw(st.lists(words, min_size=1, max_size=stage["max_words"]))}


@st.composite
def ballots_of(draw: st.DrawFn, stage: dict[str, Any], min_size: int = 0) -> Ballots:
    """(group, normalized choices) pairs; every generated ballot must validate."""
    ballot = st.tuples(st.sampled_from(GROUPS), raw_choices(stage))
    return [
        (group, validate_ballot(typed_stage(stage), raw))
        for group, raw in draw(st.lists(ballot, min_size=min_size, max_size=MAX_BALLOTS))
    ]


def all_scores(result: dict[str, Any]) -> list[float | None]:
    scores = []
    for item in result["items"]:
        scores.append(item["score"])
        scores.extend(group["score"] for group in item["by_group"].values())
    return scores


property_settings = settings(max_examples=100, deadline=None, database=None)
methods = pytest.mark.parametrize("method", list(METHODS))


@methods
@property_settings
@given(data=st.data())
def test_ballot_order_never_changes_results(method: str, data: st.DataObject) -> None:
    stage = data.draw(stages(method))
    ballots = data.draw(ballots_of(stage))
    shuffled = data.draw(st.permutations(ballots))
    assert results(stage, shuffled) == results(stage, ballots)


@methods
@property_settings
@given(data=st.data())
def test_replacing_a_ballot_is_removing_it_and_adding_the_new_one(method: str, data: st.DataObject) -> None:
    stage = data.draw(stages(method))
    ballots = data.draw(ballots_of(stage, min_size=1))
    index = data.draw(st.integers(0, len(ballots) - 1))
    group, _ = ballots[index]
    new = (group, validate_ballot(typed_stage(stage), data.draw(raw_choices(stage))))
    replaced = [*ballots[:index], new, *ballots[index + 1 :]]
    removed_then_added = [*ballots[:index], *ballots[index + 1 :], new]
    assert results(stage, replaced) == results(stage, removed_then_added)


@methods
@property_settings
@given(data=st.data())
def test_every_score_is_within_0_and_100_or_none(method: str, data: st.DataObject) -> None:
    stage = data.draw(stages(method))
    result = results(stage, data.draw(ballots_of(stage)))
    for score in all_scores(result):
        assert score is None or 0 <= score <= 100
    for item in result["items"]:
        assert item["spread"] is None or 0 <= item["spread"] <= 100


@property_settings
@given(data=st.data())
def test_single_values_add_up_to_the_ballots(data: st.DataObject) -> None:
    stage = data.draw(stages("single"))
    ballots = data.draw(ballots_of(stage))
    result = results(stage, ballots)
    assert sum(item["value"] for item in result["items"]) == result["ballots"] == len(ballots)
    for group in GROUPS:
        in_group = sum(1 for ballot_group, _ in ballots if ballot_group == group)
        values = [item["by_group"][group]["value"] for item in result["items"] if group in item["by_group"]]
        assert sum(values) == in_group
