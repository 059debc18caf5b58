"""The paper-ballot line format: every method, every error, and the page's examples."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.stages import typed_stage
from workshop.domain.definition import StageDefinition
from workshop.domain.methods import validate_ballot
from workshop.domain.paper import (
    CODES,
    METHODS,
    LineError,
    PaperFormatError,
    example_lines,
    parse_lines,
    parse_numbered,
)


def errors_of(method: str, text: str) -> list[tuple[int, str, dict[str, Any]]]:
    with pytest.raises(PaperFormatError) as caught:
        parse_lines(method, text)
    return [(e.line, e.code, dict(e.params)) for e in caught.value.errors]


# ---------------------------------------------------------------------------
# Each method


def test_single() -> None:
    assert parse_lines("single", "v2\nV1\n  v3  ") == [
        {"item": "v2"}, {"item": "v1"}, {"item": "v3"}]


def test_approval_separators() -> None:
    assert parse_lines("approval", "v1, v3\nv2 v4\nv1;v2\nv1,v2,\n") == [
        {"items": ["v1", "v3"]}, {"items": ["v2", "v4"]}, {"items": ["v1", "v2"]},
        {"items": ["v1", "v2"]}]


def test_rank_keeps_the_order_and_takes_arrows() -> None:
    assert parse_lines("rank", "g3, g1, g2\ng2 > g3\ng1") == [
        {"order": ["g3", "g1", "g2"]}, {"order": ["g2", "g3"]}, {"order": ["g1"]}]


def test_dots() -> None:
    assert parse_lines("dots", "g1=3, g4=2\ng2 = 1;g3=4\ng1=0") == [
        {"dots": {"g1": 3, "g4": 2}}, {"dots": {"g2": 1, "g3": 4}}, {"dots": {"g1": 0}}]


def test_score() -> None:
    assert parse_lines("score", "p1.importance=5, p1.feasibility=3, p2.importance=4\nP2.Feasibility=-1") == [
        {"scores": {"p1": {"importance": 5, "feasibility": 3}, "p2": {"importance": 4}}},
        {"scores": {"p2": {"feasibility": -1}}},
    ]


@pytest.mark.parametrize("line", [
    "p1=500000, p2=250000",
    "p1=500,000, p2=250,000",
    "p1=500,000,p2=250,000",
    "p1=500,000; p2=250,000",
    "p1=500_000 p2=250_000",
    "p1 = 500,000 ; p2 = 250000",
])
def test_budget_amounts_may_group_thousands(line: str) -> None:
    assert parse_lines("budget", line) == [{"budget": {"p1": 500000, "p2": 250000}}]


def test_budget_millions() -> None:
    assert parse_lines("budget", "p1=1,250,000") == [{"budget": {"p1": 1250000}}]


def test_a_comma_before_a_numeric_key_separates_entries() -> None:
    # "3,200" could be three thousand two hundred, but "200=" makes 200 the next key
    assert parse_lines("dots", "100=3,200=2") == [{"dots": {"100": 3, "200": 2}}]
    assert parse_lines("score", "p1.a=4,100.a=2") == [{"scores": {"p1": {"a": 4}, "100": {"a": 2}}}]


def test_words_keep_phrases_and_thai() -> None:
    assert parse_lines("words", "สะอาด, green city\nร่มรื่น;น่าอยู่，ปลอดภัย\n  green  ") == [
        {"words": ["สะอาด", "green city"]},
        {"words": ["ร่มรื่น", "น่าอยู่", "ปลอดภัย"]},
        {"words": ["green"]},
    ]


@pytest.mark.parametrize("method", METHODS)
def test_blank_and_comment_lines_are_skipped(method: str) -> None:
    assert parse_lines(method, "") == []
    assert parse_lines(method, "\n   \n# box 2, table 5\n\t\n") == []


def test_line_numbers_count_every_line_as_typed() -> None:
    assert parse_numbered("single", "# header\n\nv1\r\n\nv2") == [(3, {"item": "v1"}), (5, {"item": "v2"})]


# ---------------------------------------------------------------------------
# Every error


def test_single_names_one_item() -> None:
    assert errors_of("single", "v1\nv1, v2") == [(2, "one_item", {"count": 2})]


@pytest.mark.parametrize("method", ["single", "approval", "rank"])
def test_a_token_that_is_not_a_key(method: str) -> None:
    assert errors_of(method, "v1\nถนน\nv1=3") == [
        (2, "bad_key", {"token": "ถนน"}), (3, "bad_key", {"token": "v1=3"})]


@pytest.mark.parametrize("method", METHODS)
def test_a_line_of_separators_holds_no_entry(method: str) -> None:
    assert errors_of(method, ",,;") == [(1, "empty", {})]


@pytest.mark.parametrize("method", ["dots", "budget"])
def test_amounts_need_key_equals_number(method: str) -> None:
    assert errors_of(method, "g1\ng1=three\ng1=3x\ng1=3 g2") == [
        (1, "expected_pair", {"token": "g1"}),
        (2, "expected_pair", {"token": "g1=three"}),
        (3, "expected_pair", {"token": "g1=3x"}),
        (4, "expected_pair", {"token": "g2"}),
    ]


def test_space_grouped_thousands_are_refused_not_misread() -> None:
    assert errors_of("budget", "p1=500 000") == [(1, "expected_pair", {"token": "000"})]


def test_amounts_name_a_key() -> None:
    assert errors_of("dots", "ถนน=3") == [(1, "bad_key", {"token": "ถนน"})]


@pytest.mark.parametrize("method, line, key", [
    ("dots", "g1=3, G1=2", "g1"),
    ("budget", "p1=5; p1=6", "p1"),
    ("score", "p1.importance=5, p1.importance=4", "p1.importance"),
])
def test_duplicates(method: str, line: str, key: str) -> None:
    assert errors_of(method, line) == [(1, "duplicate", {"key": key})]


def test_score_needs_item_dot_criterion() -> None:
    assert errors_of("score", "p1=3\n.importance=2\np1.=2\np1.importance") == [
        (1, "expected_score", {"token": "p1=3"}),
        (2, "expected_score", {"token": ".importance=2"}),
        (3, "expected_score", {"token": "p1.=2"}),
        (4, "expected_score", {"token": "p1.importance"}),
    ]


def test_score_criterion_must_be_a_key() -> None:
    assert errors_of("score", "p1.ความสำคัญ=3") == [(1, "bad_criterion", {"token": "ความสำคัญ"})]


def test_every_bad_line_is_reported_at_once() -> None:
    with pytest.raises(PaperFormatError) as caught:
        parse_lines("dots", "g1=1\nbad\ng2=2\ng1=1, g1=2\n\nalso bad")
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.line == 2
    assert [e.line for e in error.errors] == [2, 4, 6]
    assert str(error) == ("line 2: expected KEY=NUMBER, found 'bad'; line 4: 'g1' appears twice; "
                          "line 6: expected KEY=NUMBER, found 'also'")


def test_every_error_code_has_a_message() -> None:
    samples = {"one_item": {"count": 2}, "bad_key": {"token": "x"}, "bad_criterion": {"token": "x"},
               "expected_pair": {"token": "x"}, "expected_score": {"token": "x"},
               "duplicate": {"key": "x"}, "empty": {}}
    assert set(samples) == set(CODES)
    for code, params in samples.items():
        assert LineError(1, code, params).message


def test_unknown_method() -> None:
    with pytest.raises(ValueError, match="unknown method"):
        parse_lines("plurality", "v1")


# ---------------------------------------------------------------------------
# The examples shown on the page are valid ballots of their stage


def stage(method: str, keys: str = "a1 b2 c3 d4", **options: Any) -> StageDefinition:
    return typed_stage({"key": method, "method": method, "allow_ideas": True,
                        "items": [{"key": k, "title": k} for k in keys.split()], **options})


STAGES = [
    stage("single"),
    stage("single", keys="only"),
    stage("approval", max_choices=2),
    stage("approval", max_choices=1),
    stage("approval", keys="x y"),
    stage("rank"),
    stage("rank", keys="x y"),
    stage("dots", dots=5, max_per_item=3),
    stage("dots", dots=10, max_per_item=None),
    stage("dots", dots=1, max_per_item=1),
    stage("score", criteria=[{"key": "importance", "weight": 2}, {"key": "feasibility", "weight": 1}],
          scale={"min": 1, "max": 5}),
    stage("score", keys="p1", criteria=[{"key": "q", "weight": 1}], scale={"min": -2, "max": 2}),
    stage("budget", budget=10_000_000),
    stage("budget", keys="p1", budget=900),
    stage("words", keys=""),
]


@pytest.mark.parametrize("spec", STAGES, ids=lambda s: f"{s.method}-{len(s.items)}")
def test_examples_parse_and_pass_the_ballot_rules(spec: StageDefinition) -> None:
    lines = example_lines(spec)
    assert lines
    for choices in parse_lines(spec.method, "\n".join(lines)):
        validate_ballot(spec, choices)


def test_budget_example_shows_grouped_thousands() -> None:
    assert example_lines(stage("budget", budget=10_000_000))[0] == "a1=5,000,000; b2=2,500,000"


def test_no_example_without_items() -> None:
    assert example_lines(stage("approval", keys="")) == []
