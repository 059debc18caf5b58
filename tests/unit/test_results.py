"""Results of a stage: one hand-computed example per method, ranks, groups and spread.

Expected numbers are literals worked out by hand (the arithmetic is in the
comments); ``rounded`` rounds the computed floats to 4 decimals to compare.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.stages import typed_stage
from workshop.domain.definition import Item, StageDefinition
from workshop.domain.results import rank_positions, stage_results
from workshop.domain.text import localize


def make_stage(method: str, keys: str, **options: Any) -> StageDefinition:
    """A normalized stage with items named by ``keys`` (titles upper-cased)."""
    stage: dict[str, Any] = {
        "key": method, "kind": "other", "method": method, "title": method, "prompt": None,
        "max_choices": None, "dots": None, "max_per_item": None, "criteria": None, "scale": None,
        "budget": None, "max_words": 3, "show_results": "after_close", "allow_comments": True,
        "allow_ideas": False, "items": [{"key": key, "title": key.upper()} for key in keys.split()],
    }  # fmt: skip
    return typed_stage({**stage, **options})


def rounded(data: Any, places: int = 4) -> Any:
    """``data`` with every float rounded, to compare with hand-computed literals."""
    if isinstance(data, float):
        return round(data, places)
    if isinstance(data, dict):
        return {key: rounded(value, places) for key, value in data.items()}
    if isinstance(data, list):
        return [rounded(value, places) for value in data]
    return data


def item_rows(results: dict[str, Any], *fields: str) -> list[tuple[Any, ...]]:
    """(key, field, ...) of every item, in result order."""
    return [(item["key"], *(rounded(item[name]) for name in fields)) for item in results["items"]]


# ---------------------------------------------------------------------------
# rank_positions


@pytest.mark.parametrize(
    ("scores", "ranks"),
    [
        ([], []),
        ([90.0], [1]),
        ([50.0, 40.0, 40.0, 10.0], [1, 2, 2, 4]),
        ([10.0, 40.0, 50.0, 40.0], [4, 2, 1, 2]),
        ([70.0, 70.0, 70.0], [1, 1, 1]),
        ([None, 10.0, None, 20.0], [3, 2, 3, 1]),
        ([None, None], [1, 1]),
        ([0.0, None], [1, 2]),
        ([0.1 + 0.2, 0.3, 0.2], [1, 1, 3]),
    ],
)
def test_rank_positions(scores: list[float | None], ranks: list[int]) -> None:
    assert rank_positions(scores) == ranks


# ---------------------------------------------------------------------------
# One example per method


def test_single() -> None:
    stage = make_stage("single", keys="v1 v2 v3 v4")
    ballots = [
        ("resident", {"item": "v2"}),
        ("resident", {"item": "v2"}),
        ("resident", {"item": "v1"}),
        ("government", {"item": "v2"}),
        ("government", {"item": "v3"}),
    ]
    results = stage_results(stage, ballots)
    # 5 ballots: v2 3/5 = 60, v1 1/5 = 20, v3 1/5 = 20, v4 0/5 = 0; v1 before v3 (definition order)
    # resident (3): v2 2/3 = 66.6667, v1 1/3 = 33.3333, v3 0, v4 0
    # government (2): v2 1/2 = 50, v3 1/2 = 50, v1 0, v4 0
    # spread: only resident has >= 3 ballots -> None everywhere
    assert rounded(results) == {
        "ballots": 5,
        "items": [
            {
                "key": "v2", "title": "V2", "rank": 1, "value": 3, "score": 60.0, "spread": None,
                "by_group": {
                    "government": {"ballots": 2, "value": 1, "score": 50.0},
                    "resident": {"ballots": 3, "value": 2, "score": 66.6667},
                },
            },
            {
                "key": "v1", "title": "V1", "rank": 2, "value": 1, "score": 20.0, "spread": None,
                "by_group": {
                    "government": {"ballots": 2, "value": 0, "score": 0.0},
                    "resident": {"ballots": 3, "value": 1, "score": 33.3333},
                },
            },
            {
                "key": "v3", "title": "V3", "rank": 2, "value": 1, "score": 20.0, "spread": None,
                "by_group": {
                    "government": {"ballots": 2, "value": 1, "score": 50.0},
                    "resident": {"ballots": 3, "value": 0, "score": 0.0},
                },
            },
            {
                "key": "v4", "title": "V4", "rank": 4, "value": 0, "score": 0.0, "spread": None,
                "by_group": {
                    "government": {"ballots": 2, "value": 0, "score": 0.0},
                    "resident": {"ballots": 3, "value": 0, "score": 0.0},
                },
            },
        ],
    }  # fmt: skip
    # With groups of 2 qualifying: v2 66.6667 - 50 = 16.6667; v1 33.3333 - 0; v3 50 - 0; v4 0 - 0
    lower = stage_results(stage, ballots, min_group_ballots=2)
    assert item_rows(lower, "spread") == [("v2", 16.6667), ("v1", 33.3333), ("v3", 50.0), ("v4", 0.0)]


def test_approval() -> None:
    stage = make_stage("approval", keys="v1 v2 v3", max_choices=2)
    ballots = [
        ("resident", {"items": ["v1", "v2"]}),
        ("resident", {"items": ["v1"]}),
        ("resident", {"items": ["v1", "v3"]}),
        ("civil", {"items": ["v2", "v3"]}),
    ]
    results = stage_results(stage, ballots)
    # 4 ballots: v1 3/4 = 75, v2 2/4 = 50, v3 2/4 = 50
    assert results["ballots"] == 4
    assert item_rows(results, "rank", "value", "score") == [
        ("v1", 1, 3, 75.0),
        ("v2", 2, 2, 50.0),
        ("v3", 2, 2, 50.0),
    ]
    # resident (3): v1 3/3 = 100, v2 1/3, v3 1/3; civil (1): v1 0, v2 1/1 = 100, v3 100
    assert rounded(results["items"][0]["by_group"]) == {
        "civil": {"ballots": 1, "value": 0, "score": 0.0},
        "resident": {"ballots": 3, "value": 3, "score": 100.0},
    }
    assert rounded(results["items"][1]["by_group"]["resident"]) == {
        "ballots": 3,
        "value": 1,
        "score": 33.3333,
    }


def test_dots() -> None:
    stage = make_stage("dots", keys="g1 g2 g3", dots=10, max_per_item=6)
    ballots = [
        ("resident", {"dots": {"g1": 6, "g2": 4}}),
        ("resident", {"dots": {"g1": 5}}),
        ("government", {"dots": {"g3": 5}}),
    ]
    results = stage_results(stage, ballots)
    # 20 dots cast: g1 6 + 5 = 11 -> 55, g3 5 -> 25, g2 4 -> 20
    assert item_rows(results, "rank", "value", "score") == [
        ("g1", 1, 11, 55.0),
        ("g3", 2, 5, 25.0),
        ("g2", 3, 4, 20.0),
    ]
    # resident cast 15 dots: g1 11/15 = 73.3333, g2 4/15 = 26.6667, g3 0; government cast 5: g3 5/5 = 100
    assert rounded(results["items"][0]["by_group"]) == {
        "government": {"ballots": 1, "value": 0, "score": 0.0},
        "resident": {"ballots": 2, "value": 11, "score": 73.3333},
    }
    assert rounded(results["items"][1]["by_group"]["government"]) == {
        "ballots": 1,
        "value": 5,
        "score": 100.0,
    }


def test_rank_borda() -> None:
    stage = make_stage("rank", keys="g1 g2 g3")
    ballots = [
        ("resident", {"order": ["g1", "g2", "g3"]}),
        ("resident", {"order": ["g2"]}),
        ("government", {"order": ["g3", "g1"]}),
    ]
    results = stage_results(stage, ballots)
    # N = 3; points 3, 2, 1 by position; unranked 0
    # g1: 3 + 0 + 2 = 5; g2: 2 + 3 + 0 = 5; g3: 1 + 0 + 3 = 4
    # denominator 3 ballots x 3 = 9: g1 5/9 = 55.5556, g2 55.5556, g3 4/9 = 44.4444
    assert item_rows(results, "rank", "value", "score") == [
        ("g1", 1, 5, 55.5556),
        ("g2", 1, 5, 55.5556),
        ("g3", 3, 4, 44.4444),
    ]
    # resident: g1 3/(2 x 3) = 50; government: g1 2/(1 x 3) = 66.6667
    assert rounded(results["items"][0]["by_group"]) == {
        "government": {"ballots": 1, "value": 2, "score": 66.6667},
        "resident": {"ballots": 2, "value": 3, "score": 50.0},
    }


SCORE_STAGE = make_stage(
    "score",
    keys="p1 p2 p3",
    criteria=[
        {"key": "importance", "label": "Importance", "weight": 2},
        {"key": "feasibility", "label": "Feasibility", "weight": 1},
    ],
    scale={"min": 1, "max": 5},
)


def test_score() -> None:
    ballots = [
        ("resident", {"scores": {"p1": {"importance": 5, "feasibility": 3}, "p2": {"importance": 2}}}),
        ("resident", {"scores": {"p1": {"importance": 3}}}),
        ("government", {"scores": {"p1": {"feasibility": 5}, "p2": {"importance": 4, "feasibility": 4}}}),
    ]
    results = stage_results(SCORE_STAGE, ballots)
    # p1: importance (5 + 3)/2 = 4, feasibility (3 + 5)/2 = 4 -> (2 x 4 + 1 x 4)/3 = 4 -> (4 - 1)/4 = 75
    # p2: importance (2 + 4)/2 = 3, feasibility 4 -> (2 x 3 + 4)/3 = 3.3333 -> (3.3333 - 1)/4 = 58.3333
    # p3: nobody scored -> value and score None, ranked last
    # resident: p1 imp 4, feas 3 -> (8 + 3)/3 = 3.6667 -> 66.6667; p2 imp 2 -> 2 -> 25; p3 None
    # government: p1 feas 5 -> 5 -> 100; p2 (2 x 4 + 4)/3 = 4 -> 75; p3 None
    assert rounded(results) == {
        "ballots": 3,
        "items": [
            {
                "key": "p1", "title": "P1", "rank": 1, "value": 4.0, "score": 75.0, "spread": None,
                "criteria": {"importance": 4.0, "feasibility": 4.0},
                "by_group": {
                    "government": {"ballots": 1, "value": 5.0, "score": 100.0},
                    "resident": {"ballots": 2, "value": 3.6667, "score": 66.6667},
                },
            },
            {
                "key": "p2", "title": "P2", "rank": 2, "value": 3.3333, "score": 58.3333, "spread": None,
                "criteria": {"importance": 3.0, "feasibility": 4.0},
                "by_group": {
                    "government": {"ballots": 1, "value": 4.0, "score": 75.0},
                    "resident": {"ballots": 2, "value": 2.0, "score": 25.0},
                },
            },
            {
                "key": "p3", "title": "P3", "rank": 3, "value": None, "score": None, "spread": None,
                "criteria": {"importance": None, "feasibility": None},
                "by_group": {
                    "government": {"ballots": 1, "value": None, "score": None},
                    "resident": {"ballots": 2, "value": None, "score": None},
                },
            },
        ],
    }  # fmt: skip


def test_score_scale_minimum_scores_zero_and_unscored_share_last_rank() -> None:
    stage = make_stage(
        "score",
        keys="p1 p2 p3 p4",
        criteria=[{"key": "need", "label": "Need", "weight": 1}],
        scale={"min": 0, "max": 10},
    )
    ballots = [("resident", {"scores": {"p1": {"need": 0}, "p2": {"need": 10}}})]
    results = stage_results(stage, ballots)
    # p2 (10 - 0)/10 = 100; p1 (0 - 0)/10 = 0 (a real score, not None); p3, p4 None: 2 real + 1 = rank 3
    assert item_rows(results, "rank", "value", "score") == [
        ("p2", 1, 10.0, 100.0),
        ("p1", 2, 0.0, 0.0),
        ("p3", 3, None, None),
        ("p4", 3, None, None),
    ]


def test_budget() -> None:
    stage = make_stage("budget", keys="p1 p2 p3", budget=1000)
    ballots = [
        ("resident", {"budget": {"p1": 600, "p2": 400}}),
        ("government", {"budget": {"p1": 200, "p3": 800}}),
    ]
    results = stage_results(stage, ballots)
    # 2000 given: p1 600 + 200 = 800 -> 40, p3 800 -> 40, p2 400 -> 20; p1 before p3 (definition order)
    assert item_rows(results, "rank", "value", "score") == [
        ("p1", 1, 800, 40.0),
        ("p3", 1, 800, 40.0),
        ("p2", 3, 400, 20.0),
    ]
    # resident gave 1000: p1 600 -> 60; government gave 1000: p1 200 -> 20
    assert rounded(results["items"][0]["by_group"]) == {
        "government": {"ballots": 1, "value": 200, "score": 20.0},
        "resident": {"ballots": 1, "value": 600, "score": 60.0},
    }


def fake_thai_segment(text: str) -> list[str]:
    """Stands in for a Thai word segmenter: knows a few words."""
    known = {"อยากให้เมืองมีต้นไม้": ["อยาก", "ให้", "เมือง", "มี", "ต้นไม้"], "เมืองสะอาด": ["เมือง", "สะอาด"]}
    return known.get(text, text.split())


def test_words_an_answer_is_one_entry_counted_once_per_ballot() -> None:
    stage = make_stage("words", keys="")
    ballots = [
        ("resident", {"words": ["เมืองสะอาด", " เมืองสะอาด "]}),  # the same entry twice: counts once
        ("resident", {"words": ["Green city", "green  CITY"]}),  # case and spaces ignored: once
        ("government", {"words": ["เมืองสะอาด"]}),
    ]
    results = stage_results(stage, ballots, segment=fake_thai_segment)
    # 3 ballots: เมืองสะอาด 2/3 = 66.6667 (not split: 2 words); green city 1/3, shown as first typed
    assert item_rows(results, "title", "rank", "value", "score") == [
        ("เมืองสะอาด", "เมืองสะอาด", 1, 2, 66.6667),
        ("green city", "Green city", 2, 1, 33.3333),
    ]
    # resident (2): 1/2 = 50; government (1): 1/1 = 100; green city never given there: 0
    assert rounded(results["items"][0]["by_group"]) == {
        "government": {"ballots": 1, "value": 1, "score": 100.0},
        "resident": {"ballots": 2, "value": 1, "score": 50.0},
    }
    assert results["items"][1]["by_group"]["government"] == {"ballots": 1, "value": 0, "score": 0.0}


def test_words_a_long_answer_is_split_into_words() -> None:
    stage = make_stage("words", keys="")
    ballots = [
        ("resident", {"words": ["อยากให้เมืองมีต้นไม้"]}),  # 5 words: split
        ("resident", {"words": ["เมือง", "more trees in the park please"]}),  # 5 words: split
    ]
    results = stage_results(stage, ballots, segment=fake_thai_segment)
    values = {key: value for key, value in item_rows(results, "value")}
    assert values["เมือง"] == 2  # once per ballot
    assert values["ต้นไม้"] == 1
    assert values["park"] == 1
    assert "อยากให้เมืองมีต้นไม้" not in values


def test_words_shown_as_most_residents_typed_them() -> None:
    stage = make_stage("words", keys="")
    ballots = [("r", {"words": [w]}) for w in ("green", "Green", "Green", "GREEN")]
    results = stage_results(stage, ballots)
    assert item_rows(results, "title", "value", "score") == [("green", "Green", 4, 100.0)]


def test_words_not_thai_never_split_inside_a_word() -> None:
    stage = make_stage("words", keys="")
    ballots = [("r", {"words": ["café", "PM2.5", "don't"]}),
               ("r", {"words": ["café, PM2.5, don't, or else"]})]  # 5 words: split on spaces
    results = stage_results(stage, ballots)
    values = {key: value for key, value in item_rows(results, "value")}
    assert values["café"] == 2
    assert values["pm2.5"] == 2
    assert values["don't"] == 2
    assert values["or"] == 1


def test_words_merges_apply_and_count_once_per_ballot() -> None:
    stage = make_stage("words", keys="")
    ballots = [
        ("r", {"words": ["เมือง สีเขียว", "สีเขียว"]}),  # both become สีเขียว: once
        ("r", {"words": ["เมือง สีเขียว"]}),
        ("g", {"words": ["Green"]}),
    ]
    merges = [(["เมือง สีเขียว"], "สีเขียว", "สีเขียว"), (["green"], "เขียว", "เขียว")]
    results = stage_results(stage, ballots, merges=merges)
    assert item_rows(results, "title", "value", "score") == [
        ("สีเขียว", "สีเขียว", 2, 66.6667),
        ("เขียว", "เขียว", 1, 33.3333),  # nobody typed the target: the facilitator's form
    ]
    assert results["ballots"] == 3


# ---------------------------------------------------------------------------
# Zero denominators


@pytest.mark.parametrize(
    ("stage", "expected_value"),
    [
        (make_stage("single", keys="a b"), 0),
        (make_stage("approval", keys="a b"), 0),
        (make_stage("dots", keys="a b", dots=5, max_per_item=5), 0),
        (make_stage("rank", keys="a b"), 0),
        (make_stage("budget", keys="a b", budget=100), 0),
        (SCORE_STAGE, None),
    ],
    ids=lambda value: value["method"] if isinstance(value, dict) else repr(value),
)
def test_no_ballots_means_no_scores(stage: dict[str, Any], expected_value: int | None) -> None:
    results = stage_results(stage, [])
    assert results["ballots"] == 0
    assert results["items"]
    for item in results["items"]:
        assert (item["value"], item["score"], item["rank"], item["by_group"], item["spread"]) == (
            expected_value, None, 1, {}, None,
        )  # fmt: skip


def test_no_ballots_in_a_words_stage_lists_no_items() -> None:
    assert stage_results(make_stage("words", keys=""), []) == {"ballots": 0, "items": []}


def test_rank_stage_without_items_has_no_items() -> None:
    assert stage_results(make_stage("rank", keys=""), [("resident", {"order": []})])["items"] == []


# ---------------------------------------------------------------------------
# Groups and spread


def test_groups_are_listed_by_key_and_only_with_ballots() -> None:
    stage = make_stage("single", keys="a b")
    ballots = [("resident", {"item": "a"}), ("civil", {"item": "b"}), ("government", {"item": "a"})]
    by_group = stage_results(stage, ballots)["items"][0]["by_group"]
    assert list(by_group) == ["civil", "government", "resident"]


def test_ballots_without_group_count_in_the_whole_only() -> None:
    stage = make_stage("single", keys="a b")
    ballots = [(None, {"item": "a"}), ("resident", {"item": "b"})]
    results = stage_results(stage, ballots)
    # whole: a 1/2 = 50, b 1/2 = 50; resident: b 1/1
    assert results["ballots"] == 2
    assert item_rows(results, "score") == [("a", 50.0), ("b", 50.0)]
    assert results["items"][1]["by_group"] == {"resident": {"ballots": 1, "value": 1, "score": 100.0}}


def spread_ballots() -> list[tuple[str, dict[str, Any]]]:
    """resident 4 ballots (a 3/4), government 3 (a 1/3), civil 2 (a 2/2), private 1 (a 0/1)."""
    return (
        [("resident", {"item": "a"})] * 3
        + [("resident", {"item": "b"})]
        + [("government", {"item": "a"})]
        + [("government", {"item": "b"})] * 2
        + [("civil", {"item": "a"})] * 2
        + [("private", {"item": "b"})]
    )


def test_spread_only_counts_groups_with_enough_ballots() -> None:
    stage = make_stage("single", keys="a b")
    results = stage_results(stage, spread_ballots())
    a = results["items"][0]
    # civil (2 ballots, 100) and private (1 ballot, 0) are too small to count
    # a: resident 3/4 = 75, government 1/3 = 33.3333 -> 41.6667
    assert a["key"] == "a"
    assert rounded(a["spread"]) == 41.6667
    assert rounded(a["by_group"]["civil"]["score"]) == 100.0


def test_spread_threshold_is_a_parameter() -> None:
    stage = make_stage("single", keys="a b")
    a = stage_results(stage, spread_ballots(), min_group_ballots=1)["items"][0]
    # all four groups count: civil 100 - private 0 = 100
    assert a["spread"] == 100.0


def test_spread_is_none_with_fewer_than_two_qualifying_groups() -> None:
    stage = make_stage("single", keys="a b")
    ballots = [("resident", {"item": "a"})] * 5 + [("government", {"item": "b"})] * 2
    for item in stage_results(stage, ballots)["items"]:
        assert item["spread"] is None


def test_spread_ignores_groups_whose_score_is_none() -> None:
    ballots = (
        [("resident", {"scores": {"p1": {"importance": 5}}})] * 3
        + [("government", {"scores": {"p1": {"importance": 1}, "p2": {"importance": 3}}})] * 3
        + [("civil", {"scores": {"p1": {"importance": 3}}})] * 3
    )
    results = stage_results(SCORE_STAGE, ballots)
    by_key = {item["key"]: item for item in results["items"]}
    # p1: resident 100, government 0, civil 50 -> spread 100
    assert by_key["p1"]["spread"] == 100.0
    # p2: only government scored it (50); resident and civil have None -> fewer than two -> None
    assert by_key["p2"]["by_group"]["resident"]["score"] is None
    assert by_key["p2"]["spread"] is None


# ---------------------------------------------------------------------------
# Titles


def test_title_is_copied_as_given() -> None:
    title = {"th": "สะอาด", "en": "Clean"}
    stage = make_stage("single", keys="")
    stage = stage.model_copy(update={"items": [Item(key="a", title=title)]})
    item = stage_results(stage, [("resident", {"item": "a"})])["items"][0]
    assert item["title"] == title
    assert item["title"] is not title


@pytest.mark.parametrize(
    ("text", "lang", "shown"),
    [
        ("ประชาชน", "en", "ประชาชน"),  # a plain string is the same in every language
        (None, "th", ""),
        ({"th": "ประชาชน", "en": "Residents"}, "en", "Residents"),
        ({"th": "ประชาชน", "en": "Residents"}, "th", "ประชาชน"),
        ({"th": "ประชาชน", "en": "Residents"}, "fr", "ประชาชน"),  # first of the workshop's languages
        ({"en": "Residents"}, "fr", "Residents"),  # th missing: next workshop language
        ({"de": "Bürger"}, "fr", "Bürger"),  # none of them: any value
        ({"th": "", "en": "Residents"}, "th", "Residents"),  # an empty translation counts as missing
        ({}, "th", ""),
    ],
)
def test_localize(text: Any, lang: str, shown: str) -> None:
    assert localize(text, lang, ["th", "en"]) == shown
