"""Results of one stage: items ranked by score, per group, with their spread.

This builds the ``ballots`` and ``items`` parts of a stage's entry in the
contract's results object (section 3); the caller adds ``key``, ``method``,
``state`` and ``paper_ballots``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from .methods import Choices, ItemTally, Segmenter, Stage, get_method
from .words import resolve_merges, space_words

#: Scores this close count as equal when ranking (float noise, not a real difference).
TIE_DECIMALS = 9

#: Live results (socket `results`, `sync`, the live pages' boot data) carry at most this
#: many items of a stage: a word cloud its top 100 entries, other stages their top 20
#: (the projector draws 7 bars and 40 words, a phone 10 rows). The API, the console's
#: results page and the exports keep every item.
LIVE_ITEMS = {"words": 100}
LIVE_ITEMS_DEFAULT = 20
#: ... and at most this many bytes once encoded as JSON (ASCII escapes counted, the
#: worst case): whatever the audience does, one stage's `results` message stays under it.
LIVE_BYTES = 16 * 1024


def rank_positions(scores: Sequence[float | None]) -> list[int]:
    """Standard competition ranks (1, 2, 2, 4) of ``scores``, position by position.

    Higher scores rank first; scores equal to ``TIE_DECIMALS`` decimals share a
    rank; every None shares the last rank (the count of real scores + 1). The
    scores need not be sorted.
    """
    rounded = [None if score is None else round(score, TIE_DECIMALS) for score in scores]
    real = sorted((score for score in rounded if score is not None), reverse=True)
    first: dict[float, int] = {}
    for index, score in enumerate(real):
        first.setdefault(score, index)  # rank = 1 + how many scores are higher
    return [len(real) + 1 if score is None else 1 + first[score] for score in rounded]


def stage_results(
    stage: Stage,
    ballots: Sequence[tuple[str | None, Choices]],
    *,
    segment: Segmenter = space_words,
    min_group_ballots: int = 3,
    merges: Sequence[tuple[Sequence[str], str, str]] = (),
) -> dict[str, Any]:
    """Rank the items of ``stage`` over ``ballots`` (group key, normalized choices).

    Phone and paper ballots alike. A ballot whose group is None (a resident who
    picked no group) counts in the whole but in no group. Items come in rank
    order: score descending, None last, ties in definition order (for a words
    stage: value descending, then the word). ``by_group`` holds the groups that
    have a ballot in this stage, sorted by group key; ``spread`` is the largest
    minus the smallest score among groups with at least ``min_group_ballots``
    ballots and a score, None with fewer than two such groups. ``merges`` are
    a words stage's merges in the order made: (entries, into, into as typed).
    """
    method = get_method(stage)
    extra: dict[str, Any] = {}
    if merges:  # a words stage's merges, for Words.tally
        extra["merges"] = {
            "map": resolve_merges((sources, target) for sources, target, _ in merges),
            "labels": {target: label for _, target, label in merges},
        }
    whole = method.tally(stage, [choices for _, choices in ballots], segment, **extra)
    per_group: dict[str, list[Choices]] = {}
    for group, choices in ballots:
        if group is not None:
            per_group.setdefault(group, []).append(choices)
    groups = {
        group: (len(choices), method.tally(stage, choices, segment, **extra))
        for group, choices in sorted(per_group.items())
    }

    keys = list(whole.values)
    scores = [whole.score(key) for key in keys]
    ranks = rank_positions(scores)
    titles = {item.key: item.title for item in stage.items}
    criteria = [criterion.key for criterion in getattr(stage, "criteria", ())]

    items = []
    for index in _rank_order(scores):
        key = keys[index]
        by_group = {
            group: {"ballots": count, "value": tally.value(key), "score": tally.score(key)}
            for group, (count, tally) in groups.items()
        }
        entry: dict[str, Any] = {
            "key": key,
            "title": _copy_title(titles[key]) if key in titles else whole.labels.get(key, key),
            "rank": ranks[index],
            "value": whole.value(key),
            "score": scores[index],
            "by_group": by_group,
            "spread": _spread(
                tally.score(key) for count, tally in groups.values() if count >= min_group_ballots
            ),
        }
        if method.name == "score":
            entry["criteria"] = _criterion_means(whole, key, criteria)
        items.append(entry)
    return {"ballots": len(ballots), "items": items}


def _rank_order(scores: Sequence[float | None]) -> list[int]:
    """Indexes of ``scores``: highest first, None last, ties in their given order."""

    def sort_key(index: int) -> tuple[bool, float]:
        score = scores[index]
        return (True, 0.0) if score is None else (False, -round(score, TIE_DECIMALS))

    return sorted(range(len(scores)), key=sort_key)


def _spread(scores: Iterable[float | None]) -> float | None:
    """Largest minus smallest of the real scores; None with fewer than two."""
    real = [score for score in scores if score is not None]
    return max(real) - min(real) if len(real) >= 2 else None


def _criterion_means(tally: ItemTally, key: str, criteria: Sequence[str]) -> dict[str, float | None]:
    """Mean score per criterion of one item, None for a criterion nobody scored."""
    means = tally.criteria.get(key, {})
    return {criterion: means.get(criterion) for criterion in criteria}


def _copy_title(title: object) -> object:
    """A title as given (str or {lang: str}), copied so results never alias the stage."""
    return dict(title) if isinstance(title, Mapping) else title


def _encoded_size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def bounded_entry(entry: Mapping[str, Any], *, max_items: int | None = None,
                  max_bytes: int = LIVE_BYTES) -> dict[str, Any]:
    """A stage's results entry cut to a size budget, for live messages.

    Keeps the first items (they come in rank order) while there are at most
    ``max_items`` (default: :data:`LIVE_ITEMS` of the stage's method) and the entry,
    encoded, stays under ``max_bytes``. ``items_total`` tells how many items there
    are in all, so a page can say "top 7 of 5,752". Linear in the items.
    """
    items = list(entry.get("items") or ())
    if max_items is None:
        max_items = LIVE_ITEMS.get(str(entry.get("method")), LIVE_ITEMS_DEFAULT)
    bounded = {**entry, "items": [], "items_total": len(items)}
    used = _encoded_size(bounded)
    kept = []
    for item in items[:max_items]:
        used += _encoded_size(item) + 1  # the comma between two items
        if used >= max_bytes:
            break
        kept.append(item)
    bounded["items"] = kept
    return bounded


# ---------------------------------------------------------------------------
# The results object's shape (contract section 3), for the API's document
# (web/api/openapi.py generates its schemas from these models).


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow")  # additions to the contract stay valid


Number = Annotated[float | None, Field(description="null: nobody scored it, or its denominator is 0")]


class GroupResult(_Shape):
    ballots: int
    value: Number
    score: Number


class ItemResult(_Shape):
    key: str
    title: str | dict[str, str]
    rank: int
    value: Number
    score: Number
    by_group: dict[str, GroupResult]
    spread: Number
    criteria: dict[str, float | None] | None = Field(None, description="score stages: each criterion's mean")
    units: dict[str, Any] | None = Field(
        None,
        description="the item in people's units (README: How results are computed): ballots/percent, "
        "dots/percent, points/average_position, mean/criteria, amount/average/percent_of_pot/cost/funded",
    )


class StageResult(_Shape):
    key: str
    method: str
    state: str
    results_shown: bool | None = None
    ballots: int
    paper_ballots: int
    by_channel: dict[str, int] | None = Field(
        None,
        description="an addition to contract 1.1: ballots by where they were cast: hall (stage opened live), "
        "online (opened by its opens_at window), paper, kiosk",
    )
    items: list[ItemResult]
    units: dict[str, Any] | None = Field(
        None, description="stage-level units: budget pot, funded, left; dots cast; score scale; rank items"
    )


class Participants(_Shape):
    total: int
    by_group: dict[str, int]
    assisted: int | None = Field(
        None,
        description="of the total, residents who joined at a helper kiosk in the hall (README: Helper kiosk)",
    )


class Results(_Shape):
    participants: Participants
    stages: list[StageResult]
