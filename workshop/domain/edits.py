"""Which edits of a workshop's definition are allowed once it is in use (pure).

A workshop may be edited at any time (``PUT /api/v1/workshops/{id}`` and the
console's builder); the edited object is first validated like a new one, then
compared here with the current definition. What the workshop has already
collected decides what may change:

==============================  ==========================================  =====================
change                          allowed when                                refused with code
==============================  ==========================================  =====================
any text (titles, prompts,      always (typos can be fixed during voting)
descriptions, labels,
indicators, city, date)
an item's goal, horizon,        always (they do not take part in ballots)
budget, SDGs
languages, join mode,           always
moderation, show_results,
allow_comments, allow_ideas
reorder stages, items, groups   always
add a stage                     always
add a group                     always
remove a group                  nobody joined in it (participant, ballot    ``group_in_use``
                                or printed join card)
remove a stage (or change its   it never opened and has no ballots          ``stage_removed``
key)
change a stage's method         it has no ballots                           ``method_changed``
change a method option          it has no ballots                           ``option_changed``
(max_choices, dots,
max_per_item, scale, budget,
max_words, criteria keys and
weights)
add an item                     the stage has no ballots                    ``item_added``
remove an item (or change its   the stage has no ballots and nobody         ``item_removed``,
key)                            commented on that item                      ``item_has_comments``
==============================  ==========================================  =====================

"Ballots" counts phone and paper ballots alike. A criterion's label is a text
and may change; its key and weight are part of how ballots are read and
weighed. A words stage lists no items of its own, so only its option
(``max_words``) is protected.

Every refusal is a :class:`Refusal` with the place (``stages[2].method``,
the same notation as the schema's errors), a code and parameters, so that
each front end renders it in its own language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .definition import DEFAULT_WEIGHT

#: Options of a stage that decide how a ballot is read (from contract section 1).
BALLOT_OPTIONS = ("max_choices", "dots", "max_per_item", "scale", "budget", "max_words")

#: Refusal codes, for catalogs and documentation.
CODES = (
    "group_in_use",
    "stage_removed",
    "method_changed",
    "option_changed",
    "item_added",
    "item_removed",
    "item_has_comments",
)


@dataclass(frozen=True)
class StageUse:
    """What one stage has collected so far."""

    #: draft, open or closed
    state: str = "draft"
    #: current ballots (phone and paper)
    ballots: int = 0
    #: keys of items residents have commented on
    commented_items: frozenset[str] = frozenset()

    @property
    def ever_opened(self) -> bool:
        return self.state != "draft"


@dataclass(frozen=True)
class Use:
    """What the whole workshop has collected: per stage key, and groups taken."""

    stages: Mapping[str, StageUse] = field(default_factory=dict)
    #: group keys with a participant, a ballot or a printed join card
    groups: frozenset[str] = frozenset()

    def stage(self, key: str) -> StageUse:
        return self.stages.get(key, StageUse())

    @property
    def started(self) -> bool:
        """Whether any stage has opened or holds a ballot."""
        return any(use.ever_opened or use.ballots for use in self.stages.values())


@dataclass(frozen=True)
class Refusal:
    """One edit that would invalidate what was collected."""

    loc: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """Plain English, for logs and the API's ``message``; pages render ``code``."""
        return f"{self.loc}: {ENGLISH[self.code].format(**self.params)}"

    def as_dict(self) -> dict[str, Any]:
        return {"loc": self.loc, "code": self.code, "params": self.params,
                "message": ENGLISH[self.code].format(**self.params)}


#: The English text of each refusal (the console has the same in its catalog).
ENGLISH: dict[str, str] = {
    "group_in_use": "group '{group}' has participants or join cards and cannot be removed",
    "stage_removed": "stage '{stage}' has been opened or has ballots and cannot be removed",
    "method_changed": "stage '{stage}' has ballots: its method stays {old}",
    "option_changed": "stage '{stage}' has ballots: its option {option} cannot change",
    "item_added": "stage '{stage}' has ballots: no item can be added to it",
    "item_removed": "stage '{stage}' has ballots: item '{item}' cannot be removed",
    "item_has_comments": "item '{item}' of stage '{stage}' has comments and cannot be removed",
}


def check_edit(old: Mapping[str, Any], new: Mapping[str, Any], use: Use) -> list[Refusal]:
    """Every refused change from definition ``old`` to ``new`` (both validated and
    normalized workshop objects), in document order of ``new`` (removals at the place
    the removed thing had in ``old``). An empty list: the edit may be saved."""
    refusals: list[Refusal] = []
    new_groups = {group["key"] for group in new["groups"]}
    for index, group in enumerate(old["groups"]):
        if group["key"] not in new_groups and group["key"] in use.groups:
            refusals.append(Refusal(f"groups[{index}]", "group_in_use", {"group": group["key"]}))

    new_stages = {stage["key"]: (index, stage) for index, stage in enumerate(new["stages"])}
    for old_index, old_stage in enumerate(old["stages"]):
        key = old_stage["key"]
        stage_use = use.stage(key)
        if key not in new_stages:
            if stage_use.ever_opened or stage_use.ballots:
                refusals.append(Refusal(f"stages[{old_index}]", "stage_removed", {"stage": key}))
            continue
        index, new_stage = new_stages[key]
        refusals.extend(_check_stage(f"stages[{index}]", old_stage, new_stage, stage_use))
    return refusals


def _check_stage(loc: str, old: Mapping[str, Any], new: Mapping[str, Any], use: StageUse) -> list[Refusal]:
    key = old["key"]
    found: list[Refusal] = []
    if use.ballots:
        if new["method"] != old["method"]:
            return [Refusal(f"{loc}.method", "method_changed", {"stage": key, "old": old["method"]})]
        for option in BALLOT_OPTIONS:
            if old.get(option) != new.get(option):
                found.append(Refusal(f"{loc}.{option}", "option_changed", {"stage": key, "option": option}))
        if _criteria_shape(old) != _criteria_shape(new):
            found.append(Refusal(f"{loc}.criteria", "option_changed", {"stage": key, "option": "criteria"}))

    old_items = _keys(old.get("items") or ())
    new_items = _keys(new.get("items") or ())
    for position, item_key in enumerate(old_items):
        if item_key in new_items:
            continue
        where = f"{loc}.items[{position}]"
        if use.ballots:
            found.append(Refusal(where, "item_removed", {"stage": key, "item": item_key}))
        elif item_key in use.commented_items:
            found.append(Refusal(where, "item_has_comments", {"stage": key, "item": item_key}))
    if use.ballots:
        for position, item_key in enumerate(new_items):
            if item_key not in old_items:
                params = {"stage": key, "item": item_key}
                found.append(Refusal(f"{loc}.items[{position}]", "item_added", params))
    return found


def _keys(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    return [entry["key"] for entry in entries]


def _criteria_shape(stage: Mapping[str, Any]) -> list[tuple[str, float]]:
    """What of the criteria ballots depend on: keys and weights, in any order."""
    criteria = stage.get("criteria") or ()
    return sorted((criterion["key"], criterion.get("weight", DEFAULT_WEIGHT)) for criterion in criteria)
