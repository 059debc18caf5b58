"""Building a workshop definition step by step (pure): what the console's builder
does to a workshop object before it is validated and saved.

A definition here is the workshop object in its JSON form
(``WorkshopDefinition.to_json()``: plain dicts and lists), as a form edits it.
Nothing in here checks the whole; ``domain.workshop_file`` does that when the
result is saved. Methods, kinds, languages and defaults come from ``domain.definition``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping
from typing import Any

from .definition import DEFAULT_LANGUAGES, DEFAULT_MAX_WORDS, DEFAULT_SCALE, OPTIONS, SUPPORTED_LANGUAGES
from .definition import KINDS as KINDS  # what the builder offers, re-exported for its pages
from .definition import METHODS as METHODS

LANGUAGES = SUPPORTED_LANGUAGES

#: A stage's method options when it gets a method (the schema's defaults where it has one).
METHOD_DEFAULTS: dict[str, dict[str, Any]] = {
    "single": {},
    "approval": {"max_choices": None},
    "dots": {"dots": 5, "max_per_item": None},
    "rank": {},
    "score": {"criteria": [
        {"key": "importance", "label": {"th": "ความสำคัญ", "en": "Importance"}, "weight": 1},
        {"key": "feasibility", "label": {"th": "ความเป็นไปได้", "en": "Feasibility"}, "weight": 1},
    ], "scale": DEFAULT_SCALE.model_dump()},
    "budget": {"budget": 1_000_000},
    "words": {"max_words": DEFAULT_MAX_WORDS},
}
#: Every option of any method: a stage of another method has them as None (or []).
ALL_OPTIONS: dict[str, Any] = {name: [] if name == "criteria" else None for name in OPTIONS}
#: The kind a new stage of each method most often has.
METHOD_KIND = {"single": "vision", "approval": "vision", "dots": "goals", "rank": "goals",
               "score": "projects", "budget": "projects", "words": "other"}
#: First letter of the keys of new items, by stage kind (short keys read well on paper ballots).
ITEM_PREFIX = {"vision": "v", "goals": "g", "projects": "p", "ideas": "i", "other": "o"}

DEFAULT_GROUPS = [
    ("resident", {"th": "ประชาชน", "en": "Residents"}),
    ("government", {"th": "หน่วยงานรัฐ", "en": "Government"}),
    ("private", {"th": "ภาคเอกชน", "en": "Private sector"}),
    ("civil", {"th": "ภาคประชาสังคม", "en": "Civil society"}),
]
BLANK_STAGE_TITLE = {"th": "หนึ่งคำสำหรับเมืองของเรา", "en": "One word for our city"}
BLANK_STAGE_PROMPT = {"th": "อยากเห็นเมืองของเราเป็นอย่างไร ตอบสั้น ๆ ไม่เกิน 3 คำ",
                      "en": "What would you like our city to be? Up to 3 short answers."}
UNTITLED = {"th": "เวทีใหม่", "en": "New workshop"}


def text_in(languages: list[str], value: Any) -> Any:
    """A text for a workshop of ``languages``: a plain string for one language, else a
    map with only those languages (a missing one stays missing: readers fall back)."""
    if value is None or isinstance(value, str):
        return value
    kept = {code: value[code] for code in languages if value.get(code)}
    if len(languages) == 1:
        return kept.get(languages[0]) or next((v for v in value.values() if v), None)
    return kept if kept else next((v for v in value.values() if v), None)


def blank(title: Mapping[str, str] | str | None, languages: list[str]) -> dict[str, Any]:
    """A new workshop that is already valid: four usual groups and one words stage
    (a warm-up question) to change or remove."""
    langs = [code for code in languages if code in LANGUAGES] or list(DEFAULT_LANGUAGES)
    given = title if isinstance(title, Mapping) else ({langs[0]: title} if title else {})
    shown = {code: given.get(code) or "" for code in langs}
    if not any(shown.values()):
        shown = dict(UNTITLED)
    return {
        "title": text_in(langs, shown),
        "city": None,
        "date": None,
        "languages": langs,
        "join": "open",
        "moderation": "pre",
        "groups": [{"key": key, "label": text_in(langs, label)} for key, label in DEFAULT_GROUPS],
        "stages": [new_stage("words", "warmup", BLANK_STAGE_TITLE, langs, kind="other",
                             prompt=BLANK_STAGE_PROMPT, show_results="live")],
    }


def new_stage(method: str, key: str, title: Any, languages: list[str], *, kind: str | None = None,
              prompt: Any = None, show_results: str = "after_close") -> dict[str, Any]:
    """A stage of ``method`` with that method's default options and no items."""
    stage = {"key": key, "kind": kind or METHOD_KIND[method], "title": text_in(languages, title),
             "prompt": text_in(languages, prompt), "method": method, **copy.deepcopy(ALL_OPTIONS),
             "show_results": show_results, "allow_comments": True, "allow_ideas": False, "items": []}
    stage["method"] = None
    return with_method(stage, method, languages)


