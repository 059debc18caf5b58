"""Plans: a city's workshops over time (create, list, edit, attach and detach workshops).

Who may do what is ``services.access`` with the kind ``plan``: the maker of a plan owns
it (``created_by`` is kept too); ``read`` (viewer) sees it, ``run`` (facilitator) edits it
and its list of workshops, ``manage`` (owner) deletes it and manages its members.
Attaching a workshop also needs ``run`` in that workshop, so nobody puts someone else's
workshop into their plan. A workshop is in at most one plan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..domain.plans import PlanInvalid, check_plan, plan_years
from ..domain.text import localize
from ..models import Plan, PlanMember, PlanWorkshop, User, Workshop
from ..models._types import utcnow
from ..storage import db
from . import access
from .errors import Conflict, Invalid, NotFound

access.register_kind("plan", PlanMember, PlanMember.plan_id, Plan)


def parse_plan(data: object) -> dict[str, Any]:
    """The plan object validated (domain.plans.check_plan), or Invalid (422) with each problem."""
    try:
        return check_plan(data)
    except PlanInvalid as exc:
        first = exc.problems[0]
        raise Invalid(
            f"{first.loc}: {first.message}" if first.loc else first.message,
            details=[p.as_dict() for p in exc.problems],
        ) from exc


def _definition(plan: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in plan.items() if k not in ("workshops", "revision")}


def create_plan(user: User | None, data: object) -> Plan:
    """A new plan owned by ``user``; ``workshops`` (ids, in order) are attached at once."""
    plan_object = parse_plan(data)
    if user is None:
        raise NotFound("no account")
    plan = Plan(definition=_definition(plan_object), created_by=user.id)
    db.session.add(plan)
    db.session.flush()
    access.make_owner("plan", plan.id, user.id)
    db.session.flush()
    if "workshops" in plan_object:
        _set_workshops(user, plan, plan_object["workshops"])
    db.session.commit()
    return plan


def list_plans(user: User | None) -> list[Plan]:
    """The plans this user is a member of, newest first."""
    ids = list(access.ids_of(user, "plan"))
    if not ids:
        return []
    return list(db.session.scalars(select(Plan).where(Plan.id.in_(ids)).order_by(Plan.id.desc())))


def get_plan(user: User | None, plan_id: int, action: str = "read") -> Plan:
    """The plan if ``user`` may do ``action`` in it (NotFound for non-members, Forbidden otherwise)."""
    access.require(user, "plan", plan_id, action)
    plan = db.session.get(Plan, plan_id)
    assert plan is not None
    return plan


def role_in(user: User | None, plan_id: int) -> str | None:
    """The user's role in the plan (owner, facilitator, viewer), or None."""
    return access.role_of(user, "plan", plan_id)


def update_plan(user: User | None, plan_id: int, data: object) -> Plan:
    """Replace the plan's title, city, period, languages and description; with ``workshops``,
    also its workshops and their order. A ``revision`` other than the plan's is 409."""
    plan = get_plan(user, plan_id, "run")
    plan_object = parse_plan(data)
    if "revision" in plan_object and plan_object["revision"] != plan.revision:
        raise Conflict(
            f"the plan changed since revision {plan_object['revision']} (now {plan.revision})",
            code="stale_revision",
            details={"revision": plan.revision},
        )
    plan.definition = _definition(plan_object)
    if "workshops" in plan_object:
        _set_workshops(user, plan, plan_object["workshops"])
    _touch(plan)
    db.session.commit()
    return plan


def delete_plan(user: User | None, plan_id: int) -> None:
    """Remove the plan (owners only); its workshops stay, in no plan."""
    plan = get_plan(user, plan_id, "manage")
    db.session.delete(plan)
    db.session.commit()


def _touch(plan: Plan) -> None:
    plan.revision = (plan.revision or 0) + 1
    plan.updated_at = utcnow()


def _check_workshop(user: User | None, plan: Plan, workshop_id: object) -> int:
    if isinstance(workshop_id, bool) or not isinstance(workshop_id, int):
        raise Invalid("workshop: must be a workshop id", details=[{"loc": "workshop", "code": "workshops"}])
    access.require(user, "workshop", workshop_id, "run")
    other = db.session.scalar(select(PlanWorkshop).where(PlanWorkshop.workshop_id == workshop_id))
    if other is not None and other.plan_id != plan.id:
        raise Conflict(
            f"workshop {workshop_id} is already in plan {other.plan_id}",
            code="workshop_in_other_plan",
            details={"workshop": workshop_id, "plan": other.plan_id},
        )
    return workshop_id


def _set_workshops(user: User | None, plan: Plan, ids: list[int]) -> None:
    for workshop_id in ids:
        _check_workshop(user, plan, workshop_id)
    keep = {link.workshop_id: link for link in plan.workshops}
    for workshop_id, link in keep.items():
        if workshop_id not in ids:
            plan.workshops.remove(link)
    db.session.flush()
    links = []
    for position, workshop_id in enumerate(ids):
        link = keep.get(workshop_id) or PlanWorkshop(workshop_id=workshop_id, position=position)
        link.position = position
        links.append(link)
    plan.workshops[:] = links
    db.session.flush()


