"""The workshop definition: one typed model from the file to the PDF.

A workshop file (contract section 1), a stored workshop and the API's workshop
object are the same :class:`WorkshopDefinition`. It is validated once, where
the text comes in (``domain.workshop_file``, or :meth:`WorkshopDefinition.from_stored`
for a row), and then handed on as is: the ballot rules, the results, the
console, the resident page, the exports and the paper-ballot parser read its
fields. Every default, limit, key pattern and the list of methods is written
here and nowhere else:

* ``LIMITS``: sizes and number bounds of a file;
* ``KEY_PATTERN``: what a group, stage, item or criterion key looks like;
* ``METHODS`` and ``OPTIONS``: the voting methods and which options each takes;
* field defaults: ``scale`` 1-5 (score), ``max_words`` 3 (words), ``max_choices``
  all items (approval, :attr:`ApprovalStage.choice_limit`), ``max_per_item`` all
  the dots (:attr:`DotsStage.per_item_limit`), ``languages`` ``[th]``, ``join``
  ``open``, ``moderation`` ``pre``, ``show_results`` ``after_close``.

Stored definitions carry ``version`` (:data:`FORMAT_VERSION`); a row written
before the typed model has none and is version 1, the same shape, so it loads
unchanged. :meth:`WorkshopDefinition.to_json` gives the API's form: every
optional field present, every stage with every method option (``None`` or
``[]`` where it does not apply).

Pure: pydantic checks shapes, nothing here reads a request, a row or a file.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, TypeAlias, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetJsonSchemaHandler,
    PlainValidator,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationInfo,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError

#: Size limits of a workshop file and bounds of its numbers, for the README and the API.
LIMITS: dict[str, int] = {
    "file_bytes": 1024 * 1024,  # a workshop file or API body
    "expected_attendance": 100_000,  # people a workshop expects (issue 14.4)
    "title_chars": 200,  # titles, city, group and criterion labels
    "prompt_chars": 1000,
    "description_chars": 2000,
    "indicator_chars": 500,
    "groups": 20,
    "stages": 50,
    "items_per_stage": 200,
    "criteria": 10,
    "sdgs_per_item": 20,
    "budget_years_per_item": 10,  # years of an item's budget_years
    "dots": 1000,  # most dots a dots stage can hand out
    "max_words": 10,
    "budget_baht": 1_000_000_000_000,  # stage budgets and item costs
    "criterion_weight": 100,
    "scale_bound": 1000,  # a score scale lies within -1000..1000
    "errors_reported": 100,
}

#: Version of the stored form written by :meth:`WorkshopDefinition.to_stored`.
#: 1: rows written before the typed model (no ``version`` field), the same shape.
FORMAT_VERSION = 2

Language = Literal["th", "en"]
Method = Literal["single", "approval", "dots", "rank", "score", "budget", "words"]
Kind = Literal["vision", "goals", "projects", "ideas", "other"]
Horizon = Literal["short", "medium", "long"]
ShowResults = Literal["live", "after_close", "never"]
JoinMode = Literal["open", "tokens"]
Moderation = Literal["pre", "post"]

SUPPORTED_LANGUAGES: tuple[str, ...] = get_args(Language)
#: The language of a workshop that names none, and of pages when nothing else decides.
DEFAULT_LANGUAGE = "th"
DEFAULT_LANGUAGES: tuple[str, ...] = (DEFAULT_LANGUAGE,)
METHODS: tuple[str, ...] = get_args(Method)
KINDS: tuple[str, ...] = get_args(Kind)
#: What a group, stage, item or criterion key looks like (a regular expression, unanchored).
#: Longest key, in characters (the database columns hold this many).
KEY_CHARS = 32
KEY_PATTERN = f"[a-z0-9_-]{{1,{KEY_CHARS}}}"
KEY_RE = re.compile(KEY_PATTERN)

#: Default scale of a score stage, and of words a words ballot may hold.
DEFAULT_SCALE_MIN, DEFAULT_SCALE_MAX = 1, 5
DEFAULT_MAX_WORDS = 3
#: Weight of a score criterion that names none.
DEFAULT_WEIGHT = 1

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

# Union tags: pydantic puts them into error locations; error reports drop them.
TAG_PLAIN, TAG_MAP, TAG_ANY_METHOD = "§text", "§map", "§any"
STAGE_TAGS = {method: f"§{method}" for method in METHODS}
TAGS = frozenset({TAG_PLAIN, TAG_MAP, TAG_ANY_METHOD, *STAGE_TAGS.values()})


def shown(value: object) -> str:
    """A user's value for a message: printable, and at most 40 characters."""
    text = str(value)
    text = text if len(text) <= 40 else text[:39] + "…"
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def number_text(value: float) -> str:
    """1000000 -> "1,000,000"; small numbers as they are."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if abs(value) >= 10_000 else str(value)


# ---------------------------------------------------------------------------
# Field types


def _check_language(code: Any, info: ValidationInfo) -> str:
    """A key of a text map: one of the workshop's languages."""
    allowed = (info.context or {}).get("languages") or SUPPORTED_LANGUAGES
    if not isinstance(code, str) or code not in allowed:
        raise PydanticCustomError("language", "language '{code}' is not in languages", {"code": shown(code)})
    return code


