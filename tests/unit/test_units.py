"""Results in people's units (domain.units): each method, and the budget's funded line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.test_results import make_stage, rounded
from workshop.domain.definition import Item, StageDefinition
from workshop.domain.results import stage_results
from workshop.domain.units import add_units, funded_line


def units_of(stage: StageDefinition, ballots: list[dict[str, Any]]) -> dict[str, Any]:
    computed = stage_results(stage, [("g", b) for b in ballots])
    return rounded(add_units(stage, computed, ballots))


def by_key(result: dict[str, Any]) -> dict[str, Any]:
    return {item["key"]: item["units"] for item in result["items"]}


def test_single_and_approval_in_ballots_and_percent() -> None:
    ballots = [{"items": ["a", "b"]}, {"items": ["a"]}, {"items": ["c"]}]
    result = units_of(make_stage("approval", "a b c"), ballots)
    assert by_key(result) == {
        "a": {"ballots": 2, "percent": 66.6667},
        "b": {"ballots": 1, "percent": 33.3333},
        "c": {"ballots": 1, "percent": 33.3333},
    }
    assert "units" not in result  # nothing at the stage level
    empty = units_of(make_stage("single", "a"), [])
    assert by_key(empty) == {"a": {"ballots": 0, "percent": None}}


def test_dots_in_dots_and_percent_of_dots_cast() -> None:
    result = units_of(make_stage("dots", "a b", dots=5), [{"dots": {"a": 3, "b": 1}}, {"dots": {"a": 4}}])
    assert by_key(result) == {"a": {"dots": 7, "percent": 87.5}, "b": {"dots": 1, "percent": 12.5}}
    assert result["units"] == {"dots_cast": 8}


def test_rank_average_position_and_borda_points() -> None:
    # N = 3: [a, b] -> a 3, b 2; [b] -> b 3; [b, a, c] -> b 3, a 2, c 1
    result = units_of(make_stage("rank", "a b c"), [{"order": ["a", "b"]}, {"order": ["b"]},
                                                      {"order": ["b", "a", "c"]}])
    assert by_key(result) == {
        "b": {"points": 8, "average_position": 1.3333, "ranked_by": 3},  # positions 2, 1, 1
        "a": {"points": 5, "average_position": 1.5, "ranked_by": 2},
        "c": {"points": 1, "average_position": 3.0, "ranked_by": 1},
    }
    unranked = units_of(make_stage("rank", "a b"), [{"order": ["a"]}])
    assert by_key(unranked)["b"] == {"points": 0, "average_position": None, "ranked_by": 0}


def test_score_means_on_the_scale() -> None:
    stage = make_stage("score", "p1 p2", criteria=[{"key": "imp", "weight": 2}, {"key": "feas", "weight": 1}],
                       scale={"min": 1, "max": 5})
    result = units_of(stage, [{"scores": {"p1": {"imp": 5, "feas": 2}}}, {"scores": {"p1": {"imp": 4}}}])
    # p1: imp mean 4.5, feas 2 -> (2 x 4.5 + 2) / 3 = 3.6667
    assert by_key(result)["p1"] == {"mean": 3.6667, "criteria": {"imp": 4.5, "feas": 2.0},
                                    "scale": {"min": 1, "max": 5}}
    assert by_key(result)["p2"]["mean"] is None
    assert result["units"] == {"scale": {"min": 1, "max": 5}}


def budget_stage(**costs: Any) -> StageDefinition:
    stage = make_stage("budget", "", budget=1000)
    items = [Item(key=key, title=key.upper(), budget=cost) for key, cost in costs.items()]
    return stage.model_copy(update={"items": items})


def test_budget_in_baht_percent_of_pot_and_the_funded_line() -> None:
    # pot 1000; a costs 600, b 500 (does not fit after a), c 300 (fits), d has no cost
    stage = budget_stage(a=600, b=500, c=300, d=None)
    ballots = [{"budget": {"a": 600, "b": 300, "c": 100}}, {"budget": {"a": 400, "b": 300, "d": 300}}]
    result = units_of(stage, ballots)
    units = by_key(result)
    assert [i["key"] for i in result["items"]] == ["a", "b", "d", "c"]
    assert units["a"] == {"amount": 1000, "average": 500.0, "percent_of_pot": 50.0, "cost": 600,
                          "funded": True}
    assert units["b"] == {"amount": 600, "average": 300.0, "percent_of_pot": 30.0, "cost": 500,
                          "funded": False}
    assert units["d"]["funded"] is None and units["d"]["cost"] is None
    assert units["c"]["funded"] is True  # further down, but it fits in what is left
    assert result["units"] == {"pot": 1000, "given": 2000, "funded": ["a", "c"], "funded_cost": 900,
                               "left": 100}


def test_budget_a_project_costing_more_than_the_pot_is_never_funded() -> None:
    stage = budget_stage(big=5000, small=200)
    result = units_of(stage, [{"budget": {"big": 900, "small": 100}}])
    assert by_key(result)["big"]["funded"] is False
    assert by_key(result)["small"]["funded"] is True
    assert result["units"]["left"] == 800


def test_budget_ties_keep_the_ranking_order_and_nothing_given_is_not_funded() -> None:
    stage = budget_stage(a=600, b=600, c=100)
    result = units_of(stage, [{"budget": {"a": 500, "b": 500}}])
    assert [i["key"] for i in result["items"]] == ["a", "b", "c"]  # a and b tie: file order
    units = by_key(result)
    assert (units["a"]["funded"], units["b"]["funded"], units["c"]["funded"]) == (True, False, False)
    assert result["units"]["left"] == 400


def test_budget_without_ballots() -> None:
    result = units_of(budget_stage(a=100), [])
    assert by_key(result)["a"] == {"amount": 0, "average": None, "percent_of_pot": None, "cost": 100,
                                  "funded": False}
    assert result["units"]["left"] == 1000


@pytest.mark.parametrize(("ranked", "pot", "funded", "left"), [
    ([], 100, {}, 100),
    ([("a", 1, 100)], 100, {"a": True}, 0),  # exactly the pot
    ([("a", 1, 101)], 100, {"a": False}, 100),
    ([("a", 5, None), ("b", 4, 50)], 100, {"a": None, "b": True}, 50),
])
def test_funded_line(ranked: list[Any], pot: int, funded: dict[str, Any], left: int) -> None:
    assert funded_line(ranked, pot) == (funded, left)


def test_words_units() -> None:
    result = units_of(make_stage("words", ""), [{"words": ["tree"]}, {"words": ["tree", "park"]}])
    assert by_key(result) == {"tree": {"ballots": 2, "percent": 100.0},
                              "park": {"ballots": 1, "percent": 50.0}}
