"""The plan draft's report context, built from plain dicts (no app, no database)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from workshop.domain.definition import WorkshopDefinition
from workshop.export import context as ctx
from workshop.export.csv_zip import ballot_rows, neutralize

GROUPS = [
    {"key": "resident", "label": {"th": "ประชาชน", "en": "Residents"}},
    {"key": "government", "label": {"th": "หน่วยงานรัฐ", "en": "Government"}},
    {"key": "civil", "label": {"th": "ภาคประชาสังคม", "en": "Civil society"}},
]


def definition() -> dict[str, Any]:
    return {
        "title": {"th": "แผนพัฒนาเมืองทดสอบ", "en": "Test city plan"},
        "city": {"th": "เทศบาลเมืองทดสอบ", "en": "Test Town"},
        "date": "2026-12-05",
        "languages": ["th", "en"],
        "groups": copy.deepcopy(GROUPS),
        "stages": [
            {
                "key": "words",
                "kind": "other",
                "title": "คำเดียว",
                "method": "words",
                "max_words": 3,
                "items": [],
            },
            {
                "key": "projects",
                "kind": "projects",
                "title": {"th": "โครงการ", "en": "Projects"},
                "method": "score",
                "scale": {"min": 1, "max": 5},
                "criteria": [
                    {"key": "importance", "label": {"th": "ความสำคัญ", "en": "Importance"}, "weight": 2},
                    {"key": "feasibility", "label": {"th": "ความเป็นไปได้", "en": "Feasibility"}, "weight": 1},
                ],
                "items": [
                    {
                        "key": "p1",
                        "title": "ระยะยาว",
                        "horizon": "long",
                        "goal": "g1",
                        "budget": 2_500_000,
                        "sdgs": ["11.2"],
                        "indicator": {"th": "ตัวชี้วัด", "en": "Indicator"},
                    },
                    {"key": "p2", "title": "ระยะสั้น", "horizon": "short", "goal": "g2"},
                    {"key": "p3", "title": "ไม่ระบุ", "horizon": None},
                    {"key": "p4", "title": "ระยะกลาง", "horizon": "medium"},
                ],
            },
            {
                "key": "vision",
                "kind": "vision",
                "title": {"th": "วิสัยทัศน์", "en": "Vision"},
                "method": "approval",
                "max_choices": 2,
                "items": [
                    {"key": "v1", "title": {"th": "เมืองสีเขียว", "en": "A green city"}},
                    {"key": "v2", "title": {"th": "เมืองปลอดภัย", "en": "A safe city"}},
                ],
            },
            {
                "key": "goals",
                "kind": "goals",
                "title": "เป้าหมาย",
                "method": "dots",
                "dots": 5,
                "items": [
                    {"key": "g1", "title": {"th": "น้ำไม่ท่วม", "en": "No floods"}},
                    {"key": "g2", "title": {"th": "อากาศดี", "en": "Clean air"}},
                ],
            },
        ],
    }


def item(
    key: str,
    rank: int,
    score: float | None,
    *,
    title: Any = None,
    spread: float | None = None,
    criteria: dict[str, float | None] | None = None,
    value: float | None = 1,
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "key": key,
        "title": title if title is not None else key,
        "rank": rank,
        "value": value,
        "score": score,
        "spread": spread,
        "by_group": {
            "resident": {"ballots": 5, "value": value, "score": score},
            "civil": {"ballots": 1, "value": value, "score": score},
        },
    }
    if criteria is not None:
        entry["criteria"] = criteria
    return entry


def results() -> dict[str, Any]:
    return {
        "participants": {"total": 12, "by_group": {"resident": 8, "government": 3, "civil": 1}},
        "stages": [
            {
                "key": "words",
                "method": "words",
                "state": "closed",
                "ballots": 30,
                "paper_ballots": 0,
                "items": [item(f"w{i:02d}", i + 1, 50 - i) for i in range(25)],
            },
            {
                "key": "projects",
                "method": "score",
                "state": "closed",
                "ballots": 10,
                "paper_ballots": 2,
                "items": [
                    item("p4", 1, 90.0, criteria={"importance": 4.8, "feasibility": 4.0}),
                    item("p1", 2, 75.0, spread=20.0, criteria={"importance": 4.5, "feasibility": 2.5}),
                    item("p2", 3, 50.0, spread=19.9, criteria={"importance": 3.0, "feasibility": 5.0}),
                    item("p3", 4, None, criteria={"importance": None, "feasibility": None}, value=None),
                ],
            },
            {
                "key": "vision",
                "method": "approval",
                "state": "closed",
                "ballots": 12,
                "paper_ballots": 4,
                "items": [
                    item("v2", 1, 66.7, title={"th": "เมืองปลอดภัย", "en": "A safe city"}, spread=30.0),
                    item("v1", 2, 33.3, title={"th": "เมืองสีเขียว", "en": "A green city"}),
                ],
            },
            {
                "key": "goals",
                "method": "dots",
                "state": "open",
                "ballots": 11,
                "paper_ballots": 0,
                "items": [item("g2", 1, 60.0), item("g1", 2, 40.0)],
            },
        ],
    }


COUNTS = {
    "participants": {"total": 12, "by_group": {"resident": 8, "government": 3, "civil": 1}},
    "ballots": {
        "vision": {"resident": {"phone": 6, "paper": 4}, "civil": {"phone": 2, "paper": 0}},
        "projects": {"resident": {"phone": 8, "paper": 2}},
        "goals": {"resident": {"phone": 11, "paper": 0}},
    },
}
COMMENTS = [
    {"id": 1, "stage": "vision", "item": "v1", "group": "resident", "text": "สวยงาม", "status": "published"},
    {"id": 2, "stage": "vision", "item": "v1", "group": "civil", "text": "ยังไม่อนุมัติ", "status": "pending"},
    {
        "id": 3,
        "stage": "vision",
        "item": None,
        "group": "government",
        "text": "ภาพรวมดี",
        "status": "published",
    },
    {"id": 4, "stage": "goals", "item": "g1", "group": "resident", "text": "ไม่ผ่าน", "status": "rejected"},
]
IDEAS = [
    {
        "id": 7,
        "stage": "projects",
        "group": "civil",
        "title": "ตลาดนัดชุมชน",
        "description": None,
        "status": "approved",
        "item": "p4",
    },
    {
        "id": 8,
        "stage": "projects",
        "group": "civil",
        "title": "ยังรอ",
        "description": None,
        "status": "pending",
        "item": None,
    },
]


def report(lang: str = "th", **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "definition": definition(),
        "results": results(),
        "comments": COMMENTS,
        "ideas": IDEAS,
        "counts": COUNTS,
        "lang": lang,
        "generated": date(2026, 12, 6),
    }
    args.update(overrides)
    # the typed workshop, as services hand it over (shapes checked; relations are a file's concern)
    args["definition"] = WorkshopDefinition.model_validate(args["definition"])
    return ctx.build_report(**args)


def stage(r: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in r["stages"] if s["key"] == key)


# -- order and chapters -----------------------------------------------------------------


def test_items_keep_the_rank_order_of_the_results() -> None:
    r = report()
    assert [i["key"] for i in stage(r, "projects")["items"]] == ["p4", "p1", "p2", "p3"]
    assert [i["rank"] for i in stage(r, "projects")["items"]] == [1, 2, 3, 4]
    assert [i["number"] for i in stage(r, "vision")["items"]] == [1, 2]


def test_chapters_follow_the_plan_order_whatever_the_workshop_order() -> None:
    r = report()
    assert [c["key"] for c in r["chapters"]] == ["vision", "goals", "projects", "other"]
    assert [s["key"] for c in r["chapters"] for s in c["stages"]] == ["vision", "goals", "projects", "words"]
    # stages keep their number in the workshop
    assert [s["number"] for s in r["stages"]] == [1, 2, 3, 4]


def test_a_chapter_without_stages_is_left_out() -> None:
    d = definition()
    d["stages"] = [s for s in d["stages"] if s["kind"] != "goals"]
    res = results()
    res["stages"] = [s for s in res["stages"] if s["key"] != "goals"]
    assert [c["key"] for c in report(definition=d, results=res)["chapters"]] == [
        "vision",
        "projects",
        "other",
    ]


def test_words_stage_lists_its_top_words_only() -> None:
    words = stage(report(), "words")
    assert len(words["items"]) == ctx.TOP_WORDS
    assert words["more_items"] == 25 - ctx.TOP_WORDS
    assert words["all_items"] == 25


# -- projects by horizon --------------------------------------------------------------


def test_projects_are_grouped_short_medium_long_then_without_horizon() -> None:
    horizons = stage(report(), "projects")["horizons"]
    assert [h["key"] for h in horizons] == ["short", "medium", "long", None]
    assert [[i["key"] for i in h["items"]] for h in horizons] == [["p2"], ["p4"], ["p1"], ["p3"]]


def test_projects_without_any_horizon_are_one_group_in_rank_order() -> None:
    d = definition()
    for it in d["stages"][1]["items"]:
        it["horizon"] = None
    horizons = stage(report(definition=d), "projects")["horizons"]
    assert horizons == [{"key": None, "items": stage(report(definition=d), "projects")["items"]}]
    assert [i["key"] for i in horizons[0]["items"]] == ["p4", "p1", "p2", "p3"]


def test_only_project_stages_are_grouped_by_horizon() -> None:
    assert stage(report(), "vision")["horizons"] is None


def test_project_details_goal_budget_sdgs_indicator_and_criteria() -> None:
    p1 = next(i for i in stage(report("en"), "projects")["items"] if i["key"] == "p1")
    assert p1["goal"] == "No floods"
    assert p1["budget_text"] == "2,500,000 baht"
    assert p1["sdgs"] == ["11.2"]
    assert p1["indicator"] == "Indicator"
    assert [(c["label"], c["mean_text"]) for c in p1["criteria"]] == [
        ("Importance", "4.50"),
        ("Feasibility", "2.50"),
    ]
    assert p1["score_text"] == "75.0"
    p3 = next(i for i in stage(report("en"), "projects")["items"] if i["key"] == "p3")
    assert (p3["score"], p3["score_text"], p3["bar"], p3["value_text"]) == (None, "–", 0.0, "–")


# -- spread flags ------------------------------------------------------------------------


def test_spread_of_20_points_or_more_is_flagged() -> None:
    items = {i["key"]: i for i in stage(report(), "projects")["items"]}
    assert items["p1"]["flagged"] and items["p1"]["spread_text"] == "20.0"
    assert not items["p2"]["flagged"]  # 19.9
    assert not items["p4"]["flagged"]  # no spread
    assert stage(report(), "projects")["flagged"] == 1


def test_flagged_items_are_listed_for_the_summary_and_appendix() -> None:
    r = report("en")
    assert [(f["stage"], f["title"]) for f in r["flagged"]] == [("Projects", "p1"), ("Vision", "A safe city")]
    assert r["summary"]["flagged"] == 2
    assert r["spread_flag"] == 20


def test_flags_of_words_stay_in_their_breakdown_only() -> None:
    res = results()
    res["stages"][0]["items"][0]["spread"] = 50.0
    r = report(results=res)
    assert stage(r, "words")["items"][0]["flagged"]
    assert all(f["stage"] != "คำเดียว" for f in r["flagged"])
    assert r["summary"]["flagged"] == 2


def test_group_breakdown_cells_follow_the_workshop_groups() -> None:
    v2 = stage(report("en"), "vision")["items"][0]
    cells = [(c["label"], c["score_text"], c["few"], c["heat"]) for c in v2["by_group"]]
    assert cells == [
        ("Residents", "66.7", False, "heat-3"),
        ("Government", "", True, "heat-none"),
        ("Civil society", "66.7", True, "heat-3"),
    ]
    groups = stage(report("en"), "vision")["groups"]
    assert [(g["key"], g["ballots"], g["few"]) for g in groups] == [
        ("resident", 10, False),
        ("government", 0, True),
        ("civil", 2, True),
    ]


def test_breakdown_rows_are_the_best_ranked_plus_every_flagged_item(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx, "BREAKDOWN_ROWS", 1)
    projects = stage(report(), "projects")
    assert [i["key"] for i in projects["breakdown"]] == ["p4", "p1"]
    assert projects["breakdown_more"] == 2


# -- languages ---------------------------------------------------------------------------


def test_thai_report_uses_thai_texts_and_the_buddhist_era() -> None:
    r = report("th")
    assert r["title"] == "แผนพัฒนาเมืองทดสอบ"
    assert r["city"] == "เทศบาลเมืองทดสอบ"
    assert r["date_text"] == "5 ธันวาคม 2569"
    assert r["generated_text"] == "6 ธันวาคม 2569"
    assert [g["label"] for g in r["groups"]] == ["ประชาชน", "หน่วยงานรัฐ", "ภาคประชาสังคม"]
    assert [i["title"] for i in stage(r, "vision")["items"]] == ["เมืองปลอดภัย", "เมืองสีเขียว"]
    assert stage(r, "projects")["criteria"][0]["label"] == "ความสำคัญ"
    assert (
        next(i for i in stage(r, "projects")["items"] if i["key"] == "p1")["budget_text"] == "2,500,000 บาท"
    )


def test_english_report_uses_english_texts_and_the_common_era() -> None:
    r = report("en")
    assert (r["title"], r["city"], r["date_text"]) == ("Test city plan", "Test Town", "5 December 2026")
    assert [g["label"] for g in r["groups"]] == ["Residents", "Government", "Civil society"]
    assert [i["title"] for i in stage(r, "vision")["items"]] == ["A safe city", "A green city"]
    # a text given in one language only is shown as given
    assert stage(r, "goals")["title"] == "เป้าหมาย"


def test_budget_stage_options_for_the_appendix() -> None:
    d = definition()
    d["stages"].append(
        {
            "key": "budget",
            "kind": "projects",
            "title": "งบ",
            "method": "budget",
            "budget": 10_000_000,
            "items": [{"key": "b1", "title": "b1"}],
        }
    )
    res = results()
    res["stages"].append(
        {
            "key": "budget",
            "method": "budget",
            "state": "closed",
            "ballots": 1,
            "paper_ballots": 0,
            "items": [item("b1", 1, 100.0, value=3_000_000)],
        }
    )
    r = report("en", definition=d, results=res)
    budget = stage(r, "budget")
    assert budget["options"]["budget_text"] == "10,000,000 baht"
    assert budget["items"][0]["value_text"] == "3,000,000"
    assert [m["method"] for m in r["methods"]] == ["words", "score", "approval", "dots", "budget"]


# -- comments and ideas --------------------------------------------------------------------


def test_only_published_comments_are_shown_under_their_item_or_stage() -> None:
    vision = stage(report("en"), "vision")
    v1 = next(i for i in vision["items"] if i["key"] == "v1")
    assert [(c["text"], c["group"]) for c in v1["comments"]] == [("สวยงาม", "Residents")]
    assert [c["text"] for c in vision["comments"]] == ["ภาพรวมดี"]
    assert stage(report(), "goals")["items"][1]["comments"] == []
    assert report()["summary"]["comments"] == 2


def test_only_approved_ideas_are_shown_and_their_items_marked() -> None:
    projects = stage(report("en"), "projects")
    assert [i["title"] for i in projects["ideas"]] == ["ตลาดนัดชุมชน"]
    assert next(i for i in projects["items"] if i["key"] == "p4")["idea_group"] == "Civil society"
    assert report()["summary"]["ideas"] == 1


def test_comment_cap_keeps_every_comment_under_the_budget() -> None:
    comments = [{"stage": "s", "item": f"i{n % 3}"} for n in range(9)]
    assert ctx.comment_cap(comments, 9) is None
    assert ctx.comment_cap(comments, 8) == 2  # 3 items x 2 = 6 <= 8 < 9
    assert ctx.comment_cap(comments, 3) == 1


def test_many_comments_are_capped_per_item_with_a_count_of_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ctx, "COMMENT_BUDGET", 3)
    many = [
        {
            "id": n,
            "stage": "vision",
            "item": "v1",
            "group": "resident",
            "text": f"c{n}",
            "status": "published",
        }
        for n in range(5)
    ]
    many += [
        {"id": 9, "stage": "vision", "item": "v2", "group": "resident", "text": "x", "status": "published"}
    ]
    r = report(comments=many)
    v1 = next(i for i in stage(r, "vision")["items"] if i["key"] == "v1")
    # k = 2: v1 shows 2 of 5, v2 its one comment; 3 shown in all
    assert ([c["text"] for c in v1["comments"]], v1["more_comments"]) == (["c0", "c1"], 3)
    assert r["comment_cap"] == 2 and r["comments_shown"] == 3


# -- charts and participation -------------------------------------------------------------


def test_scatter_puts_feasibility_across_and_importance_up() -> None:
    scatter = stage(report("en"), "projects")["scatter"]
    assert (scatter["x_label"], scatter["y_label"]) == ("Feasibility", "Importance")
    points = {p["number"]: p for p in scatter["points"]}
    assert sorted(points) == [1, 2, 3]  # p3 has no means: not plotted
    plot = ctx.PLOT
    # p2: feasibility 5 (right edge), importance 3 (middle of 1-5)
    assert points[3]["cx"] == plot["left"] + plot["width"]
    assert points[3]["cy"] == plot["top"] + plot["height"] / 2
    assert [t["value"] for t in scatter["ticks"]] == ["1", "2", "3", "4", "5"]
    labels = [(p["lx"], p["ly"]) for p in scatter["points"]]
    assert len(set(labels)) == len(labels)


def test_scatter_axes_fall_back_to_the_first_two_criteria() -> None:
    crits = [
        {"key": "cost", "label": "Cost"},
        {"key": "impact", "label": "Impact"},
        {"key": "x", "label": "X"},
    ]
    x_axis, y_axis = ctx.scatter_axes(crits)  # type: ignore[misc]
    assert (x_axis["key"], y_axis["key"]) == ("impact", "cost")
    assert ctx.scatter_axes(crits[:1]) is None
    assert stage(report(), "vision")["scatter"] is None


def test_participation_by_group_and_by_phone_versus_paper() -> None:
    p = report("en")["participation"]
    assert [(g["label"], g["phones"], g["paper"]) for g in p["groups"]] == [
        ("Residents", 8, 4),
        ("Government", 3, 0),
        ("Civil society", 1, 0),
    ]
    assert p["total"] == 12
    assert [(s["title"], s["phone"], s["paper"]) for s in p["stages"]] == [
        ("คำเดียว", 30, 0),
        ("Projects", 8, 2),
        ("Vision", 8, 4),
        ("เป้าหมาย", 11, 0),
    ]
    assert (p["ballots"], p["paper"]) == (63, 6)


# -- formatting and CSV cells ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(None, 0, "–"), (1234, 0, "1,234"), (1234.0, 0, "1,234"), (3.456, 1, "3.5"), (2.5, 0, "2.5")],
)
def test_number_text(value: float | None, decimals: int, text: str) -> None:
    assert ctx.number_text(value, decimals) == text


def test_scores_round_to_one_decimal_for_display() -> None:
    assert (ctx.score_text(42.25), ctx.score_text(None), ctx.value_text("score", 3.456)) == (
        "42.2",
        "–",
        "3.46",
    )
    assert [ctx.heat_class(s) for s in (None, 0, 19.9, 20, 99.9, 100)] == [
        "heat-none",
        "heat-0",
        "heat-0",
        "heat-1",
        "heat-4",
        "heat-5",
    ]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_formula_cells_are_neutralised(text: str) -> None:
    assert neutralize(text) == "'" + text


def test_numbers_and_plain_text_are_left_alone() -> None:
    assert [neutralize(v) for v in (-5, 2.5, "สวัสดี", "a=b", None)] == [-5, 2.5, "สวัสดี", "a=b", ""]


def test_ballot_rows_one_per_choice() -> None:
    base = {"id": 7, "stage": "s", "source": "paper", "channel": "paper", "group": "resident", "version": 2,
            "updated_at": "T"}
    titles = {("s", "a"): "A", ("s", "b"): "B"}

    def rows(method: str, choices: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [
            tuple(r[6:11]) for r in ballot_rows({**base, "method": method, "choices": choices}, titles, 4)
        ]

    assert rows("single", {"item": "a"}) == [("a", "A", "", "", 1)]
    assert rows("approval", {"items": ["a", "b"]}) == [("a", "A", "", "", 1), ("b", "B", "", "", 1)]
    assert rows("dots", {"dots": {"a": 3}}) == [("a", "A", "", "", 3)]
    assert rows("rank", {"order": ["b", "a"]}) == [("b", "B", "", 1, 4), ("a", "A", "", 2, 3)]
    assert rows("score", {"scores": {"a": {"importance": 5, "feasibility": 2}}}) == [
        ("a", "A", "importance", "", 5),
        ("a", "A", "feasibility", "", 2),
    ]
    assert rows("budget", {"budget": {"b": 500}}) == [("b", "B", "", "", 500)]
    assert rows("words", {"words": ["สะอาด", "green"]}) == [
        ("", "", "", "", "สะอาด"),
        ("", "", "", "", "green"),
    ]
    first = ballot_rows({**base, "method": "single", "choices": {"item": "a"}}, titles, 4).__next__()
    assert first[:6] == ["s", "single", 7, "paper", "paper", "resident"] and first[-2:] == [2, "T"]


def test_pdf_fonts_carry_the_text_extraction_fixes() -> None:
    from fontTools.ttLib import TTFont

    from workshop.export.fonts import FONTS

    for weight in (400, 700):
        thai = TTFont(FONTS / f"sarabun-thai-{weight}.ttf")
        assert {"uni0E32.am", "uni0E32.am48", "uni0E32.am49", "uni0E32.am4A", "uni0E32.am4B"} <= set(
            thai.getGlyphOrder()
        )
        assert "GPOS" not in thai
        assert 0x0E33 in thai.getBestCmap()
        assert 0x0041 in TTFont(FONTS / f"sarabun-latin-{weight}.ttf").getBestCmap()
    assert (FONTS / "OFL.txt").read_text().startswith("Copyright")
