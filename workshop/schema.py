"""Workshop files: validation and normalization (contract section 1).

A workshop file (``sessions/*.yaml``, or the same object as JSON for the API)
is checked in one go and either accepted whole or refused whole with every
problem found, each named by its place: ``stages[2].items[0].horizon: must be
one of short, medium, long``.

Public API: :func:`parse_workshop`, :func:`load_workshop_text`,
:class:`DefinitionError` and :data:`LIMITS`.

How it is checked:

* pydantic models (``extra="forbid"``, strict types: no ``true`` for a number,
  no ``"5"`` for 5) check the shape of every field. A stage is a union tagged
  by its ``method``, so an option of another method is refused ("not allowed
  for method single") and a required one is asked for ("required for method
  dots"), both by pydantic.
* :func:`_check_relations` then checks what relates fields to each other:
  unique keys, goal references, ``max_choices`` against the items, and so on.
  It reads the raw data, so it reports its errors even when some fields are
  malformed.

Where the contract is silent, this module decides:

* ``languages`` is optional and defaults to ``[th]``; codes come from
  ``th`` and ``en``, without repeats.
* ``moderation`` (our extension): ``pre`` (default) holds comments until a
  facilitator approves them, ``post`` publishes them at once.
* Texts are stripped of surrounding whitespace and must not be empty. A text
  map needs at least one entry, and only languages of ``languages``; it need
  not cover them all (readers fall back to the default language).
* A ``words`` stage lists no items and takes no ideas (its words become its
  items). Every other stage lists at least one item unless ``allow_ideas`` is
  true (approved ideas become its items).
* Item and criterion keys are unique within their stage, stage and group
  keys within the workshop. An item's ``goal`` names an item of any stage of
  kind ``goals``.
* An option of another method that is null (or ``criteria: []``) counts as
  absent, so the normalized output can be parsed again unchanged.
* Numbers have sane upper bounds (see :data:`LIMITS`), so that every value
  fits a database integer.
* At most ``LIMITS["errors_reported"]`` errors are reported; a last entry says
  how many more there were.

The normalized output is a plain JSON-serializable dict: dates become
``"YYYY-MM-DD"``, every optional field is present (``None`` or ``[]`` when
absent) and every stage has all option keys (``None`` / ``[]`` where they do
not apply; ``scale`` defaults to 1-5 and ``max_words`` to 3 where they do).
"""

import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal, get_args

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StringConstraints,
    Tag,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

__all__ = ["LIMITS", "DefinitionError", "load_workshop_text", "parse_workshop"]

#: Size limits of a workshop file and bounds of its numbers, for the README and the API.
LIMITS: dict[str, int] = {
    "file_bytes": 1024 * 1024,  # load_workshop_text: "file is larger than 1 MB"
    "title_chars": 200,  # titles, city, group and criterion labels
    "prompt_chars": 1000,
    "description_chars": 2000,
    "indicator_chars": 500,
    "groups": 20,
    "stages": 50,
    "items_per_stage": 200,
    "criteria": 10,
    "sdgs_per_item": 20,
    "dots": 1000,  # most dots a dots stage can hand out
    "max_words": 10,
    "budget_baht": 1_000_000_000_000,  # stage budgets and item costs
    "criterion_weight": 100,
    "scale_bound": 1000,  # a score scale lies within -1000..1000
    "errors_reported": 100,
}

Language = Literal["th", "en"]
Method = Literal["single", "approval", "dots", "rank", "score", "budget", "words"]
Kind = Literal["vision", "goals", "projects", "ideas", "other"]
Horizon = Literal["short", "medium", "long"]
ShowResults = Literal["live", "after_close", "never"]

SUPPORTED_LANGUAGES: tuple[str, ...] = get_args(Language)
DEFAULT_LANGUAGES: list[str] = ["th"]
METHODS: tuple[str, ...] = get_args(Method)
KEY_CHARS = "[a-z0-9_-]{1,32}"

#: Method options and the methods that take them.
OPTIONS: dict[str, str] = {
    "max_choices": "approval",
    "dots": "dots",
    "max_per_item": "dots",
    "criteria": "score",
    "scale": "score",
    "budget": "budget",
    "max_words": "words",
}

Loc = tuple[str | int, ...]
_Error = tuple[Loc, str]

