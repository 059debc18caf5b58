"""Plans: what a plan object may hold, and its period. Pure rules, no app.

A plan groups a city's workshops over time (community forums, then vision, goals and
projects workshops) under one title and a planning period in Buddhist-era years, as
Thai local development plans are named: แผนพัฒนาท้องถิ่น (พ.ศ. 2570-2574).

:class:`PlanInput` is the one definition of a plan object: :func:`check_plan` validates
with it, and the API's OpenAPI document shows it (``web/api/schemas``). :func:`check_plan`
returns the object normalised, or raises
:class:`PlanInvalid` listing every problem as a code with parameters (each page renders
it from its own catalog) and its place, e.g. ``period: period_order {"start": 2574, ...}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from .definition import DEFAULT_LANGUAGES, LIMITS, SUPPORTED_LANGUAGES, TAG_MAP, TAG_PLAIN, Language
from .text import localize

#: Buddhist-era years a plan's period may use (BE = CE + 543)
YEAR_MIN, YEAR_MAX = 2500, 2700
#: Thai local development plans span 5 years; allow up to 10
MAX_YEARS = 10
TITLE_CHARS = LIMITS["title_chars"]
DESCRIPTION_CHARS = LIMITS["description_chars"]
#: workshops in one plan
MAX_WORKSHOPS = 100
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


def _text_check(limit: int) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("text_type", MESSAGES["text_type"])
        text = value.strip()
        if not text:
            raise PydanticCustomError("text_empty", MESSAGES["text_empty"])
        if len(text) > limit:
            raise PydanticCustomError("text_length", MESSAGES["text_length"], {"max": limit})
        return text

    return check


def _plan_language(code: object, info: ValidationInfo) -> str:
    """A key of a text map: one of the plan's languages (``languages`` is validated first)."""
    languages = info.data.get("languages") or DEFAULT_LANGUAGES
    if not isinstance(code, str) or code not in languages:
        raise PydanticCustomError("text_language", MESSAGES["text_language"], {"lang": str(code)[:8]})
    return code


def _text_kind(value: Any) -> str | None:
    return TAG_PLAIN if isinstance(value, str) else TAG_MAP if isinstance(value, Mapping) and value else None


def _plan_text(limit: int) -> Any:
    """A text of a plan: a string, or a map from one of its languages to a string."""
    plain = Annotated[
        str,
        PlainValidator(_text_check(limit), json_schema_input_type=str),
        Field(max_length=limit, json_schema_extra={"pattern": r"\S"}),
    ]
    by_language = Annotated[
        dict[Annotated[Any, PlainValidator(_plan_language, json_schema_input_type=Language)], plain],
        Field(min_length=1),
    ]
    return Annotated[
        Annotated[plain, Tag(TAG_PLAIN)] | Annotated[by_language, Tag(TAG_MAP)],
        Discriminator(_text_kind, custom_error_type="text_type", custom_error_message=MESSAGES["text_type"]),
        Field(description="a text, or language code -> text"),
    ]


def _check_languages(value: object) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or any(lang not in SUPPORTED_LANGUAGES for lang in value)
        or len(set(value)) != len(value)
    ):
        raise PydanticCustomError("languages", MESSAGES["languages"])
    return list(value)


def _check_period(value: object) -> Period:
    try:
        start, end = parse_period(value)
    except PlanInvalid as exc:
        problem = exc.problems[0]
        raise PydanticCustomError(problem.code, MESSAGES[problem.code], problem.params) from None
    return Period(start=start, end=end)


def _check_workshops(value: object) -> list[int]:
    if (
        not isinstance(value, list)
        or len(value) > MAX_WORKSHOPS
        or any(isinstance(i, bool) or not isinstance(i, int) for i in value)
        or len(set(value)) != len(value)
    ):
        raise PydanticCustomError("workshops", MESSAGES["workshops"])
    return list(value)


def _check_revision(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("revision", MESSAGES["revision"])
    return value


class Period(BaseModel):
    """A plan's years, Buddhist era, first and last included."""

    model_config = ConfigDict(extra="forbid")

    start: Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]
    end: Annotated[int, Field(ge=YEAR_MIN, le=YEAR_MAX)]


