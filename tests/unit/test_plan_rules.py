"""domain.plans: what a plan object may hold, its period, and its texts."""

from __future__ import annotations

from typing import Any

import pytest

from workshop.domain.plans import (
    MAX_YEARS,
    MESSAGES,
    TITLE_CHARS,
    PlanInvalid,
    check_plan,
    parse_period,
    period_text,
    plan_text,
    plan_years,
)


def _codes(body: Any) -> dict[str, str]:
    with pytest.raises(PlanInvalid) as caught:
        check_plan(body)
    return {p.loc: p.code for p in caught.value.problems}


def test_a_plan_is_normalised() -> None:
    plan = check_plan({"title": "  แผนพัฒนาท้องถิ่น ", "period": "๒๕๗๐-๒๕๗๔", "city": "ระนอง"})
    assert plan == {"languages": ["th"], "title": "แผนพัฒนาท้องถิ่น", "city": "ระนอง",
                    "period": {"start": 2570, "end": 2574}}
    bilingual = check_plan({"title": {"th": "แผน", "en": "Plan"}, "languages": ["th", "en"],
                            "period": {"start": 2570, "end": 2570}, "workshops": [3, 1], "revision": 2})
    assert bilingual["workshops"] == [3, 1] and bilingual["revision"] == 2


def test_every_problem_is_listed_at_once_with_its_place() -> None:
    codes = _codes({"title": "", "period": "2574-2570", "colour": "red", "languages": ["th", "th"],
                    "workshops": [1, 1], "revision": True})
    assert codes == {"title": "text_empty", "period": "period_order", "colour": "unknown_field",
                     "languages": "languages", "workshops": "workshops", "revision": "revision"}
    assert _codes({}) == {"title": "required", "period": "required"}
    assert _codes({"title": {"en": "Plan"}, "period": "2570-2574"}) == {"title.en": "text_language"}
    assert _codes({"title": "x" * (TITLE_CHARS + 1), "period": "2570-2574"}) == {"title": "text_length"}
    assert _codes({"title": "t", "period": "2570-2574", "workshops": [True]}) == {"workshops": "workshops"}
    assert _codes(["not", "a", "plan"]) == {"": "text_type"}


@pytest.mark.parametrize(("period", "code"), [
    ("2570", "period_format"),
    ("2570-2574-2578", "period_format"),
    ({"start": 2570}, "period_format"),
    ({"start": True, "end": 2571}, "period_format"),
    ("2027-2031", "period_range"),
    ("2574-2570", "period_order"),
    (f"2570-{2570 + MAX_YEARS}", "period_length"),
])
def test_a_period_is_two_buddhist_era_years_in_order(period: Any, code: str) -> None:
    with pytest.raises(PlanInvalid) as caught:
        parse_period(period)
    assert [p.code for p in caught.value.problems] == [code]
    assert caught.value.problems[0].message  # every code has its English text


def test_periods_read_and_said() -> None:
    assert parse_period(" 2570 – 2574 ") == (2570, 2574)
    assert parse_period({"start": "๒๕๗๐", "end": 2571}) == (2570, 2571)
    assert plan_years({"start": 2570, "end": 2572}) == [2570, 2571, 2572]
    assert period_text({"start": 2570, "end": 2574}, "th") == "พ.ศ. 2570–2574"
    assert period_text({"start": 2570, "end": 2570}, "th") == "พ.ศ. 2570"
    assert period_text({"start": 2570, "end": 2574}, "en") == "2570–2574 BE (2027–2031)"


def test_a_plans_texts_in_a_language() -> None:
    plan = check_plan({"title": {"th": "แผน", "en": "Plan"}, "languages": ["th", "en"],
                       "period": "2570-2574"})
    assert plan_text(plan, "title", "en") == "Plan"
    assert plan_text(plan, "title", "th") == "แผน"
    assert plan_text(plan, "city", "en") == ""
    assert plan_text({"title": "แผน"}, "title", "en") == "แผน"  # a row without languages


def test_every_message_formats_with_its_parameters() -> None:
    params = {"max": 1, "lang": "xx", "min": 1, "start": 2, "end": 1}
    for code, text in MESSAGES.items():
        assert text.format(**params), code
