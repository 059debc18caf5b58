"""Workshop-file validation (contract section 1): workshop/domain/workshop_file.py."""

import copy
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workshop.domain.workshop_file import LIMITS, DefinitionError, load_workshop_text, parse_workshop

Doc = dict[str, Any]

STAGE_KEYS = [
    "key", "kind", "title", "prompt", "method", "max_choices", "dots", "max_per_item",
    "criteria", "scale", "budget", "max_words", "show_results", "allow_comments",
    "allow_ideas", "items",
]  # fmt: skip
ITEM_KEYS = ["key", "title", "description", "goal", "horizon", "budget", "sdgs", "indicator"]


def minimal() -> Doc:
    return {
        "title": "แผนพัฒนาเมือง",
        "groups": [{"key": "resident", "label": "ประชาชน"}],
        "stages": [
            {
                "key": "vision",
                "kind": "vision",
                "title": "วิสัยทัศน์",
                "method": "single",
                "items": [{"key": "v1", "title": "เมืองน่าอยู่"}, {"key": "v2", "title": "เมืองสีเขียว"}],
            }
        ],
    }


def full() -> Doc:
    """One stage of every method, with goals to refer to."""
    items = [{"key": "p1", "title": "โครงการหนึ่ง"}, {"key": "p2", "title": "โครงการสอง"}]
    return {
        "title": {"th": "แผนพัฒนาเมือง", "en": "City plan"},
        "city": "เทศบาลเมืองระนอง",
        "date": "2026-12-05",
        "languages": ["th", "en"],
        "join": "tokens",
        "moderation": "post",
        "groups": [{"key": "resident", "label": {"th": "ประชาชน", "en": "Residents"}}],
        "stages": [
            {"key": "single", "kind": "vision", "title": "t", "method": "single", "items": items},
            {"key": "approval", "kind": "vision", "title": "t", "method": "approval",
             "max_choices": 2, "items": items},
            {"key": "goals", "kind": "goals", "title": "t", "method": "dots", "dots": 5,
             "max_per_item": 3, "items": [{"key": "g1", "title": "เป้าหมาย"}]},
            {"key": "rank", "kind": "goals", "title": "t", "method": "rank", "items": items},
            {"key": "score", "kind": "projects", "title": "t", "method": "score",
             "criteria": [{"key": "importance", "label": "ความสำคัญ", "weight": 2},
                          {"key": "feasibility", "label": "ความเป็นไปได้"}],
             "scale": {"min": 0, "max": 10},
             "items": [{"key": "p1", "title": "t", "goal": "g1", "horizon": "short",
                        "budget": 2_500_000, "sdgs": ["11.2", "6", "6.b"],
                        "description": {"en": "d"}, "indicator": "i"}]},
            {"key": "budget", "kind": "projects", "title": "t", "method": "budget",
             "budget": 10_000_000, "items": items},
            {"key": "words", "kind": "other", "title": "t", "method": "words", "max_words": 2},
        ],
    }  # fmt: skip


def errors(data: object) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        parse_workshop(data)
    return [(e["loc"], e["message"]) for e in caught.value.errors]


def yaml_errors(text: str | bytes) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_workshop_text(text)
    return [(e["loc"], e["message"]) for e in caught.value.errors]


def stage(doc: Doc, index: int = 0) -> Doc:
    return doc["stages"][index]


def item(doc: Doc, index: int = 0) -> Doc:
    return doc["stages"][0]["items"][index]


def make(method: str, **fields: Any) -> Callable[[Doc], None]:
    """A patch that turns stage 0 into a stage of ``method`` with ``fields``."""

    def patch(doc: Doc) -> None:
        stage(doc)["method"] = method
        stage(doc).update(fields)

    return patch


def setter(target: Callable[[Doc], Doc], **fields: Any) -> Callable[[Doc], None]:
    return lambda doc: target(doc).update(fields)


def remover(target: Callable[[Doc], Doc], name: str) -> Callable[[Doc], None]:
    return lambda doc: target(doc).pop(name)


def top(doc: Doc) -> Doc:
    return doc


def group(doc: Doc) -> Doc:
    return doc["groups"][0]


def criterion(doc: Doc) -> Doc:
    return doc["stages"][0]["criteria"][0]


def score_stage(**fields: Any) -> Callable[[Doc], None]:
    base = {"criteria": [{"key": "c", "label": "ค"}]}
    return make("score", **(base | fields))


def goals_first(doc: Doc) -> None:
    """Adds a goals stage with item g1 in front."""
    doc["stages"].insert(
        0,
        {"key": "goals", "kind": "goals", "title": "t", "method": "dots", "dots": 3,
         "items": [{"key": "g1", "title": "เป้าหมาย"}]},
    )  # fmt: skip


# ---------------------------------------------------------------------------
# Accepted files and the normalized output
# ---------------------------------------------------------------------------


def test_minimal_file_is_accepted_with_defaults() -> None:
    result = parse_workshop(minimal()).to_json()
    assert result["title"] == "แผนพัฒนาเมือง"
    assert result["city"] is None and result["date"] is None
    assert result["languages"] == ["th"]
    assert result["join"] == "open"
    assert result["moderation"] == "pre"
    assert result["groups"] == [{"key": "resident", "label": "ประชาชน"}]
    only = result["stages"][0]
    assert list(only) == STAGE_KEYS
    assert only["prompt"] is None
    assert only["show_results"] == "after_close"
    assert only["allow_comments"] is True and only["allow_ideas"] is False
    assert only["criteria"] == [] and only["scale"] is None and only["max_words"] is None
    assert only["items"][0] == {
        "key": "v1", "title": "เมืองน่าอยู่", "description": None, "goal": None,
        "horizon": None, "budget": None, "sdgs": [], "indicator": None,
    }  # fmt: skip


