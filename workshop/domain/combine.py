"""Combine and compare: one question asked in several workshops of a plan. Pure rules.

Stages of a plan's workshops that share a stage key (the *question key*, e.g. ``needs``
in every community forum) and the same method and options are one question. Their
**combined** results count every ballot of every workshop once, with the contract's
formulas over the union: the union stage lists every item of every workshop once, so a
rank stage's N is the number of items in the union.

**One row per item, as people read it** (:func:`item_rows`): items of different
workshops are the same row when they have the same key (copies of one workshop) *or* the
same title (trimmed, spacing and case ignored, in the first language of its text; the same
need typed into two forums, or approved from residents' ideas under other keys), provided
the stages are of the same kind. The row keeps the first key and title met; its
``sources`` say where it came from (``[{"workshop", "key"}]``, each workshop's own key),
and ballots are counted under the row's key. Two items of the *same* workshop are never
joined, whatever their titles: residents voted on them apart. Each item
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
from .words import entry_key, space_words

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


def _title_key(title: Any) -> str:
    """A title as people read it: its first language's text, trimmed, spacing and case ignored."""
    if isinstance(title, Mapping):
        title = next((value for value in title.values() if value), "")
    return entry_key(str(title or ""))


def item_rows(
    parts: Sequence[tuple[int, Mapping[str, Any]]],
) -> tuple[list[dict[str, Any]], dict[int, dict[str, str]]]:
    """The question's rows and, per workshop, its item keys -> the row keys.

    ``parts``: (workshop id, stage definition) in the plan's order. Each row is the first
    item met (its definition, its key) with ``sources`` [{"workshop", "key"}]. A workshop's
    items join rows by key first, then by title; a row takes one item of each workshop."""
    rows: dict[str, dict[str, Any]] = {}
    by_key: dict[str, str] = {}
    by_title: dict[tuple[str, str], str] = {}
    names: dict[int, dict[str, str]] = {}

    def free(row: str | None, wid: int) -> bool:
        return row is not None and all(source["workshop"] != wid for source in rows[row]["sources"])

    for wid, spec in parts:
        mine = names.setdefault(wid, {})
        kind = str(spec.get("kind") or "")
        items = [item for item in spec.get("items") or () if isinstance(item, Mapping) and "key" in item]
        chosen: dict[str, str] = {}
        for item in items:  # the same key: a copy of the same workshop
            key = str(item["key"])
            if free(by_key.get(key), wid) and by_key[key] not in chosen.values():
                chosen[key] = by_key[key]
        for item in items:
            key = str(item["key"])
            title = (kind, _title_key(item.get("title")))
            row = chosen.get(key)
            if row is None and title[1]:  # the same title: the same need under another key
                candidate = by_title.get(title)
                if free(candidate, wid) and candidate not in chosen.values():
                    row = candidate
            if row is None:
                row, n = key, 1
                while row in rows or row in by_key:  # a key another row took: a fresh one
                    row, n = f"{key[:28]}-{n}", n + 1
                rows[row] = {**item, "key": row, "sources": []}
            chosen[key] = row
            rows[row]["sources"].append({"workshop": wid, "key": key})
            mine[key] = row
            by_key.setdefault(key, row)
            if title[1]:
                by_title.setdefault(title, row)
    return list(rows.values()), names


def union_stage(specs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The first stage's definition with every item of every stage, one per row (:func:`item_rows`)."""
    rows, _keys = item_rows(list(enumerate(specs)))
    return {**specs[0], "items": [{k: v for k, v in row.items() if k != "sources"} for row in rows]}


def _renamed(choices: Choices, names: Mapping[str, str]) -> Choices:
    """A ballot with its item keys changed to the question's row keys (a words ballot as it is)."""
    if not names or not isinstance(choices, Mapping):
        return choices
    out = dict(choices)
    if isinstance(out.get("item"), str):
        out["item"] = names.get(out["item"], out["item"])
    for field in ("items", "order"):
        if isinstance(out.get(field), list):
            out[field] = [names.get(k, k) if isinstance(k, str) else k for k in out[field]]
    for field in ("dots", "scores", "budget"):
        if isinstance(out.get(field), Mapping):
            out[field] = {names.get(k, k): v for k, v in out[field].items()}
    return out


def combine(parts: Sequence[Part], *, segment: Any = space_words) -> dict[str, Any]:
    """Combined and side-by-side results of one question.

    ``parts``: (workshop id, stage definition, ballots as (group, choices)) per workshop,
    in the plan's order. Answers {"combined": bool, "reason", "ballots", "workshops":
    [{"workshop", "ballots"}], "items": [...]} where each item (one per row,
    :func:`item_rows`) has the contract's ``rank``, ``value``, ``score``, ``by_group``,
    ``spread`` over the union (when combined), plus ``sources`` [{"workshop", "key"}],
    ``by_workshop`` {id: {"ballots", "value", "score", "rank"}} and ``workshop_spread``.
    """
    specs = [spec for _, spec, _ in parts]
    reason = why_not_combined(specs)
    # specs are JSON forms (StageDefinition.to_json()); the results want the typed stage
    own = {wid: stage_results(stage_from_json(dict(spec)), ballots, segment=segment)
           for wid, spec, ballots in parts}
    counts = {wid: len(ballots) for wid, _, ballots in parts}
    rows, names = item_rows([(wid, spec) for wid, spec, _ in parts])
    union = {**specs[0], "items": [{k: v for k, v in row.items() if k != "sources"} for row in rows]}
    sources = {row["key"]: row["sources"] for row in rows}
    if reason is None:
        every = [(group, _renamed(choices, names[wid])) for wid, _, ballots in parts
                 for group, choices in ballots]
        whole = stage_results(stage_from_json(union), every, segment=segment)
        items = whole["items"]
    else:
        # side by side only: every row, then entries only a workshop's results have (words)
        known = {row["key"]: row.get("title") for row in rows}
        for wid, result in own.items():
            for entry in result["items"]:
                known.setdefault(names[wid].get(entry["key"], entry["key"]), entry["title"])
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
        found = []
        for wid in own:
            entry = next((e for e in own[wid]["items"] if names[wid].get(e["key"], e["key"]) == item["key"]),
                         None)
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
            if entry is not None:
                found.append({"workshop": wid, "key": entry["key"]})
        item["sources"] = sources.get(item["key"]) or found
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
