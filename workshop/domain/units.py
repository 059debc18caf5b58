"""Results in people's units: what a facilitator would say aloud for each method.

The 0-100 ``score`` ranks items and compares methods; people read:

- single, approval, words: ballots naming the item and the percent of ballots;
- dots: dots on the item and the percent of all dots cast;
- rank: the average position among ballots that ranked it (1 = first) and Borda points;
- score: the mean per criterion and the weighted mean, on the stage's scale;
- budget: baht given (in all, and per ballot on average), the percent of the pot
  (the stage's ``budget``) the average ballot gave it, and, against the item's own
  ``budget`` (its cost), whether it is funded. The funded line goes down the ranking,
  funding each project in full while the pot lasts: a project that costs more than
  what is left is passed over, and a cheaper one further down may still be funded. A
  project without a cost, or that nobody gave money to, is not funded (``funded`` is
  None for a project without a cost). What is left of the pot is given for the stage.

Pure: plain dicts in, plain dicts out. ``item_units`` gives each item's ``units``
object; ``stage_units`` the stage-level part (None for methods that have none).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .definition import DEFAULT_SCALE, BudgetStage, ScoreStage, StageDefinition

Stage = StageDefinition
Choices = Mapping[str, Any]

#: Methods whose items' units are a share: of the ballots (single, approval, words) or of the dots.
SHARE_METHODS: tuple[str, ...] = ("single", "approval", "words", "dots")


def _percent(part: float | None, whole: float) -> float | None:
    if part is None or not whole:
        return None
    return part / whole * 100


def _positions(ballots: Sequence[Choices], keys: Sequence[str]) -> dict[str, list[int]]:
    """Rank method: each item's 1-based positions on the ballots that ranked it."""
    known = set(keys)
    found: dict[str, list[int]] = {key: [] for key in keys}
    for ballot in ballots:
        ranked = [key for key in ballot.get("order") or () if key in known]
        for position, key in enumerate(ranked, start=1):
            found[key].append(position)
    return found


def funded_line(ranked: Sequence[tuple[str, float | int | None, float | int | None]],
                pot: float | int) -> tuple[dict[str, bool | None], float | int]:
    """Which projects are funded going down the ranking, and what is left of the pot.

    ``ranked``: (key, amount given, cost) in rank order. A project with a cost, that
    got some money and fits in what is left is funded in full; one that does not fit
    is passed over; one without a cost gets None (it cannot be told).
    """
    left = pot
    funded: dict[str, bool | None] = {}
    for key, given, cost in ranked:
        if cost is None:
            funded[key] = None
        elif given and cost <= left:
            funded[key] = True
            left -= cost
        else:
            funded[key] = False
    return funded, left


def _costs(stage: Stage) -> dict[str, Any]:
    costs = {}
    for item in stage.items:
        cost = item.budget
        costs[item.key] = cost if isinstance(cost, int | float) and not isinstance(cost, bool) else None
    return costs


def item_units(stage: Stage, items: Sequence[Mapping[str, Any]],
               ballots: Sequence[Choices]) -> dict[str, dict[str, Any]]:
    """Each item's ``units`` by key; ``items`` are the ranked results items."""
    method = stage.method
    count = len(ballots)
    units: dict[str, dict[str, Any]] = {}
    if method in ("single", "approval", "words"):
        for item in items:
            units[item["key"]] = {"ballots": item["value"], "percent": _percent(item["value"], count)}
    elif method == "dots":
        cast = sum(item["value"] or 0 for item in items)
        for item in items:
            units[item["key"]] = {"dots": item["value"], "percent": _percent(item["value"], cast)}
    elif method == "rank":
        positions = _positions(ballots, [item["key"] for item in items])
        for item in items:
            mine = positions[item["key"]]
            units[item["key"]] = {
                "points": item["value"],
                "average_position": sum(mine) / len(mine) if mine else None,
                "ranked_by": len(mine),
            }
    elif method == "score":
        scale = (stage.scale if isinstance(stage, ScoreStage) else DEFAULT_SCALE).model_dump()
        for item in items:
            units[item["key"]] = {
                "mean": item["value"],
                "criteria": dict(item.get("criteria") or {}),
                "scale": {"min": scale["min"], "max": scale["max"]},
            }
    elif method == "budget":
        pot = stage.budget if isinstance(stage, BudgetStage) else 0
        costs = _costs(stage)
        funded, _left = funded_line([(i["key"], i["value"], costs.get(i["key"])) for i in items], pot)
        for item in items:
            given = item["value"] or 0
            average = given / count if count else None
            units[item["key"]] = {
                "amount": given,
                "average": average,
                "percent_of_pot": _percent(average, pot),
                "cost": costs.get(item["key"]),
                "funded": funded[item["key"]],
            }
    return units


def stage_units(stage: Stage, items: Sequence[Mapping[str, Any]],
                ballots: Sequence[Choices]) -> dict[str, Any] | None:
    """The stage-level part: the budget's pot, what the funded line uses and what is left."""
    method = stage.method
    if method == "budget":
        pot = stage.budget if isinstance(stage, BudgetStage) else 0
        costs = _costs(stage)
        funded, left = funded_line([(i["key"], i["value"], costs.get(i["key"])) for i in items], pot)
        return {
            "pot": pot,
            "given": sum(item["value"] or 0 for item in items),
            "funded": [key for key, yes in funded.items() if yes],
            "funded_cost": pot - left,
            "left": left,
        }
    if method == "dots":
        return {"dots_cast": sum(item["value"] or 0 for item in items)}
    if method == "score":
        scale = (stage.scale if isinstance(stage, ScoreStage) else DEFAULT_SCALE).model_dump()
        return {"scale": {"min": scale["min"], "max": scale["max"]}}
    if method == "rank":
        return {"items": len(stage.items)}
    return None


def add_units(stage: Stage, computed: dict[str, Any], ballots: Sequence[Choices]) -> dict[str, Any]:
    """``computed`` (domain.results.stage_results) with ``units`` on each item and, where
    the method has one, on the stage: additive, the contract's fields stay as they are."""
    items = computed["items"]
    per_item = item_units(stage, items, ballots)
    for item in items:
        item["units"] = per_item.get(item["key"], {})
    stage_level = stage_units(stage, items, ballots)
    if stage_level is not None:
        computed["units"] = stage_level
    return computed
