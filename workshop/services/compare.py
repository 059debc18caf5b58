"""Combined and side-by-side results of a plan's shared questions (domain.combine)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..domain import combine
from ..domain.definition import DEFAULT_LANGUAGES
from ..domain.text import localize
from ..models import Ballot, User, Workshop
from ..storage import db
from . import access, plans, workshops


def plan_results(user: User | None, plan_id: int, lang: str | None = None) -> dict[str, Any]:
    """Every question (stage key) asked in two or more of the plan's workshops, combined.

    Answers {"plan", "workshops": [{"id", "title"}], "questions": [{"key", "title", "method",
    "combined", "reason", "ballots", "workshops": [{"workshop", "ballots"}], "items": [...]}]}.
    Only workshops the user may read take part.
    """
    plan = plans.get_plan(user, plan_id)
    members = [w for w in plans.workshops_of(plan) if access.role_of(user, "workshop", w.id) is not None]
    language = lang or (plan.definition.get("languages") or DEFAULT_LANGUAGES)[0]
    stages = [(w, s) for w in members for s in w.stages]
    keys = combine.questions([(w.id, {"key": s.key}) for w, s in stages])
    out = []
    for key in keys:
        asked = [(w, s) for w, s in stages if s.key == key]
        parts = []
        for workshop, stage in asked:
            rows = db.session.execute(
                select(Ballot.group_key, Ballot.choices)
                .where(Ballot.stage_id == stage.id)
                .order_by(Ballot.id)
            ).all()
            parts.append((workshop.id, workshops.stage_spec(stage).to_json(), [(g, c) for g, c in rows]))
        result = combine.combine(parts)
        first_workshop, first_stage = asked[0]
        languages = workshops.definition_of(first_workshop).languages
        spec = workshops.stage_spec_of(first_stage)
        for item in result["items"]:
            item["title"] = localize(item["title"], language, languages)
        out.append({"key": key, "title": localize(spec.title, language, languages),
                    "method": spec.method, **result})
    return {
        "plan": plan.id,
        "workshops": [{"id": w.id, "title": _title(w, language)} for w in members],
        "questions": out,
    }


def _title(workshop: Workshop, language: str) -> str:
    definition = workshops.definition_of(workshop)
    return localize(definition.title, language, definition.languages)