def _text_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return TAG_PLAIN
    if isinstance(value, dict):
        return TAG_MAP
    return None


def _text(max_chars: int) -> Any:
    """A text: a plain string, or a map from language code to string."""
    plain = Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=max_chars),
        Field(json_schema_extra={"pattern": r"\S"}),  # trimmed, then not empty
    ]
    by_language = Annotated[
        dict[Annotated[Any, AfterValidator(_check_language)], plain],
        Field(min_length=1, json_schema_extra={"propertyNames": {"enum": list(SUPPORTED_LANGUAGES)}}),
    ]
    return Annotated[
        Annotated[plain, Tag(TAG_PLAIN)] | Annotated[by_language, Tag(TAG_MAP)],
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
                {"low": number_text(low), "high": number_text(high)},
            )
        return value

    return Annotated[int, AfterValidator(check), Field(json_schema_extra={"minimum": low, "maximum": high})]


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
                "number_above", "must be greater than {bound}", {"bound": number_text(above)}
            )
        if at_least is not None and value < at_least:
            raise PydanticCustomError(
                "number_at_least", "must be at least {bound}", {"bound": number_text(at_least)}
            )
        if value > high:
            raise PydanticCustomError(
                "number_at_most", "must be at most {bound}", {"bound": number_text(high)}
            )
        return value

    bounds: dict[str, Any] = {"maximum": high}
    if above is not None:
        bounds["exclusiveMinimum"] = above
    if at_least is not None:
        bounds["minimum"] = at_least
    return Annotated[
        int | float, PlainValidator(check, json_schema_input_type=float), Field(json_schema_extra=bounds)
    ]


def _check_date(value: Any) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "must be a date like 2026-12-05")


def check_timezone(value: Any) -> str:
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


