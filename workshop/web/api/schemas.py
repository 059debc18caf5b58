"""The shapes of API v1's bodies, as pydantic models: the OpenAPI document is generated from them.

The workshop object itself is the domain's :class:`~workshop.domain.definition.WorkshopDefinition`
(every method's stage a variant of one union, told apart by ``method``), the results object is
``domain.results``' :class:`~workshop.domain.results.Results`; this module adds the HTTP envelopes
around them: what a handler answers (a created workshop, a paper batch, an error ...) and the small
request bodies (sign in, join, a paper batch ...). ``openapi.openapi_document`` names these classes
in its table of paths and turns them into ``components/schemas``; tests validate real responses
against the result, so a handler whose answer drifts from its model fails.

Envelopes allow additional properties (an addition to the contract is not an error); the workshop
object, its stages and items are exact (``additionalProperties: false``, as the API checks them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ...domain import edits

# request bodies the domain defines and validates with: named here for the OpenAPI document
from ...domain.carry import CarryInput as CarryInput
from ...domain.definition import (
    OPTIONS,
    STAGE_EXTENSIONS,
    STAGE_MODELS,
    Item,
    Key,
    Language,
    Method,
    StageBase,
    TitleText,
    WorkshopDefinition,
)
from ...domain.definition import Stage as StageDefinition
from ...domain.plans import Period
from ...domain.plans import PlanInput as PlanInput

StageStateName = Literal["draft", "open", "closed"]
Role = Literal["owner", "facilitator", "viewer"]
When = Annotated[str, Field(description="ISO 8601 date and time", examples=["2026-12-05T09:30:00+00:00"])]


class Envelope(BaseModel):
    """A body of the API: the fields named are there; more may be added later."""

    model_config = ConfigDict(extra="allow")


# -- errors --------------------------------------------------------------------------------------


class ErrorBody(Envelope):
    code: str = Field(description="what went wrong, for programs: not_found, invalid, stale_revision, "
                                  "duplicate_batch, join_paused, rate_limited, ...")
    message: str = Field(description="the same in English, for people")
    details: Any = Field(default=None, description="where and why, when there is more to say (e.g. for an "
                                           "invalid workshop, each problem's loc and message)")


class Error(Envelope):
    """Every error under /api and /healthz."""

    error: ErrorBody


class EditRefusal(Envelope):
    """One refused change of a workshop edit: its place, a code and the parameters of its message."""

    loc: str
    code: Annotated[str, Field(json_schema_extra={"enum": sorted(edits.ENGLISH)})]
    params: dict[str, Any]
    message: str


class EditConflictBody(ErrorBody):
    details: list[EditRefusal] | dict[str, Any] | None = Field(
        None,
        description="stale_revision: {revision: the current one}; edit_invalidates_ballots: each refusal",
    )


class EditConflict(Error):
    """409 of an edit: ``stale_revision`` or ``edit_invalidates_ballots``."""

    error: EditConflictBody


# -- meta, sign-in -------------------------------------------------------------------------------


class Health(Envelope):
    status: str


class SignIn(BaseModel):
    username: str
    password: str


class Token(Envelope):
    token: str
    token_type: str
    expires_at: When


# -- workshops -----------------------------------------------------------------------------------


class WorkshopObject(WorkshopDefinition):
    """The workshop object (contract section 1): what a workshop file holds, as JSON."""


class Created(Envelope):
    id: int
    code: str
    join_url: str
    projector_url: str


def _stage_view() -> type[BaseModel]:
    """A stage as GET gives it: the fields of every stage, every method option (``null``, or ``[]``
    for criteria, where it does not apply), the window when set, and its state."""
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in StageBase.model_fields.items()
        if name not in STAGE_EXTENSIONS and name != "items"
    }
    fields["method"] = (Method, ...)
    for name, method in OPTIONS.items():
        option = STAGE_MODELS[method].model_fields[name]
        if name == "criteria":
            fields[name] = (option.annotation, Field(..., description=f"{method} stages; [] otherwise"))
        else:
            bounded: Any = option.annotation
            if option.metadata:
                bounded = Annotated[(bounded, *option.metadata)]
            fields[name] = (bounded | None, Field(..., description=f"{method} stages; null otherwise",
                                                   json_schema_extra=option.json_schema_extra))
    for name in STAGE_EXTENSIONS:
        fields[name] = (StageBase.model_fields[name].annotation, Field(None, description="only when set"))
    fields["items"] = (list[Item], ...)
    fields["state"] = (StageStateName, ...)
    fields["results_shown"] = (bool, ...)
    return create_model("Stage", __config__=ConfigDict(extra="forbid"), **fields)


Stage = _stage_view()


class Workshop(WorkshopDefinition):
    """A workshop as GET gives it: the workshop object with ids, URLs and each stage's state."""

    id: int
    code: str
    join_url: str
    projector_url: str
    created_at: When
    revision: int
    erased_at: When | None = Field(None, description="when residents' personal data was erased (PDPA)")
    stages: list[Stage]  # type: ignore[valid-type]