# Union tags: pydantic puts them into error locations, and _clean_loc drops them.
_TAG_PLAIN, _TAG_MAP, _TAG_ANY_METHOD = "§text", "§map", "§any"
_STAGE_TAGS = {method: f"§{method}" for method in METHODS}
_TAGS = {_TAG_PLAIN, _TAG_MAP, _TAG_ANY_METHOD, *_STAGE_TAGS.values()}


class DefinitionError(ValueError):
    """A workshop file that cannot be used, with every problem found.

    ``errors`` lists ``{"loc": "stages[2].items[0].horizon", "message": "..."}``
    in document order; ``loc`` is ``""`` for the file as a whole and
    ``"line N"`` for a YAML syntax problem.
    """

    def __init__(self, errors: list[dict[str, str]], *, filename: str = "") -> None:
        super().__init__(errors)
        self.errors = errors
        #: The file the errors are about, when known (for the command line).
        self.filename = filename

    def __str__(self) -> str:
        return "\n".join(f"{e['loc']}: {e['message']}" if e["loc"] else e["message"] for e in self.errors)


# ---------------------------------------------------------------------------
# Field types
# ---------------------------------------------------------------------------


def _check_language(code: Any, info: ValidationInfo) -> str:
    """A key of a text map: one of the workshop's languages."""
    allowed = (info.context or {}).get("languages") or SUPPORTED_LANGUAGES
    if not isinstance(code, str) or code not in allowed:
        raise PydanticCustomError("language", "language '{code}' is not in languages", {"code": _shown(code)})
    return code


def _text_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return _TAG_PLAIN
    if isinstance(value, dict):
        return _TAG_MAP
    return None


def _text(max_chars: int) -> Any:
    """A text: a plain string, or a map from language code to string."""
    plain = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_chars)]
    by_language = Annotated[dict[Annotated[Any, AfterValidator(_check_language)], plain], Field(min_length=1)]
    return Annotated[
        Annotated[plain, Tag(_TAG_PLAIN)] | Annotated[by_language, Tag(_TAG_MAP)],
        Discriminator(
            _text_tag,
            custom_error_type="text_type",
            custom_error_message="must be a text or a map from language to text",
        ),
    ]


def _int_range(low: int, high: int) -> Any:
    def check(value: int) -> int:
        if not low <= value <= high:
            raise PydanticCustomError(
                "int_range",
                "must be between {low} and {high}",
                {"low": _number_text(low), "high": _number_text(high)},
            )
        return value

    return Annotated[int, AfterValidator(check)]


def _number(*, above: float | None = None, at_least: float | None = None, high: float) -> Any:
    """A finite int or float (not a bool) above or at least a bound, at most ``high``."""

    def check(value: Any) -> int | float:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))
        ):
            raise PydanticCustomError("number_type", "must be a number")
        if above is not None and value <= above:
            raise PydanticCustomError(
                "number_above", "must be greater than {bound}", {"bound": _number_text(above)}
            )
        if at_least is not None and value < at_least:
            raise PydanticCustomError(
                "number_at_least", "must be at least {bound}", {"bound": _number_text(at_least)}
            )
        if value > high:
            raise PydanticCustomError(
                "number_at_most", "must be at most {bound}", {"bound": _number_text(high)}
            )
        return value

    return Annotated[int | float, PlainValidator(check, json_schema_input_type=float)]


def _check_date(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "must be a date like 2026-12-05")


def _check_timezone(value: Any) -> str:
    """An IANA time zone name such as Asia/Bangkok (the CSV export's times are in it)."""
    import zoneinfo

    if isinstance(value, str) and 0 < len(value) <= 64 and re.fullmatch(r"[A-Za-z0-9_+\-/]+", value):
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value
    raise PydanticCustomError("timezone", "must be a time zone name such as Asia/Bangkok")


