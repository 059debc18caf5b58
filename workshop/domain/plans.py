"""Plans: what a plan object may hold, and its period. Pure rules, no app.

A plan groups a city's workshops over time (community forums, then vision, goals and
projects workshops) under one title and a planning period in Buddhist-era years, as
Thai local development plans are named: แผนพัฒนาท้องถิ่น (พ.ศ. 2570-2574).

:func:`check_plan` validates a plan object (JSON) and returns it normalised, or raises
:class:`PlanInvalid` listing every problem as a code with parameters (each page renders
it from its own catalog) and its place, e.g. ``period: period_order {"start": 2574, ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .definition import DEFAULT_LANGUAGES, LIMITS, SUPPORTED_LANGUAGES
from .text import localize

#: Buddhist-era years a plan's period may use (BE = CE + 543)
YEAR_MIN, YEAR_MAX = 2500, 2700
#: Thai local development plans span 5 years; allow up to 10
MAX_YEARS = 10
TITLE_CHARS = LIMITS["title_chars"]
DESCRIPTION_CHARS = LIMITS["description_chars"]
#: workshops in one plan
MAX_WORKSHOPS = 100
FIELDS = ("title", "city", "period", "languages", "description", "workshops", "revision")
_PERIOD = re.compile(r"^\s*(\d{4})\s*[-–]\s*(\d{4})\s*$")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan object: where, a code and its parameters."""

    loc: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """The English text (the API's ``message``; pages render ``code`` from their catalog)."""
        return MESSAGES[self.code].format(**self.params)

    def as_dict(self) -> dict[str, Any]:
        return {"loc": self.loc, "code": self.code, "params": self.params, "message": self.message}


MESSAGES = {
    "required": "is required",
    "unknown_field": "is not a field of a plan",
    "text_type": "must be a text or a map from language code to text",
    "text_empty": "must not be empty",
    "text_length": "must be at most {max} characters",
    "text_language": "language '{lang}' is not one of the plan's languages",
    "languages": "must be a list of language codes from th, en, without repeats",
    "period_format": 'must be two Buddhist-era years like 2570-2574, or {{"start": 2570, "end": 2574}}',
    "period_range": "years must be between {min} and {max} (Buddhist era)",
    "period_order": "the last year ({end}) comes before the first ({start})",
    "period_length": "a plan spans at most {max} years",
    "workshops": "must be a list of workshop ids, each once",
    "revision": "must be a whole number",
}


class PlanInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.loc}: {p.message}" for p in problems))
        self.problems = problems


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().translate(_THAI_DIGITS).isdigit():
        return int(value.strip().translate(_THAI_DIGITS))
    return None


def parse_period(value: object) -> tuple[int, int]:
    """(start, end) Buddhist-era years from "2570-2574" (Thai digits too) or {"start", "end"}."""
    start = end = None
    if isinstance(value, str):
        match = _PERIOD.match(value.translate(_THAI_DIGITS))
        if match:
            start, end = int(match.group(1)), int(match.group(2))
    elif isinstance(value, Mapping) and set(value) == {"start", "end"}:
        start, end = _int(value.get("start")), _int(value.get("end"))
    if start is None or end is None:
        raise PlanInvalid([Problem("period", "period_format")])
    if not (YEAR_MIN <= start <= YEAR_MAX and YEAR_MIN <= end <= YEAR_MAX):
        raise PlanInvalid([Problem("period", "period_range", {"min": YEAR_MIN, "max": YEAR_MAX})])
    if end < start:
        raise PlanInvalid([Problem("period", "period_order", {"start": start, "end": end})])
    if end - start + 1 > MAX_YEARS:
        raise PlanInvalid([Problem("period", "period_length", {"max": MAX_YEARS})])
    return start, end


def plan_years(period: Mapping[str, int]) -> list[int]:
    """Every Buddhist-era year of the period, in order."""
    return list(range(int(period["start"]), int(period["end"]) + 1))


def _text(value: object, loc: str, languages: list[str], limit: int, problems: list[Problem]) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            problems.append(Problem(loc, "text_empty"))
        elif len(text) > limit:
            problems.append(Problem(loc, "text_length", {"max": limit}))
        return text
    if isinstance(value, Mapping) and value:
        out = {}
        for lang, text in value.items():
            if lang not in languages:
                problems.append(Problem(f"{loc}.{lang}", "text_language", {"lang": str(lang)[:8]}))
            elif not isinstance(text, str):
                problems.append(Problem(f"{loc}.{lang}", "text_type"))
            elif not text.strip():
                problems.append(Problem(f"{loc}.{lang}", "text_empty"))
            elif len(text.strip()) > limit:
                problems.append(Problem(f"{loc}.{lang}", "text_length", {"max": limit}))
            else:
                out[lang] = text.strip()
        return out
    problems.append(Problem(loc, "text_type"))
    return None


