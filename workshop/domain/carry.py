"""Carry forward: a stage's items taken from an earlier stage's results. Pure rules.

In a plan, the community forums rank local needs; the goals workshop then starts from
their best-ranked needs, the projects workshop from the chosen goals. :func:`select`
picks the carried items from a source stage's ranked results by one rule:

- ``{"top": N}``: the N best ranked, and any item tied with the N-th (equal scores share
  a rank, so cutting between them would be arbitrary); items nobody scored are never top;
- ``{"min_score": X}``: every item scoring X or more (0-100);
- ``{"approved_ideas": true}``: the items that came from residents' approved ideas;
- ``{"items": [keys]}``: picked by hand, in the order given.

:func:`carried_items` turns them into items of the target stage: each keeps its texts and
planning fields, and gets ``source`` = where it came from (workshop, stage, item, its rank
and score there). Keys stay the source's keys, so goals carried into a goals stage keep
their keys and projects can point at them; a key the target cannot use (a words entry,
or one taken by another item) gets a new one. :func:`merge` puts them into the target
stage's items (``append`` keeps what is there, ``replace`` starts afresh).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from .definition import KEY_PATTERN

RULES = ("top", "min_score", "approved_ideas", "items")
MODES = ("append", "replace")
KEY = re.compile(f"^{KEY_PATTERN}$")
#: fields of an item that travel with it (its texts and the plan's fields; never votes)
CARRIED_FIELDS = (
    "title",
    "description",
    "goal",
    "horizon",
    "budget",
    "sdgs",
    "indicator",
    "office",
    "strategy",
    "budget_years",
)
#: at most this many items in one stage (schema.LIMITS["items_per_stage"])
MAX_ITEMS = 200


#: the English text of each code (pages render the code from their catalog)
MESSAGES = {
    "rule": "choose one rule: top, min_score, approved_ideas or items",
    "top": "top must be a whole number from 1 to 200",
    "min_score": "min_score must be a number from 0 to 100",
    "items": "items must be a list of item keys of the source stage, each once",
    "unknown_item": "the source stage has no item '{item}'",
    "mode": "mode must be append or replace",
    "preview": "preview must be true or false",
    "stage_ref": 'must be {{"workshop": ID, "stage": KEY}}',
    "unknown_field": "is not a field of a carry",
    "carry_type": "a carry must be an object with from, to and rule",
    "nothing": "the rule picks no item",
    "too_many": "the target stage would hold {count} items, more than {max}",
    "key_taken": "the target stage has another item with the key '{key}'",
}


@dataclass(frozen=True)
class CarryError(ValueError):
    """A carry that cannot be done: a code with parameters (pages render it)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    #: where in the request (``rule``, ``from`` ...), when it is the request's fault
    loc: str = ""

    def __str__(self) -> str:
        return MESSAGES[self.code].format(**self.params)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class TopRule(_Rule):
    """The N best ranked, and any item tied with the N-th."""

    top: Annotated[int, Field(ge=1, le=MAX_ITEMS)]


class MinScoreRule(_Rule):
    """Every item scoring this or more (0-100)."""

    min_score: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]


class ApprovedIdeasRule(_Rule):
    """The items that came from residents' approved ideas."""

    approved_ideas: Literal[True]


class PickedRule(_Rule):
    """Picked by hand, in the order given."""

    items: Annotated[
        list[Annotated[str, Field(min_length=1)]],
        Field(min_length=1, json_schema_extra={"uniqueItems": True}),
    ]

    @field_validator("items")
    @classmethod
    def _once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise PydanticCustomError("items", MESSAGES["items"])
        return value


def _rule_name(value: Any) -> str | None:
    """A rule's tag: its one key, one of :data:`RULES` (None: no rule, refused as ``rule``)."""
    if isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in RULES:
        return str(next(iter(value)))
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return None


#: a rule: exactly one of them, told apart by its key
Rule = Annotated[
    Annotated[TopRule, Tag("top")]
    | Annotated[MinScoreRule, Tag("min_score")]
    | Annotated[ApprovedIdeasRule, Tag("approved_ideas")]
    | Annotated[PickedRule, Tag("items")],
    Discriminator(_rule_name, custom_error_type="rule", custom_error_message=MESSAGES["rule"]),
]
_RULE: TypeAdapter[Any] = TypeAdapter(Rule)


class StageRef(BaseModel):
    """A stage of a workshop of the plan."""

    model_config = ConfigDict(extra="forbid", strict=True)

    workshop: int
    stage: str