def attach_workshop(user: User | None, plan_id: int, workshop_id: object, position: object = None) -> Plan:
    """Put a workshop into the plan at ``position`` (default: last); moving it if it is there."""
    plan = get_plan(user, plan_id, "run")
    wid = _check_workshop(user, plan, workshop_id)
    ids = [link.workshop_id for link in plan.workshops if link.workshop_id != wid]
    if position is None:
        index = len(ids)
    elif isinstance(position, bool) or not isinstance(position, int) or position < 0:
        raise Invalid(
            "position: must be a whole number from 0", details=[{"loc": "position", "code": "position"}]
        )
    else:
        index = min(position, len(ids))
    ids.insert(index, wid)
    if len(ids) > 100:
        raise Invalid(
            "a plan holds at most 100 workshops", details=[{"loc": "workshop", "code": "workshops"}]
        )
    _set_workshops(user, plan, ids)
    _touch(plan)
    db.session.commit()
    return plan


def detach_workshop(user: User | None, plan_id: int, workshop_id: int) -> Plan:
    """Take a workshop out of the plan (the workshop itself stays)."""
    plan = get_plan(user, plan_id, "run")
    ids = [link.workshop_id for link in plan.workshops]
    if workshop_id not in ids:
        raise NotFound(f"workshop {workshop_id} is not in plan {plan_id}", code="not_in_plan")
    ids.remove(workshop_id)
    _set_workshops(user, plan, ids)
    _touch(plan)
    db.session.commit()
    return plan


def move_workshop(user: User | None, plan_id: int, workshop_id: int, step: int) -> Plan:
    """One place earlier (-1) or later (+1) in the plan's order."""
    plan = get_plan(user, plan_id, "run")
    ids = [link.workshop_id for link in plan.workshops]
    if workshop_id not in ids:
        raise NotFound(f"workshop {workshop_id} is not in plan {plan_id}", code="not_in_plan")
    index = ids.index(workshop_id)
    target = max(0, min(len(ids) - 1, index + step))
    ids.insert(target, ids.pop(index))
    _set_workshops(user, plan, ids)
    _touch(plan)
    db.session.commit()
    return plan


def workshops_of(plan: Plan) -> list[Workshop]:
    """The plan's workshops in the plan's order."""
    ids = [link.workshop_id for link in plan.workshops]
    found = {w.id: w for w in db.session.scalars(select(Workshop).where(Workshop.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def plan_of_workshop(workshop_id: int) -> Plan | None:
    """The plan a workshop belongs to (the builder offers its years), or None."""
    link = db.session.scalar(select(PlanWorkshop).where(PlanWorkshop.workshop_id == workshop_id))
    return link.plan if link is not None else None


def free_workshops(user: User | None) -> list[Workshop]:
    """Workshops this user may run that are in no plan yet (to offer for attaching), newest first."""
    runnable = [
        wid for wid, role in access.ids_of(user, "workshop").items() if role in ("facilitator", "owner")
    ]
    if not runnable:
        return []
    taken = select(PlanWorkshop.workshop_id)
    return list(
        db.session.scalars(
            select(Workshop)
            .where(Workshop.id.in_(runnable), Workshop.id.not_in(taken))
            .order_by(Workshop.id.desc())
        )
    )


def workshop_summary(workshop: Workshop, position: int, lang: str | None = None) -> dict[str, Any]:
    from .workshops import definition_of

    definition = definition_of(workshop)
    languages = definition.languages
    return {
        "id": workshop.id,
        "position": position,
        "code": workshop.code,
        "title": definition.model_dump(mode="json")["title"]
        if lang is None
        else localize(definition.title, lang, languages),
        "city": definition.model_dump(mode="json")["city"],
        "date": definition.date,
        "stages": [
            {"key": s.key, "kind": spec.kind, "method": spec.method, "state": s.state}
            for s, spec in zip(workshop.stages, definition.stages, strict=True)
        ],
    }


def describe(plan: Plan) -> dict[str, Any]:
    """The API's view of a plan: its object plus id, owner, dates, revision and workshops."""
    creator = db.session.get(User, plan.created_by) if plan.created_by else None
    definition = dict(plan.definition)
    return {
        "id": plan.id,
        **definition,
        "years": plan_years(definition["period"]),
        "created_by": creator.username if creator else None,
        "created_at": plan.created_at.isoformat(),
        "updated_at": plan.updated_at.isoformat(),
        "revision": plan.revision,
        "workshops": [workshop_summary(w, i) for i, w in enumerate(workshops_of(plan))],
    }


def workshop_counts(plans: list[Plan]) -> dict[int, int]:
    if not plans:
        return {}
    rows = db.session.execute(
        select(PlanWorkshop.plan_id, func.count())
        .where(PlanWorkshop.plan_id.in_([p.id for p in plans]))
        .group_by(PlanWorkshop.plan_id)
    )
    return {plan_id: count for plan_id, count in rows}
