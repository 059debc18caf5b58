"""Combine and compare (domain.combine), checked against an independent recomputation
of the contract's formulas over the union of the workshops' ballots."""

from __future__ import annotations

import random
from typing import Any

import pytest

from workshop.domain import combine

GROUPS = ["resident", "government", "private", "civil"]


def approval_stage(keys: list[str]) -> dict[str, Any]:
    return {
        "key": "needs",
        "kind": "goals",
        "title": "Needs",
        "method": "approval",
        "items": [{"key": k, "title": k.upper()} for k in keys],
    }


def rank_stage(keys: list[str]) -> dict[str, Any]:
    return {
        "key": "needs",
        "kind": "goals",
        "title": "Needs",
        "method": "rank",
        "items": [{"key": k, "title": k.upper()} for k in keys],
    }


def dots_stage(keys: list[str], dots: int = 5) -> dict[str, Any]:
    return {
        "key": "needs",
        "kind": "goals",
        "title": "Needs",
        "method": "dots",
        "dots": dots,
        "max_per_item": 3,
        "items": [{"key": k, "title": k.upper()} for k in keys],
    }


# -- the independent recomputation: the contract's table, written out again ---------------


def expected_approval(
    ballots: list[tuple[str | None, dict[str, Any]]], keys: list[str]
) -> dict[str, float | None]:
    n = len(ballots)
    return {k: (sum(k in c["items"] for _, c in ballots) / n * 100 if n else None) for k in keys}


def expected_rank(
    ballots: list[tuple[str | None, dict[str, Any]]], keys: list[str]
) -> dict[str, float | None]:
    n_items, n = len(keys), len(ballots)
    points = dict.fromkeys(keys, 0)
    for _, choices in ballots:
        for position, key in enumerate(choices["order"]):
            points[key] += n_items - position
    return {k: (points[k] / (n * n_items) * 100 if n else None) for k in keys}


def expected_dots(
    ballots: list[tuple[str | None, dict[str, Any]]], keys: list[str]
) -> dict[str, float | None]:
    total = sum(sum(c["dots"].values()) for _, c in ballots)
    return {k: (sum(c["dots"].get(k, 0) for _, c in ballots) / total * 100 if total else None) for k in keys}


def random_ballots(
    method: str, keys: list[str], n: int, rng: random.Random
) -> list[tuple[str | None, dict[str, Any]]]:
    out: list[tuple[str | None, dict[str, Any]]] = []
    for _ in range(n):
        group = rng.choice(GROUPS)
        if method == "approval":
            out.append((group, {"items": rng.sample(keys, rng.randint(1, len(keys)))}))
        elif method == "rank":
            out.append((group, {"order": rng.sample(keys, rng.randint(1, len(keys)))}))
        else:
            picked = rng.sample(keys, rng.randint(1, min(3, len(keys))))
            out.append((group, {"dots": {k: rng.randint(1, 3) for k in picked}}))
    return out