def plan_text(plan: Mapping[str, Any], name: str, lang: str) -> str:
    """A text of a plan object (title, city, description) in ``lang``, or ``""``."""
    return localize(plan.get(name), lang, plan.get("languages") or DEFAULT_LANGUAGES)


def check_plan(data: object) -> dict[str, Any]:
    """A plan object, validated and normalised: {title, city, period {start, end}, languages,
    description, workshops?, revision?}; PlanInvalid with every problem otherwise."""
    if not isinstance(data, Mapping):
        raise PlanInvalid([Problem("", "text_type")])
    problems: list[Problem] = [Problem(str(key)[:40], "unknown_field") for key in data if key not in FIELDS]
    languages = data.get("languages", list(DEFAULT_LANGUAGES))
    if (
        not isinstance(languages, list)
        or not languages
        or any(lang not in SUPPORTED_LANGUAGES for lang in languages)
        or len(set(languages)) != len(languages)
    ):
        problems.append(Problem("languages", "languages"))
        languages = list(DEFAULT_LANGUAGES)
    plan: dict[str, Any] = {"languages": list(languages)}
    if data.get("title") is None:
        problems.append(Problem("title", "required"))
    else:
        plan["title"] = _text(data["title"], "title", languages, TITLE_CHARS, problems)
    if data.get("city") not in (None, ""):
        plan["city"] = _text(data["city"], "city", languages, TITLE_CHARS, problems)
    if data.get("description") not in (None, ""):
        plan["description"] = _text(
            data["description"], "description", languages, DESCRIPTION_CHARS, problems
        )
    if data.get("period") is None:
        problems.append(Problem("period", "required"))
    else:
        try:
            start, end = parse_period(data["period"])
            plan["period"] = {"start": start, "end": end}
        except PlanInvalid as exc:
            problems += exc.problems
    if "workshops" in data:
        ids = data["workshops"]
        if (
            not isinstance(ids, list)
            or len(ids) > MAX_WORKSHOPS
            or any(isinstance(i, bool) or not isinstance(i, int) for i in ids)
            or len(set(ids)) != len(ids)
        ):
            problems.append(Problem("workshops", "workshops"))
        else:
            plan["workshops"] = list(ids)
    if "revision" in data:
        if isinstance(data["revision"], bool) or not isinstance(data["revision"], int):
            problems.append(Problem("revision", "revision"))
        else:
            plan["revision"] = data["revision"]
    if problems:
        raise PlanInvalid(problems)
    return plan


def period_text(period: Mapping[str, int], lang: str) -> str:
    """พ.ศ. 2570–2574 in Thai; 2570–2574 BE (2027–2031) in English."""
    start, end = int(period["start"]), int(period["end"])
    if lang == "th":
        return f"พ.ศ. {start}–{end}" if end != start else f"พ.ศ. {start}"
    years = f"{start}–{end}" if end != start else f"{start}"
    ce = f"{start - 543}–{end - 543}" if end != start else f"{start - 543}"
    return f"{years} BE ({ce})"


def horizon_years(years: list[int]) -> dict[str | None, list[int]]:
    """The plan's years of each horizon: the period cut in three consecutive parts
    (short term first; a 5-year plan: 2 + 2 + 1 years), and all years for no horizon."""
    n = len(years)
    short = max(1, -(-n // 3))
    medium = max(0, min(n - short, -(-(n - short) // 2)))
    parts: dict[str | None, list[int]] = {
        "short": years[:short],
        "medium": years[short : short + medium] or years[-1:],
        "long": years[short + medium :] or years[-1:],
    }
    parts[None] = list(years)
    return parts


def budget_by_year(item: Mapping[str, Any], years: list[int]) -> dict[int, int]:
    """Baht per Buddhist-era year of the plan for one project.

    ``budget_years`` when given (years outside the plan are left out); otherwise
    ``budget`` spread evenly over the years of its horizon (:func:`horizon_years`), whole
    baht, the remainder on the last year, so the years add up to the budget exactly.
    No budget: nothing.
    """
    given = item.get("budget_years")
    if given:
        return {int(year): round(float(amount)) for year, amount in given.items() if int(year) in years}
    budget = item.get("budget")
    if budget is None or not years:
        return {}
    spread = horizon_years(years).get(item.get("horizon")) or list(years)
    total = round(float(budget))
    each = total // len(spread)
    out = dict.fromkeys(spread, each)
    out[spread[-1]] += total - each * len(spread)
    return out
