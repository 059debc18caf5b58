"""The plan draft's content, built from plain dicts: no app, no database, no request.

:func:`build_report` takes what the services give (the workshop object, the
results object in the report's language, comment and idea dicts, counts) and
returns everything ``templates/export/plan.html`` shows, already ordered,
grouped and formatted: workshop texts in the report's language, numbers as
text, stages sorted into the plan's chapters, projects by horizon, group
breakdowns with their spread flags, the scatter chart's geometry. Fixed
sentences (headings, method explanations) stay in the template, translated
there with Flask-Babel.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from ..domain.definition import (
    DEFAULT_SCALE,
    ApprovalStage,
    BudgetStage,
    DotsStage,
    Item,
    ScoreStage,
    Source,
    StageDefinition,
    WordsStage,
    WorkshopDefinition,
)
from ..domain.formats import baht, long_date
from ..domain.schedule import CHANNELS
from ..domain.text import localize
from ..domain.units import SHARE_METHODS

#: a spread (largest minus smallest group score) this large is flagged
SPREAD_FLAG = 20.0
#: groups with fewer ballots in a stage have no say in its spread (contract section 3)
MIN_GROUP_BALLOTS = 3
#: a words stage lists its most given words only
TOP_WORDS = 20
#: items printed in the plan draft in all (issue 14: a workshop at the file limits, 50 stages
#: of 200 items, printed 381 pages): each stage lists its best ranked items, at most this
#: budget shared among its stages with items but never fewer than TOP_ITEMS_MIN; the rest
#: is counted and named in the CSV export
ITEM_BUDGET = 600
TOP_ITEMS_MIN = 10
#: published comments printed in the plan draft at most; above it, every item and stage
#: shows its first k comments (the same k everywhere) and how many more the data exports hold
COMMENT_BUDGET = 100
#: rows of a stage's group breakdown: its best ranked items, plus every flagged one
BREAKDOWN_ROWS = 15
BREAKDOWN_WORDS = 10
#: chapters of the plan, in order, and the stage kinds each one holds
CHAPTERS = (
    ("vision", ("vision",)),
    ("goals", ("goals",)),
    ("projects", ("projects",)),
    ("other", ("ideas", "other")),
)
HORIZONS = ("short", "medium", "long")
#: the scatter chart's plot area, in SVG user units
PLOT = {"left": 46.0, "top": 14.0, "width": 380.0, "height": 250.0}

Dict = dict[str, Any]


# ---------------------------------------------------------------------------
# Formatting (locale-independent: Thai and English write numbers alike)


def number_text(value: float | int | None, decimals: int = 0) -> str:
    """1,234 or 3.8; an en dash for no value."""
    if value is None:
        return "–"
    if decimals == 0 and float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{decimals or 1}f}"


def score_text(score: float | None) -> str:
    """A 0-100 score rounded to one decimal place (the contract's display rule)."""
    return "–" if score is None else f"{score:.1f}"


def value_text(method: str, value: float | int | None) -> str:
    if value is None:
        return "–"
    if method == "score":
        return f"{value:.2f}"
    return number_text(value)


def heat_class(score: float | None) -> str:
    """A shade for a group-breakdown cell: heat-0 (low) .. heat-5 (100)."""
    if score is None:
        return "heat-none"
    return f"heat-{min(5, max(0, int(score // 20)))}"


# ---------------------------------------------------------------------------
# The report


def build_report(
    *,
    definition: WorkshopDefinition,
    results: Mapping[str, Any],
    comments: Iterable[Mapping[str, Any]],
    ideas: Iterable[Mapping[str, Any]],
    counts: Mapping[str, Any],
    lang: str,
    generated: date | None = None,
    sources: Mapping[int, Mapping[str, Any]] | None = None,
) -> Dict:
    """Everything the plan draft template needs.

    ``definition`` is the typed workshop (services.workshops.definition_of),
    ``results`` the results object in ``lang``, ``comments``/``ideas`` the API's
    dicts (any status: only published comments and approved ideas are shown),
    ``counts`` ``{"participants": {"total", "by_group"}, "ballots": {stage:
    {group: {"phone": n, "paper": n}}}}``; ``sources`` the workshops carried items
    came from (``ExportData.sources``), so that a draft names them by their titles.
    """
    languages = list(definition.languages)

    def tr(text: Any) -> str:
        return localize(text, lang, languages)

    groups = [{"key": g.key, "label": tr(g.label) or g.key} for g in definition.groups]
    group_label = {g["key"]: g["label"] for g in groups}
    goal_titles = {
        item.key: tr(item.title)
        for stage in definition.stages
        if stage.kind == "goals"
        for item in stage.items
    }
    published = [c for c in comments if c.get("status") == "published"]
    approved = [i for i in ideas if i.get("status") == "approved"]
    cap = comment_cap(published, COMMENT_BUDGET)
    entries = {entry["key"]: entry for entry in results.get("stages") or ()}
    ballot_counts: Mapping[str, Any] = counts.get("ballots") or {}

    with_items = sum(1 for stage in definition.stages if stage.method != "words")
    top_items = max(TOP_ITEMS_MIN, ITEM_BUDGET // max(with_items, 1))
    stages = []
    for number, stage_def in enumerate(definition.stages, start=1):
        entry = entries.get(stage_def.key)
        if entry is None:
            continue
        stages.append(
            _stage(
                stage_def,
                entry,
                number=number,
                tr=tr,
                lang=lang,
                groups=groups,
                group_label=group_label,
                goal_titles=goal_titles,
                comments=[c for c in published if c.get("stage") == stage_def.key],
                ideas=[i for i in approved if i.get("stage") == stage_def.key],
                ballots=ballot_counts.get(stage_def.key) or {},
                cap=cap,
                top_items=top_items,
                sources=sources or {},
            )
        )

    chapters = []
    for key, kinds in CHAPTERS:
        members = [s for s in stages if s["kind"] in kinds]
        if members:
            chapters.append({"key": key, "anchor": f"chapter-{key}", "stages": members})

    participation = _participation(groups, counts, stages)
    shown = sum(len(s["comments"]) + sum(len(i["comments"]) for i in s["items"]) for s in stages)
    # Words are flagged in their breakdown table only: a single word is no planning choice.
    flagged = [
        {
            "stage": s["title"],
            "stage_anchor": s["anchor"],
            "title": item["title"],
            "spread_text": item["spread_text"],
        }
        for s in stages
        if s["method"] != "words"
        for item in s["items"]
        if item["flagged"]
    ]
    return {
        "lang": lang,
        "languages": languages,
        "title": tr(definition.title),
        "city": tr(definition.city),
        "date": definition.date or "",
        "date_text": long_date(definition.date, lang) if definition.date else "",
        "generated_text": long_date(generated, lang) if generated else "",
        "groups": groups,
        "stages": stages,
        "chapters": chapters,
        "participation": participation,
        "flagged": flagged,
        "spread_flag": SPREAD_FLAG,
        "min_group_ballots": MIN_GROUP_BALLOTS,
        "methods": _methods_used(stages),
        "summary": _summary(stages, participation, published, approved),
        "comment_cap": cap,
        "comments_shown": shown,
    }


def _stage(
    stage_def: StageDefinition,
    entry: Mapping[str, Any],
    *,
    number: int,
    tr: Any,
    lang: str,
    groups: Sequence[Dict],
    group_label: Mapping[str, str],
    goal_titles: Mapping[str, str],
    comments: Sequence[Mapping[str, Any]],
    ideas: Sequence[Mapping[str, Any]],
    ballots: Mapping[str, Mapping[str, int]],
    cap: int | None = None,
    top_items: int | None = None,
    sources: Mapping[int, Mapping[str, Any]] | None = None,
) -> Dict:
    method = stage_def.method
    criteria = [
        {"key": c.key, "label": tr(c.label) or c.key, "weight": c.weight}
        for c in (stage_def.criteria if isinstance(stage_def, ScoreStage) else ())
    ]
    scale = stage_def.scale if isinstance(stage_def, ScoreStage) else DEFAULT_SCALE
    definitions = {item.key: item for item in stage_def.items}
    idea_by_item = {i.get("item"): i for i in ideas if i.get("item")}
    stage_groups = []
    for group in groups:
        counted = ballots.get(group["key"]) or {}
        n = int(counted.get("phone", 0)) + int(counted.get("paper", 0))
        stage_groups.append({**group, "ballots": n, "few": n < MIN_GROUP_BALLOTS})

    items = []
    ranked = list(entry.get("items") or ())
    printed = TOP_WORDS if method == "words" else (top_items or len(ranked))
    for index, result in enumerate(ranked[:printed]):
        items.append(
            _item(
                result,
                definitions.get(result["key"]),
                number=index + 1,
                method=method,
                tr=tr,
                lang=lang,
                criteria=criteria,
                groups=stage_groups,
                goal_titles=goal_titles,
                comments=[_comment(c, group_label) for c in comments if c.get("item") == result["key"]],
                idea=idea_by_item.get(result["key"]),
                group_label=group_label,
                cap=cap,
                sources=sources or {},
            )
        )
    shown, hidden = items, len(ranked) - len(items)

    stage: Dict = {
        "key": stage_def.key,
        "anchor": f"stage-{stage_def.key}",
        "number": number,
        "kind": stage_def.kind,
        "method": method,
        "title": tr(stage_def.title) or stage_def.key,
        "prompt": tr(stage_def.prompt),
        "state": entry.get("state"),
        "ballots": entry.get("ballots", 0),
        "paper_ballots": entry.get("paper_ballots", 0),
        "phone_ballots": entry.get("ballots", 0) - entry.get("paper_ballots", 0),
        "channels": channel_counts(entry),
        "criteria": criteria,
        "scale": scale.model_dump(),
        "options": _options(stage_def, lang),
        "funding": funding_view(entry, lang) if method == "budget" else None,
        "items": shown,
        "all_items": len(ranked),
        "more_items": max(hidden, 0),
        "groups": stage_groups,
        "comments": [_comment(c, group_label) for c in comments if not c.get("item")][:cap],
        "more_comments": max(0, sum(1 for c in comments if not c.get("item")) - (cap or len(comments))),
        "ideas": [_idea(i, group_label) for i in ideas],
        "top": [i for i in shown if i["score"] is not None][:3],
        "horizons": _by_horizon(shown) if stage_def.kind == "projects" else None,
        "scatter": _scatter(shown, criteria, scale.model_dump())
        if method == "score"
        else None,
    }
    stage["flagged"] = sum(1 for item in shown if item["flagged"])
    top = BREAKDOWN_WORDS if method == "words" else BREAKDOWN_ROWS
    stage["breakdown"] = [
        item for index, item in enumerate(shown) if index < top or (item["flagged"] and method != "words")
    ]
    stage["breakdown_more"] = len(ranked) - len(stage["breakdown"])
    return stage


def channel_counts(entry: Mapping[str, Any]) -> list[Dict]:
    """Where a stage's ballots were cast (hall, online, paper, kiosk), the channels that occurred
    only, in that order: ``[{"key": "hall", "count": 12, "text": "12"}, ...]``."""
    counts: Mapping[str, int] = entry.get("by_channel") or {}
    return [{"key": key, "count": counts[key], "text": number_text(counts[key])}
            for key in CHANNELS if counts.get(key)]


def source_view(source: Source, sources: Mapping[int, Mapping[str, Any]], lang: str) -> Dict:
    """Where a carried item came from, in words: the source workshop's and stage's titles (None
    when that workshop is gone), and its rank and score there."""
    found = sources.get(source.workshop)
    languages = list(found["languages"]) if found else [lang]
    stage = found["stages"].get(source.stage) if found else None
    return {
        "workshop": localize(found["title"], lang, languages) if found else None,
        "stage": localize(stage, lang, languages) if stage else source.stage,
        "rank": source.rank,
        "score": source.score,
        "score_text": score_text(source.score),
    }


def _percent_text(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}%"


def units_view(method: str, units: Mapping[str, Any], lang: str) -> Dict:
    """An item's people's units (results ``units``) as texts for the report."""
    view: Dict = {"method": method}
    if method in SHARE_METHODS:
        view["percent_text"] = _percent_text(units.get("percent"))
    elif method == "rank":
        position = units.get("average_position")
        view["position_text"] = "–" if position is None else f"{position:.1f}"
    elif method == "budget":
        average = units.get("average")
        view["average_text"] = baht(round(average), lang) if average is not None else "–"
        view["pot_text"] = _percent_text(units.get("percent_of_pot"))
        view["funded"] = units.get("funded")
    return view


def funding_view(entry: Mapping[str, Any], lang: str) -> Dict | None:
    """A budget stage's funded line for the report: pot, what the funded projects cost, what is left."""
    units = entry.get("units") or {}
    if "pot" not in units:
        return None
    return {"pot_text": baht(units["pot"], lang), "funded_cost_text": baht(units["funded_cost"], lang),
            "left_text": baht(units["left"], lang), "count": len(units.get("funded") or ())}


def _options(stage_def: StageDefinition, lang: str) -> Dict:
    """The method's parameters, for the appendix's explanation of the score."""
    options: Dict = {"n_items": len(stage_def.items)}
    if isinstance(stage_def, ApprovalStage):
        options["max_choices"] = stage_def.choice_limit
    elif isinstance(stage_def, DotsStage):
        options["dots"] = stage_def.dots
        options["max_per_item"] = stage_def.per_item_limit
    elif isinstance(stage_def, BudgetStage):
        options["budget_text"] = baht(stage_def.budget, lang)
    elif isinstance(stage_def, WordsStage):
        options["max_words"] = stage_def.max_words
    elif isinstance(stage_def, ScoreStage):
        options["min"], options["max"] = stage_def.scale.min, stage_def.scale.max
    return options


def _item(
    result: Mapping[str, Any],
    item_def: Item | None,
    *,
    number: int,
    method: str,
    tr: Any,
    lang: str,
    criteria: Sequence[Dict],
    groups: Sequence[Dict],
    goal_titles: Mapping[str, str],
    comments: list[Dict],
    idea: Mapping[str, Any] | None,
    group_label: Mapping[str, str],
    cap: int | None = None,
    sources: Mapping[int, Mapping[str, Any]] | None = None,
) -> Dict:
    score = result.get("score")
    spread = result.get("spread")
    by_group = result.get("by_group") or {}
    cells = []
    for group in groups:
        cell = by_group.get(group["key"])
        group_score = cell.get("score") if cell else None
        cells.append(
            {
                "key": group["key"],
                "label": group["label"],
                "ballots": cell.get("ballots", 0) if cell else 0,
                "score": group_score,
                "score_text": score_text(group_score) if cell else "",
                "heat": heat_class(group_score) if cell else "heat-none",
                "few": group["few"],
            }
        )
    means = result.get("criteria") or {}
    goal_key = item_def.goal if item_def else None
    budget = item_def.budget if item_def else None
    return {
        "key": result["key"],
        "number": number,
        "title": tr(result.get("title")) or result["key"],
        "description": tr(item_def.description if item_def else None),
        "rank": result.get("rank"),
        "value": result.get("value"),
        "value_text": value_text(method, result.get("value")),
        "units": units_view(method, result.get("units") or {}, lang),
        "score": score,
        "score_text": score_text(score),
        "bar": 0.0 if score is None else max(0.0, min(100.0, float(score))),
        "goal_key": goal_key,
        "goal": goal_titles.get(goal_key, goal_key or "") if goal_key else "",
        "horizon": item_def.horizon if item_def else None,
        "budget": budget,
        "budget_text": baht(budget, lang) if budget is not None else "",
        "sdgs": list(item_def.sdgs if item_def else ()),
        "indicator": tr(item_def.indicator if item_def else None),
        #: where a carried item came from (plans, carry forward): workshop, stage, item, rank, score
        "source": item_def.to_json().get("source") if item_def else None,
        "source_view": (
            source_view(item_def.source, sources or {}, lang) if item_def and item_def.source else None
        ),
        "office": tr(item_def.office if item_def else None),
        "strategy": tr(item_def.strategy if item_def else None),
        "criteria": [
            {
                **c,
                "mean": means.get(c["key"]),
                "mean_text": "–" if means.get(c["key"]) is None else f"{means[c['key']]:.2f}",
            }
            for c in criteria
        ],
        "by_group": cells,
        "spread": spread,
        "spread_text": score_text(spread),
        "flagged": spread is not None and spread >= SPREAD_FLAG,
        "comments": comments[:cap],
        "more_comments": max(0, len(comments) - (cap or len(comments))),
        "idea_group": group_label.get(idea.get("group", ""), idea.get("group", "")) if idea else "",
    }


def comment_cap(comments: Sequence[Mapping[str, Any]], budget: int) -> int | None:
    """Comments shown per item (and per stage) so that at most ``budget`` are shown in all.

    None (no cap) when all fit; else the largest k >= 1 with sum(min(n, k)) <= budget
    over the items and stages commented on. Each keeps its earliest comments.
    """
    if len(comments) <= budget:
        return None
    sizes: dict[tuple[Any, Any], int] = {}
    for comment in comments:
        key = (comment.get("stage"), comment.get("item"))
        sizes[key] = sizes.get(key, 0) + 1
    cap = 1
    while sum(min(n, cap + 1) for n in sizes.values()) <= budget:
        cap += 1
    return cap


def _comment(comment: Mapping[str, Any], group_label: Mapping[str, str]) -> Dict:
    group = comment.get("group") or ""
    return {
        "id": comment.get("id"),
        "text": comment.get("text") or "",
        "group": group_label.get(group, group),
    }


def _idea(idea: Mapping[str, Any], group_label: Mapping[str, str]) -> Dict:
    group = idea.get("group") or ""
    return {
        "id": idea.get("id"),
        "title": idea.get("title") or "",
        "description": idea.get("description") or "",
        "item": idea.get("item"),
        "group": group_label.get(group, group),
    }


def _by_horizon(items: Sequence[Dict]) -> list[Dict]:
    """Projects under short, medium and long term (then those without one), in rank order."""
    if not any(item["horizon"] for item in items):
        return [{"key": None, "items": list(items)}]
    groups = []
    for key in (*HORIZONS, None):
        members = [item for item in items if (item["horizon"] or None) == key]
        if members:
            groups.append({"key": key, "items": members})
    return groups


def scatter_axes(criteria: Sequence[Mapping[str, Any]]) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(x, y) criteria of the importance-versus-feasibility chart, or None.

    x is ``feasibility`` and y ``importance`` when both exist, else x the
    second criterion and y the first.
    """
    by_key = {c["key"]: c for c in criteria}
    if "importance" in by_key and "feasibility" in by_key:
        return by_key["feasibility"], by_key["importance"]
    if len(criteria) >= 2:
        return criteria[1], criteria[0]
    return None


def _scatter(items: Sequence[Dict], criteria: Sequence[Dict], scale: Mapping[str, Any]) -> Dict | None:
    axes = scatter_axes(criteria)
    if axes is None:
        return None
    x_axis, y_axis = axes
    low, high = float(scale["min"]), float(scale["max"])
    span = (high - low) or 1.0
    left, top, width, height = PLOT["left"], PLOT["top"], PLOT["width"], PLOT["height"]

    def px(value: float) -> float:
        return round(left + (value - low) / span * width, 2)

    def py(value: float) -> float:
        return round(top + height - (value - low) / span * height, 2)

    points = []
    for item in items:
        means = {c["key"]: c["mean"] for c in item["criteria"]}
        x, y = means.get(x_axis["key"]), means.get(y_axis["key"])
        if x is None or y is None:
            continue
        points.append(
            {
                "number": item["number"],
                "title": item["title"],
                "x": x,
                "y": y,
                "cx": px(x),
                "cy": py(y),
                "flagged": item["flagged"],
            }
        )
    _place_labels(points)
    ticks = [low + i for i in range(int(span) + 1)] if span <= 10 and span.is_integer() else [low, high]
    mid = (low + high) / 2
    return {
        "x_label": x_axis["label"],
        "y_label": y_axis["label"],
        "points": points,
        "ticks": [{"value": number_text(t), "x": px(t), "y": py(t)} for t in ticks],
        "mid_x": px(mid),
        "mid_y": py(mid),
        "plot": PLOT,
        "right": left + width,
        "bottom": top + height,
        "view_width": left + width + 16,
        "view_height": top + height + 34,
    }


def _place_labels(points: list[Dict]) -> None:
    """Put each point's number beside it where it hides no earlier label (greedy)."""
    taken: list[tuple[float, float, float, float]] = [
        (p["cx"] - 4, p["cy"] - 4, p["cx"] + 4, p["cy"] + 4) for p in points
    ]
    for point in points:
        width = 6.0 * len(str(point["number"])) + 2
        for dx, dy, anchor in (
            (7, 3.5, "start"),
            (-7, 3.5, "end"),
            (0, -7, "middle"),
            (0, 13, "middle"),
            (7, -5, "start"),
            (-7, -5, "end"),
            (7, 11, "start"),
            (-7, 11, "end"),
        ):
            x, y = point["cx"] + dx, point["cy"] + dy
            x0 = x if anchor == "start" else x - width if anchor == "end" else x - width / 2
            box = (x0, y - 8, x0 + width, y + 1)
            if not any(_overlap(box, other) for other in taken):
                break
        point.update({"lx": round(x, 2), "ly": round(y, 2), "anchor": anchor})
        taken.append(box)


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _participation(groups: Sequence[Dict], counts: Mapping[str, Any], stages: Sequence[Dict]) -> Dict:
    participants = counts.get("participants") or {}
    by_group = participants.get("by_group") or {}
    total = int(participants.get("total") or 0)
    ballots: Mapping[str, Any] = counts.get("ballots") or {}
    rows = []
    for group in groups:
        phones = int(by_group.get(group["key"], 0))
        paper = max(
            (int((per_group.get(group["key"]) or {}).get("paper", 0)) for per_group in ballots.values()),
            default=0,
        )
        rows.append({**group, "phones": phones, "paper": paper})
    most = max((row["phones"] + row["paper"] for row in rows), default=0) or 1
    for row in rows:
        row["share"] = round(row["phones"] / total * 100, 1) if total else 0.0
        row["bar_phone"] = row["phones"] / most * 100
        row["bar_paper"] = row["paper"] / most * 100
    stage_rows = []
    busiest = max((s["ballots"] for s in stages), default=0) or 1
    for stage in stages:
        stage_rows.append(
            {
                "title": stage["title"],
                "anchor": stage["anchor"],
                "ballots": stage["ballots"],
                "phone": stage["phone_ballots"],
                "paper": stage["paper_ballots"],
                "bar_phone": stage["phone_ballots"] / busiest * 100,
                "bar_paper": stage["paper_ballots"] / busiest * 100,
            }
        )
    return {
        "total": total,
        "groups": rows,
        "stages": stage_rows,
        "ballots": sum(s["ballots"] for s in stages),
        "paper": sum(s["paper_ballots"] for s in stages),
        "most_paper": sum(row["paper"] for row in rows),
    }


def _methods_used(stages: Sequence[Dict]) -> list[Dict]:
    """One appendix entry per stage, in workshop order (each with its own parameters)."""
    return [
        {
            "stage": s["title"],
            "anchor": s["anchor"],
            "method": s["method"],
            "options": s["options"],
            "criteria": s["criteria"],
        }
        for s in stages
    ]


def _summary(
    stages: Sequence[Dict], participation: Mapping[str, Any], comments: Sequence[Any], ideas: Sequence[Any]
) -> Dict:
    return {
        "participants": participation["total"],
        "ballots": participation["ballots"],
        "paper": participation["paper"],
        "comments": len(comments),
        "ideas": len(ideas),
        "stages": [
            {
                "title": s["title"],
                "anchor": s["anchor"],
                "method": s["method"],
                "kind": s["kind"],
                "ballots": s["ballots"],
                "top": s["items"][:5] if s["method"] == "words" else s["top"],
            }
            for s in stages
        ],
        "flagged": sum(s["flagged"] for s in stages if s["method"] != "words"),
    }