def check_datetime(value: Any) -> str:
    """An ISO date and time (``2026-12-05T18:00``, an offset optional): a stage's window."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, str) and len(value) <= 40 and _DATETIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).isoformat(timespec="seconds")
        except ValueError:
            pass
    raise PydanticCustomError("datetime_format", "must be a date and time like 2026-12-05T18:00")


SDG_PATTERN = r"(?:[1-9]|1[0-7])(?:\.[0-9a-z]{1,2})?"
_SDG = re.compile(SDG_PATTERN)


def sdg_text(value: Any) -> Any:
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


Key = Annotated[str, StringConstraints(pattern=f"^{KEY_PATTERN}$")]
if TYPE_CHECKING:  # what the validated values are, as mypy reads them (the builders below are calls)
    TitleText: TypeAlias = str | dict[str, str]
    PromptText: TypeAlias = str | dict[str, str]
    DescriptionText: TypeAlias = str | dict[str, str]
    IndicatorText: TypeAlias = str | dict[str, str]
else:
    TitleText = _text(LIMITS["title_chars"])
    PromptText = _text(LIMITS["prompt_chars"])
    DescriptionText = _text(LIMITS["description_chars"])
    IndicatorText = _text(LIMITS["indicator_chars"])
WorkshopDate = Annotated[
    str,
    PlainValidator(_check_date, json_schema_input_type=str),
    Field(json_schema_extra={"format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
]
TimeZoneName = Annotated[
    str,
    PlainValidator(check_timezone, json_schema_input_type=str),
    Field(json_schema_extra={"pattern": r"^[A-Za-z0-9_+\-/]{1,64}$"}),
]
DateTimeText = Annotated[
    str,
    PlainValidator(check_datetime, json_schema_input_type=str),
    Field(json_schema_extra={"pattern": f"^{_DATETIME.pattern}$", "examples": ["2026-12-05T18:00"]}),
]
Sdg = Annotated[
    str,
    BeforeValidator(sdg_text),
    AfterValidator(_check_sdg),
    Field(json_schema_extra={"pattern": f"^{SDG_PATTERN}$"}),
]
if TYPE_CHECKING:
    Baht: TypeAlias = int | float
    Weight: TypeAlias = int | float
    ScaleBound: TypeAlias = int
    MaxChoices: TypeAlias = int
    ExpectedAttendance: TypeAlias = int
    DotCount: TypeAlias = int
    WordCount: TypeAlias = int
    BudgetBaht: TypeAlias = int
else:
    Baht = _number(at_least=0, high=LIMITS["budget_baht"])
    Weight = _number(above=0, high=LIMITS["criterion_weight"])
    ScaleBound = _int_range(-LIMITS["scale_bound"], LIMITS["scale_bound"])
    MaxChoices = _int_range(1, LIMITS["items_per_stage"])
    ExpectedAttendance = _int_range(1, LIMITS["expected_attendance"])
    DotCount = _int_range(1, LIMITS["dots"])
    WordCount = _int_range(1, LIMITS["max_words"])
    BudgetBaht = _int_range(1, LIMITS["budget_baht"])


# ---------------------------------------------------------------------------
# Models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Group(_Model):
    """A stakeholder group a resident picks when joining."""

    key: Key
    label: TitleText


class Criterion(_Model):
    key: Key
    label: TitleText
    weight: Weight = DEFAULT_WEIGHT


class Scale(_Model):
    min: ScaleBound
    max: ScaleBound


DEFAULT_SCALE = Scale(min=DEFAULT_SCALE_MIN, max=DEFAULT_SCALE_MAX)


def _year_key(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


#: a Buddhist-era year, 2500-2699 (unanchored)
BUDGET_YEAR_PATTERN = "2[5-6][0-9][0-9]"


def _check_year(value: str) -> str:
    if not re.fullmatch(BUDGET_YEAR_PATTERN, value):
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


#: optional additions to an item that are left out of its JSON form when absent,
#: so workshops that do not use them look exactly as before (issue 13.5)
ITEM_EXTENSIONS = ("office", "strategy", "budget_years", "source")
#: optional additions to a stage left out of its JSON form when absent
STAGE_EXTENSIONS = ("opens_at", "closes_at")


class Item(_Model):
    """An item of a stage: from the workshop file, or an approved idea."""

    key: Key
    title: TitleText
    description: DescriptionText | None = None
    goal: str | None = None  # checked against the goals stages (workshop_file: relations)
    horizon: Horizon | None = None
    budget: Baht | None = None
    sdgs: Annotated[
        list[Sdg], Field(max_length=LIMITS["sdgs_per_item"], json_schema_extra={"uniqueItems": True})
    ] = []
    indicator: IndicatorText | None = None
    # Additions for a Thai development plan (issue 13.5), all optional:
    #: the office responsible (กองช่าง, กองสาธารณสุขฯ ...)
    office: TitleText | None = None
    #: the strategy and approach of the plan it serves (ยุทธศาสตร์/แนวทางการพัฒนา)
    strategy: TitleText | None = None
    #: baht per Buddhist-era year, e.g. {"2570": 500000, "2571": 1500000}
    budget_years: (
        Annotated[
            dict[BudgetYear, Baht],
            Field(
                max_length=LIMITS["budget_years_per_item"],
                json_schema_extra={"propertyNames": {"pattern": f"^{BUDGET_YEAR_PATTERN}$"}},
            ),
        ]
        | None
    ) = None
    #: set by carry forward: the results this item was carried from
    source: Source | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form: the additions left out when absent (and a source's empty fields)."""
        out = {k: v for k, v in self.model_dump(mode="json").items()
               if not (k in ITEM_EXTENSIONS and v is None)}
        if out.get("source") is not None:
            out["source"] = {k: v for k, v in out["source"].items() if v is not None}
        return out


def _none_is(default: Any) -> Any:
    """``null`` in a file means the default (so the API's own output reads back unchanged)."""
    return BeforeValidator(lambda value: default if value is None else value)