def test_every_method_normalizes_to_the_same_shape() -> None:
    result = parse_workshop(full()).to_json()
    assert json.loads(json.dumps(result)) == result
    assert list(result) == [
        "title", "city", "date", "languages", "join", "moderation", "groups", "stages",
    ]  # fmt: skip
    by_key = {s["key"]: s for s in result["stages"]}
    for normalized in result["stages"]:
        assert list(normalized) == STAGE_KEYS
        for entry in normalized["items"]:
            assert list(entry) == ITEM_KEYS
    assert by_key["single"]["max_choices"] is None
    assert by_key["approval"]["max_choices"] == 2
    assert (by_key["goals"]["dots"], by_key["goals"]["max_per_item"]) == (5, 3)
    assert by_key["score"]["criteria"] == [
        {"key": "importance", "label": "ความสำคัญ", "weight": 2},
        {"key": "feasibility", "label": "ความเป็นไปได้", "weight": 1},
    ]
    assert by_key["score"]["scale"] == {"min": 0, "max": 10}
    assert by_key["score"]["items"][0]["sdgs"] == ["11.2", "6", "6.b"]
    assert by_key["score"]["items"][0]["budget"] == 2_500_000
    assert by_key["budget"]["budget"] == 10_000_000
    assert by_key["words"]["max_words"] == 2
    assert by_key["words"]["items"] == []
    for key in ("single", "approval", "goals", "rank", "budget", "words"):
        assert by_key[key]["scale"] is None and by_key[key]["criteria"] == []
    assert result["title"] == {"th": "แผนพัฒนาเมือง", "en": "City plan"}


def test_option_defaults() -> None:
    doc = full()
    del stage(doc, 2)["max_per_item"]
    del stage(doc, 4)["scale"]
    del stage(doc, 6)["max_words"]
    del stage(doc, 1)["max_choices"]
    result = parse_workshop(doc).to_json()["stages"]
    assert result[2]["max_per_item"] is None  # means: as many as dots
    assert result[4]["scale"] == {"min": 1, "max": 5}
    assert result[6]["max_words"] == 3
    assert result[1]["max_choices"] is None  # means: all


def test_normalized_output_parses_to_itself() -> None:
    for doc in (minimal(), full()):
        once = parse_workshop(doc).to_json()
        assert parse_workshop(copy.deepcopy(once)).to_json() == once


def test_input_is_not_modified() -> None:
    doc = full()
    before = copy.deepcopy(doc)
    parse_workshop(doc)
    assert doc == before


def test_texts_are_stripped() -> None:
    doc = minimal()
    doc["title"] = "  แผนพัฒนาเมือง \n"
    item(doc)["description"] = {"th": "บรรทัดหนึ่ง\nบรรทัดสอง\n"}
    result = parse_workshop(doc).to_json()
    assert result["title"] == "แผนพัฒนาเมือง"
    assert result["stages"][0]["items"][0]["description"] == {"th": "บรรทัดหนึ่ง\nบรรทัดสอง"}


def test_stage_without_items_is_allowed_when_it_takes_ideas() -> None:
    doc = minimal()
    stage(doc)["items"] = []
    stage(doc)["allow_ideas"] = True
    assert parse_workshop(doc).to_json()["stages"][0]["items"] == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 12, 5), "2026-12-05"),
        ("2026-12-05", "2026-12-05"),
        ("2028-02-29", "2028-02-29"),
        (None, None),
    ],
)
def test_date_is_normalized(value: object, expected: str | None) -> None:
    doc = minimal()
    doc["date"] = value
    assert parse_workshop(doc).to_json()["date"] == expected


def test_yaml_date_is_normalized() -> None:
    text = "title: t\ndate: 2026-12-05\ngroups: [{key: a, label: A}]\n"
    text += "stages: [{key: w, kind: other, title: W, method: words}]\n"
    assert load_workshop_text(text).to_json()["date"] == "2026-12-05"


# ---------------------------------------------------------------------------
# Rules: each broken rule gives its location and message
# ---------------------------------------------------------------------------

LONG_TITLE = "ก" * (LIMITS["title_chars"] + 1)
KEY_RULE = "must match [a-z0-9_-]{1,32}"
TEXT_TYPE = "must be a text or a map from language to text"
METHOD_CHOICES = "must be one of single, approval, dots, rank, score, budget, words"
NEEDS_ITEMS = "must list at least one item, unless allow_ideas is true"
SDG_RULE = "must be an SDG goal 1-17 or target like 11.2 or 6.b"
YAML_BOOL = " (yes, no, on, off, true and false need quotes in YAML)"
UNQUOTE = " (write it without quotes)"
#: pydantic's union tags and dict-key markers, which must not reach a location
INTERNAL_LOC = re.compile(r"§(text|map|any|single|approval|dots|rank|score|budget|words)|\[key\]")