def with_method(stage: dict[str, Any], method: str, languages: list[str]) -> dict[str, Any]:
    """``stage`` with ``method`` and its options: kept when the method stays, else the
    new method's defaults."""
    if stage.get("method") == method:
        return stage
    changed = {**stage, **copy.deepcopy(ALL_OPTIONS), "method": method}
    for option, value in copy.deepcopy(METHOD_DEFAULTS[method]).items():
        changed[option] = value
    for criterion in changed["criteria"]:
        criterion["label"] = text_in(languages, criterion["label"])
    return changed


def new_key(existing: set[str] | list[str], prefix: str) -> str:
    """``prefix1``, ``prefix2``, ... the first not in ``existing`` (a bare prefix when
    free and longer than one letter)."""
    taken = set(existing)
    base = re.sub(r"[^a-z0-9_-]", "", prefix.lower())[:28] or "k"
    if len(base) > 1 and base not in taken:
        return base
    number = 1
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def slug(text: str) -> str:
    """An ASCII key from an English label (``Private sector`` -> ``private-sector``); ``""`` if none."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-")[:32]


def move(entries: list[Any], index: int, delta: int) -> bool:
    """Move ``entries[index]`` by ``delta`` places (-1 up, +1 down); False at an end."""
    target = index + delta
    if not (0 <= index < len(entries) and 0 <= target < len(entries)):
        return False
    entries[index], entries[target] = entries[target], entries[index]
    return True


def index_of(entries: list[Mapping[str, Any]], key: str) -> int:
    """The position of the entry with ``key``; ValueError if none has it."""
    for index, entry in enumerate(entries):
        if entry.get("key") == key:
            return index
    raise ValueError(key)


def text_places(definition: Mapping[str, Any]) -> Iterator[tuple[str, Any, dict[str, str]]]:
    """Every text of a workshop: ``(loc, value, where)``; ``where`` names the stage and
    item it belongs to (``{"stage": "vision", "item": "v1"}``), for links to fix it."""
    yield "title", definition.get("title"), {}
    yield "city", definition.get("city"), {}
    for g, group in enumerate(definition.get("groups") or ()):
        yield f"groups[{g}].label", group.get("label"), {"group": group["key"]}
    for s, stage in enumerate(definition.get("stages") or ()):
        where = {"stage": stage["key"]}
        for name in ("title", "prompt"):
            yield f"stages[{s}].{name}", stage.get(name), where
        for c, criterion in enumerate(stage.get("criteria") or ()):
            yield f"stages[{s}].criteria[{c}].label", criterion.get("label"), where
        for i, item in enumerate(stage.get("items") or ()):
            item_where = {**where, "item": item["key"]}
            for name in ("title", "description", "indicator"):
                yield f"stages[{s}].items[{i}].{name}", item.get(name), item_where


def set_languages(definition: dict[str, Any], languages: list[str]) -> dict[str, Any]:
    """The workshop in ``languages``: every text kept in the languages that stay (a text
    only in a removed language stays, as the plain text it was)."""
    changed = copy.deepcopy(definition)
    changed["languages"] = list(languages)

    def convert(node: dict[str, Any], name: str) -> None:
        if node.get(name) is not None:
            node[name] = text_in(languages, node[name])

    convert(changed, "title")
    convert(changed, "city")
    for group in changed["groups"]:
        convert(group, "label")
    for stage in changed["stages"]:
        convert(stage, "title")
        convert(stage, "prompt")
        for criterion in stage.get("criteria") or ():
            convert(criterion, "label")
        for item in stage.get("items") or ():
            for name in ("title", "description", "indicator"):
                convert(item, name)
    return changed


def goal_choices(definition: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(key, title) of every item of a goals stage: what an item's ``goal`` may name."""
    return [(item["key"], item["title"]) for stage in definition.get("stages") or ()
            if stage.get("kind") == "goals" for item in stage.get("items") or ()]
