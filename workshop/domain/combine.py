"""Combine and compare: one question asked in several workshops of a plan. Pure rules.

Stages of a plan's workshops that share a stage key (the *question key*, e.g. ``needs``
in every community forum) and the same method and options are one question. Their
**combined** results count every ballot of every workshop once, with the contract's
formulas over the union: the union stage lists every item of every workshop (by key,
first title wins), so a rank stage's N is the number of items in the union. Each item
also gets its score **by workshop** (that workshop's own results) and a
``workshop_spread``: the largest minus the smallest workshop score among workshops with
at least 3 ballots in the question, like the spread between stakeholder groups.
Stages whose options differ (other dots, budget, criteria or scale) are compared side
by side only, never added up.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from .definition import stage_from_json
from .methods import Choices
from .results import stage_results
from .words import space_words

#: a spread (between workshops or groups) this large is flagged, as in the plan draft
SPREAD_FLAG = 20.0
MIN_BALLOTS = 3
#: options that must be equal for ballots to be added up
SAME_OPTIONS = {
    "dots": ("dots", "max_per_item"),
    "budget": ("budget",),
    "score": ("criteria", "scale"),
    "approval": (),
    "single": (),
    "rank": (),
    "words": (),
}

Part = tuple[int, Mapping[str, Any], Sequence[tuple[str | None, Choices]]]


def why_not_combined(specs: Sequence[Mapping[str, Any]]) -> str | None:
    """None when the stages can be added up; else a code: ``methods_differ`` or ``options_differ``."""
    methods = {spec.get("method") for spec in specs}
    if len(methods) != 1:
        return "methods_differ"
    method = next(iter(methods))
    for option in SAME_OPTIONS.get(str(method), ()):
        values = [_normal(spec.get(option)) for spec in specs]
        if any(value != values[0] for value in values):
            return "options_differ"
    return None


def _normal(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def union_stage(specs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The first stage's definition with every item of every stage (by key, in order met)."""
    items: dict[str, Any] = {}
    for spec in specs:
        for item in spec.get("items") or ():
            items.setdefault(item["key"], item)
    return {**specs[0], "items": list(items.values())}


def combine(parts: Sequence[Part], *, segment: Any = space_words) -> dict[str, Any]:
    """Combined and side-by-side results of one question.

    ``parts``: (workshop id, stage definition, ballots as (group, choices)) per workshop,
    in the plan's order. Answers {"combined": bool, "reason", "ballots", "workshops":
    [{"workshop", "ballots"}], "items": [...]} where each item has the contract's
    ``rank``, ``value``, ``score``, ``by_group``, ``spread`` over the union (when combined),
    plus ``by_workshop`` {id: {"ballots", "value", "score", "rank"}} and ``workshop_spread``.
    """
    specs = [spec for _, spec, _ in parts]
    reason = why_not_combined(specs)
    # specs are JSON forms (StageDefinition.to_json()); the results want the typed stage
    own = {wid: stage_results(stage_from_json(dict(spec)), ballots, segment=segment)
           for wid, spec, ballots in parts}
    counts = {wid: len(ballots) for wid, _, ballots in parts}
    if reason is None:
        union = union_stage(specs)
        every = [ballot for _, _, ballots in parts for ballot in ballots]
        whole = stage_results(stage_from_json(union), every, segment=segment)
        items = whole["items"]
    else:
        # side by side only: every workshop's items, in the order met, no combined score
        union = union_stage(specs)
        known = {item["key"]: item.get("title") for item in union["items"]}
        for result in own.values():
            for entry in result["items"]:
                known.setdefault(entry["key"], entry["title"])
        items = [
            {
                "key": key,
                "title": title,
                "rank": None,
                "value": None,
                "score": None,
                "by_group": {},
                "spread": None,
            }
            for key, title in known.items()
        ]
    for item in items:
        by_workshop = {}
        for wid in own:
            entry = next((e for e in own[wid]["items"] if e["key"] == item["key"]), None)
            by_workshop[wid] = (
                {
                    "ballots": counts[wid],
                    "value": entry["value"],
                    "score": entry["score"],
                    "rank": entry["rank"],
                }
                if entry is not None
                else None
            )
        item["by_workshop"] = by_workshop
        scores = [
            cell["score"]
            for wid, cell in by_workshop.items()
            if cell is not None and cell["score"] is not None and counts[wid] >= MIN_BALLOTS
        ]
        item["workshop_spread"] = max(scores) - min(scores) if len(scores) >= 2 else None
        item["flagged"] = any(
            spread is not None and spread >= SPREAD_FLAG
            for spread in (item.get("spread"), item["workshop_spread"])
        )
    return {
        "combined": reason is None,
        "reason": reason,
        "ballots": sum(counts.values()),
        "workshops": [{"workshop": wid, "ballots": counts[wid]} for wid, _, _ in parts],
        "items": items,
    }


def questions(stages: Sequence[tuple[int, Mapping[str, Any]]]) -> list[str]:
    """Question keys asked in at least two workshops: stage keys, in the order first met."""
    seen: dict[str, set[int]] = {}
    for wid, spec in stages:
        seen.setdefault(str(spec["key"]), set()).add(wid)
    return [key for key, workshops in seen.items() if len(workshops) >= 2]