RULES = [
    # top level
    ("unknown-field", setter(top, colour="red"), "colour", "unknown field 'colour'"),
    ("title-missing", remover(top, "title"), "title", "field required"),
    ("title-empty", setter(top, title=""), "title", "must not be empty"),
    ("title-blank", setter(top, title="  \n"), "title", "must not be empty"),
    ("title-too-long", setter(top, title=LONG_TITLE), "title", "must be at most 200 characters"),
    ("title-number", setter(top, title=2026), "title", TEXT_TYPE),
    ("title-list", setter(top, title=["a"]), "title", TEXT_TYPE),
    ("title-bool", setter(top, title=True), "title", TEXT_TYPE + YAML_BOOL),
    ("title-empty-map", setter(top, title={}), "title", "must not be empty"),
    ("title-unknown-language", setter(top, title={"fr": "x"}), "title.fr",
     "language 'fr' is not in languages"),
    ("title-language-not-declared", setter(top, title={"th": "ก", "en": "x"}), "title.en",
     "language 'en' is not in languages"),
    ("title-map-empty-text", setter(top, title={"th": " "}), "title.th", "must not be empty"),
    ("title-map-number", setter(top, title={"th": 5}), "title.th", "must be a string"),
    ("title-map-long", setter(top, title={"th": LONG_TITLE}), "title.th",
     "must be at most 200 characters"),
    ("city-too-long", setter(top, city=LONG_TITLE), "city", "must be at most 200 characters"),
    ("date-format", setter(top, date="05/12/2026"), "date", "must be a date like 2026-12-05"),
    ("date-impossible", setter(top, date="2026-02-30"), "date", "must be a date like 2026-12-05"),
    ("date-number", setter(top, date=20261205), "date", "must be a date like 2026-12-05"),
    ("languages-empty", setter(top, languages=[]), "languages", "must have at least 1 entry"),
    ("languages-string", setter(top, languages="th"), "languages", "must be a list"),
    ("languages-unknown", setter(top, languages=["th", "fr"]), "languages[1]",
     "must be one of th, en"),
    ("languages-duplicate", setter(top, languages=["th", "th"]), "languages[1]",
     "duplicate language 'th'"),
    ("join", setter(top, join="closed"), "join", "must be one of open, tokens"),
    ("moderation", setter(top, moderation="none"), "moderation", "must be one of pre, post"),
    # groups
    ("groups-missing", remover(top, "groups"), "groups", "field required"),
    ("groups-empty", setter(top, groups=[]), "groups", "must have at least 1 entry"),
    ("groups-too-many", setter(top, groups=[{"key": f"g{i}", "label": "x"} for i in range(21)]),
     "groups", "must have at most 20 entries"),
    ("groups-mapping", setter(top, groups={"resident": "x"}), "groups", "must be a list"),
    ("group-not-mapping", setter(top, groups=["resident"]), "groups[0]", "must be a mapping"),
    ("group-key-upper", setter(group, key="Resident"), "groups[0].key", KEY_RULE),
    ("group-key-space", setter(group, key="a b"), "groups[0].key", KEY_RULE),
    ("group-key-newline", setter(group, key="a\n"), "groups[0].key", KEY_RULE),
    ("group-key-thai", setter(group, key="ประชาชน"), "groups[0].key", KEY_RULE),
    ("group-key-too-long", setter(group, key="a" * 33), "groups[0].key", KEY_RULE),
    ("group-key-empty", setter(group, key=""), "groups[0].key", KEY_RULE),
    ("group-key-number", setter(group, key=5), "groups[0].key", "must be a string"),
    ("group-key-bool", setter(group, key=False), "groups[0].key", "must be a string" + YAML_BOOL),
    ("group-label-missing", remover(group, "label"), "groups[0].label", "field required"),
    ("group-unknown-field", setter(group, colour="red"), "groups[0].colour",
     "unknown field 'colour'"),
    ("group-duplicate", lambda d: d["groups"].append({"key": "resident", "label": "x"}),
     "groups[1].key", "duplicate group key 'resident'"),
    # stages
    ("stages-missing", remover(top, "stages"), "stages", "field required"),
    ("stages-empty", setter(top, stages=[]), "stages", "must have at least 1 entry"),
    ("stage-not-mapping", setter(top, stages=["vision"]), "stages[0]", "must be a mapping"),
    ("stage-duplicate", lambda d: d["stages"].append(copy.deepcopy(stage(d))), "stages[1].key",
     "duplicate stage key 'vision'"),
    ("stage-key", setter(stage, key="Vision 1"), "stages[0].key", KEY_RULE),
    ("stage-key-missing", remover(stage, "key"), "stages[0].key", "field required"),
    ("stage-kind-missing", remover(stage, "kind"), "stages[0].kind", "field required"),
    ("stage-kind", setter(stage, kind="plan"), "stages[0].kind",
     "must be one of vision, goals, projects, ideas, other"),
    ("stage-title-missing", remover(stage, "title"), "stages[0].title", "field required"),
    ("stage-title-long", setter(stage, title=LONG_TITLE), "stages[0].title",
     "must be at most 200 characters"),
    ("stage-prompt-long", setter(stage, prompt="ก" * 1001), "stages[0].prompt",
     "must be at most 1000 characters"),
    ("stage-method-missing", remover(stage, "method"), "stages[0].method", "field required"),
    ("stage-method", setter(stage, method="vote"), "stages[0].method", METHOD_CHOICES),
    ("stage-method-number", setter(stage, method=1), "stages[0].method", METHOD_CHOICES),
    ("stage-show-results", setter(stage, show_results="sometimes"), "stages[0].show_results",
     "must be one of live, after_close, never"),
    ("stage-allow-comments", setter(stage, allow_comments="yes"), "stages[0].allow_comments",
     "must be true or false"),
    ("stage-allow-ideas", setter(stage, allow_ideas=1), "stages[0].allow_ideas",
     "must be true or false"),
    ("stage-unknown-field", setter(stage, colour="red"), "stages[0].colour",
     "unknown field 'colour'"),
    ("stage-items-mapping", setter(stage, items={"v1": "x"}), "stages[0].items", "must be a list"),
    ("stage-items-empty", setter(stage, items=[]), "stages[0].items", NEEDS_ITEMS),
    ("stage-items-missing", remover(stage, "items"), "stages[0].items", NEEDS_ITEMS),
    ("rank-items-empty", make("rank", items=[]), "stages[0].items", NEEDS_ITEMS),
    ("stage-items-too-many",
     setter(stage, items=[{"key": f"i{i}", "title": "t"} for i in range(201)]),
     "stages[0].items", "must have at most 200 entries"),
    # options of another method
    ("single-max-choices", setter(stage, max_choices=1), "stages[0].max_choices",
     "not allowed for method single"),
    ("approval-dots", make("approval", dots=3), "stages[0].dots", "not allowed for method approval"),
    ("approval-max-per-item", make("approval", max_per_item=3), "stages[0].max_per_item",
     "not allowed for method approval"),
    ("rank-criteria", make("rank", criteria=[{"key": "c", "label": "c"}]), "stages[0].criteria",
     "not allowed for method rank"),
    ("dots-scale", make("dots", dots=3, scale={"min": 1, "max": 5}), "stages[0].scale",
     "not allowed for method dots"),
    ("single-budget", setter(stage, budget=1000), "stages[0].budget",
     "not allowed for method single"),
    ("rank-max-words", make("rank", max_words=3), "stages[0].max_words",
     "not allowed for method rank"),
    ("score-max-choices", score_stage(max_choices=2), "stages[0].max_choices",
     "not allowed for method score"),
    # approval
    ("max-choices-zero", make("approval", max_choices=0), "stages[0].max_choices",
     "must be between 1 and 200"),
    ("max-choices-over-items", make("approval", max_choices=3), "stages[0].max_choices",
     "must be between 1 and 2"),
    ("max-choices-text", make("approval", max_choices="2"), "stages[0].max_choices",
     "must be a whole number" + UNQUOTE),
    ("max-choices-bool", make("approval", max_choices=True), "stages[0].max_choices",
     "must be a whole number"),
    ("max-choices-float", make("approval", max_choices=1.5), "stages[0].max_choices",
     "must be a whole number"),
    # dots
    ("dots-missing", make("dots"), "stages[0].dots", "required for method dots"),
    ("dots-zero", make("dots", dots=0), "stages[0].dots", "must be between 1 and 1000"),
    ("dots-too-many", make("dots", dots=1001), "stages[0].dots", "must be between 1 and 1000"),
    ("dots-float", make("dots", dots=2.0), "stages[0].dots", "must be a whole number"),
    ("max-per-item-over-dots", make("dots", dots=5, max_per_item=6), "stages[0].max_per_item",
     "must be between 1 and 5 (dots)"),
    ("max-per-item-zero", make("dots", dots=5, max_per_item=0), "stages[0].max_per_item",
     "must be between 1 and 1000"),
    # score
    ("criteria-missing", make("score"), "stages[0].criteria", "required for method score"),
    ("criteria-empty", make("score", criteria=[]), "stages[0].criteria",
     "must have at least 1 entry"),
    ("criteria-too-many",
     make("score", criteria=[{"key": f"c{i}", "label": "c"} for i in range(11)]),
     "stages[0].criteria", "must have at most 10 entries"),
    ("criterion-duplicate",
     make("score", criteria=[{"key": "c", "label": "a"}, {"key": "c", "label": "b"}]),
     "stages[0].criteria[1].key", "duplicate criterion key 'c'"),
    ("criterion-key", make("score", criteria=[{"key": "C!", "label": "a"}]),
     "stages[0].criteria[0].key", KEY_RULE),
    ("criterion-label-missing", make("score", criteria=[{"key": "c"}]),
     "stages[0].criteria[0].label", "field required"),
    ("criterion-label-long", make("score", criteria=[{"key": "c", "label": LONG_TITLE}]),
     "stages[0].criteria[0].label", "must be at most 200 characters"),
    ("criterion-weight-zero", make("score", criteria=[{"key": "c", "label": "a", "weight": 0}]),
     "stages[0].criteria[0].weight", "must be greater than 0"),
    ("criterion-weight-negative",
     make("score", criteria=[{"key": "c", "label": "a", "weight": -1.5}]),
     "stages[0].criteria[0].weight", "must be greater than 0"),
    ("criterion-weight-text", make("score", criteria=[{"key": "c", "label": "a", "weight": "2"}]),
     "stages[0].criteria[0].weight", "must be a number" + UNQUOTE),
    ("criterion-weight-bool", make("score", criteria=[{"key": "c", "label": "a", "weight": True}]),
     "stages[0].criteria[0].weight", "must be a number"),
    ("criterion-weight-huge", make("score", criteria=[{"key": "c", "label": "a", "weight": 101}]),
     "stages[0].criteria[0].weight", "must be at most 100"),
    ("criterion-unknown-field", make("score", criteria=[{"key": "c", "label": "a", "w": 1}]),
     "stages[0].criteria[0].w", "unknown field 'w'"),
    ("scale-min-max", score_stage(scale={"min": 5, "max": 1}), "stages[0].scale",
     "min must be less than max"),
    ("scale-equal", score_stage(scale={"min": 3, "max": 3}), "stages[0].scale",
     "min must be less than max"),
    ("scale-max-missing", score_stage(scale={"min": 1}), "stages[0].scale.max", "field required"),
    ("scale-float", score_stage(scale={"min": 1, "max": 4.5}), "stages[0].scale.max",
     "must be a whole number"),
    ("scale-huge", score_stage(scale={"min": 1, "max": 5000}), "stages[0].scale.max",
     "must be between -1000 and 1000"),
    ("scale-unknown-field", score_stage(scale={"min": 1, "max": 5, "step": 1}),
     "stages[0].scale.step", "unknown field 'step'"),
    ("scale-list", score_stage(scale=[1, 5]), "stages[0].scale", "must be a mapping"),
    # budget
    ("budget-missing", make("budget"), "stages[0].budget", "required for method budget"),
    ("budget-zero", make("budget", budget=0), "stages[0].budget",
     "must be between 1 and 1,000,000,000,000"),
    ("budget-text", make("budget", budget="10000000"), "stages[0].budget",
     "must be a whole number" + UNQUOTE),
    ("budget-float", make("budget", budget=1e7), "stages[0].budget", "must be a whole number"),
    # words
    ("words-items", make("words"), "stages[0].items", "a words stage lists no items"),
    ("words-ideas", make("words", items=[], allow_ideas=True), "stages[0].allow_ideas",
     "not allowed for method words"),
    ("max-words-zero", make("words", items=[], max_words=0), "stages[0].max_words",
     "must be between 1 and 10"),
    ("max-words-eleven", make("words", items=[], max_words=11), "stages[0].max_words",
     "must be between 1 and 10"),
    # items
    ("item-not-mapping", setter(stage, items=["v1"]), "stages[0].items[0]", "must be a mapping"),
    ("item-key-missing", remover(item, "key"), "stages[0].items[0].key", "field required"),
    ("item-key", setter(item, key="V1"), "stages[0].items[0].key", KEY_RULE),
    ("item-duplicate", setter(lambda d: item(d, 1), key="v1"), "stages[0].items[1].key",
     "duplicate item key 'v1'"),
    ("item-title-missing", remover(item, "title"), "stages[0].items[0].title", "field required"),
    ("item-title-long", setter(item, title=LONG_TITLE), "stages[0].items[0].title",
     "must be at most 200 characters"),
    ("item-description-long", setter(item, description="ก" * 2001),
     "stages[0].items[0].description", "must be at most 2000 characters"),
    ("item-indicator-long", setter(item, indicator="ก" * 501), "stages[0].items[0].indicator",
     "must be at most 500 characters"),
    ("item-description-language", setter(item, description={"en": "x"}),
     "stages[0].items[0].description.en", "language 'en' is not in languages"),
    ("item-horizon", setter(item, horizon="soon"), "stages[0].items[0].horizon",
     "must be one of short, medium, long"),
    ("item-goal-unknown", setter(item, goal="g9"), "stages[0].items[0].goal",
     "unknown goal 'g9' (no goals stage has this item)"),
    ("item-goal-not-in-goals-stage", setter(item, goal="v2"), "stages[0].items[0].goal",
     "unknown goal 'v2' (no goals stage has this item)"),
    ("item-goal-number", setter(item, goal=1), "stages[0].items[0].goal", "must be a string"),
    ("item-budget-negative", setter(item, budget=-1), "stages[0].items[0].budget",
     "must be at least 0"),
    ("item-budget-text", setter(item, budget="2,500,000"), "stages[0].items[0].budget",
     "must be a number" + UNQUOTE),
    ("item-budget-infinite", setter(item, budget=float("inf")), "stages[0].items[0].budget",
     "must be a number"),
    ("item-budget-huge", setter(item, budget=10**13), "stages[0].items[0].budget",
     "must be at most 1,000,000,000,000"),
    ("item-sdgs-string", setter(item, sdgs="11"), "stages[0].items[0].sdgs", "must be a list"),
    ("item-sdg-18", setter(item, sdgs=["18"]), "stages[0].items[0].sdgs[0]", SDG_RULE),
    ("item-sdg-0", setter(item, sdgs=["0"]), "stages[0].items[0].sdgs[0]", SDG_RULE),
    ("item-sdg-deep", setter(item, sdgs=["11", "11.2.1"]), "stages[0].items[0].sdgs[1]", SDG_RULE),
    ("item-sdg-upper", setter(item, sdgs=["6.B"]), "stages[0].items[0].sdgs[0]", SDG_RULE),
    ("item-sdg-number", setter(item, sdgs=[18]), "stages[0].items[0].sdgs[0]", SDG_RULE),
    ("item-sdg-number-duplicate", setter(item, sdgs=[6, "6"]), "stages[0].items[0].sdgs[1]",
     "duplicate SDG '6'"),
    ("item-sdg-bool", setter(item, sdgs=[True]), "stages[0].items[0].sdgs[0]",
     "must be a string (yes, no, on, off, true and false need quotes in YAML)"),
    ("item-sdg-duplicate", setter(item, sdgs=["11.2", "6", "11.2"]), "stages[0].items[0].sdgs[2]",
     "duplicate SDG '11.2'"),
    ("item-sdgs-too-many", setter(item, sdgs=["11"] * 21), "stages[0].items[0].sdgs",
     "must have at most 20 entries"),
    ("item-unknown-field", setter(item, colour="red"), "stages[0].items[0].colour",
     "unknown field 'colour'"),
]  # fmt: skip


