"""Editing a workshop's definition, live-safe (rules in domain.edits).

One use case, :func:`edit_workshop`, behind both ``PUT /api/v1/workshops/{id}``
and the console's builder: check the revision the edit was based on, validate
the edited object like a new workshop, refuse what would invalidate what was
collected, then save and tell every open phone and projector at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy import func, select

from ..domain import edits
from ..domain.definition import Item as ItemDefinition
from ..domain.definition import WorkshopDefinition
from ..models import Ballot, Comment, Item, JoinToken, Participant, Stage, Workshop
from ..storage import db
from .errors import Conflict, Invalid
from .notify import notifier
from .workshops import definition_of, get_workshop, parse_definition

if TYPE_CHECKING:
    from .bodies import Checked

#: Fields of ``GET /api/v1/workshops/{id}`` that are not part of the workshop object:
#: a client may send back what it got, and these are ignored.
READ_ONLY = ("id", "code", "join_url", "projector_url", "created_at", "erased_at", "revision")
READ_ONLY_STAGE = ("state", "results_shown")


class StaleRevision(Conflict):
    code = "stale_revision"


class EditRefused(Conflict):
    code = "edit_invalidates_ballots"


def workshop_object(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the read-only fields GET adds (so GET -> change -> PUT works)."""
    body = {k: v for k, v in data.items() if k not in READ_ONLY}
    stages = body.get("stages")
    if isinstance(stages, list):
        body["stages"] = [
            {k: v for k, v in stage.items() if k not in READ_ONLY_STAGE} if isinstance(stage, dict) else stage
            for stage in stages
        ]
    return body


def base_revision(data: dict[str, Any]) -> int:
    """The ``revision`` an edit was based on; 422 when missing or not a whole number."""
    revision = data.get("revision")
    if isinstance(revision, bool) or not isinstance(revision, int):
        raise Invalid("revision: send the revision the edit was based on (from GET)",
                      details=[{"loc": "revision", "message": "must be a whole number"}])
    return revision


def usage(workshop: Workshop) -> edits.Use:
    """What the workshop has collected, as domain.edits needs it."""
    stage_ids = {stage.id: stage.key for stage in workshop.stages}
    ballots: dict[str, int] = {}
    if stage_ids:
        rows = db.session.execute(
            select(Ballot.stage_id, func.count())
            .where(Ballot.stage_id.in_(stage_ids)).group_by(Ballot.stage_id)
        ).all()
        ballots = {stage_ids[stage_id]: count for stage_id, count in rows}
    commented: dict[str, set[str]] = {}
    for stage_key, item_key in db.session.execute(
        select(Comment.stage_key, Comment.item_key).distinct()
        .where(Comment.workshop_id == workshop.id, Comment.item_key.is_not(None))
    ):
        if item_key is not None:  # (the query leaves none out; the type cannot say so)
            commented.setdefault(stage_key, set()).add(item_key)
    groups: set[str] = set()
    for model in (Participant, JoinToken):
        groups.update(db.session.scalars(
            select(model.group_key).distinct().where(model.workshop_id == workshop.id)))
    if stage_ids:
        groups.update(db.session.scalars(
            select(Ballot.group_key).distinct().where(Ballot.stage_id.in_(stage_ids))))
    return edits.Use(
        stages={stage.key: edits.StageUse(state=stage.state, ballots=ballots.get(stage.key, 0),
                                          commented_items=frozenset(commented.get(stage.key, ())))
                for stage in workshop.stages},
        groups=frozenset(groups),
    )


def refusals(workshop: Workshop, definition: WorkshopDefinition) -> list[edits.Refusal]:
    """Why ``definition`` (validated) may not replace the workshop's, if at all."""
    return edits.check_edit(definition_of(workshop).to_json(), definition.to_json(), usage(workshop))


def edit_workshop(workshop_id: int, data: dict[str, Any] | Checked, revision: int) -> Workshop:
    """Replace the definition of a workshop with ``data`` (a workshop object, or one already
    checked: services.bodies, before any transaction began), if the workshop is still at
    ``revision`` and the edit invalidates nothing collected.

    Raises StaleRevision (409), Invalid (422, the same errors as creating) or
    EditRefused (409, ``details``: each refusal with its place, code and parameters).
    """
    workshop = _locked(workshop_id)
    if workshop.revision != revision:
        db.session.rollback()
        raise StaleRevision(
            f"the workshop changed since revision {revision} (it is at revision {workshop.revision}); "
            "load it again and repeat the edit", details={"revision": workshop.revision})
    definition = parse_definition(workshop_object(data)) if isinstance(data, dict) else data.result()
    refused = refusals(workshop, definition)
    if refused:
        db.session.rollback()
        raise EditRefused(refused[0].message, details=[r.as_dict() for r in refused])
    apply_definition(workshop, definition)
    workshop.revision += 1
    db.session.commit()
    notifier().state_changed(workshop.id, items_changed=True)  # the whole workshop, to every page
    for stage in workshop.stages:
        notifier().results_changed(workshop.id, stage.key)  # titles and items in results
    return workshop


def _locked(workshop_id: int) -> Workshop:
    """The workshop, its row locked until commit where the database can (PostgreSQL)."""
    get_workshop(workshop_id)  # 404 when unknown
    found = db.session.scalar(
        select(Workshop).where(Workshop.id == workshop_id).with_for_update()
        .execution_options(populate_existing=True))
    assert found is not None
    return found


def apply_definition(workshop: Workshop, definition: WorkshopDefinition) -> None:
    """Make the rows say ``definition``: stages and items matched by key (so their
    ballots, states and origins stay), new ones added, missing ones removed."""
    workshop.definition = definition.stored_header()
    existing = {stage.key: stage for stage in workshop.stages}
    wanted = []
    for position, stage_def in enumerate(definition.stages):
        stage = existing.get(stage_def.key) or Stage(key=stage_def.key)
        stage.position = position
        stage.config = WorkshopDefinition.stored_stage(stage_def)
        _apply_items(stage, stage_def.items)
        wanted.append(stage)
    workshop.stages = wanted  # delete-orphan removes the stages left out


def _apply_items(stage: Stage, items: list[ItemDefinition]) -> None:
    existing = {item.key: item for item in stage.items}
    wanted = []
    for position, data in enumerate(items):
        item = existing.get(data.key) or Item(key=data.key, origin="definition")
        item.position = position
        item.data = data.to_json()
        wanted.append(item)
    stage.items = wanted


def definition_yaml(workshop: Workshop) -> str:
    """The workshop as its workshop file (YAML): what is not set (null, empty) left out.

    Read back, it gives the same workshop (file -> builder -> file is lossless)."""

    def pruned(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: pruned(v) for k, v in value.items() if v is not None and v != []}
        if isinstance(value, list):
            return [pruned(v) for v in value]
        return value

    text: str = yaml.safe_dump(pruned(definition_of(workshop).to_json()), allow_unicode=True, sort_keys=False,
                               width=100)
    return text