_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def _check_datetime(value: Any) -> str:
    """An ISO date and time (``2026-12-05T18:00``, an offset optional): a stage's window."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and len(value) <= 40 and _DATETIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat(timespec="seconds")
        except ValueError:
            pass
    raise PydanticCustomError("datetime_format", "must be a date and time like 2026-12-05T18:00")


_SDG = re.compile(r"(?:[1-9]|1[0-7])(?:\.[0-9a-z]{1,2})?")


def _sdg_text(value: Any) -> Any:
    """An SDG typed as a number (``11.2``, ``6``) as its text; anything else as it is.

    A YAML or JSON number loses trailing zeros: ``8.10`` arrives as 8.1, so targets
    ending in 0 must be written as text ("8.10"); the README says so.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return value
    text = repr(value)
    return text[:-2] if text.endswith(".0") else text


def _check_sdg(value: str) -> str:
    if not _SDG.fullmatch(value):
        raise PydanticCustomError("sdg_format", "must be an SDG goal 1-17 or target like 11.2 or 6.b")
    return value


Key = Annotated[str, StringConstraints(pattern=f"^{KEY_CHARS}$")]
TitleText = _text(LIMITS["title_chars"])
PromptText = _text(LIMITS["prompt_chars"])
DescriptionText = _text(LIMITS["description_chars"])
IndicatorText = _text(LIMITS["indicator_chars"])
WorkshopDate = Annotated[str, PlainValidator(_check_date, json_schema_input_type=str)]
TimeZoneName = Annotated[str, PlainValidator(_check_timezone, json_schema_input_type=str)]
DateTimeText = Annotated[str, PlainValidator(_check_datetime, json_schema_input_type=str)]
Sdg = Annotated[str, BeforeValidator(_sdg_text), AfterValidator(_check_sdg)]
Baht = _number(at_least=0, high=LIMITS["budget_baht"])
Weight = _number(above=0, high=LIMITS["criterion_weight"])
ScaleBound = _int_range(-LIMITS["scale_bound"], LIMITS["scale_bound"])
MaxChoices = _int_range(1, LIMITS["items_per_stage"])
DotCount = _int_range(1, LIMITS["dots"])
WordCount = _int_range(1, LIMITS["max_words"])
BudgetBaht = _int_range(1, LIMITS["budget_baht"])


# ---------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Group(_Model):
    key: Key
    label: TitleText


class Criterion(_Model):
    key: Key
    label: TitleText
    weight: Weight = 1


class Scale(_Model):
    min: ScaleBound
    max: ScaleBound