@pytest.mark.parametrize(("patch", "loc", "message"), [pytest.param(*rule[1:], id=rule[0]) for rule in RULES])
def test_rule(patch: Callable[[Doc], None], loc: str, message: str) -> None:
    doc = minimal()
    patch(doc)
    assert (loc, message) in errors(doc)


@pytest.mark.parametrize(
    "patch",
    [
        pytest.param(setter(stage, max_choices=None), id="foreign-option-null"),
        pytest.param(setter(stage, criteria=[]), id="foreign-criteria-empty"),
        pytest.param(make("approval", max_choices=2), id="max-choices-equal-items"),
        pytest.param(make("dots", dots=5, max_per_item=5), id="max-per-item-equal-dots"),
        pytest.param(score_stage(scale={"min": -2, "max": 2}), id="scale-negative"),
        pytest.param(make("score", criteria=[{"key": "c", "label": "a", "weight": 0.5}]),
                     id="criterion-weight-float"),
        pytest.param(setter(item, budget=0), id="item-budget-zero"),
        pytest.param(setter(item, budget=1234.5), id="item-budget-float"),
        pytest.param(setter(item, sdgs=["1", "17", "17.19", "6.b", "14.a"]), id="sdgs"),
        pytest.param(setter(stage, prompt=None), id="prompt-null"),
        pytest.param(setter(group, key="a" * 32), id="key-32-chars"),
        pytest.param(setter(group, key="civil_society-2"), id="key-chars"),
        pytest.param(goals_first, id="goals-stage"),
        pytest.param(lambda d: (goals_first(d), stage(d, 1)["items"][0].update(goal="g1")),
                     id="goal-reference"),
        pytest.param(lambda d: (goals_first(d), stage(d, 0)["items"][0].update(goal="g1")),
                     id="goal-in-goals-stage"),
        pytest.param(lambda d: d["stages"].append(
            {"key": "w", "kind": "other", "title": "t", "method": "words"}), id="words-no-items"),
    ],
)  # fmt: skip
def test_valid_variants(patch: Callable[[Doc], None]) -> None:
    doc = minimal()
    patch(doc)
    parse_workshop(doc)


