"""The builder's pure parts: typed numbers and dates, definition steps, the checklist, SDG data."""

from __future__ import annotations

import copy

import pytest

from tests.factories import workshop_object
from workshop.domain import builder, checklist, sdgs
from workshop.domain.entry import EntryError, parse_date, parse_number, parse_year, thai_date
from workshop.domain.workshop_file import parse_workshop

# -- numbers and dates as typed -------------------------------------------------


@pytest.mark.parametrize(("typed", "value"), [
    ("2,500,000", 2_500_000), ("๒,๕๐๐,๐๐๐", 2_500_000), (" 1500 ", 1500), ("๗", 7), ("1.5", 1.5),
    ("3.0", 3), ("", None), ("  ", None), ("500,000 บาท", 500_000), ("-2", -2),
])
def test_numbers_as_people_type_them(typed: str, value: object) -> None:
    assert parse_number(typed) == value


@pytest.mark.parametrize("typed", ["1,5", "12,34,567", "abc", "5 dots", "1.2.3", "١٢"])
def test_numbers_that_cannot_be_read(typed: str) -> None:
    with pytest.raises(EntryError) as found:
        parse_number(typed)
    assert found.value.code == "number"


def test_whole_numbers() -> None:
    assert parse_number("๕", whole=True) == 5
    with pytest.raises(EntryError) as found:
        parse_number("2.5", whole=True)
    assert found.value.code == "whole_number"


@pytest.mark.parametrize(("typed", "iso"), [
    ("2026-12-05", "2026-12-05"), ("2569-12-05", "2026-12-05"), ("5/12/2569", "2026-12-05"),
    ("5/12/2026", "2026-12-05"), ("๕/๑๒/๒๕๖๙", "2026-12-05"), ("05.12.2569", "2026-12-05"), ("", None),
])
def test_dates_with_buddhist_era_years(typed: str, iso: str | None) -> None:
    assert parse_date(typed) == iso


@pytest.mark.parametrize("typed", ["31/2/2569", "12/2569", "tomorrow", "2569-13-01"])
def test_dates_that_cannot_be_read(typed: str) -> None:
    with pytest.raises(EntryError):
        parse_date(typed)


@pytest.mark.parametrize(
    ("typed", "year"),
    [("2570", "2570"), ("๒๕๗๐", "2570"), ("2027", "2570"), ("พ.ศ. 2571", "2571"), (" ", None), ("", None)],
)
def test_budget_years_in_the_buddhist_era(typed: str, year: str | None) -> None:
    assert parse_year(typed) == year


@pytest.mark.parametrize("typed", ["70", "25700", "3000", "1800", "2570.5", "ปี 2570", "2,570"])
def test_years_that_cannot_be_read(typed: str) -> None:
    with pytest.raises(EntryError) as caught:
        parse_year(typed)
    assert caught.value.code == "year"


def test_thai_date_shows_the_buddhist_era() -> None:
    assert thai_date("2026-12-05") == "5/12/2569"
    assert thai_date(None) == ""


# -- building a definition ---------------------------------------------------------


def test_blank_is_valid_in_one_or_two_languages() -> None:
    one = builder.blank("เวทีใหม่", ["th"])
    assert parse_workshop(one).to_json()["title"] == "เวทีใหม่"
    assert one["groups"][0]["label"] == "ประชาชน"
    two = builder.blank({"th": "", "en": "New"}, ["en", "th"])
    assert parse_workshop(two).to_json()["title"] == {"en": "New"}
    assert builder.blank(None, ["th"])["title"] == "เวทีใหม่"


@pytest.mark.parametrize("method", builder.METHODS)
def test_every_method_gets_valid_defaults(method: str) -> None:
    stage = builder.new_stage(method, "s", {"th": "ขั้นตอน", "en": "Stage"}, ["th", "en"])
    if method != "words":
        stage["items"] = [{"key": "a", "title": "A"}]
    definition = {**builder.blank("t", ["th", "en"]), "stages": [stage]}
    parsed = parse_workshop(definition).to_json()["stages"][0]
    assert parsed["method"] == method
    for option, value in builder.METHOD_DEFAULTS[method].items():
        assert parsed[option] == value


def test_changing_the_method_resets_the_options() -> None:
    stage = builder.new_stage("dots", "s", "S", ["th"])
    stage["dots"] = 9
    score = builder.with_method(stage, "score", ["th"])
    assert score["dots"] is None and [c["label"] for c in score["criteria"]] == ["ความสำคัญ", "ความเป็นไปได้"]
    assert builder.with_method(stage, "dots", ["th"])["dots"] == 9  # same method: kept


def test_keys_moves_and_slugs() -> None:
    assert builder.new_key(["g1", "g2"], "g") == "g3"
    assert builder.new_key([], "projects") == "projects"
    assert builder.new_key(["projects"], "projects") == "projects1"
    assert builder.slug("Private sector!") == "private-sector"
    entries = [1, 2, 3]
    assert builder.move(entries, 2, -1) and entries == [1, 3, 2]
    assert not builder.move(entries, 0, -1) and entries == [1, 3, 2]