@pytest.mark.parametrize(
    ("method", "stage", "expected"),
    [
        ("approval", approval_stage, expected_approval),
        ("rank", rank_stage, expected_rank),
        ("dots", dots_stage, expected_dots),
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_combined_scores_are_the_formulas_over_the_union(
    method: str, stage: Any, expected: Any, seed: int
) -> None:
    rng = random.Random(seed)
    # three forums: the third also asks about an item the others do not list
    keys_a, keys_c = ["flood", "waste", "light", "park"], ["flood", "waste", "light", "park", "market"]
    parts = [
        (11, stage(keys_a), random_ballots(method, keys_a, 17, rng)),
        (12, stage(keys_a), random_ballots(method, keys_a, 9, rng)),
        (13, stage(keys_c), random_ballots(method, keys_c, 23, rng)),
    ]
    result = combine.combine(parts)
    assert result["combined"] is True and result["ballots"] == 17 + 9 + 23
    every = [b for _, _, ballots in parts for b in ballots]
    want = expected(every, keys_c)  # the union has 5 items: a rank stage's N is 5
    got = {item["key"]: item["score"] for item in result["items"]}
    assert set(got) == set(keys_c)
    for key in keys_c:
        assert got[key] == pytest.approx(want[key]), key
    # each workshop's own score, beside the combined one, is its own formula
    for wid, spec, ballots in parts:
        own = expected(ballots, [i["key"] for i in spec["items"]])
        for item in result["items"]:
            cell = item["by_workshop"][wid]
            if item["key"] in own:
                assert cell["score"] == pytest.approx(own[item["key"]]) and cell["ballots"] == len(ballots)
            else:
                assert cell is None
    # by group over the union: the same formula within each group
    for group in GROUPS:
        mine = [b for b in every if b[0] == group]
        if not mine:
            continue
        want_group = expected(mine, keys_c)
        for item in result["items"]:
            assert item["by_group"][group]["score"] == pytest.approx(want_group[item["key"]])


def test_ranks_and_the_spread_between_workshops() -> None:
    keys = ["flood", "waste"]
    parts = [
        (1, approval_stage(keys), [("resident", {"items": ["flood"]})] * 4),  # flood 100, waste 0
        (2, approval_stage(keys), [("resident", {"items": ["waste"]})] * 4),  # flood 0, waste 100
        (
            3,
            approval_stage(keys),
            [("resident", {"items": ["flood", "waste"]})] * 2,
        ),  # too few for the spread
    ]
    result = combine.combine(parts)
    flood, waste = sorted(result["items"], key=lambda i: i["key"])
    assert flood["score"] == pytest.approx(60.0) and waste["score"] == pytest.approx(60.0)
    assert flood["rank"] == waste["rank"] == 1  # equal scores share a rank
    assert flood["workshop_spread"] == 100.0 and flood["flagged"] is True
    assert [w["ballots"] for w in result["workshops"]] == [4, 4, 2]


def test_stages_with_other_options_are_compared_but_never_added_up() -> None:
    keys = ["flood", "waste"]
    parts = [
        (1, dots_stage(keys, dots=5), [("resident", {"dots": {"flood": 3}})]),
        (2, dots_stage(keys, dots=3), [("resident", {"dots": {"waste": 3}})]),
    ]
    result = combine.combine(parts)
    assert result["combined"] is False and result["reason"] == "options_differ"
    assert all(item["score"] is None for item in result["items"])
    assert {i["key"]: i["by_workshop"][1]["score"] for i in result["items"]} == {"flood": 100.0, "waste": 0.0}
    assert combine.why_not_combined([approval_stage(keys), rank_stage(keys)]) == "methods_differ"
    assert combine.why_not_combined([approval_stage(keys), approval_stage(["other"])]) is None


def test_questions_are_stage_keys_asked_in_two_workshops_or_more() -> None:
    stages = [
        (1, {"key": "needs"}),
        (1, {"key": "vision"}),
        (2, {"key": "needs"}),
        (3, {"key": "goals"}),
        (3, {"key": "needs"}),
    ]
    assert combine.questions(stages) == ["needs"]


def titled_stage(
    items: list[tuple[str, Any]], method: str = "approval", kind: str = "goals"
) -> dict[str, Any]:
    return {"key": "needs", "kind": kind, "title": "Needs", "method": method,
            "items": [{"key": k, "title": t} for k, t in items]}


def test_the_same_title_under_other_keys_is_one_row_counted_once() -> None:
    """Forum B typed the same need as forum A under another key (or approved it from an idea):
    one row, its ballots added up, each workshop's own score beside it, and where it came from."""
    a = titled_stage([("flood", {"th": "น้ำท่วมขัง", "en": "Flooding"}), ("waste", "ขยะในคลอง")])
    b_items = [("idea-7", " น้ำท่วมขัง "), ("road", "ถนนชำรุด"), ("w2", "ขยะในคลอง")]  # spacing aside
    b = titled_stage(b_items)
    parts = [
        (1, a, [("resident", {"items": ["flood"]}), ("resident", {"items": ["flood", "waste"]})]),
        (2, b, [("resident", {"items": ["idea-7", "road"]}), ("civil", {"items": ["road"]}),
                ("civil", {"items": ["w2"]})]),
    ]
    result = combine.combine(parts)
    rows = {item["key"]: item for item in result["items"]}
    assert sorted(rows) == ["flood", "road", "waste"]  # no row twice
    flood = rows["flood"]
    assert flood["value"] == 3 and flood["score"] == pytest.approx(3 / 5 * 100)
    assert flood["sources"] == [{"workshop": 1, "key": "flood"}, {"workshop": 2, "key": "idea-7"}]
    assert flood["by_workshop"][1]["score"] == 100.0
    assert flood["by_workshop"][2]["score"] == pytest.approx(100 / 3)
    assert rows["waste"]["value"] == 2 and rows["waste"]["sources"][1] == {"workshop": 2, "key": "w2"}
    assert rows["road"]["by_workshop"][1] is None
    assert rows["road"]["sources"] == [{"workshop": 2, "key": "road"}]
    # side by side (other methods): the same rows
    other = combine.combine([(1, a, []), (2, titled_stage(b_items, method="single"), [])])
    assert other["combined"] is False
    assert sorted(i["key"] for i in other["items"]) == ["flood", "road", "waste"]


def test_a_rank_stage_counts_a_joined_row_once_in_n() -> None:
    a = titled_stage([("a1", "Park"), ("a2", "Market")], method="rank")
    b = titled_stage([("b1", "park"), ("b2", "Library")], method="rank")
    result = combine.combine([(1, a, [(None, {"order": ["a1", "a2"]})]), (2, b, [(None, {"order": ["b1"]})])])
    park = next(item for item in result["items"] if item["key"] == "a1")
    # N = 3 rows (Park, Market, Library): Park 3 + 3 points of 2 x 3
    assert park["value"] == 6 and park["score"] == pytest.approx(100.0)
    assert len(result["items"]) == 3


def test_items_of_one_workshop_or_of_another_kind_are_never_joined() -> None:
    twice = titled_stage([("x1", "Park"), ("x2", "Park")])
    rows, names = combine.item_rows([(1, twice), (2, titled_stage([("y", "Park")]))])
    assert [r["key"] for r in rows] == ["x1", "x2"] and names[2] == {"y": "x1"}
    rows, names = combine.item_rows([(1, titled_stage([("p", "Park")], kind="goals")),
                                     (2, titled_stage([("q", "Park")], kind="projects"))])
    assert [r["key"] for r in rows] == ["p", "q"]
    # the same key is the same row (copies of a workshop), whatever its title became
    rows, names = combine.item_rows([(1, titled_stage([("k", "Park")])), (2, titled_stage([("k", "Parks")]))])
    assert [r["key"] for r in rows] == ["k"] and len(rows[0]["sources"]) == 2