def test_rule_messages_are_plain_english() -> None:
    """No pydantic wording, union tags or internal markers reach the user."""
    for _name, patch, _loc, _message in RULES:
        doc = minimal()
        patch(doc)
        for loc, message in errors(doc):
            assert "should" not in message.lower() and "input" not in message.lower()
            assert not INTERNAL_LOC.search(loc)
            assert message and message[0].islower()


# ---------------------------------------------------------------------------
# Reporting: all errors, in document order, all-or-nothing
# ---------------------------------------------------------------------------


def test_all_errors_are_reported_in_document_order() -> None:
    doc = full()
    doc["colour"] = "red"  # last key of the top level
    doc["title"] = {"fr": "x"}
    stage(doc, 1)["max_choices"] = 9
    stage(doc, 4)["items"][0]["horizon"] = "soon"
    stage(doc, 4)["items"][0]["goal"] = "g9"
    stage(doc, 4)["criteria"][1]["key"] = "importance"
    stage(doc, 6)["items"] = [{"key": "x", "title": "x"}]
    del stage(doc, 5)["budget"]
    doc["groups"].append({"key": "resident", "label": "x"})
    assert errors(doc) == [
        ("title.fr", "language 'fr' is not in languages"),
        ("groups[1].key", "duplicate group key 'resident'"),
        ("stages[1].max_choices", "must be between 1 and 2"),
        ("stages[4].criteria[1].key", "duplicate criterion key 'importance'"),
        ("stages[4].items[0].goal", "unknown goal 'g9' (no goals stage has this item)"),
        ("stages[4].items[0].horizon", "must be one of short, medium, long"),
        ("stages[5].budget", "required for method budget"),
        ("stages[6].items", "a words stage lists no items"),
        ("colour", "unknown field 'colour'"),
    ]