class StageBase(_Model):
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

    @property
    def item_keys(self) -> list[str]:
        return [item.key for item in self.items]

    def with_items(self, items: list[Item]) -> StageDefinition:
        """The same stage with ``items`` (approved ideas included), unchecked: they were checked."""
        return self.model_copy(update={"items": items})  # type: ignore[return-value]

    def to_json(self) -> dict[str, Any]:
        """The API's form: every method option present, ``None`` (or ``[]``) where it does not apply."""
        raw = self.model_dump(mode="json")
        return {
            "key": raw["key"],
            "kind": raw["kind"],
            "title": raw["title"],
            "prompt": raw["prompt"],
            "method": raw["method"],
            **{name: raw.get(name, [] if name == "criteria" else None) for name in OPTIONS},
            "show_results": raw["show_results"],
            "allow_comments": raw["allow_comments"],
            "allow_ideas": raw["allow_ideas"],
            "items": [item.to_json() for item in self.items],
            # the window only when given, so workshops without one look exactly as before
            **{name: raw[name] for name in STAGE_EXTENSIONS if raw.get(name) is not None},
        }


class SingleStage(StageBase):
    METHOD = "single"
    method: Literal["single"]


class ApprovalStage(StageBase):
    METHOD = "approval"
    method: Literal["approval"]
    max_choices: MaxChoices | None = None  # None: all items

    @property
    def choice_limit(self) -> int:
        """Most items one ballot may name."""
        return len(self.items) if self.max_choices is None else self.max_choices


class DotsStage(StageBase):
    METHOD = "dots"
    method: Literal["dots"]
    dots: DotCount
    max_per_item: DotCount | None = None  # None: as many as dots

    @property
    def per_item_limit(self) -> int:
        """Most dots one ballot may put on one item."""
        return self.dots if self.max_per_item is None else self.max_per_item


class RankStage(StageBase):
    METHOD = "rank"
    method: Literal["rank"]


class ScoreStage(StageBase):
    METHOD = "score"
    method: Literal["score"]
    criteria: Annotated[list[Criterion], Field(min_length=1, max_length=LIMITS["criteria"])]
    scale: Annotated[Scale, _none_is(DEFAULT_SCALE)] = DEFAULT_SCALE


class BudgetStage(StageBase):
    METHOD = "budget"
    method: Literal["budget"]
    budget: BudgetBaht


def _words_schema(schema: dict[str, Any]) -> None:
    """What the file checks say (workshop_file): a words stage lists no items and takes no ideas."""
    schema["properties"]["items"]["maxItems"] = 0
    schema["properties"]["allow_ideas"]["const"] = False


class WordsStage(StageBase):
    model_config = ConfigDict(json_schema_extra=_words_schema)
    METHOD = "words"
    method: Literal["words"]
    max_words: Annotated[WordCount, _none_is(DEFAULT_MAX_WORDS)] = DEFAULT_MAX_WORDS


class AnyMethodStage(StageBase):
    """A stage whose method is missing or unknown: its common fields are still checked.

    Never valid (``method`` must be one of ``METHODS``, which picks another model);
    it lets one report name the bad method and the other mistakes of the stage.
    """

    method: Method
    max_choices: Any = None
    dots: Any = None
    max_per_item: Any = None
    criteria: Any = None
    scale: Any = None
    budget: Any = None
    max_words: Any = None


#: The model of each method.
STAGE_MODELS: dict[str, type[StageBase]] = {
    model.METHOD: model
    for model in (SingleStage, ApprovalStage, DotsStage, RankStage, ScoreStage, BudgetStage, WordsStage)
}
assert set(STAGE_MODELS) == set(METHODS)

StageDefinition = SingleStage | ApprovalStage | DotsStage | RankStage | ScoreStage | BudgetStage | WordsStage


def _stage_tag(value: Any) -> str:
    if isinstance(value, StageBase):
        return STAGE_TAGS.get(value.METHOD, TAG_ANY_METHOD)
    method = value.get("method") if isinstance(value, dict) else None
    return STAGE_TAGS.get(method, TAG_ANY_METHOD) if isinstance(method, str) else TAG_ANY_METHOD


def _tagged(model: type[StageBase]) -> Any:
    return Annotated[model, Tag(STAGE_TAGS.get(model.METHOD, TAG_ANY_METHOD))]


