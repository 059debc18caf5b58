"""The typed workshop model: one place for defaults, stored rows of every version, linear errors."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from workshop.domain import definition as d
from workshop.domain import workshop_file
from workshop.domain.definition import WorkshopDefinition
from workshop.domain.workshop_file import DefinitionError, load_workshop_text, parse_workshop

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sessions" / "ranong-livable-city.yaml"


def stored_rows(definition: WorkshopDefinition) -> tuple[dict[str, Any], list[Any]]:
    """What services.workshops.create_workshop writes: a header, and per stage its config and items."""
    header = definition.stored_header()
    stages = [
        (WorkshopDefinition.stored_stage(stage), [item.to_json() for item in stage.items])
        for stage in definition.stages
    ]
    return header, stages


def test_defaults_come_from_the_model() -> None:
    workshop = parse_workshop({
        "title": "t", "groups": [{"key": "g", "label": "G"}],
        "stages": [
            {"key": "s", "kind": "projects", "title": "S", "method": "score",
             "criteria": [{"key": "q", "label": "Q"}], "items": [{"key": "a", "title": "A"}]},
            {"key": "w", "kind": "other", "title": "W", "method": "words"},
            {"key": "p", "kind": "other", "title": "P", "method": "approval",
             "items": [{"key": "a", "title": "A"}, {"key": "b", "title": "B"}]},
            {"key": "d", "kind": "goals", "title": "D", "method": "dots", "dots": 4,
             "items": [{"key": "a", "title": "A"}]},
        ],
    })  # fmt: skip
    score, words, approval, dots = workshop.stages
    assert (score.scale.min, score.scale.max) == (d.DEFAULT_SCALE_MIN, d.DEFAULT_SCALE_MAX) == (1, 5)
    assert words.max_words == d.DEFAULT_MAX_WORDS == 3
    assert approval.choice_limit == 2 and approval.max_choices is None
    assert dots.per_item_limit == 4 and dots.max_per_item is None
    assert workshop.languages == ["th"] and workshop.join == "open" and workshop.moderation == "pre"
    assert score.criteria[0].weight == 1


def test_null_options_of_the_stage_method_mean_the_default() -> None:
    """The API's own output (``scale: null`` is never written, but ``max_words: null`` was accepted)."""
    common = {"kind": "other", "title": "T"}
    stage = d.stage_from_json({**common, "key": "w", "method": "words", "max_words": None})
    assert stage.max_words == 3
    score = d.stage_from_json({**common, "key": "s", "method": "score", "scale": None,
                               "criteria": [{"key": "q", "label": "Q"}],
                               "items": [{"key": "a", "title": "A"}]})
    assert score.scale == d.DEFAULT_SCALE


def test_stored_rows_load_into_the_same_model() -> None:
    workshop = load_workshop_text(SAMPLE.read_bytes())
    header, stages = stored_rows(workshop)
    assert header["version"] == d.FORMAT_VERSION
    assert WorkshopDefinition.from_stored(header, stages) == workshop


def test_rows_written_before_the_typed_model_still_load() -> None:
    """Version 1: no version field, every stage with every option key (None where it does not apply)."""
    workshop = load_workshop_text(SAMPLE.read_bytes())
    old = workshop.to_json()  # the normalized dict the old code stored, split the same way
    header = {k: v for k, v in old.items() if k != "stages"}
    stages = [({k: v for k, v in s.items() if k != "items"}, s["items"]) for s in old["stages"]]
    assert "version" not in header and any(config["max_words"] is None for config, _items in stages)
    assert WorkshopDefinition.from_stored(copy.deepcopy(header), stages) == workshop


def test_a_newer_format_is_refused_with_its_version() -> None:
    header, stages = stored_rows(load_workshop_text(SAMPLE.read_bytes()))
    with pytest.raises(ValueError, match="format 99"):
        WorkshopDefinition.from_stored({**header, "version": 99}, stages)


def test_api_form_is_unchanged_by_a_round_trip_through_storage() -> None:
    workshop = load_workshop_text(SAMPLE.read_bytes())
    header, stages = stored_rows(workshop)
    assert WorkshopDefinition.from_stored(header, stages).to_json() == workshop.to_json()
    assert "version" not in workshop.to_json()


def test_every_method_has_a_model_and_every_option_a_method() -> None:
    assert set(d.STAGE_MODELS) == set(d.METHODS)
    for option, method in d.OPTIONS.items():
        assert option in d.STAGE_MODELS[method].model_fields


