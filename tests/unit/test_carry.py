"""Carry forward rules (domain.carry): which items a rule picks, what they carry, how they merge."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.domain import carry
from workshop.domain.carry import CarryError

# ranked results of a source stage: 1, 2, 2, 4, then one nobody scored
RANKED: list[dict[str, Any]] = [
    {"key": "n1", "title": "น้ำท่วมขัง", "rank": 1, "score": 85.7},
    {"key": "n2", "title": "ขยะ", "rank": 2, "score": 57.1},
    {"key": "n3", "title": "ไฟฟ้าส่องสว่าง", "rank": 2, "score": 57.1},
    {"key": "n4", "title": "ทางเท้า", "rank": 4, "score": 49.99999999999},
    {"key": "n5", "title": "ลานกีฬา", "rank": 5, "score": None},
]
DEFS = {
    "n1": {
        "key": "n1",
        "title": {"th": "น้ำท่วมขัง", "en": "Flooding"},
        "description": "ถนนสายหลัก",
        "goal": "g1",
        "budget": 500000,
        "sdgs": ["11.5"],
        "horizon": "short",
    },
    "n2": {"key": "n2", "title": "ขยะ", "sdgs": []},
    "n3": {"key": "n3", "title": "ไฟฟ้าส่องสว่าง", "indicator": None},
    "n4": {"key": "n4", "title": "ทางเท้า"},
    "n5": {"key": "n5", "title": "ลานกีฬา"},
}


def keys(items: list[Any]) -> list[str]:
    return [i["key"] for i in items]


def test_top_n_keeps_ties_with_the_last_place() -> None:
    assert keys(carry.select(RANKED, {"top": 1})) == ["n1"]
    assert keys(carry.select(RANKED, {"top": 2})) == ["n1", "n2", "n3"]  # n3 ties n2
    assert keys(carry.select(RANKED, {"top": 3})) == ["n1", "n2", "n3"]
    assert keys(carry.select(RANKED, {"top": 10})) == ["n1", "n2", "n3", "n4"]  # never the unscored


def test_min_score_compares_exact_scores_with_float_noise_forgiven() -> None:
    assert keys(carry.select(RANKED, {"min_score": 57.1})) == ["n1", "n2", "n3"]
    assert keys(carry.select(RANKED, {"min_score": 50})) == ["n1", "n2", "n3", "n4"]  # 49.99999999999
    assert keys(carry.select(RANKED, {"min_score": 90})) == []
    assert keys(carry.select(RANKED, {"min_score": 0})) == ["n1", "n2", "n3", "n4"]


def test_approved_ideas_and_picked_by_hand() -> None:
    assert keys(carry.select(RANKED, {"approved_ideas": True}, ideas={"n5", "n3"})) == ["n3", "n5"]
    assert keys(carry.select(RANKED, {"items": ["n4", "n1"]})) == ["n4", "n1"]
    with pytest.raises(CarryError) as exc:
        carry.select(RANKED, {"items": ["n1", "zz"]})
    assert exc.value.code == "unknown_item" and exc.value.params == {"item": "zz"}


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({}, "rule"),
        ({"top": 2, "min_score": 3}, "rule"),
        ({"best": 3}, "rule"),
        ({"top": 0}, "top"),
        ({"top": True}, "top"),
        ({"top": 2.5}, "top"),
        ({"min_score": 101}, "min_score"),
        ({"min_score": "50"}, "min_score"),
        ({"approved_ideas": False}, "rule"),
        ({"items": []}, "items"),
        ({"items": ["a", "a"]}, "items"),
        ({"items": "a"}, "items"),
    ],
)
def test_bad_rules_are_refused_with_a_code(rule: Any, code: str) -> None:
    with pytest.raises(CarryError) as exc:
        carry.parse_rule(rule)
    assert exc.value.code == code and str(exc.value)


def test_carried_items_keep_their_texts_fields_and_where_they_came_from() -> None:
    picked = carry.select(RANKED, {"top": 2})
    items = carry.carried_items(picked, DEFS, workshop_id=7, stage_key="needs")
    assert items[0] == {
        "key": "n1",
        "title": {"th": "น้ำท่วมขัง", "en": "Flooding"},
        "description": "ถนนสายหลัก",
        "goal": "g1",
        "budget": 500000,
        "sdgs": ["11.5"],
        "horizon": "short",
        "source": {"workshop": 7, "stage": "needs", "item": "n1", "rank": 1, "score": 85.7},
    }
    assert items[1] == {
        "key": "n2",
        "title": "ขยะ",
        "source": {"workshop": 7, "stage": "needs", "item": "n2", "rank": 2, "score": 57.1},
    }
    # a goal the target workshop does not have is left out
    assert (
        "goal" not in carry.carried_items(picked, DEFS, workshop_id=7, stage_key="needs", goal_keys={"g9"})[0]
    )
    # a hand-picked item nobody scored carries no rank or score
    unscored = carry.carried_items(
        carry.select(RANKED, {"items": ["n5"]}), DEFS, workshop_id=7, stage_key="needs"
    )
    assert unscored[0]["source"] == {"workshop": 7, "stage": "needs", "item": "n5"}


def test_keys_stay_unless_taken_or_unusable() -> None:
    words = [
        {"key": "สะอาด น่าอยู่", "title": "สะอาด น่าอยู่", "rank": 1, "score": 60.0},
        {"key": "green", "title": "green", "rank": 2, "score": 40.0},
    ]
    items = carry.carried_items(words, {}, workshop_id=1, stage_key="dream", taken={"green", "c1"})
    assert [i["key"] for i in items] == ["c2", "c3"]  # a words entry is no key; "green" is taken
    assert [i["title"] for i in items] == ["สะอาด น่าอยู่", "green"]
    assert items[0]["source"]["item"] == "สะอาด น่าอยู่"


def test_merge_appends_updates_in_place_and_replaces() -> None:
    existing = [{"key": "g1", "title": "เดิม"}]
    first = carry.carried_items(carry.select(RANKED, {"top": 1}), DEFS, workshop_id=7, stage_key="needs")
    merged = carry.merge(existing, first, "append")
    assert keys(merged) == ["g1", "n1"]
    # carrying again from the same source item updates it, keeping the planner's own edits and key
    merged[1]["title"] = "น้ำท่วมขัง (ปรับถ้อยคำ)"
    again = carry.carried_items(
        carry.select(RANKED, {"top": 2}), DEFS, workshop_id=7, stage_key="needs", taken=keys(merged)
    )
    merged2 = carry.merge(merged, again, "append")
    assert keys(merged2) == ["g1", "n1", "n2", "n3"]
    assert merged2[1]["title"] == "น้ำท่วมขัง (ปรับถ้อยคำ)"
    assert merged2[1]["source"]["score"] == 85.7
    fresh = carry.carried_items(carry.select(RANKED, {"top": 2}), DEFS, workshop_id=7, stage_key="needs")
    assert keys(carry.merge(existing, fresh, "replace")) == ["n1", "n2", "n3"]
    with pytest.raises(CarryError) as exc:
        carry.merge(existing, [], "append")
    assert exc.value.code == "nothing"
    with pytest.raises(CarryError) as exc:
        carry.merge(existing, first, "merge")
    assert exc.value.code == "mode"
    clash = [{"key": "g1", "title": "x", "source": {"workshop": 1, "stage": "s", "item": "g1"}}]
    with pytest.raises(CarryError) as exc:
        carry.merge(existing, clash, "append")
    assert exc.value.code == "key_taken"


def test_merge_refuses_more_items_than_a_stage_holds() -> None:
    existing = [{"key": f"e{i}", "title": "x"} for i in range(199)]
    two = [
        {"key": f"k{i}", "title": "y", "source": {"workshop": 1, "stage": "s", "item": f"k{i}"}}
        for i in range(2)
    ]
    with pytest.raises(CarryError) as exc:
        carry.merge(existing, two, "append")
    assert exc.value.code == "too_many" and exc.value.params == {"count": 201, "max": 200}


# -- the multi-year budget of a plan (domain.plans) -----------------------------------------


def test_horizons_cut_the_period_in_three() -> None:
    from workshop.domain.plans import horizon_years

    years = [2570, 2571, 2572, 2573, 2574]
    cut = horizon_years(years)
    assert cut == {"short": [2570, 2571], "medium": [2572, 2573], "long": [2574], None: years}
    assert horizon_years([2570])["long"] == [2570]
    three = horizon_years([2570, 2571, 2572])
    assert (three["short"], three["medium"], three["long"]) == ([2570], [2571], [2572])


def test_budget_by_year_adds_up_to_the_budget() -> None:
    from workshop.domain.plans import budget_by_year

    years = [2570, 2571, 2572, 2573, 2574]
    assert budget_by_year({"budget": 1_000_001, "horizon": "short"}, years) == {2570: 500_000, 2571: 500_001}
    assert budget_by_year({"budget": 900_000, "horizon": "long"}, years) == {2574: 900_000}
    assert sum(budget_by_year({"budget": 1_234_567}, years).values()) == 1_234_567
    assert budget_by_year({"budget": 5, "budget_years": {"2571": 300, "2580": 9}}, years) == {2571: 300}
    assert budget_by_year({"title": "x"}, years) == {}
