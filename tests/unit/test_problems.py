"""Every error code has an English and a Thai text (domain.problems, the console catalog)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations

from workshop.domain import problems
from workshop.domain.problems import CODES, HINTS, PLURALS, TEXTS, Problem, placeholders, render

CATALOG = Path(__file__).resolve().parents[2] / "translations" / "console"
THAI = re.compile(r"[\u0e00-\u0e7f]")


@pytest.fixture(scope="module")
def thai() -> Translations:
    found = Translations.load(str(CATALOG), ["th"])
    assert isinstance(found, Translations)
    return found


def sample(code: str) -> Problem:
    params: dict[str, Any] = {name: 2 if name in ("num", "count", "number", "line") else "x"
                              for name in placeholders(code)}
    return Problem(code, params, "stages[0].items[0].title")


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_is_said_in_english_and_in_thai(code: str, thai: Translations) -> None:
    problem = sample(code)
    english = problem.message
    assert english and "%(" not in english
    said = render(problem, thai.gettext, thai.ngettext)
    assert said and "%(" not in said
    assert said != english, f"{code}: no Thai text in translations/console"
    assert THAI.search(said), f"{code}: the Thai text holds no Thai"


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("code", sorted(PLURALS))
def test_plural_texts_follow_the_count(code: str, count: int, thai: Translations) -> None:
    (singular, plural), counter = PLURALS[code]
    params = {name: "x" for name in placeholders(code)} | {counter: count}
    english = Problem(code, params).message
    assert english == (singular if count == 1 else plural) % params
    assert THAI.search(render(Problem(code, params), thai.gettext, thai.ngettext))


@pytest.mark.parametrize("hint", sorted(HINTS))
def test_hints_and_columns_are_said_in_both_languages(hint: str, thai: Translations) -> None:
    problem = Problem("string_type", {"hint": hint, "column": 7})
    assert problem.message == f"must be a string (column 7) ({HINTS[hint]})"
    said = render(problem, thai.gettext, thai.ngettext)
    assert said.count("(") == 2 and "7" in said and THAI.search(said)


def test_an_unknown_code_cannot_be_raised() -> None:
    """So every error the domain can produce has a text: a code not in the table fails at once."""
    with pytest.raises(ValueError, match="no text"):
        Problem("not_a_code")


def test_the_api_english_keeps_its_shape() -> None:
    problem = Problem("one_of", {"choices": "short, medium, long"}, "stages[2].items[0].horizon")
    assert str(problem) == "stages[2].items[0].horizon: must be one of short, medium, long"


def test_texts_are_marked_for_the_catalog() -> None:
    """Each text is written once, in domain/problems.py, inside N_() or Np_() (extracted by i18n_tools)."""
    source = Path(problems.__file__).read_text(encoding="utf-8")
    for text in TEXTS.values():
        assert f'N_("{text}")' in source or f"N_('{text}')" in source or f'N_("{text}",' in source, text