PeriodText = Annotated[str, Field(pattern=r"^\s*\d{4}\s*[-–]\s*\d{4}\s*$", examples=["2570-2574"])]


class PlanInput(BaseModel):
    """A plan object (POST and PUT /api/v1/plans): the one definition of what it may hold.

    :func:`check_plan` validates with it; the OpenAPI document shows it. Every field's error
    is a code of :data:`MESSAGES` (pydantic's own ``missing`` and ``extra_forbidden`` become
    ``required`` and ``unknown_field``).
    """

    model_config = ConfigDict(extra="forbid")

    # first: the texts' language keys are checked against it
    languages: Annotated[
        list[Language],
        PlainValidator(_check_languages, json_schema_input_type=list[Language]),
        Field(json_schema_extra={"minItems": 1, "uniqueItems": True}),
    ] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES))  # type: ignore[arg-type]
    title: _plan_text(TITLE_CHARS)  # type: ignore[valid-type]
    period: Annotated[
        Period,
        PlainValidator(_check_period, json_schema_input_type=PeriodText | Period),
        Field(description=f"Buddhist-era years, at most {MAX_YEARS}"),
    ]
    city: _plan_text(TITLE_CHARS) | None = None  # type: ignore[valid-type]
    description: _plan_text(DESCRIPTION_CHARS) | None = None  # type: ignore[valid-type]
    workshops: Annotated[
        list[int],
        PlainValidator(_check_workshops, json_schema_input_type=list[int]),
        Field(
            description="ids, in order", json_schema_extra={"maxItems": MAX_WORKSHOPS, "uniqueItems": True}
        ),
    ] = None  # type: ignore[assignment]
    revision: Annotated[
        int,
        PlainValidator(_check_revision, json_schema_input_type=int),
        Field(description="PUT: the revision this edit is based on"),
    ] = None  # type: ignore[assignment]

    @model_validator(mode="before")
    @classmethod
    def _absent(cls, data: Any) -> Any:
        """An empty city or description is no city or description; a null title or period is missing."""
        if isinstance(data, Mapping):
            empty = {"city": (None, ""), "description": (None, ""), "title": (None,), "period": (None,)}
            data = {k: v for k, v in data.items() if not (k in empty and v in empty[k])}
        return data

    def normalised(self) -> dict[str, Any]:
        """The plan as stored: optional fields only when given."""
        given = self.model_fields_set
        plan: dict[str, Any] = {"languages": list(self.languages), "title": self.title}
        for name in ("city", "description"):
            if getattr(self, name) is not None:
                plan[name] = getattr(self, name)
        plan["period"] = self.period.model_dump()
        for name in ("workshops", "revision"):
            if name in given:
                plan[name] = getattr(self, name)
        return plan


#: pydantic's error types that are ours under another name
_PYDANTIC_CODES = {"missing": "required", "extra_forbidden": "unknown_field", "model_type": "text_type"}


def _problem(error: ErrorDetails) -> Problem:
    parts = [str(part) for part in error["loc"] if part not in (TAG_PLAIN, TAG_MAP, "[key]")]
    code = _PYDANTIC_CODES.get(error["type"], error["type"])
    if code not in MESSAGES:  # not foreseen by the validators above: said as a shape problem
        code = "text_type"
    loc = ".".join(parts)
    return Problem(loc[:40] if code == "unknown_field" else loc, code, dict(error.get("ctx") or {}))


def plan_text(plan: Mapping[str, Any], name: str, lang: str) -> str:
    """A text of a plan object (title, city, description) in ``lang``, or ``""``."""
    return localize(plan.get(name), lang, plan.get("languages") or DEFAULT_LANGUAGES)


def check_plan(data: object) -> dict[str, Any]:
    """A plan object, validated by :class:`PlanInput` and normalised: {languages, title, city?,
    description?, period {start, end}, workshops?, revision?}; PlanInvalid with every problem otherwise."""
    try:
        plan = PlanInput.model_validate(data)
    except ValidationError as exc:
        raise PlanInvalid([_problem(error) for error in exc.errors(include_url=False)]) from None
    return plan.normalised()


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