def test_defaults_and_limits_are_written_once() -> None:
    """No module below workshop/ restates the default scale, the key pattern, the list of methods,
    the languages, the methods counted in shares or the default time zone."""
    sources = {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in (ROOT / "workshop").rglob("*.py")
    }
    patterns = {
        "default scale": re.compile(r"""["']min["']\s*:\s*1\s*,\s*["']max["']\s*:\s*5"""),
        "key pattern": re.compile(r"\[a-z0-9_-\]\{\{?1,"),
        "methods list": re.compile(r"""["']single["'],\s*["']approval["'],\s*["'](?:dots|rank)["']"""),
        "languages": re.compile(r"""["']th["'],\s*["']en["']"""),
        "share methods": re.compile(r"""["']single["'],\s*["']approval["'],\s*["']words["']"""),
        "time zone": re.compile(r"""["']Asia/Bangkok["']"""),
    }
    allowed = {"default scale": [], "share methods": ["workshop/domain/units.py"],
               "time zone": ["workshop/domain/formats.py"]}
    # Not restatements of the rule: the plan form's two title boxes are Thai and English.
    tolerated = {"languages": {"workshop/web/facilitator/plans.py"}}
    for name, pattern in patterns.items():
        found = sorted(path for path, text in sources.items()
                       if pattern.search(text) and path not in tolerated.get(name, set()))
        assert found == allowed.get(name, ["workshop/domain/definition.py"]), (name, found)


# ---------------------------------------------------------------------------
# Linear validation (issue 14): errors are indexed once and never all sorted


def many_unknown_fields(count: int) -> dict[str, Any]:
    doc = load_workshop_text(SAMPLE.read_bytes()).to_json()
    doc.update({f"extra_{n}": n for n in range(count)})
    return doc


def test_many_errors_are_capped_in_document_order() -> None:
    doc = many_unknown_fields(5000)
    with pytest.raises(DefinitionError) as caught:
        parse_workshop(doc)
    errors = caught.value.errors
    limit = d.LIMITS["errors_reported"]
    assert len(errors) == limit + 1
    assert [e["message"] for e in errors[:3]] == [f"unknown field 'extra_{n}'" for n in range(3)]
    assert errors[-1] == {"loc": "", "message": "and 4900 more errors"}


def test_each_mapping_is_indexed_once_however_many_errors_it_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old report looked each error's key up by walking its mapping's keys: n errors x n keys."""
    made: list[workshop_file._Positions] = []
    real = workshop_file._Positions

    def recording(data: object) -> workshop_file._Positions:
        positions = real(data)
        made.append(positions)
        return positions

    monkeypatch.setattr(workshop_file, "_Positions", recording)
    for count in (1000, 8000):
        with pytest.raises(DefinitionError):
            parse_workshop(many_unknown_fields(count))
        assert made[-1].indexed == 1  # the top mapping, once, for every one of the errors


def test_only_the_reported_errors_are_ordered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Picking the first 100 of n errors is a heap of 100, not a sort of n: comparisons grow
    as n log 100, so 8 times the errors cost about 8 times the comparisons, not 8 x log 8."""
    counted = {"comparisons": 0}
    real = workshop_file._Positions.of

    class Counted(tuple):  # type: ignore[type-arg]
        def __lt__(self, other: object) -> bool:
            counted["comparisons"] += 1
            return tuple.__lt__(self, other)  # type: ignore[operator]

    monkeypatch.setattr(workshop_file._Positions, "of", lambda self, loc: Counted(real(self, loc)))
    per_error = []
    for count in (1000, 8000):
        counted["comparisons"] = 0
        with pytest.raises(DefinitionError):
            parse_workshop(many_unknown_fields(count))
        per_error.append(counted["comparisons"] / count)
    # A full sort of errors already in order would still do n-1; a heap over sorted input
    # does about one per error. What matters: the cost per error does not grow with n.
    assert per_error[1] <= per_error[0] * 1.2 + 0.5


def test_a_hopeless_body_is_read_only_as_far_as_the_report_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """16,000 unknown fields: only the first CONSIDERED_ERRORS of pydantic's errors become
    problems (each costs Python time on the server); the rest are counted."""
    calls: list[int] = []
    real = workshop_file._convert
    monkeypatch.setattr(workshop_file, "_convert", lambda *a: calls.append(1) or real(*a))
    with pytest.raises(DefinitionError) as caught:
        parse_workshop(many_unknown_fields(16000))
    assert len(calls) == workshop_file.CONSIDERED_ERRORS
    more = 16000 - d.LIMITS["errors_reported"]
    assert caught.value.errors[-1] == {"loc": "", "message": f"and {more} more errors"}
