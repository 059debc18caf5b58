"""Carry forward in a plan: a stage's items from an earlier stage's results (domain.carry).

One use case, :func:`carry_forward`: check that both workshops are in the plan and the
source comes first, read the source stage's results, pick the items by the rule, and
save them into the target stage through the same live-safe edit as the builder's
(``services.editing``), so a stage that has ballots keeps its items (409) and every open
phone sees the new items at once. ``preview`` shows what would be carried, saving nothing.
"""

from __future__ import annotations

from typing import Any

from ..domain import carry
from ..models import Stage, User, Workshop
from . import access, editing, plans, results, workshops
from .errors import Invalid


def _invalid(code: str, params: dict[str, Any] | None = None, loc: str = "") -> Invalid:
    error = carry.CarryError(code, params or {})
    return Invalid(
        f"{loc}: {error}" if loc else str(error),
        details=[{"loc": loc, "code": code, "params": error.params, "message": str(error)}],
    )


def _stage(workshop: Workshop, key: str, loc: str) -> Stage:
    for stage in workshop.stages:
        if stage.key == key:
            return stage
    raise Invalid(
        f"{loc}.stage: workshop {workshop.id} has no stage '{key}'",
        details=[
            {
                "loc": f"{loc}.stage",
                "code": "unknown_stage",
                "params": {"stage": key[:40]},
                "message": f"workshop {workshop.id} has no stage '{key}'",
            }
        ],
    )


def carry_forward(user: User | None, plan_id: int, data: object) -> dict[str, Any]:
    """Carry items as ``data`` says: {"from": {"workshop", "stage"}, "to": {"workshop", "stage"},
    "rule": {...}, "mode"?: "append" | "replace", "preview"?: bool}, validated by the domain's
    :class:`~workshop.domain.carry.CarryInput` (the model the OpenAPI document shows).

    Answers {"items": the carried items, "stage": the target stage's items afterwards,
    "saved": bool, "revision": the target workshop's revision}.
    """
    plan = plans.get_plan(user, plan_id, "run")
    try:
        request = carry.parse_carry(data)
    except carry.CarryError as exc:
        raise _invalid(exc.code, exc.params, exc.loc) from exc
    source_id, source_key = request.from_.workshop, request.from_.stage
    target_id, target_key = request.to.workshop, request.to.stage
    rule = request.rule.model_dump()
    mode, preview = request.mode, request.preview

    order = [w.id for w in plans.workshops_of(plan)]
    for loc, wid in (("from", source_id), ("to", target_id)):
        if wid not in order:
            raise Invalid(
                f"{loc}.workshop: workshop {wid} is not in plan {plan_id}",
                details=[
                    {
                        "loc": f"{loc}.workshop",
                        "code": "not_in_plan",
                        "params": {"workshop": wid},
                        "message": f"workshop {wid} is not in this plan",
                    }
                ],
            )
    access.require(user, "workshop", source_id, "read")
    access.require(user, "workshop", target_id, "run")
    source = workshops.get_workshop(source_id)
    target = workshops.get_workshop(target_id)
    source_stage = _stage(source, source_key, "from")
    target_stage = _stage(target, target_key, "to")
    earlier = order.index(source_id) < order.index(target_id) or (
        source_id == target_id and source_stage.position < target_stage.position
    )
    if not earlier:
        raise Invalid(
            "from: the source stage must come before the target stage in the plan",
            details=[
                {
                    "loc": "from",
                    "code": "not_earlier",
                    "params": {},
                    "message": "the source stage must come before the target stage in the plan",
                }
            ],
        )
    target_spec = workshops.stage_spec_of(target_stage)
    if target_spec.method == "words":
        raise Invalid(
            "to.stage: a words stage lists no items",
            details=[
                {
                    "loc": "to.stage",
                    "code": "words_target",
                    "params": {},
                    "message": "a words stage lists no items",
                }
            ],
        )

    ranked = results.stage_entry(source, source_stage)["items"]
    definitions = {item.key: item.data for item in source_stage.items}
    ideas = {item.key for item in source_stage.items if item.origin == "idea"}
    typed = workshops.definition_of(target)
    goal_keys = {item.key for stage in typed.stages if stage.kind == "goals" for item in stage.items}
    # the edit goes through PUT's path, on the workshop object
    definition = editing.workshop_object(typed.to_json())
    target_def = next(s for s in definition["stages"] if s["key"] == target_key)
    existing = list(target_def.get("items") or [])
    try:
        picked = carry.select(ranked, rule, ideas)
        carried = carry.carried_items(
            picked,
            definitions,
            workshop_id=source_id,
            stage_key=source_key,
            taken={i["key"] for i in existing} if mode == "append" else set(),
            goal_keys=goal_keys
            | ({c["key"] for c in picked} if target_spec.kind == "goals" else set()),
        )
        items = carry.merge(existing, carried, mode)
    except carry.CarryError as exc:
        raise _invalid(exc.code, exc.params, "rule") from exc
    if preview:
        return {"items": carried, "stage": items, "saved": False, "revision": target.revision}
    target_def["items"] = items
    saved = editing.edit_workshop(target.id, {**definition, "revision": target.revision}, target.revision)
    return {"items": carried, "stage": items, "saved": True, "revision": saved.revision}


def sources_of(user: User | None, plan_id: int, lang: str) -> list[dict[str, Any]]:
    """Every stage of the plan's workshops, in plan order, with its ranked results
    (for the console's carry-forward form): workshop, stage, titles, items."""
    from ..domain.text import localize

    plan = plans.get_plan(user, plan_id, "run")
    out = []
    for position, workshop in enumerate(plans.workshops_of(plan)):
        if access.role_of(user, "workshop", workshop.id) is None:
            continue
        typed = workshops.definition_of(workshop)
        languages = typed.languages
        for stage in workshop.stages:
            spec = typed.stage(stage.key)
            assert spec is not None
            out.append(
                {
                    "workshop": workshop.id,
                    "position": position,
                    "workshop_title": localize(typed.title, lang, languages),
                    "stage": stage.key,
                    "stage_position": stage.position,
                    "title": localize(spec.title, lang, languages),
                    "kind": spec.kind,
                    "method": spec.method,
                    "state": stage.state,
                    "ideas": {item.key for item in stage.items if item.origin == "idea"},
                }
            )
    return out


def ranked_items(user: User | None, workshop_id: int, stage_key: str, lang: str) -> list[dict[str, Any]]:
    """A stage's results items (key, title, rank, score), for picking by hand."""
    access.require(user, "workshop", workshop_id, "read")
    workshop = workshops.get_workshop(workshop_id)
    stage = _stage(workshop, stage_key, "from")
    return list(results.stage_entry(workshop, stage, lang)["items"])