def test_stage_with_unknown_method_still_has_its_other_fields_checked() -> None:
    doc = minimal()
    stage(doc)["method"] = "vote"
    stage(doc)["dots"] = 5  # not reported: which options belong is unknown
    item(doc)["horizon"] = "soon"
    assert errors(doc) == [
        ("stages[0].method", METHOD_CHOICES),
        ("stages[0].items[0].horizon", "must be one of short, medium, long"),
    ]


def test_error_string_lists_loc_and_message_per_line() -> None:
    doc = {"join": "x", **minimal()}  # join comes first in the document
    item(doc)["horizon"] = "soon"
    with pytest.raises(DefinitionError) as caught:
        parse_workshop(doc)
    assert str(caught.value) == (
        "join: must be one of open, tokens\nstages[0].items[0].horizon: must be one of short, medium, long"
    )
    assert isinstance(caught.value, ValueError)


def test_many_errors_are_capped() -> None:
    doc = minimal()
    stage(doc)["items"] = [{"key": f"i{i}", "title": "t", "horizon": "x"} for i in range(150)]
    found = errors(doc)
    assert len(found) == LIMITS["errors_reported"] + 1
    assert found[-1] == ("", "and 50 more errors")


@pytest.mark.parametrize("data", [None, [], "workshop", 5, [{"title": "x"}]])
def test_top_level_must_be_a_mapping(data: object) -> None:
    assert errors(data) == [("", "a workshop must be a mapping (title, groups, stages, ...)")]


def test_empty_mapping_lists_required_fields() -> None:
    assert errors({}) == [
        ("title", "field required"),
        ("groups", "field required"),
        ("stages", "field required"),
    ]


def test_non_string_top_level_key() -> None:
    doc: dict[Any, Any] = minimal()
    doc[1] = "x"
    assert ("1", "unknown field '1'") in errors(doc)


# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------


def test_limits_are_published() -> None:
    assert LIMITS["file_bytes"] == 1024 * 1024
    assert LIMITS["title_chars"] == 200
    assert LIMITS["prompt_chars"] == 1000
    assert LIMITS["description_chars"] == 2000
    assert LIMITS["indicator_chars"] == 500
    assert LIMITS["groups"] == 20
    assert LIMITS["stages"] == 50
    assert LIMITS["items_per_stage"] == 200
    assert LIMITS["criteria"] == 10
    assert all(isinstance(value, int) for value in LIMITS.values())


def test_limits_are_inclusive() -> None:
    doc = full()
    doc["title"] = {"th": "ก" * LIMITS["title_chars"], "en": "a" * LIMITS["title_chars"]}
    doc["city"] = "ก" * LIMITS["title_chars"]
    doc["groups"] = [{"key": f"g{i}", "label": "x"} for i in range(LIMITS["groups"])]
    first = stage(doc)
    first["prompt"] = "ก" * LIMITS["prompt_chars"]
    first["items"] = [
        {"key": f"i{i}", "title": "ก" * LIMITS["title_chars"],
         "description": "ก" * LIMITS["description_chars"],
         "indicator": "ก" * LIMITS["indicator_chars"]}
        for i in range(LIMITS["items_per_stage"])
    ]  # fmt: skip
    stage(doc, 4)["criteria"] = [{"key": f"c{i}", "label": "c"} for i in range(LIMITS["criteria"])]
    doc["stages"] += [
        {"key": f"s{i}", "kind": "other", "title": "t", "method": "words"}
        for i in range(LIMITS["stages"] - len(doc["stages"]))
    ]
    result = parse_workshop(doc).to_json()
    assert len(result["stages"]) == LIMITS["stages"]
    assert len(result["stages"][0]["items"]) == LIMITS["items_per_stage"]


def test_too_many_stages() -> None:
    doc = minimal()
    doc["stages"] = [
        {"key": f"s{i}", "kind": "other", "title": "t", "method": "words"}
        for i in range(LIMITS["stages"] + 1)
    ]
    assert errors(doc) == [("stages", "must have at most 50 entries")]


# ---------------------------------------------------------------------------
# load_workshop_text: YAML and JSON text
# ---------------------------------------------------------------------------

GOOD_YAML = """\
# a comment
title: แผนพัฒนาเมือง
groups:
  - {key: resident, label: ประชาชน}
stages:
  - key: vision
    kind: vision
    title: วิสัยทัศน์
    method: single
    items:
      - {key: v1, title: เมืองน่าอยู่}
"""


def test_yaml_text_and_bytes_load() -> None:
    expected = parse_workshop(minimal() | {"title": "แผนพัฒนาเมือง"}).to_json()
    loaded = load_workshop_text(GOOD_YAML).to_json()
    assert loaded["stages"][0]["items"][0]["title"] == "เมืองน่าอยู่"
    assert load_workshop_text(GOOD_YAML.encode()).to_json() == loaded
    assert load_workshop_text(b"\xef\xbb\xbf" + GOOD_YAML.encode()).to_json() == loaded  # BOM
    assert loaded["languages"] == expected["languages"]


def test_json_text_loads() -> None:
    doc = full()
    assert load_workshop_text(json.dumps(doc, ensure_ascii=False)).to_json() == parse_workshop(doc).to_json()
    assert load_workshop_text(json.dumps(doc, indent=2)).to_json() == parse_workshop(doc).to_json()


def test_duplicate_top_level_key_gives_its_line() -> None:
    text = GOOD_YAML + "title: อีกชื่อหนึ่ง\n"
    assert yaml_errors(text) == [("line 12", "duplicate key 'title'")]


def test_duplicate_nested_key_gives_its_path() -> None:
    text = GOOD_YAML.replace("    method: single\n", "    method: single\n    key: again\n")
    assert yaml_errors(text) == [("stages[0]", "duplicate key 'key' (line 10)")]


def test_all_duplicate_keys_are_reported() -> None:
    text = GOOD_YAML.replace("{key: v1, title: เมืองน่าอยู่}", "{key: v1, title: a, title: b}")
    text += "groups: []\n"
    assert yaml_errors(text) == [
        ("stages[0].items[0]", "duplicate key 'title' (line 11)"),
        ("line 12", "duplicate key 'groups'"),
    ]


def test_duplicate_keys_in_json_text() -> None:
    assert yaml_errors('{"title": "a", "title": "b"}') == [("line 1", "duplicate key 'title'")]


