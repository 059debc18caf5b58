"""Everything an export needs, read once through the services, as plain dicts.

The adapters (PDF, CSV, JSON) only see :class:`ExportData`: no rows, no
session. The results object is the one ``GET /results`` gives for the same
language, so every export agrees with the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from ..domain.definition import SUPPORTED_LANGUAGES, WorkshopDefinition
from ..models import Ballot
from ..services import content, merges, paper, results, workshops
from ..services.errors import Invalid, NotFound
from ..storage import db


@dataclass(frozen=True)
class ExportData:
    workshop_id: int
    #: language of the export's texts (workshop texts and, in the PDF, fixed texts)
    lang: str
    #: id, code, join_url, created_at, revision (never the projector key)
    workshop: dict[str, Any]
    #: the workshop object, approved ideas included as items (services.workshops.definition_of)
    definition: WorkshopDefinition
    #: key, state, results_shown, opened_at, closed_at of each stage
    stages: list[dict[str, Any]]
    #: the contract's results object in ``lang``
    results: dict[str, Any]
    #: every comment and idea, any status (the API's dicts)
    comments: list[dict[str, Any]]
    ideas: list[dict[str, Any]]
    #: {"participants": {"total", "by_group"}, "ballots": {stage: {group: {"phone", "paper"}}}}
    counts: dict[str, Any]
    #: current ballots: id, stage, method, group, source, channel, choices, version, created_at, updated_at
    ballots: list[dict[str, Any]]
    #: every paper batch, voided ones included (services.paper.batch_dict), newest first
    paper_batches: list[dict[str, Any]] = field(default_factory=list)
    #: every merge of words entries, undone ones included (services.merges.merge_dict)
    word_merges: list[dict[str, Any]] = field(default_factory=list)
    #: the workshops carried items came from (plans): {id: {"title", "languages", "stages": {key: title}}},
    #: so a draft names them by their titles; a deleted one is left out
    sources: dict[int, dict[str, Any]] = field(default_factory=dict)


def report_language(definition: WorkshopDefinition, lang: object = None) -> str:
    """``lang`` if given (th or en), else the workshop's default language; 422 otherwise."""
    return chosen_language(definition.language, lang)


def chosen_language(default: str, lang: object = None) -> str:
    """``lang`` if given (th or en), else ``default``; 422 otherwise."""
    if lang is None or lang == "":
        return default
    if lang not in SUPPORTED_LANGUAGES:
        raise Invalid(f"lang: must be one of {', '.join(SUPPORTED_LANGUAGES)}")
    return str(lang)


def source_workshops(definition: WorkshopDefinition) -> dict[int, dict[str, Any]]:
    """Titles of the workshops and stages the items of ``definition`` were carried from."""
    ids = sorted({item.source.workshop for stage in definition.stages for item in stage.items if item.source})
    found: dict[int, dict[str, Any]] = {}
    for source_id in ids:
        try:
            source = workshops.definition_of(workshops.get_workshop(source_id))
        except NotFound:
            continue  # deleted since: the item keeps its numbers, the draft says "an earlier workshop"
        found[source_id] = {
            "title": source.title,
            "languages": list(source.languages),
            "stages": {stage.key: stage.title for stage in source.stages},
        }
    return found


def collect(workshop_id: int, lang: object = None, *, with_ballots: bool = True) -> ExportData:
    workshop = workshops.get_workshop(workshop_id)
    definition = workshops.definition_of(workshop)
    language = report_language(definition, lang)
    stage_key = {stage.id: stage.key for stage in workshop.stages}
    method = {stage.id: spec.method for stage, spec in zip(workshop.stages, definition.stages, strict=True)}

    per_source = db.session.execute(
        select(Ballot.stage_id, Ballot.group_key, Ballot.source, func.count())
        .where(Ballot.stage_id.in_(stage_key))
        .group_by(Ballot.stage_id, Ballot.group_key, Ballot.source)
    ).all()
    ballot_counts: dict[str, dict[str, dict[str, int]]] = {key: {} for key in stage_key.values()}
    for stage_id, group, source, count in per_source:
        slot = ballot_counts[stage_key[stage_id]].setdefault(group, {"phone": 0, "paper": 0})
        slot["paper" if source == "paper" else "phone"] += int(count)

    ballots = []
    if with_ballots and stage_key:
        rows = db.session.execute(
            select(
                Ballot.id,
                Ballot.stage_id,
                Ballot.group_key,
                Ballot.source,
                Ballot.channel,
                Ballot.choices,
                Ballot.version,
                Ballot.created_at,
                Ballot.updated_at,
            )
            .where(Ballot.stage_id.in_(stage_key))
            .order_by(Ballot.id)
        ).all()
        ballots = [
            {
                "id": row.id,
                "stage": stage_key[row.stage_id],
                "method": method[row.stage_id],
                "group": row.group_key,
                "source": row.source,
                "channel": row.channel,
                "choices": row.choices,
                "version": row.version,
                "created_at": row.created_at.isoformat(),
                "updated_at": row.updated_at.isoformat(),
            }
            for row in rows
        ]

    return ExportData(
        workshop_id=workshop.id,
        lang=language,
        workshop={
            "id": workshop.id,
            "code": workshop.code,
            "join_url": workshops.join_url(workshop),
            "created_at": workshop.created_at.isoformat(),
            "revision": workshop.revision,
        },
        definition=definition,
        stages=[
            {
                "key": s.key,
                "state": s.state,
                "results_shown": workshops.stage_visible(s),
                "opened_at": s.opened_at.isoformat() if s.opened_at else None,
                "closed_at": s.closed_at.isoformat() if s.closed_at else None,
            }
            for s in workshop.stages
        ],
        results=results.workshop_results(workshop.id, language),
        comments=[content.comment_dict(c) for c in content.list_comments(workshop.id)],
        ideas=[content.idea_dict(i) for i in content.list_ideas(workshop.id)],
        counts={"participants": workshops.participant_counts(workshop), "ballots": ballot_counts},
        ballots=ballots,
        paper_batches=paper.list_batches(workshop.id),
        word_merges=merges.workshop_merges(workshop.id),
        sources=source_workshops(definition),
    )
