"""The plan draft's texts written from the data, shared by its DOCX and its PDF.

The executive summary's sentences (catalog templates filled with the numbers of
``plan_report.build_plan_report``, no model) and a project's provenance line. They
translate with the request's or ``force_locale``'s language: call them in an app context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext, ngettext

from .context import number_text as n


def summary_sentences(r: Mapping[str, Any]) -> list[str]:
    """The executive summary: plain sentences from the numbers (templates, no model)."""
    s = r["summary"]
    out = []
    if s["first_date"] and s["last_date"] and s["first_date"] != s["last_date"]:
        out.append(
            gettext(
                "This draft brings together %(n)s workshops held from %(first)s to %(last)s for the "
                "plan %(period)s.",
                n=s["workshops"],
                first=s["first_date"],
                last=s["last_date"],
                period=r["period_text"],
            )
        )
    else:
        out.append(
            gettext(
                "This draft brings together %(n)s workshops for the plan %(period)s.",
                n=s["workshops"],
                period=r["period_text"],
            )
        )
    out.append(
        gettext(
            "%(people)s phones joined, and %(ballots)s ballots were counted, by phone and on paper; "
            "%(comments)s comments were published.",
            people=n(s["participants"]),
            ballots=n(s["ballots"]),
            comments=n(s["comments"]),
        )
    )
    for q in r["questions"]:
        top = next((row for row in q["rows"] if row["score"] is not None), None)
        if q["combined"] and top is not None:
            out.append(
                gettext(
                    "Asked in %(n)s workshops, the question “%(question)s” was answered first by “%(item)s” "
                    "(%(score)s of 100, all %(ballots)s ballots together).",
                    n=len(q["workshops"]),
                    question=q["title"],
                    item=top["title"],
                    score=top["score_text"],
                    ballots=n(q["ballots"]),
                )
            )
    for w in r["workshops"]:
        for stage in w["report"]["stages"]:
            if stage["kind"] in ("vision", "goals") and stage["top"]:
                first = stage["top"][0]
                out.append(
                    gettext(
                        "In “%(workshop)s”, “%(stage)s” ranked first: “%(item)s” (%(score)s of 100).",
                        workshop=w["title"],
                        stage=stage["title"],
                        item=first["title"],
                        score=first["score_text"],
                    )
                )
    if s["projects"]:
        out.append(
            ngettext(
                "%(num)d project is proposed, with a budget of %(budget)s over %(period)s.",
                "%(num)d projects are proposed, with a budget of %(budget)s over %(period)s.",
                s["projects"],
                budget=s["budget_text"],
                period=r["period_text"],
            )
        )
    if s["top_goal"] and s["top_goal"]["goal"]:
        out.append(
            gettext(
                "The largest share of the budget (%(share)s) goes to the goal “%(goal)s”.",
                share=s["top_goal"]["share_text"],
                goal=s["top_goal"]["goal"],
            )
        )
    if s["flagged"]:
        out.append(
            ngettext(
                "%(num)d result divides the stakeholder groups or the workshops by %(points)d points "
                "or more: "
                "worth discussing before the plan is adopted.",
                "%(num)d results divide the stakeholder groups or the workshops by %(points)d points "
                "or more: "
                "worth discussing before the plan is adopted.",
                s["flagged"],
                points=int(r["spread_flag"]),
            )
        )
    return out


def provenance_text(v: Mapping[str, Any]) -> str:
    """Where a project was ranked: workshop · stage: rank r, score s."""
    workshop = v["workshop"] or gettext("an earlier workshop")
    text = f"{workshop} · {v['stage']}"
    if v["score"] is None:
        return text
    return text + ": " + gettext("rank %(rank)s, score %(score)s", rank=v["rank"], score=v["score_text"])