class WorkshopEdit(WorkshopDefinition):
    """The whole workshop object as it should be from now on, plus the revision it was based on
    (from GET). The read-only fields GET adds (id, code, URLs, each stage's state and
    results_shown) may be sent back and are ignored. Before any stage opens anything may change;
    a stage with ballots keeps its method, its method options (criteria keys and weights
    included) and its item keys; a stage that has opened cannot be removed; a group with
    participants or join cards cannot be removed. Texts, an item's goal, horizon, budget, SDGs
    and indicator, new stages and new groups may always change. Every open phone and projector
    gets the new definition at once (the state event with the whole workshop)."""

    revision: int
    id: int | None = None
    code: str | None = None
    join_url: str | None = None
    projector_url: str | None = None
    created_at: str | None = None
    erased_at: str | None = None
    stages: Annotated[
        list[StageDefinition | Stage],  # type: ignore[valid-type]
        Field(min_length=1, description="each stage as in the workshop object, or as GET gave it"),
    ]


class StageState(Envelope):
    key: str
    state: StageStateName
    results_shown: bool
    revision: int | None = None


class JoinPaused(Envelope):
    workshop_id: int
    join_paused: bool


class Erased(Envelope):
    erased_at: When
    participants: int
    receipts: int | None = None
    comments_deleted: int | None = None
    ideas_deleted: int | None = None


ScreenName = Literal["auto", "welcome", "stage", "comments", "ideas", "participation"]


class Shows(Envelope):
    """What is on screen now: ``auto`` resolved to a stage or the welcome."""

    screen: str
    stage: str | None


class Screen(Envelope):
    screen: ScreenName
    stage: str | None
    shows: Shows


class ScreenChoice(BaseModel):
    screen: ScreenName | Literal["next", "previous"]
    stage: str | None = Field(None, description="the stage key, for the `stage` screen only")


# -- paper ballots, word merges ------------------------------------------------------------------


class PaperBallots(BaseModel):
    group: Key
    ballots: Annotated[list[dict[str, Any]], Field(min_length=1, description="choices, as on a phone")]
    confirm: bool | None = Field(None, description="count it although identical to a batch of the last "
                                                   "30 minutes (otherwise 409 duplicate_batch)")


class PaperBatch(Envelope):
    id: int
    stage: str
    group: str
    count: int
    created_at: When
    created_by: str | None
    confirmed_duplicate: bool | None = None
    voided: bool
    voided_at: When | None
    voided_by: str | None


class Paper(Envelope):
    stored: int
    ballots: int
    paper_ballots: int
    batch_id: int | None = None
    batch: PaperBatch | None = None


class MergeWords(BaseModel):
    from_: Annotated[list[str], Field(alias="from", min_length=1)]
    into: str


class WordMerge(Envelope):
    id: int
    stage: str
    from_: Annotated[list[str], Field(alias="from")]
    into: str
    into_label: str
    created_at: When
    created_by: str | None = None
    undone: bool
    undone_at: When | None = None
    undone_by: str | None = None


# -- moderation, join cards, joining -------------------------------------------------------------


class Comment(Envelope):
    id: int
    stage: str
    item: str | None
    group: str
    text: str
    status: Literal["pending", "published", "rejected"]
    created_at: When


class Idea(Envelope):
    id: int
    stage: str
    group: str
    title: str
    description: str | None
    status: Literal["pending", "approved", "rejected"]
    item: str | None
    created_at: When | None = None


class TokensRequest(BaseModel):
    group: Key
    count: Annotated[int, Field(ge=1, le=2000)]


class JoinCard(Envelope):
    token: str
    group: str
    join_url: str


class Tokens(Envelope):
    group: str
    count: int
    tokens: list[JoinCard]


class JoinRequest(BaseModel):
    code: str
    group: str | None = None
    token: str | None = None
    language: Language | None = None


class Joined(Envelope):
    participant: str
    workshop_id: int
    group: str | None = None


# -- people --------------------------------------------------------------------------------------


class Member(Envelope):
    user_id: int
    username: str
    role: Role
    disabled: bool


class NewMember(BaseModel):
    username: str
    role: Role


class RoleChange(BaseModel):
    role: Role


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


class Account(Envelope):
    id: int
    username: str
    is_admin: bool
    disabled: bool
    created_at: When
    last_sign_in_at: When | None
    has_password: bool | None = None


class Invite(BaseModel):
    username: str
    is_admin: bool = False


class AccountLink(Envelope):
    account: Account
    link: str = Field(description="one-time link (7 days) to set the password")


# -- plans (web/api/plans.py) --------------------------------------------------------------------

PlanText = Annotated[str | dict[Language, str], Field(description="a text, or language code -> text")]


class PlanStage(Envelope):
    key: str
    kind: str
    method: str
    state: StageStateName


class PlanWorkshop(Envelope):
    id: int
    position: int
    code: str
    title: TitleText
    city: TitleText | None = None
    date: str | None = None
    stages: list[PlanStage]


class Plan(Envelope):
    id: int
    title: PlanText
    city: PlanText | None = None
    period: Period
    languages: list[str]
    description: PlanText | None = None
    years: list[int]
    created_by: str | None = None
    created_at: When
    updated_at: When | None = None
    revision: int
    workshops: list[PlanWorkshop]


class AttachWorkshop(BaseModel):
    workshop: int
    position: Annotated[int, Field(ge=0)] | None = None


class CarrySource(Envelope):
    workshop: int
    stage: str
    item: str
    rank: int | None = None
    score: float | None = None


class CarriedItem(Envelope):
    key: str
    title: TitleText
    source: CarrySource


class CarryResult(Envelope):
    items: list[CarriedItem] = Field(description="the carried items")
    stage: list[dict[str, Any]] = Field(description="the target stage's items after")
    saved: bool
    revision: int = Field(description="the target workshop's revision")


class PlanResults(Envelope):
    plan: Any
    workshops: Any
    questions: Any