@pytest.mark.parametrize(
    ("text", "loc", "message"),
    [
        ("title: a\n  groups: x\n", "line 2",
         "a colon (:) cannot come here; put a text that contains “: ” in quotes (column 9)"),
        ("title: [a, b\ngroups: x\n", "line 2",
         "a list in [ ] is not closed with ], or its entries lack commas between them (column 7)"),
        ('title: "open\n', "line 2", "the file ends before a quote or a bracket is closed (column 1)"),
        ('{\n\t"title": "a"\n}', "line 2", "found a tab; indent with spaces (column 1)"),
        ("title: a\n---\ntitle: b\n", "line 2",
         "found a second document; a file holds one workshop (column 1)"),
        ("title: !!python/object/apply:os.system [ls]\n", "line 1",
         "the tag !!python/object/apply:os.system is not allowed in a workshop file (column 8)"),
        ("stages:\n  - key: a\n   kind: vision\n", "line 3",
         "this line's indentation does not match the lines above it (indent with spaces) (column 4)"),
        ("title: {a: 1\n", "line 2",
         "a mapping in { } is not closed with }, or its entries lack commas between them (column 1)"),
        ("title: *nope\n", "line 1", "*nope refers to no anchor &nope above it (column 8)"),
        ("title: &a x\ncity: &a y\n", "line 2", "the anchor &a is defined twice (column 7)"),
        ("title: @home\n", "line 1", "a value cannot start with “@”; put the value in quotes (column 8)"),
        ('title: "a\\qb"\n', "line 1",
         "unknown escape after a backslash in double quotes; use single quotes instead (column 11)"),
        ("title: |x\n  a\n", "line 1",
         "after | or > only +, - or a digit from 1 to 9 may follow on the same line (column 9)"),
        ("%YAML 9.9\n---\ntitle: x\n", "line 1",
         "the %YAML line at the top is not supported; delete it (column 1)"),
        ("title: a\n\x07\n", "line 2",
         "the file holds a character that is not text (U+0007); delete it"),
        ("a: &x [*x]\n", "line 1", "an alias refers to a value that contains it (column 4)"),
        ("[" * 3000 + "]" * 3000, "", "file is nested too deeply"),
        ("title: " + "9" * 5000 + "\n", "", "a number has too many digits"),
    ],
)  # fmt: skip
def test_malformed_yaml(text: str, loc: str, message: str) -> None:
    assert yaml_errors(text) == [(loc, message)]


def test_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for previous, name in zip("abcdef", "bcdefg", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    [(loc, message)] = yaml_errors("\n".join(lines))
    assert loc.startswith("line ")
    assert message.startswith("file expands to too many values")


def test_aliases_within_reason_are_fine() -> None:
    text = GOOD_YAML.replace("title: วิสัยทัศน์", "title: &t วิสัยทัศน์")
    text = text.replace("title: เมืองน่าอยู่", "title: *t")
    assert load_workshop_text(text).to_json()["stages"][0]["items"][0]["title"] == "วิสัยทัศน์"


def test_impossible_yaml_date_is_a_field_error() -> None:
    text = GOOD_YAML + "date: 2026-13-45\n"
    assert yaml_errors(text) == [("date", "must be a date like 2026-12-05")]


def test_yaml_timestamp_with_time_is_not_a_date() -> None:
    text = GOOD_YAML + "date: 2026-12-05 09:00:00\n"
    assert yaml_errors(text) == [("date", "must be a date like 2026-12-05")]


def test_yaml_booleans_get_a_hint() -> None:
    text = GOOD_YAML.replace("{key: v1,", "{key: no,")
    assert yaml_errors(text) == [("stages[0].items[0].key", "must be a string" + YAML_BOOL)]


def test_yaml_field_errors_use_paths() -> None:
    text = GOOD_YAML.replace("{key: v1, title: เมืองน่าอยู่}", "{key: v1, title: t, horizon: soon}")
    assert yaml_errors(text) == [("stages[0].items[0].horizon", "must be one of short, medium, long")]


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n", b""])
def test_empty_file(text: str | bytes) -> None:
    assert yaml_errors(text) == [("", "a workshop must be a mapping (title, groups, stages, ...)")]


def test_file_larger_than_1_mb() -> None:
    text = GOOD_YAML + "#" + "x" * LIMITS["file_bytes"] + "\n"
    assert yaml_errors(text) == [("", "file is larger than 1 MB")]
    assert yaml_errors(text.encode()) == [("", "file is larger than 1 MB")]


def test_size_limit_counts_bytes_not_characters() -> None:
    thai = "ก" * (LIMITS["file_bytes"] // 3 + 1)  # 3 bytes each in UTF-8
    assert yaml_errors(f"# {thai}\n" + GOOD_YAML) == [("", "file is larger than 1 MB")]


def test_bytes_must_be_utf8() -> None:
    assert yaml_errors(GOOD_YAML.encode("tis-620")) == [("", "file is not UTF-8 text")]


def test_filename_is_kept_on_the_error() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_workshop_text("title: [", filename="sessions/broken.yaml")
    assert caught.value.filename == "sessions/broken.yaml"
    with pytest.raises(DefinitionError) as caught:
        load_workshop_text("title: a\n", filename="sessions/incomplete.yaml")
    assert caught.value.filename == "sessions/incomplete.yaml"


# ---------------------------------------------------------------------------
# Any value anywhere: accepted, or refused with readable messages
# ---------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip


def _paths(value: object, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_any_value_anywhere_gives_readable_errors(data: st.DataObject) -> None:
    doc = full()
    path = data.draw(st.sampled_from(_paths(doc)[1:]))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = data.draw(JSON_VALUES)
    try:
        result = parse_workshop(doc).to_json()
    except DefinitionError as exc:
        assert exc.errors
        for error in exc.errors:
            assert set(error) == {"loc", "message"}
            assert not INTERNAL_LOC.search(error["loc"])
            assert "should" not in error["message"] and "Input" not in error["message"]
    else:
        assert json.loads(json.dumps(result)) == result


def test_sdgs_may_be_typed_as_numbers() -> None:
    """`sdgs: [11.2, 6]` as people type them in YAML: kept as the texts "11.2" and "6"."""
    doc = minimal()
    doc["stages"][0]["items"][0]["sdgs"] = [11.2, 6, "6.b", 17.0]
    assert parse_workshop(doc).stages[0].items[0].sdgs == ["11.2", "6", "6.b", "17"]