def test_set_languages_keeps_texts_valid() -> None:
    definition = parse_workshop(workshop_object()).to_json()
    thai_only = builder.set_languages(definition, ["th"])
    parsed = parse_workshop(thai_only).to_json()
    assert parsed["title"] == "แผนพัฒนาเมืองทดสอบ"
    assert parsed["stages"][0]["items"][0]["title"] == "วิสัยทัศน์ 1"
    english_first = builder.set_languages(definition, ["en", "th"])
    assert parse_workshop(english_first).to_json()["title"] == {
        "en": "Test city plan", "th": "แผนพัฒนาเมืองทดสอบ"}


def test_goal_choices_come_from_goals_stages() -> None:
    definition = parse_workshop(workshop_object()).to_json()
    assert [key for key, _title in builder.goal_choices(definition)] == ["g1", "g2", "g3"]


# -- the checklist -----------------------------------------------------------------


def codes(findings: list[checklist.Finding]) -> list[tuple[str, dict[str, str]]]:
    return [(f.code, f.where) for f in findings]


def test_checklist_findings() -> None:
    obj = workshop_object()
    obj["stages"][1]["items"] = []
    for item in obj["stages"][2]["items"]:
        item["goal"] = None
    obj["stages"][1]["title"] = "Goals"  # English only... as a plain text: the first language only
    obj["groups"][0]["label"] = {"th": "ประชาชน"}
    found = checklist.check(parse_workshop(obj).to_json(), "http://192.168.1.20:5000/j/ABC")
    assert ("no_items", {"stage": "goals"}) in codes(found)
    assert ("never_shown", {"stage": "words"}) in codes(found)
    missing = [f for f in found if f.code == "missing_text"]
    assert {f.params["loc"] for f in missing} >= {"groups[0].label", "stages[1].title", "stages[2].title"}
    assert all(f.params["languages"] == ["en"] for f in missing)
    assert not [f for f in found if f.code == "loopback_url"]


def test_a_one_language_workshop_misses_no_translation() -> None:
    definition = builder.blank("เวที", ["th"])
    assert checklist.check(definition, "http://10.0.0.5/j/X") == []


@pytest.mark.parametrize(("listen_host", "cause"), [
    ("127.0.0.1", "listen"), ("localhost", "listen"), ("::1", "listen"),
    ("0.0.0.0", "setting"), ("192.168.1.20", "setting"), (None, "setting"),
])
def test_a_loopback_join_address_says_what_to_change(listen_host: str | None, cause: str) -> None:
    blank = builder.blank("เวที", ["th"])
    found = checklist.check(blank, "http://127.0.0.1:5000/j/X", listen_host=listen_host)
    assert [(f.code, f.params) for f in found] == [
        ("loopback_url", {"url": "http://127.0.0.1:5000/j/X", "cause": cause})]


@pytest.mark.parametrize(("url", "loopback"), [
    ("http://127.0.0.1:5000/j/X", True), ("http://localhost/j/X", True), ("http://[::1]:5000/j/X", True),
    ("http://127.1.2.3/j/X", True), ("http://192.168.1.20:5000/j/X", False),
    ("https://ruam.example.go.th/j/X", False),
])
def test_loopback_join_addresses(url: str, loopback: bool) -> None:
    assert checklist.is_loopback(url) is loopback


# -- SDG data ------------------------------------------------------------------------


def test_sdg_data_has_17_goals_and_169_targets_with_thai_names() -> None:
    goals = sdgs.goals()
    assert [g["code"] for g in goals] == [str(n) for n in range(1, 18)]
    assert sum(len(g["targets"]) for g in goals) == 169
    assert all(g["th"] and g["en"] for g in goals)
    assert goals[10]["th"] == "เมืองและชุมชนที่ยั่งยืน"
    assert {"11.2", "6.b", "17.19", "8.10"} <= sdgs.codes()
    data = copy.deepcopy(workshop_object())
    data["stages"][2]["items"][0]["sdgs"] = sorted(sdgs.codes())[:20]
    parse_workshop(data)  # every code is one the schema accepts


@pytest.mark.parametrize(("url", "local"), [
    ("http://192.168.1.20:5000/j/X", True), ("http://10.0.0.5/j/X", True), ("http://127.0.0.1/j/X", True),
    ("http://[fe80::1]/j/X", True), ("http://ruamkit/j/X", True), ("http://ruamkit.local/j/X", True),
    ("https://ruamkit.example.go.th/j/X", False), ("http://203.0.113.7.nip.io/j/X", False),
])
def test_links_residents_at_home_cannot_open(url: str, local: bool) -> None:
    assert checklist.is_local_only(url) is local