def _year_key(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _check_year(value: str) -> str:
    if not re.fullmatch(r"2[5-6]\d\d", value):
        raise PydanticCustomError("budget_year", "must be a Buddhist-era year like 2570")
    return value


#: a Buddhist-era year as a key of ``budget_years`` (YAML reads 2570: as a number)
BudgetYear = Annotated[str, BeforeValidator(_year_key), AfterValidator(_check_year)]


class Source(_Model):
    """Where a carried item came from (plans, carry forward): a stage's results elsewhere."""

    workshop: Annotated[int, Field(ge=1)]
    stage: Key
    item: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    rank: Annotated[int, Field(ge=1)] | None = None
    score: Annotated[float, Field(ge=0, le=100)] | None = None


class Item(_Model):
    key: Key
    title: TitleText
    description: DescriptionText | None = None
    goal: str | None = None  # checked against the goals stages by _check_relations
    horizon: Horizon | None = None
    budget: Baht | None = None
    sdgs: Annotated[list[Sdg], Field(max_length=LIMITS["sdgs_per_item"])] = []
    indicator: IndicatorText | None = None
    # Additions for a Thai development plan (issue 13.5), all optional:
    #: the office responsible (กองช่าง, กองสาธารณสุขฯ ...)
    office: TitleText | None = None
    #: the strategy and approach of the plan it serves (ยุทธศาสตร์/แนวทางการพัฒนา)
    strategy: TitleText | None = None
    #: baht per Buddhist-era year, e.g. {"2570": 500000, "2571": 1500000}
    budget_years: Annotated[dict[BudgetYear, Baht], Field(max_length=10)] | None = None
    #: set by carry forward: the results this item was carried from
    source: Source | None = None


class _Stage(_Model):
    """The fields every stage has; one subclass per method adds its options."""

    METHOD: ClassVar[str] = ""

    key: Key
    kind: Kind
    title: TitleText
    prompt: PromptText | None = None
    show_results: ShowResults = "after_close"
    allow_comments: bool = True
    allow_ideas: bool = False
    items: Annotated[list[Item], Field(max_length=LIMITS["items_per_stage"])] = []
    #: a voting window (issue 15): the scheduler opens the stage then and closes it at
    #: closes_at; a time without an offset is in the workshop's timezone (domain.schedule)
    opens_at: DateTimeText | None = None
    closes_at: DateTimeText | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_empty_foreign_options(cls, data: Any) -> Any:
        """Treat ``dots: null`` (or ``criteria: []``) on a stage of another method as absent."""
        if not isinstance(data, dict) or not cls.METHOD:
            return data
        return {
            name: value
            for name, value in data.items()
            if not (
                OPTIONS.get(name, cls.METHOD) != cls.METHOD
                and (value is None or (name == "criteria" and value == []))
            )
        }


class SingleStage(_Stage):
    METHOD = "single"
    method: Literal["single"]


class ApprovalStage(_Stage):
    METHOD = "approval"
    method: Literal["approval"]
    max_choices: MaxChoices | None = None  # None: all


class DotsStage(_Stage):
    METHOD = "dots"
    method: Literal["dots"]
    dots: DotCount
    max_per_item: DotCount | None = None  # None: as many as dots


class RankStage(_Stage):
    METHOD = "rank"
    method: Literal["rank"]


class ScoreStage(_Stage):
    METHOD = "score"
    method: Literal["score"]
    criteria: Annotated[list[Criterion], Field(min_length=1, max_length=LIMITS["criteria"])]
    scale: Scale | None = None  # None: 1-5


class BudgetStage(_Stage):
    METHOD = "budget"
    method: Literal["budget"]
    budget: BudgetBaht


class WordsStage(_Stage):
    METHOD = "words"
    method: Literal["words"]
    max_words: WordCount | None = None  # None: 3


class _AnyMethodStage(_Stage):
    """A stage whose method is missing or unknown: its common fields are still checked."""

    method: Method
    max_choices: Any = None
    dots: Any = None
    max_per_item: Any = None
    criteria: Any = None
    scale: Any = None
    budget: Any = None
    max_words: Any = None


def _stage_tag(value: Any) -> str:
    method = value.get("method") if isinstance(value, dict) else None
    return _STAGE_TAGS.get(method, _TAG_ANY_METHOD) if isinstance(method, str) else _TAG_ANY_METHOD


def _tagged(model: type[_Stage]) -> Any:
    return Annotated[model, Tag(_STAGE_TAGS.get(model.METHOD, _TAG_ANY_METHOD))]


#: A stage: the model of its method, or _AnyMethodStage when the method is missing or unknown.
Stage = Annotated[
    _tagged(SingleStage)
    | _tagged(ApprovalStage)
    | _tagged(DotsStage)
    | _tagged(RankStage)
    | _tagged(ScoreStage)
    | _tagged(BudgetStage)
    | _tagged(WordsStage)
    | _tagged(_AnyMethodStage),
    Discriminator(_stage_tag),
]


class Workshop(_Model):
    title: TitleText
    city: TitleText | None = None
    date: WorkshopDate | None = None
    #: IANA time zone of the venue (an extension of contract 1.1; default DEFAULT_TIMEZONE)
    timezone: TimeZoneName | None = None
    languages: Annotated[list[Language], Field(min_length=1)] = DEFAULT_LANGUAGES
    join: Literal["open", "tokens"] = "open"
    moderation: Literal["pre", "post"] = "pre"
    groups: Annotated[list[Group], Field(min_length=1, max_length=LIMITS["groups"])]
    stages: Annotated[list[Stage], Field(min_length=1, max_length=LIMITS["stages"])]


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def parse_workshop(data: object) -> dict[str, Any]:
    """Validate a workshop object (from JSON or YAML) and return it normalized.

    Raises :class:`DefinitionError` listing every problem found.
    """
    errors: list[_Error] = []
    workshop: Workshop | None = None
    try:
        workshop = Workshop.model_validate(data, context={"languages": _declared_languages(data)})
    except ValidationError as exc:
        errors.extend(_convert(error, data) for error in exc.errors())
    errors.extend(_check_relations(data))
    if errors or workshop is None:
        raise DefinitionError(_report(errors, data))
    return _normalize(workshop)


def load_workshop_text(text: str | bytes, *, filename: str = "") -> dict[str, Any]:
    """Read a workshop file (YAML, or JSON, which is YAML too) and parse it.

    Duplicate mapping keys are refused. ``filename`` is kept on the error for
    the caller's messages.
    """
    try:
        return parse_workshop(_load_yaml(text))
    except DefinitionError as exc:
        exc.filename = filename
        raise


# ---------------------------------------------------------------------------
# Relations between fields
# ---------------------------------------------------------------------------


def _check_relations(data: object) -> list[_Error]:
    """Checks that relate fields to each other, on the raw data.

    Each check skips values whose shape is wrong: pydantic reports those.
    """
    if not isinstance(data, dict):
        return []
    errors: list[_Error] = []

    languages = data.get("languages")
    if isinstance(languages, list):
        errors += _duplicates(languages, ("languages",), "duplicate language", field=None)
    groups = data.get("groups")
    if isinstance(groups, list):
        errors += _duplicates(groups, ("groups",), "duplicate group key")
    stages = data.get("stages")
    if not isinstance(stages, list):
        return errors
    errors += _duplicates(stages, ("stages",), "duplicate stage key")

    goals = {
        item["key"]
        for stage in stages
        if isinstance(stage, dict) and stage.get("kind") == "goals"
        for item in _list(stage.get("items"))
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }
    for s, stage in enumerate(stages):
        if isinstance(stage, dict):
            errors += _check_stage(stage, ("stages", s), goals)
            errors += _check_window(stage, ("stages", s), data.get("timezone"))
    return errors


def _check_window(stage: dict[Any, Any], loc: Loc, zone: object) -> list[_Error]:
    """``closes_at`` after ``opens_at``, both read in the workshop's time zone."""
    from .domain.schedule import moment

    if stage.get("opens_at") is None or stage.get("closes_at") is None:
        return []
    try:
        tz = _check_timezone(zone) if zone is not None else None
        opens, closes = (moment(_check_datetime(stage.get(name)), tz) for name in ("opens_at", "closes_at"))
    except (PydanticCustomError, ValueError):
        return []  # a missing or malformed time or zone gets its own error
    if opens is not None and closes is not None and closes <= opens:
        return [((*loc, "closes_at"), "must be after opens_at")]
    return []


def _check_stage(stage: dict[Any, Any], loc: Loc, goals: set[str]) -> list[_Error]:
    errors: list[_Error] = []
    method = stage.get("method")
    items = stage.get("items", [])

    if isinstance(items, list):
        errors += _duplicates(items, (*loc, "items"), "duplicate item key")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            goal = item.get("goal")
            if isinstance(goal, str) and goal not in goals:
                message = f"unknown goal '{_shown(goal)}' (no goals stage has this item)"
                errors.append(((*loc, "items", i, "goal"), message))
            sdgs = item.get("sdgs")
            if isinstance(sdgs, list):
                sdgs = [_sdg_text(sdg) for sdg in sdgs]
                errors += _duplicates(sdgs, (*loc, "items", i, "sdgs"), "duplicate SDG", field=None)
    criteria = stage.get("criteria")
    if method == "score" and isinstance(criteria, list):
        errors += _duplicates(criteria, (*loc, "criteria"), "duplicate criterion key")

    if method == "words":
        if isinstance(items, list) and items:
            errors.append(((*loc, "items"), "a words stage lists no items"))
        if stage.get("allow_ideas") is True:
            errors.append(((*loc, "allow_ideas"), "not allowed for method words"))
    elif method in METHODS and isinstance(items, list) and not items and stage.get("allow_ideas") is not True:
        errors.append(((*loc, "items"), "must list at least one item, unless allow_ideas is true"))

    if method == "approval" and isinstance(items, list) and items:
        max_choices = stage.get("max_choices")
        if _is_int(max_choices) and max_choices > len(items):
            errors.append(((*loc, "max_choices"), f"must be between 1 and {len(items)}"))
    if method == "dots":
        dots, per_item = stage.get("dots"), stage.get("max_per_item")
        if _is_int(dots) and _is_int(per_item) and 1 <= dots < per_item:
            errors.append(((*loc, "max_per_item"), f"must be between 1 and {dots} (dots)"))
    if method == "score":
        scale = stage.get("scale")
        low, high = (scale.get("min"), scale.get("max")) if isinstance(scale, dict) else (None, None)
        if _is_int(low) and _is_int(high) and low >= high:
            errors.append(((*loc, "scale"), "min must be less than max"))
    return errors


def _duplicates(entries: list[Any], loc: Loc, message: str, *, field: str | None = "key") -> list[_Error]:
    """Errors for repeated keys (or repeated plain values when ``field`` is None)."""
    errors: list[_Error] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        value = entry if field is None else (entry.get(field) if isinstance(entry, dict) else None)
        if field is not None and not (isinstance(value, str) and re.fullmatch(KEY_CHARS, value)):
            continue  # a malformed key gets its own error
        if not isinstance(value, str):
            continue
        if value in seen:
            where = (*loc, index) if field is None else (*loc, index, field)
            errors.append((where, f"{message} '{value}'"))
        seen.add(value)
    return errors


def _declared_languages(data: object) -> list[str] | None:
    """The workshop's languages when they are valid, for checking text maps."""
    if not isinstance(data, dict):
        return None
    languages = data.get("languages", DEFAULT_LANGUAGES)
    if (
        isinstance(languages, list)
        and languages
        and all(isinstance(code, str) and code in SUPPORTED_LANGUAGES for code in languages)
    ):
        return languages
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------------------
# Normalized output
# ---------------------------------------------------------------------------


def _normalize(workshop: Workshop) -> dict[str, Any]:
    out = workshop.model_dump(mode="json", exclude={"stages"})
    if out.get("timezone") is None:
        out.pop("timezone", None)  # not given: the default applies, the object stays as it was
    out["stages"] = [_normalize_stage(stage) for stage in workshop.stages]
    return out


def _normalize_stage(stage: _Stage) -> dict[str, Any]:
    raw = stage.model_dump(mode="json")
    method = raw["method"]
    scale = raw.get("scale") or {"min": 1, "max": 5}
    max_words = raw.get("max_words") or 3
    return {
        "key": raw["key"],
        "kind": raw["kind"],
        "title": raw["title"],
        "prompt": raw["prompt"],
        "method": method,
        "max_choices": raw.get("max_choices"),
        "dots": raw.get("dots"),
        "max_per_item": raw.get("max_per_item"),
        "criteria": raw.get("criteria") or [],
        "scale": scale if method == "score" else None,
        "budget": raw.get("budget"),
        "max_words": max_words if method == "words" else None,
        "show_results": raw["show_results"],
        "allow_comments": raw["allow_comments"],
        "allow_ideas": raw["allow_ideas"],
        "items": [_normalize_item(item) for item in raw["items"]],
        # the window only when given, so workshops without one look exactly as before
        **{name: raw[name] for name in STAGE_EXTENSIONS if raw.get(name) is not None},
    }


#: optional additions to a stage left out of the normalized object when absent
STAGE_EXTENSIONS = ("opens_at", "closes_at")


#: optional additions to an item that are left out of the normalized object when absent,
#: so workshops that do not use them look exactly as before
ITEM_EXTENSIONS = ("office", "strategy", "budget_years", "source")


def _normalize_item(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if not (k in ITEM_EXTENSIONS and v is None)}
    if out.get("source") is not None:
        out["source"] = {k: v for k, v in out["source"].items() if v is not None}
    return out


# ---------------------------------------------------------------------------
# Error messages
# ---------------------------------------------------------------------------

_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}
_MESSAGES: dict[str, str] = {
    "missing": "field required",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": f"must match {KEY_CHARS}",
    "union_tag_invalid": "is not one of the allowed forms",
    "union_tag_not_found": "is not one of the allowed forms",
}


