"""The sample workshop files in sessions/ are valid and show off the format."""

from pathlib import Path
from typing import Any

import pytest

from workshop.domain.workshop_file import load_workshop_text

SESSIONS = Path(__file__).resolve().parents[2] / "sessions"
FILES = sorted(SESSIONS.glob("*.yaml"))
ALL_METHODS = {"single", "approval", "dots", "rank", "score", "budget", "words"}


def load(path: Path) -> dict[str, Any]:
    return load_workshop_text(path.read_bytes(), filename=path.name).to_json()


def texts(workshop: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every text field of a normalized workshop, with where it is."""
    found: list[tuple[str, Any]] = [("title", workshop["title"]), ("city", workshop["city"])]
    found += [(f"groups[{g}].label", group["label"]) for g, group in enumerate(workshop["groups"])]
    for s, stage in enumerate(workshop["stages"]):
        found += [(f"stages[{s}].title", stage["title"]), (f"stages[{s}].prompt", stage["prompt"])]
        for c, criterion in enumerate(stage["criteria"]):
            found.append((f"stages[{s}].criteria[{c}].label", criterion["label"]))
        for i, item in enumerate(stage["items"]):
            for name in ("title", "description", "indicator"):
                found.append((f"stages[{s}].items[{i}].{name}", item[name]))
    return [(loc, text) for loc, text in found if text is not None]


def in_language(text: str | dict[str, str], language: str) -> str:
    return text if isinstance(text, str) else text.get(language, "")


def has_thai(text: str) -> bool:
    return any("\u0e00" <= char <= "\u0e7f" for char in text)


def test_the_three_samples_are_there() -> None:
    names = {path.name for path in FILES}
    assert {"ranong-livable-city.yaml", "khonkaen-bilingual.yaml", "community-park-en.yaml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_sample_loads(path: Path) -> None:
    workshop = load(path)
    assert workshop["stages"] and workshop["groups"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_sample_explains_itself_in_a_comment_header(path: Path) -> None:
    first_lines = path.read_text(encoding="utf-8").splitlines()[:3]
    assert all(line.startswith("#") for line in first_lines)


def test_samples_use_all_seven_methods() -> None:
    used = {stage["method"] for path in FILES for stage in load(path)["stages"]}
    assert used >= ALL_METHODS


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_item_title_is_given_in_every_language(path: Path) -> None:
    workshop = load(path)
    for stage in workshop["stages"]:
        for item in stage["items"]:
            for language in workshop["languages"]:
                assert in_language(item["title"], language).strip(), (stage["key"], item["key"], language)


def test_multilingual_samples_give_every_text_in_every_language() -> None:
    multilingual = [workshop for workshop in map(load, FILES) if len(workshop["languages"]) > 1]
    assert multilingual
    for workshop in multilingual:
        for loc, text in texts(workshop):
            assert isinstance(text, dict) and set(text) == set(workshop["languages"]), loc


def test_ranong_is_a_full_thai_plan_workshop() -> None:
    workshop = load(SESSIONS / "ranong-livable-city.yaml")
    assert workshop["languages"] == ["th"]
    assert workshop["date"] == "2026-12-05"
    stages = {stage["kind"] + "/" + stage["method"]: stage for stage in workshop["stages"]}
    vision, goals = stages["vision/approval"], stages["goals/dots"]
    projects, budget = stages["projects/score"], stages["projects/budget"]
    assert "vision/words" in stages
    assert vision["max_choices"] == 2 and len(vision["items"]) == 4
    assert (goals["dots"], goals["max_per_item"]) == (5, 3) and 5 <= len(goals["items"]) <= 6
    assert [(c["key"], c["weight"]) for c in projects["criteria"]] == [("importance", 2), ("feasibility", 1)]
    assert projects["scale"] == {"min": 1, "max": 5}
    assert 8 <= len(projects["items"]) <= 10
    assert {item["horizon"] for item in projects["items"]} == {"short", "medium", "long"}
    for item in projects["items"]:
        assert item["goal"] and item["budget"] and item["sdgs"] and item["indicator"], item["key"]
    assert budget["budget"] == 10_000_000 and 5 <= len(budget["items"]) <= 6
    assert {group["key"] for group in workshop["groups"]} >= {"resident", "government", "private", "civil"}
    for _loc, text in texts(workshop):
        assert isinstance(text, str) and has_thai(text)


def test_khonkaen_is_bilingual_with_tokens_and_ideas() -> None:
    workshop = load(SESSIONS / "khonkaen-bilingual.yaml")
    assert workshop["languages"] == ["th", "en"]
    assert workshop["join"] == "tokens"
    assert {"single", "rank", "approval"} <= {stage["method"] for stage in workshop["stages"]}
    assert any(stage["allow_ideas"] for stage in workshop["stages"])


def test_community_park_is_english() -> None:
    workshop = load(SESSIONS / "community-park-en.yaml")
    assert workshop["languages"] == ["en"]
    assert {"single", "rank", "words", "dots"} <= {stage["method"] for stage in workshop["stages"]}
    for loc, text in texts(workshop):
        assert isinstance(text, str) and not has_thai(text), loc
