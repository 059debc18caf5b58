"""The plan draft of a whole plan, from plain dicts: no app, no database.

:func:`build_plan_report` takes the plan (``services.plans.describe``), each workshop's
report (``context.build_report``, the same one the workshop's own PDF and DOCX use), the
combined results (``services.compare.plan_results``) and the language, and returns what
the plan's DOCX, JSON and CSV need: the workshops, the combined questions, every project
once (a project carried into a later workshop is listed there, with where it came from),
each project's budget per year of the plan, roll-ups by goal and by SDG target, and the
numbers the executive summary's sentences are made from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ..domain.formats import baht, long_date
from ..domain.plans import budget_by_year, period_text, plan_years
from ..domain.text import localize
from .context import SPREAD_FLAG, number_text, score_text

Dict = dict[str, Any]


def build_plan_report(
    *,
    plan: Mapping[str, Any],
    workshops: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]],
    comparison: Mapping[str, Any],
    lang: str,
    generated: date | None = None,
) -> Dict:
    """``workshops``: (workshop definition with ``id``, its report) in the plan's order."""
    languages = list(plan.get("languages") or [lang])

    def tr(text: Any) -> str:
        return localize(text, lang, languages)

    years = plan_years(plan["period"])
    titles = {int(d["id"]): r["title"] for d, r in workshops}
    stage_titles = {(int(d["id"]), s["key"]): s["title"] for d, r in workshops for s in r["stages"]}
    carried_from = {
        (item["source"]["workshop"], item["source"]["stage"], item["source"]["item"])
        for definition, _report in workshops
        for stage in definition.get("stages") or ()
        for item in stage.get("items") or ()
        if item.get("source")
    }
    definitions = {
        (int(d["id"]), stage["key"], item["key"]): item
        for d, _r in workshops
        for stage in d.get("stages") or ()
        for item in stage.get("items") or ()
    }

    rows: list[Dict] = []
    for definition, report in workshops:
        wid = int(definition["id"])
        for stage in report["stages"]:
            if stage["kind"] != "projects":
                continue
            for item in stage["items"]:
                if (wid, stage["key"], item["key"]) in carried_from:
                    continue  # listed where it was carried to
                raw = definitions.get((wid, stage["key"], item["key"]), {})
                per_year = budget_by_year(raw, years)
                source = raw.get("source")
                provenance = [
                    {
                        "workshop": titles.get(wid, str(wid)),
                        "stage": stage["title"],
                        "rank": item["rank"],
                        "score": item["score"],
                        "score_text": score_text(item["score"]),
                    }
                ]
                if source:
                    # a source outside the plan is named as the workshop's own draft names it
                    # (context.source_view); None when it is gone
                    elsewhere = item.get("source_view") or {}
                    provenance.insert(
                        0,
                        {
                            "workshop": titles.get(int(source["workshop"])) or elsewhere.get("workshop"),
                            "stage": stage_titles.get((int(source["workshop"]), source["stage"]))
                            or elsewhere.get("stage")
                            or source["stage"],
                            "rank": source.get("rank"),
                            "score": source.get("score"),
                            "score_text": score_text(source.get("score")),
                        },
                    )
                rows.append(
                    {
                        **item,
                        "workshop": wid,
                        "workshop_title": titles.get(wid, str(wid)),
                        "stage": stage["key"],
                        "stage_title": stage["title"],
                        "office": tr(raw.get("office")),
                        "strategy": tr(raw.get("strategy")),
                        "years": {year: per_year.get(year) for year in years},
                        "years_text": {
                            year: number_text(per_year[year]) if year in per_year else "" for year in years
                        },
                        "total": sum(per_year.values()) if per_year else None,
                        "total_text": number_text(sum(per_year.values())) if per_year else "–",
                        "from_horizon": not raw.get("budget_years"),
                        "provenance": provenance,
                    }
                )
    for number, row in enumerate(rows, start=1):
        row["plan_number"] = number

    totals = {year: sum(row["years"][year] or 0 for row in rows) for year in years}
    grand = sum(totals.values())

    goals: dict[str, Dict] = {}
    for row in rows:
        key = row["goal"] or ""
        entry = goals.setdefault(key, {"goal": row["goal"], "projects": 0, "budget": 0})
        entry["projects"] += 1
        entry["budget"] += row["total"] or 0
    goal_rows = sorted(goals.values(), key=lambda g: (-g["budget"], g["goal"] or "\uffff"))
    for entry in goal_rows:
        entry["budget_text"] = number_text(entry["budget"])
        entry["share_text"] = f"{entry['budget'] / grand * 100:.1f}%" if grand else "–"

    sdgs: dict[str, Dict] = {}
    for row in rows:
        for sdg in row["sdgs"]:
            entry = sdgs.setdefault(sdg, {"sdg": sdg, "projects": 0, "budget": 0, "titles": []})
            entry["projects"] += 1
            entry["budget"] += row["total"] or 0
            entry["titles"].append(row["title"])
    sdg_rows = sorted(
        sdgs.values(), key=lambda e: [int(p) if p.isdigit() else ord(p) for p in e["sdg"].split(".")]
    )
    for entry in sdg_rows:
        entry["budget_text"] = number_text(entry["budget"])

    questions = []
    names: dict[Any, str] = {w["id"]: w["title"] for w in comparison.get("workshops") or ()}
    for question in comparison.get("questions") or ():
        questions.append(
            {
                **question,
                "workshop_titles": [
                    names.get(w["workshop"], str(w["workshop"])) for w in question["workshops"]
                ],
                "rows": [
                    {
                        **item,
                        "score_text": score_text(item["score"]),
                        "cells": [
                            score_text(
                                (
                                    item["by_workshop"].get(w["workshop"])
                                    or item["by_workshop"].get(str(w["workshop"]))
                                    or {}
                                ).get("score")
                            )
                            for w in question["workshops"]
                        ],
                        "workshop_spread_text": score_text(item["workshop_spread"]),
                        "joined": joined_from(item, names),
                    }
                    for item in question["items"]
                ],
            }
        )

    participants = sum(r["participation"]["total"] for _d, r in workshops)
    ballots = sum(r["participation"]["ballots"] for _d, r in workshops)
    comments = sum(r["summary"]["comments"] for _d, r in workshops)
    dates = sorted(str(d.get("date")) for d, _r in workshops if d.get("date"))
    flagged = sum(1 for q in questions for item in q["items"] if item.get("flagged")) + sum(
        r["summary"]["flagged"] for _d, r in workshops
    )
    top_goal = goal_rows[0] if goal_rows and goal_rows[0]["budget"] else None
    return {
        "lang": lang,
        "title": tr(plan.get("title")),
        "city": tr(plan.get("city")),
        "description": tr(plan.get("description")),
        "period": plan["period"],
        "period_text": period_text(plan["period"], lang),
        "years": years,
        "generated_text": long_date(generated, lang) if generated else "",
        "workshops": [
            {
                "id": int(d["id"]),
                "title": r["title"],
                "date_text": r["date_text"],
                "participants": r["participation"]["total"],
                "ballots": r["participation"]["ballots"],
                "comments": r["summary"]["comments"],
                "report": r,
            }
            for d, r in workshops
        ],
        "questions": questions,
        "projects": rows,
        "year_totals": totals,
        "year_totals_text": {year: number_text(total) for year, total in totals.items()},
        "grand_total": grand,
        "grand_total_text": number_text(grand),
        "grand_total_baht": baht(grand, lang),
        "goals": goal_rows,
        "sdgs": sdg_rows,
        "spread_flag": SPREAD_FLAG,
        "summary": {
            "workshops": len(workshops),
            "first_date": long_date(dates[0], lang) if dates else "",
            "last_date": long_date(dates[-1], lang) if dates else "",
            "participants": participants,
            "ballots": ballots,
            "comments": comments,
            "projects": len(rows),
            "budget": grand,
            "budget_text": baht(grand, lang),
            "top_goal": top_goal,
            "flagged": flagged,
        },
    }


def joined_from(item: Mapping[str, Any], names: Mapping[Any, str]) -> list[str]:
    """The workshops whose items a combined row joined by their title (under other keys), by
    title: where the row came from; [] for a row of one key (copies of one workshop)."""
    sources = list(item.get("sources") or ())
    if len({s["key"] for s in sources}) < 2:
        return []
    return [names.get(s["workshop"], str(s["workshop"])) for s in sources]