def _convert(error: ErrorDetails, data: object) -> _Error:
    """One pydantic error as (location, short plain-English message)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = _clean_loc(error["loc"], key_error=kind == "invalid_key")
    name = loc[-1] if loc else None
    option_method = _option_method(loc, data)

    if kind == "model_type" and not loc:
        message = "a workshop must be a mapping (title, groups, stages, ...)"
    elif kind == "missing" and option_method:
        message = f"required for method {OPTIONS[str(name)]}"
    elif kind == "extra_forbidden" and option_method:
        message = f"not allowed for method {option_method}"
    elif kind in ("extra_forbidden", "invalid_key"):
        message = f"unknown field '{_shown(name)}'"
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        message = "must be one of " + ", ".join(choices)
    elif kind == "string_too_long":
        message = f"must be at most {ctx['max_length']} characters"
    elif kind == "too_short" and ctx.get("field_type") == "Dictionary":
        message = "must not be empty"
    elif kind == "too_short":
        message = f"must have at least {_entries(ctx['min_length'])}"
    elif kind == "too_long":
        message = f"must have at most {_entries(ctx['max_length'])}"
    elif kind in _BOUNDS:  # pydantic's own gt/ge/lt/le, should a field use them
        word, bound = _BOUNDS[kind]
        message = f"must be {word} {ctx.get(bound)}"
    elif kind in _MESSAGES:
        message = _MESSAGES[kind]
    else:  # our PydanticCustomErrors, and anything not foreseen
        message = error["msg"]
        message = message[:1].lower() + message[1:]

    if isinstance(value, bool) and kind in ("string_type", "text_type"):
        message += " (yes, no, on, off, true and false need quotes in YAML)"
    elif isinstance(value, str) and kind in ("int_type", "number_type"):
        message += " (write it without quotes)"
    return loc, message


def _clean_loc(loc: Sequence[str | int], *, key_error: bool = False) -> Loc:
    """Drop pydantic's union tags and dict-key markers from a location.

    A mapping key that is a number stays a name (``title.5``, not ``title[5]``).
    """
    parts = list(loc)
    if parts and (key_error or parts[-1] == "[key]"):
        parts = parts[:-1] if parts[-1] == "[key]" else parts
        parts[-1] = str(parts[-1])
    return tuple(part for part in parts if part not in _TAGS)


def _option_method(loc: Loc, data: object) -> str | None:
    """The stage's method when ``loc`` is a method option of a stage (``stages[1].dots``)."""
    if len(loc) != 3 or loc[0] != "stages" or not isinstance(loc[1], int) or loc[2] not in OPTIONS:
        return None
    stages = data.get("stages") if isinstance(data, dict) else None
    stage = stages[loc[1]] if isinstance(stages, list) and loc[1] < len(stages) else None
    method = stage.get("method") if isinstance(stage, dict) else None
    return method if isinstance(method, str) and method in METHODS else None


