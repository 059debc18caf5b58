"""Live results are cut to a size budget (issue 14: bounded broadcasts)."""

from __future__ import annotations

import json

from workshop.domain.results import LIVE_BYTES, bounded_entry


def _entry(method: str, count: int, title: str = "t") -> dict:
    items = [{"key": f"k{n}", "title": title * 50, "rank": n + 1, "value": count - n, "score": 1.0,
              "by_group": {f"g{g}": {"ballots": 3, "value": 1, "score": 2.0} for g in range(20)},
              "spread": 0.5} for n in range(count)]
    return {"key": "s", "method": method, "state": "open", "results_shown": True, "ballots": 9,
            "paper_ballots": 0, "items": items}


def test_a_word_cloud_keeps_its_top_100_and_says_how_many_there_are() -> None:
    entry = _entry("words", 5000, title="")
    for item in entry["items"]:
        item["by_group"] = {}
    bounded = bounded_entry(entry)
    assert [i["key"] for i in bounded["items"]] == [f"k{n}" for n in range(100)]
    assert bounded["items_total"] == 5000
    assert entry["items"][0]["key"] == "k0" and len(entry["items"]) == 5000  # the input is untouched


def test_other_methods_keep_their_top_20() -> None:
    entry = _entry("approval", 200, title="")
    for item in entry["items"]:
        item["by_group"] = {}
    assert len(bounded_entry(entry)["items"]) == 20


def test_long_titles_and_many_groups_are_cut_to_the_byte_budget() -> None:
    bounded = bounded_entry(_entry("words", 100, title="ทดสอบ"))
    size = len(json.dumps(bounded, separators=(",", ":")))
    assert size < LIVE_BYTES
    assert 0 < len(bounded["items"]) < 100 and bounded["items_total"] == 100
    # one item more would not have fitted
    more = dict(bounded, items=_entry("words", 100, title="ทดสอบ")["items"][: len(bounded["items"]) + 1])
    assert len(json.dumps(more, separators=(",", ":"))) >= LIVE_BYTES


def test_the_plan_draft_of_a_workshop_at_the_file_limits_prints_a_bounded_number_of_items() -> None:
    """50 stages of 200 items printed 381 pages: each stage now prints its best ranked share
    of ITEM_BUDGET items and says how many more the CSV export holds."""
    from workshop.domain.definition import WorkshopDefinition
    from workshop.export import context as ctx

    def typed(stages: list[dict[str, object]]) -> WorkshopDefinition:
        return WorkshopDefinition.model_validate(
            {"title": "T", "languages": ["en"], "groups": [{"key": "g", "label": "G"}], "stages": stages})

    stages = [{"key": f"s{s}", "kind": "other", "method": "approval", "title": f"S{s}",
               "items": [{"key": f"i{n}", "title": f"Item {n}"} for n in range(200)]} for s in range(50)]
    results = {"participants": {"total": 0, "by_group": {}},
               "stages": [{"key": f"s{s}", "method": "approval", "state": "closed", "ballots": 0,
                           "paper_ballots": 0,
                           "items": [{"key": f"i{n}", "title": f"Item {n}", "rank": 1, "value": None,
                                      "score": None, "by_group": {}, "spread": None} for n in range(200)]}
                          for s in range(50)]}
    report = ctx.build_report(definition=typed(stages),
                              results=results, comments=[], ideas=[], counts={}, lang="en")
    printed = sum(len(s["items"]) for s in report["stages"])
    assert printed == ctx.ITEM_BUDGET
    assert all(s["more_items"] == 200 - ctx.ITEM_BUDGET // 50 and s["all_items"] == 200
               for s in report["stages"])
    # a small workshop prints everything
    small = ctx.build_report(definition=typed(stages[:2]),
                             results={**results, "stages": results["stages"][:2]},
                             comments=[], ideas=[], counts={}, lang="en")
    assert [len(s["items"]) for s in small["stages"]] == [200, 200]
