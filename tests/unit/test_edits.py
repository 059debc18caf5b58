"""domain.edits: which edits of a workshop in use are refused, and why (no app)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.factories import workshop_object
from workshop.domain.edits import CODES, ENGLISH, Refusal, StageUse, Use, check_edit
from workshop.domain.workshop_file import parse_workshop

OLD = parse_workshop(workshop_object()).to_json()
#: ballots in vision (approval) and projects (score); goals opened without ballots
IN_USE = Use(
    stages={"vision": StageUse("open", 3, frozenset({"v2"})), "goals": StageUse("closed", 0),
            "projects": StageUse("open", 1), "words": StageUse("open", 2)},
    groups=frozenset({"resident"}),
)
NOTHING = Use()


def edited(change: Any) -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    change(new)
    return parse_workshop(new).to_json()  # an edit is always validated first


def stage(definition: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in definition["stages"] if s["key"] == key)


def codes(refusals: list[Refusal]) -> list[tuple[str, str]]:
    return [(r.loc, r.code) for r in refusals]


# -- refused edits: each one ---------------------------------------------------


def test_removing_a_group_with_participants_is_refused() -> None:
    new = edited(lambda d: d["groups"].pop(0))
    assert codes(check_edit(OLD, new, IN_USE)) == [("groups[0]", "group_in_use")]


def test_removing_an_opened_stage_is_refused_even_without_ballots() -> None:
    def change(d: dict[str, Any]) -> None:
        d["stages"].pop(1)  # goals: closed, no ballots
        for item in stage(d, "projects")["items"]:
            item["goal"] = None

    new = edited(change)
    assert codes(check_edit(OLD, new, IN_USE)) == [("stages[1]", "stage_removed")]


def test_renaming_a_stage_with_ballots_is_a_removal() -> None:
    new = edited(lambda d: stage(d, "vision").update(key="vision2"))
    assert ("stages[0]", "stage_removed") in codes(check_edit(OLD, new, IN_USE))


def test_changing_the_method_of_a_stage_with_ballots_is_refused() -> None:
    def change(d: dict[str, Any]) -> None:
        stage(d, "vision").update(method="single", max_choices=None)

    refusals = check_edit(OLD, edited(change), IN_USE)
    assert codes(refusals) == [("stages[0].method", "method_changed")]
    assert refusals[0].params == {"stage": "vision", "old": "approval"}
    assert refusals[0].message == "stages[0].method: stage 'vision' has ballots: its method stays approval"


@pytest.mark.parametrize(
    ("key", "option", "value"),
    [("vision", "max_choices", 3), ("vision", "max_choices", None),
     ("projects", "scale", {"min": 0, "max": 10}), ("words", "max_words", 5)],
)
def test_changing_an_option_of_a_stage_with_ballots_is_refused(key: str, option: str, value: Any) -> None:
    new = edited(lambda d: stage(d, key).update({option: value}))
    index = [s["key"] for s in OLD["stages"]].index(key)
    assert codes(check_edit(OLD, new, IN_USE)) == [(f"stages[{index}].{option}", "option_changed")]


def test_dots_options_and_budget_are_protected() -> None:
    old = parse_workshop(workshop_object(stages=[
        {"key": "d", "kind": "goals", "title": "D", "method": "dots", "dots": 5,
         "items": [{"key": "a", "title": "A"}]},
        {"key": "b", "kind": "projects", "title": "B", "method": "budget", "budget": 1000,
         "items": [{"key": "p", "title": "P", "budget": 300}]}])).to_json()
    use = Use(stages={"d": StageUse("open", 1), "b": StageUse("open", 1)})
    new = copy.deepcopy(old)
    new["stages"][0]["dots"] = 6
    new["stages"][0]["max_per_item"] = 2
    new["stages"][1]["budget"] = 2000
    new["stages"][1]["items"][0]["budget"] = 400  # an item's cost is not a ballot rule
    assert codes(check_edit(old, parse_workshop(new).to_json(), use)) == [
        ("stages[0].dots", "option_changed"), ("stages[0].max_per_item", "option_changed"),
        ("stages[1].budget", "option_changed")]


@pytest.mark.parametrize("change", ["weight", "key", "add", "remove"])
def test_changing_criteria_keys_or_weights_with_ballots_is_refused(change: str) -> None:
    def apply(d: dict[str, Any]) -> None:
        criteria = stage(d, "projects")["criteria"]
        if change == "weight":
            criteria[0]["weight"] = 3
        elif change == "key":
            criteria[0]["key"] = "urgency"
        elif change == "add":
            criteria.append({"key": "cost", "label": "Cost", "weight": 1})
        else:
            criteria.pop()

    assert codes(check_edit(OLD, edited(apply), IN_USE)) == [("stages[2].criteria", "option_changed")]


def test_removing_an_item_of_a_stage_with_ballots_is_refused() -> None:
    new = edited(lambda d: stage(d, "vision")["items"].pop(2))
    refusals = check_edit(OLD, new, IN_USE)
    assert codes(refusals) == [("stages[0].items[2]", "item_removed")]
    assert refusals[0].params == {"stage": "vision", "item": "v3"}


def test_renaming_an_item_key_with_ballots_is_a_removal_and_an_addition() -> None:
    new = edited(lambda d: stage(d, "vision")["items"][0].update(key="v9"))
    assert codes(check_edit(OLD, new, IN_USE)) == [("stages[0].items[0]", "item_removed"),
                                                    ("stages[0].items[0]", "item_added")]


def test_adding_an_item_to_a_stage_with_ballots_is_refused() -> None:
    new = edited(lambda d: stage(d, "projects")["items"].append({"key": "p3", "title": "Project 3"}))
    assert codes(check_edit(OLD, new, IN_USE)) == [("stages[2].items[2]", "item_added")]


def test_removing_a_commented_item_is_refused_even_without_ballots() -> None:
    use = Use(stages={"vision": StageUse("open", 0, frozenset({"v2"}))})
    new = edited(lambda d: stage(d, "vision")["items"].pop(1))
    assert codes(check_edit(OLD, new, use)) == [("stages[0].items[1]", "item_has_comments")]


def test_every_refusal_is_reported_at_once() -> None:
    def change(d: dict[str, Any]) -> None:
        d["groups"].pop(0)
        stage(d, "vision")["max_choices"] = 1
        stage(d, "vision")["items"].pop()

    assert codes(check_edit(OLD, edited(change), IN_USE)) == [
        ("groups[0]", "group_in_use"), ("stages[0].max_choices", "option_changed"),
        ("stages[0].items[2]", "item_removed")]


# -- allowed edits ------------------------------------------------------------


def test_before_anything_opens_anything_may_change() -> None:
    def change(d: dict[str, Any]) -> None:
        d["groups"].pop(0)
        d["stages"].pop(0)
        for item in stage(d, "projects")["items"]:
            item["goal"] = None
        stage(d, "goals").update(kind="other")
        stage(d, "goals").update(method="rank", dots=None, max_per_item=None)
        stage(d, "projects")["items"].pop()
        stage(d, "projects")["criteria"].pop()

    assert not NOTHING.started
    assert check_edit(OLD, edited(change), Use(groups=frozenset({"government"}))) == []


def test_texts_and_item_details_may_change_during_voting() -> None:
    def change(d: dict[str, Any]) -> None:
        d["title"] = {"th": "แผนใหม่", "en": "New plan"}
        d["city"] = "เทศบาลนครทดสอบ"
        d["date"] = "2026-12-06"
        d["languages"] = ["en", "th"]
        d["join"] = "tokens"
        d["moderation"] = "post"
        d["groups"][0]["label"] = "ชาวบ้าน"
        d["groups"].reverse()
        vision = stage(d, "vision")
        vision.update(title="วิสัยทัศน์ (แก้คำผิด)", prompt="เลือก", show_results="never",
                      allow_comments=False, kind="other")
        vision["items"][0]["title"] = "วิสัยทัศน์ 1 ที่แก้แล้ว"
        vision["items"].reverse()  # reordering keeps keys
        projects = stage(d, "projects")
        projects["criteria"][0]["label"] = "ความสำคัญ"
        projects["criteria"].reverse()
        projects["items"][0].update(goal="g2", horizon="medium", budget=1, sdgs=["6"], indicator="km")

    assert check_edit(OLD, edited(change), IN_USE) == []


def test_new_stages_groups_and_items_of_unopened_or_empty_stages_may_be_added() -> None:
    def change(d: dict[str, Any]) -> None:
        d["groups"].append({"key": "youth", "label": "เยาวชน"})
        d["stages"].insert(0, {"key": "warmup", "kind": "other", "title": "อุ่นเครื่อง",
                               "method": "single", "items": [{"key": "a", "title": "A"}]})
        stage(d, "goals")["items"].append({"key": "g9", "title": "Goal 9"})  # opened, no ballots
        stage(d, "goals")["dots"] = 7

    assert check_edit(OLD, edited(change), IN_USE) == []


def test_a_draft_stage_without_ballots_may_be_removed() -> None:
    use = Use(stages={"vision": StageUse("open", 3)})
    new = edited(lambda d: d["stages"].pop())  # words: draft
    assert check_edit(OLD, new, use) == []


def test_a_group_nobody_joined_may_be_removed() -> None:
    new = edited(lambda d: d["groups"].pop())
    assert check_edit(OLD, new, IN_USE) == []


def test_every_code_has_english() -> None:
    assert set(CODES) == set(ENGLISH)
    assert Refusal("groups[0]", "group_in_use", {"group": "x"}).as_dict()["message"].startswith("group 'x'")


def test_started() -> None:
    assert Use(stages={"a": StageUse("closed")}).started
    assert Use(stages={"a": StageUse("draft", 1)}).started
    assert not Use(stages={"a": StageUse("draft")}).started