def _shown(value: object) -> str:
    """A user's value for a message: printable, and at most 40 characters."""
    text = str(value)
    text = text if len(text) <= 40 else text[:39] + "…"
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _number_text(value: float) -> str:
    """1000000 -> "1,000,000"; small numbers as they are."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if abs(value) >= 10_000 else str(value)


class _KeyedPairs(dict):  # type: ignore[type-arg]
    """A JSON object as decoded, remembering the keys it held more than once."""

    repeated: list[str]


def _keep_repeats(pairs: list[tuple[str, Any]]) -> _KeyedPairs:
    found = _KeyedPairs()
    found.repeated = []
    for key, value in pairs:
        if key in found:
            found.repeated.append(key)
        found[key] = value
    return found


def _json_repeats(value: object, path: Loc, errors: list[dict[str, str]]) -> None:
    if isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            errors.append({"loc": _format_loc(path) or "", "message": f"duplicate key '{_shown(key)}'"})
        for key, inner in value.items():
            _json_repeats(inner, (*path, key), errors)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _json_repeats(inner, (*path, index), errors)


def load_json_text(raw: str | bytes) -> object:
    """JSON as Python values; a key given twice in one object is an error with its place
    (plain ``json.loads`` keeps the last one silently). Raises ValueError for malformed
    JSON and DefinitionError for repeated keys."""
    data = json.loads(raw, object_pairs_hook=_keep_repeats)
    errors: list[dict[str, str]] = []
    _json_repeats(data, (), errors)
    if errors:
        raise DefinitionError(errors[: LIMITS["errors_reported"]])
    return data


def _format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _report(errors: list[_Error], data: object) -> list[dict[str, str]]:
    """Errors without repeats, in document order, capped, as dicts."""
    unique = list(dict.fromkeys(errors))
    unique.sort(key=lambda error: _document_position(error[0], data))
    report = [{"loc": _format_loc(loc), "message": message} for loc, message in unique]
    limit = LIMITS["errors_reported"]
    if len(report) > limit:
        report = [*report[:limit], {"loc": "", "message": f"and {len(report) - limit} more errors"}]
    return report


def _document_position(loc: Loc, data: object) -> tuple[int, ...]:
    """Where ``loc`` is in the document: a missing field sorts after its mapping's fields."""
    position: list[int] = []
    node: object = data
    for part in loc:
        if isinstance(node, Mapping):
            keys = list(node)
            # A number key shows as its name in the location: compare as text too.
            index = next((i for i, key in enumerate(keys) if part in (key, str(key))), len(keys))
            node = node[keys[index]] if index < len(keys) else None
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            index, node = part, node[part]
        else:
            index, node = 0, None
        position.append(index)
    return tuple(position)


# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML loading; an impossible date such as 2026-13-45 stays a string."""

    def construct_date_or_text(self, node: yaml.Node) -> object:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_date_or_text)

#: Most values a file may expand to through YAML aliases (a "billion laughs" guard).
_MAX_NODES = 1_000_000


class _YamlProblem(Exception):
    def __init__(self, mark: yaml.Mark | None, message: str) -> None:
        super().__init__(message)
        self.mark, self.message = mark, message


def _load_yaml(text: str | bytes) -> object:
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > LIMITS["file_bytes"]:
        raise DefinitionError([{"loc": "", "message": "file is larger than 1 MB"}])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DefinitionError([{"loc": "", "message": "file is not UTF-8 text"}]) from None

    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        duplicates: list[dict[str, str]] = []
        _scan_nodes(root, (), duplicates, {}, set())
        if duplicates:
            raise DefinitionError(duplicates)
        return loader.construct_document(root)
    except DefinitionError:
        raise
    except yaml.MarkedYAMLError as exc:
        problem = exc.problem or str(exc)
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc.context):
            problem = "found a second document; a file holds one workshop"
        raise DefinitionError([_yaml_error(exc.problem_mark, problem)]) from None
    except _YamlProblem as exc:
        raise DefinitionError([_yaml_error(exc.mark, exc.message)]) from None
    except yaml.YAMLError as exc:
        raise DefinitionError([{"loc": "", "message": f"not valid YAML: {exc}"}]) from None
    except RecursionError:
        raise DefinitionError([{"loc": "", "message": "file is nested too deeply"}]) from None
    except ValueError as exc:  # int() refuses numbers of more than 4300 digits
        message = "a number has too many digits" if "digits" in str(exc) else f"unreadable value: {exc}"
        raise DefinitionError([{"loc": "", "message": message}]) from None
    finally:
        loader.dispose()


