"""Results of a workshop, as the contract's results object."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import current_app
from sqlalchemy import Text, case, cast, func, select

from ..adapters.textseg import segment
from ..domain.results import bounded_entry
from ..domain.results import stage_results as compute_stage_results
from ..domain.schedule import CHANNELS
from ..domain.text import localize
from ..domain.units import add_units
from ..models import Ballot, Stage, Workshop
from ..storage import db
from . import tallies
from .merges import active_merges
from .workshops import definition_of, get_workshop, participant_counts, stage_spec_at, stage_visible


def _ballot_rows(stage_id: int) -> list[tuple[str | None, Any, str]]:
    """(group, choices, channel) of every current ballot of a stage, in the order cast.

    The hot part of every live results broadcast. From this process's memory when it
    keeps one (services.tallies: exact, kept up to date by the ballot writer), else
    from the database every time.
    """
    memory = tallies.memory()
    if memory is not None:
        return memory.rows(stage_id, _stored_ballots)
    return [(group, choices, channel) for _id, _pid, _version, group, choices, channel
            in _stored_ballots(stage_id)]


def _stored_ballots(stage_id: int) -> list[tallies.LoadedRow]:
    """Every current ballot of a stage as stored, in the order cast: (row id,
    participant id, version, group, choices, channel).

    Choices are read as JSON text and each distinct text decoded once, then kept
    for the next read (between two reads only the new ballots are new), which is
    several times cheaper than a JSON column decoding every row every time. The
    tallies only read choices, so rows may share a decoded object.
    """
    rows = db.session.execute(
        select(Ballot.id, Ballot.participant_id, Ballot.version, Ballot.group_key,
               cast(Ballot.choices, Text), Ballot.channel)
        .where(Ballot.stage_id == stage_id)
        .order_by(Ballot.id)
    ).all()
    caches: dict[int, dict[str, Any]] = current_app.extensions.setdefault("ruamkit.decoded_choices", {})
    decoded = caches.get(stage_id)
    if decoded is None or len(decoded) > 2 * len(rows) + 1000:  # replaced ballots' texts pile up
        if len(caches) > 200:
            caches.clear()
        decoded = caches[stage_id] = {}
    found: list[tallies.LoadedRow] = []
    for row_id, participant_id, version, group, text, source in rows:
        choices = decoded.get(text)
        if choices is None:
            choices = decoded[text] = json.loads(text)
        found.append((row_id, participant_id, version, group, choices, source))
    return found


def by_channel(channels: Iterable[str]) -> dict[str, int]:
    """How many ballots were cast in each channel, every channel named (0 when none)."""
    counts = dict.fromkeys(CHANNELS, 0)
    for channel in channels:
        counts[channel] = counts.get(channel, 0) + 1
    return counts


def stage_entry(workshop: Workshop, stage: Stage, lang: str | None = None) -> dict[str, Any]:
    """One stage's entry of the results object."""
    rows = _ballot_rows(stage.id)
    spec = stage_spec_at(stage.id, workshop.revision, workshop.projector_key, stage)
    merges = active_merges(stage.id) if spec.method == "words" else []
    computed = compute_stage_results(spec, [(g, c) for g, c, _ in rows], segment=segment, merges=merges)
    add_units(spec, computed, [c for _, c, _ in rows])
    languages = definition_of(workshop).languages
    wanted = lang if lang is not None and lang in languages else str(languages[0])
    for item in computed["items"]:
        item["title"] = localize(item["title"], wanted, languages)
    return {
        "key": stage.key,
        "method": spec.method,
        "state": stage.state,
        "results_shown": stage_visible(stage),
        "ballots": len(rows),
        "paper_ballots": sum(1 for _, _, channel in rows if channel == "paper"),
        # an addition to the contract: ballots by where they were cast (hall, online, paper, kiosk)
        "by_channel": by_channel(channel for _, _, channel in rows),
        **{k: v for k, v in computed.items() if k != "ballots"},
    }


def live_entry(workshop: Workshop, stage: Stage, lang: str | None = None) -> dict[str, Any]:
    """A stage's entry as sent live (sockets, live pages): bounded, see domain.results.bounded_entry."""
    return bounded_entry(stage_entry(workshop, stage, lang))


def workshop_results(workshop_id: int, lang: str | None = None, *,
                     visible_only: bool = False, live: bool = False) -> dict[str, Any]:
    """The contract's results object; ``visible_only`` keeps stages shown to residents;
    ``live`` bounds each stage's entry as live messages are (top items, 16 KB)."""
    workshop = get_workshop(workshop_id)
    stages = [s for s in workshop.stages if not visible_only or stage_visible(s)]
    entry = live_entry if live else stage_entry
    return {
        "participants": participant_counts(workshop),
        "stages": [entry(workshop, s, lang) for s in stages],
    }


def stage_counts(workshop: Workshop) -> dict[str, dict[str, int]]:
    """Ballots per stage (all, and on paper) without tallying anything."""
    rows = db.session.execute(
        select(Ballot.stage_id, func.count(), func.sum(case((Ballot.source == "paper", 1), else_=0)))
        .where(Ballot.stage_id.in_([s.id for s in workshop.stages]))
        .group_by(Ballot.stage_id)
    ).all()
    found = {stage_id: (int(n), int(paper or 0)) for stage_id, n, paper in rows}
    return {s.key: {"ballots": found.get(s.id, (0, 0))[0], "paper_ballots": found.get(s.id, (0, 0))[1]}
            for s in workshop.stages}