class _MethodUnion:
    """The JSON schema of a stage: one variant per method, told apart by ``method``.

    (AnyMethodStage, which only ever fails validation, is left out of the document.)
    """

    @staticmethod
    def __get_pydantic_json_schema__(core_schema: Any, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        *variants, any_method = schema.pop("oneOf")  # the union's order: METHODS, then AnyMethodStage
        assert len(variants) == len(METHODS), any_method
        mapping = {method: ref["$ref"] for method, ref in zip(METHODS, variants, strict=True)}
        return {**schema, "oneOf": variants, "discriminator": {"propertyName": "method", "mapping": mapping}}


if TYPE_CHECKING:
    Stage: TypeAlias = StageDefinition  # AnyMethodStage only ever fails validation
else:
    #: A stage: the model of its method, or AnyMethodStage when the method is missing or unknown.
    Stage = Annotated[
        _tagged(SingleStage)
        | _tagged(ApprovalStage)
        | _tagged(DotsStage)
        | _tagged(RankStage)
        | _tagged(ScoreStage)
        | _tagged(BudgetStage)
        | _tagged(WordsStage)
        | _tagged(AnyMethodStage),
        Discriminator(_stage_tag),
        _MethodUnion,
    ]


class WorkshopDefinition(_Model):
    """A workshop: what a file holds, what the database keeps, what the API shows."""

    title: TitleText
    city: TitleText | None = None
    date: WorkshopDate | None = None
    #: IANA time zone of the venue (an extension of contract 1.1; default DEFAULT_TIMEZONE)
    timezone: TimeZoneName | None = None
    languages: Annotated[list[Language], Field(min_length=1, json_schema_extra={"uniqueItems": True})] = list(
        DEFAULT_LANGUAGES  # type: ignore[arg-type]
    )
    join: JoinMode = "open"
    moderation: Moderation = "pre"
    #: how many people the organisers expect (issue 14.4): the run sheet warns past it
    expected_attendance: ExpectedAttendance | None = None
    groups: Annotated[list[Group], Field(min_length=1, max_length=LIMITS["groups"])]
    stages: Annotated[list[Stage], Field(min_length=1, max_length=LIMITS["stages"])]

    @property
    def language(self) -> str:
        """The default language (the first of ``languages``)."""
        return self.languages[0]

    @property
    def group_keys(self) -> list[str]:
        return [group.key for group in self.groups]

    @property
    def uses_cards(self) -> bool:
        """Whether residents join with printed single-use cards."""
        return self.join == "tokens"

    def stage(self, key: str) -> StageDefinition | None:
        for stage in self.stages:
            if stage.key == key:
                return stage
        return None

    def to_json(self) -> dict[str, Any]:
        """The API's form of the workshop object (contract sections 1 and 3)."""
        out = self.model_dump(mode="json", exclude={"stages"})
        if out.get("timezone") is None:
            out.pop("timezone", None)  # not given: the default applies, the object stays as it was
        if out.get("expected_attendance") is None:
            out.pop("expected_attendance", None)
        out["stages"] = [stage.to_json() for stage in self.stages]
        return out

    # -- storage ---------------------------------------------------------

    def stored_header(self) -> dict[str, Any]:
        """What a workshop row keeps: the workshop without its stages, with ``version``."""
        header = {k: v for k, v in self.to_json().items() if k != "stages"}
        return {"version": FORMAT_VERSION, **header}

    @staticmethod
    def stored_stage(stage: StageBase) -> dict[str, Any]:
        """What a stage row keeps: the stage without its items (items are rows of their own)."""
        body = stage.to_json()
        del body["items"]
        return body

    @classmethod
    def from_stored(
        cls, header: dict[str, Any], stages: list[tuple[dict[str, Any], list[dict[str, Any]]]]
    ) -> WorkshopDefinition:
        """The definition kept in rows: the header, and each stage's config with its items' data.

        Versions 1 (no ``version`` field) and 2 have the same shape. Raises
        ``ValueError`` for a version this code does not know (a newer program wrote it).
        """
        body = dict(header)
        version = body.pop("version", 1)
        if version not in (1, FORMAT_VERSION):
            raise ValueError(f"workshop stored in format {version}; this program reads 1 to {FORMAT_VERSION}")
        body["stages"] = [{**config, "items": items} for config, items in stages]
        return cls.model_validate(body, context={"languages": body.get("languages")})


_STAGE_ADAPTER: TypeAdapter[Any] = TypeAdapter(Stage)


def stage_from_json(data: dict[str, Any]) -> StageDefinition:
    """One stage (with its items) from its JSON or stored form, checked."""
    stage = _STAGE_ADAPTER.validate_python(data)
    if isinstance(stage, AnyMethodStage):  # pragma: no cover - method is a Literal of METHODS
        raise ValueError("unknown method")
    return stage  # type: ignore[no-any-return]