def _yaml_error(mark: yaml.Mark | None, problem: str) -> dict[str, str]:
    if "'\\t'" in problem:
        problem = "found a tab; indent with spaces"
    if mark is None:
        return {"loc": "", "message": problem}
    return {"loc": f"line {mark.line + 1}", "message": f"{problem} (column {mark.column + 1})"}


def _scan_nodes(
    node: yaml.Node,
    path: Loc,
    duplicates: list[dict[str, str]],
    sizes: dict[int, int],
    open_nodes: set[int],
) -> int:
    """Find duplicate mapping keys; refuse alias loops and alias bombs.

    Returns how many values ``node`` expands to. Each node is scanned once,
    however many aliases point at it.
    """
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise _YamlProblem(node.start_mark, "an alias refers to a value that contains it")
    open_nodes.add(id(node))
    size = 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                line = key_node.start_mark.line + 1
                duplicates.append(
                    {"loc": _format_loc(path), "message": f"duplicate key '{_shown(key)}' (line {line})"}
                    if path
                    else {"loc": f"line {line}", "message": f"duplicate key '{_shown(key)}'"}
                )
            if key is not None:
                seen.add(key)
            size += _scan_nodes(key_node, path, duplicates, sizes, open_nodes)
            size += _scan_nodes(value_node, (*path, key or "?"), duplicates, sizes, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            size += _scan_nodes(child, (*path, index), duplicates, sizes, open_nodes)
    open_nodes.discard(id(node))
    if size > _MAX_NODES:
        raise _YamlProblem(node.start_mark, "file expands to too many values (check its aliases)")
    sizes[id(node)] = size
    return size