class CarryInput(BaseModel):
    """A carry (POST /api/v1/plans/ID/carry): the one definition of what it may hold.

    :func:`parse_carry` validates with it; the OpenAPI document shows it."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    from_: Annotated[StageRef, Field(alias="from")]
    to: StageRef
    rule: Rule
    mode: Literal["append", "replace"] = "append"
    preview: bool = False


def _code(error: ErrorDetails) -> tuple[str, str]:
    """(place, code) of one pydantic error of a carry."""
    loc = [str(part) for part in error["loc"]]
    if not loc:
        return "", "carry_type"
    top = loc[0]
    if error["type"] == "extra_forbidden" and len(loc) == 1:
        return top[:40], "unknown_field"
    if top in ("from", "to"):
        return top, "stage_ref"
    if top == "rule":
        if error["type"] == "rule" or len(loc) < 2:
            return "rule", "rule"
        tag = loc[1]
        return "rule", "rule" if tag == "approved_ideas" else tag
    return top, top if top in ("mode", "preview") else "rule"


def _error(error: ErrorDetails, under: tuple[str, ...] = ()) -> CarryError:
    loc, code = _code({**error, "loc": (*under, *error["loc"])})
    return CarryError(code, loc=loc)


def parse_rule(rule: object) -> dict[str, Any]:
    """One rule, checked: {"top": n} | {"min_score": x} | {"approved_ideas": True} | {"items": [...]}."""
    try:
        model = _RULE.validate_python(rule)
    except ValidationError as exc:
        raise _error(exc.errors(include_url=False)[0], ("rule",)) from None
    return dict(model.model_dump())


def parse_carry(data: object) -> CarryInput:
    """A carry request validated by :class:`CarryInput`; CarryError (code and place) otherwise:
    ``stage_ref`` for from/to, the rule's codes, ``mode``, ``preview``, ``unknown_field``."""
    try:
        return CarryInput.model_validate(data)
    except ValidationError as exc:
        raise _error(exc.errors(include_url=False)[0]) from None


def select(
    ranked: Sequence[Mapping[str, Any]], rule: Mapping[str, Any], ideas: Iterable[str] = ()
) -> list[Mapping[str, Any]]:
    """The results items (``key``, ``rank``, ``score`` ..., in rank order) the rule picks."""
    rule = parse_rule(rule)
    name, value = next(iter(rule.items()))
    scored = [item for item in ranked if item.get("score") is not None]
    if name == "top":
        if len(scored) <= value:
            return list(scored)
        cut = scored[value - 1]["rank"]
        return [item for item in scored if item["rank"] <= cut]
    if name == "min_score":
        # the contract rounds scores for display only: compare the exact value, with float noise
        return [item for item in scored if round(float(item["score"]), 9) >= value]
    if name == "approved_ideas":
        wanted = set(ideas)
        return [item for item in ranked if item["key"] in wanted]
    by_key = {item["key"]: item for item in ranked}
    missing = [key for key in value if key not in by_key]
    if missing:
        raise CarryError("unknown_item", {"item": missing[0][:40]})
    return [by_key[key] for key in value]


def carried_items(
    picked: Sequence[Mapping[str, Any]],
    definitions: Mapping[str, Mapping[str, Any]],
    *,
    workshop_id: int,
    stage_key: str,
    taken: Iterable[str] = (),
    prefix: str = "c",
    goal_keys: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """Items for the target stage, each with its ``source``; keys kept where they can be.

    ``definitions``: the source stage's item definitions by key (words entries have none:
    their entry is the title). ``taken``: keys the target stage already uses for other items.
    ``goal_keys``: the goals of the target workshop; an item's ``goal`` that is not one of
    them is left out (a goal must name a goal of its own workshop).
    """
    used = set(taken)
    goals = None if goal_keys is None else set(goal_keys)
    out = []
    counter = 0
    for result in picked:
        source_key = str(result["key"])
        definition = definitions.get(source_key) or {}
        item: dict[str, Any] = {
            k: definition[k] for k in CARRIED_FIELDS if definition.get(k) not in (None, [], {})
        }
        item.setdefault("title", definition.get("title") or result.get("title") or source_key)
        if goals is not None and item.get("goal") not in goals:
            item.pop("goal", None)
        key = source_key
        if not KEY.match(key) or key in used:
            counter += 1
            while f"{prefix}{counter}" in used:
                counter += 1
            key = f"{prefix}{counter}"
        used.add(key)
        source: dict[str, Any] = {"workshop": workshop_id, "stage": stage_key, "item": source_key[:200]}
        if result.get("rank") is not None and result.get("score") is not None:
            source["rank"] = int(result["rank"])
        if result.get("score") is not None:
            source["score"] = float(result["score"])
        out.append({"key": key, **item, "source": source})
    return out


def same_source(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    return bool(a and b) and all(a.get(k) == b.get(k) for k in ("workshop", "stage", "item"))  # type: ignore[union-attr]


def merge(
    existing: Sequence[Mapping[str, Any]], carried: Sequence[dict[str, Any]], mode: str
) -> list[dict[str, Any]]:
    """The target stage's new items: ``replace`` = the carried ones; ``append`` = the existing
    ones, then the carried ones not carried before (an item already carried from the same
    source item is updated in place, keeping its key and the planner's own fields)."""
    if mode not in MODES:
        raise CarryError("mode")
    if mode == "replace":
        items = [dict(item) for item in carried]
    else:
        items = [dict(item) for item in existing]
        for new in carried:
            same = next(
                (i for i, old in enumerate(items) if same_source(old.get("source"), new["source"])), None
            )
            if same is not None:
                items[same] = {
                    **new,
                    **{k: v for k, v in items[same].items() if k != "source"},
                    "source": new["source"],
                }
                continue
            if any(old["key"] == new["key"] for old in items):
                raise CarryError("key_taken", {"key": new["key"]})
            items.append(new)
    if not carried:
        raise CarryError("nothing")
    if len(items) > MAX_ITEMS:
        raise CarryError("too_many", {"count": len(items), "max": MAX_ITEMS})
    return items
