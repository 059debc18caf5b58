"""Exports of a whole plan: the plan draft (DOCX, PDF) and the open-data bundle (ZIP), JSON.

    render_plan_export(user, plan_id, "docx" | "pdf" | "json" | "zip", lang)

The DOCX and the PDF have the same sections, made from one report (``plan_report``) and
one set of sentences (``plan_text``); the PDF renders like a workshop's (``pdf``,
``templates/export/plan_book.html``). Like a workshop's, every plan export is made by a
child process (``process``, with the memory and time ceilings) unless EXPORT_RENDERER says
otherwise: the server only checks that the user may see the plan.

The open-data bundle (``zip``) holds, with English field names and UTF-8 (with a byte-order
mark for spreadsheet programs): ``projects.csv`` (every project once, its budget per year),
``combined_results.csv``, ``workshop_results.csv``, ``workshops.csv``, ``plan.json`` (the
same as the JSON export), ``DATACARD.md`` (what, who, when, licence, method) and, for each
participatory budget stage, ``pabulib/<workshop>-<stage>.pb`` in the pabulib format
(META / PROJECTS / VOTES, ``vote_type`` cumulative: each voter's amounts as points).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

from ..models import User
from ..services import access, compare, plans
from ..services.errors import Invalid
from ..storage import db
from . import LOCAL_TIME
from .context import build_report
from .csv_zip import csv_bytes
from .data import ExportData, chosen_language, collect
from .plan_report import build_plan_report

FORMATS = ("docx", "pdf", "json", "zip")
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "json": "application/json",
    "zip": "application/zip",
}
LICENCE = "CC BY 4.0"


def check_plan_format(fmt: object) -> str:
    if fmt not in FORMATS:
        raise Invalid(f"format: must be one of {', '.join(FORMATS)}")
    return str(fmt)


def _gather(
    user: User | None, plan_id: int, lang: object
) -> tuple[dict[str, Any], list[ExportData], dict[str, Any], str]:
    plan = plans.get_plan(user, plan_id)
    described = plans.describe(plan)
    language = chosen_language(described["languages"][0], lang)
    comparison = compare.plan_results(user, plan_id, language)
    parts = [
        collect(w.id, language)
        for w in plans.workshops_of(plan)
        if access.role_of(user, "workshop", w.id) is not None
    ]
    db.session.rollback()  # plain data from here on
    return described, parts, comparison, language


def plan_report(
    user: User | None, plan_id: int, lang: object = None
) -> tuple[dict[str, Any], list[ExportData], dict[str, Any]]:
    described, parts, comparison, language = _gather(user, plan_id, lang)
    workshops = []
    for data in parts:
        report = build_report(
            definition=data.definition,
            results=data.results,
            comments=data.comments,
            ideas=data.ideas,
            counts=data.counts,
            lang=language,
            sources=data.sources,
        )
        workshops.append(({**data.definition.to_json(), "id": data.workshop_id}, report))
    report = build_plan_report(
        plan=described,
        workshops=workshops,
        comparison=comparison,
        lang=language,
        generated=datetime.now(LOCAL_TIME).date(),
    )
    return report, parts, {"plan": described, "comparison": comparison}


def render_plan_export(
    user: User | None, plan_id: int, fmt: str, lang: object = None
) -> tuple[bytes, str, str]:
    """A plan's export: (content, mimetype, file name); NotFound when ``user`` may not see
    the plan, Invalid for a bad format or language, RenderFailed past a ceiling."""
    fmt = check_plan_format(fmt)
    from . import by_child

    if by_child():
        from . import process

        plans.get_plan(user, plan_id)  # 404 before any process starts
        chosen_language("th", lang)
        return process.run("plan", fmt, user_id=None if user is None else user.id, plan_id=plan_id,
                           lang=lang)
    return render_plan_export_here(user, plan_id, fmt, lang)


def render_plan_export_here(
    user: User | None, plan_id: int, fmt: str, lang: object = None
) -> tuple[bytes, str, str]:
    """``render_plan_export`` in this process (the export's child, tests)."""
    fmt = check_plan_format(fmt)
    report, parts, extra = plan_report(user, plan_id, lang)
    stem = f"ruamkit-plan-{plan_id}-{report['period']['start']}-{report['period']['end']}"
    if fmt == "docx":
        from .pdf import offload
        from .plan_docx import plan_docx

        content = offload(lambda: plan_docx(report))
        return content, MIMETYPES[fmt], f"{stem}-plan-draft-{report['lang']}.docx"
    if fmt == "pdf":
        from .pdf import plan_book_pdf

        return plan_book_pdf(report), MIMETYPES[fmt], f"{stem}-plan-draft-{report['lang']}.pdf"
    document = plan_json(report, parts, extra)
    if fmt == "json":
        return (
            json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"),
            MIMETYPES[fmt],
            f"{stem}.json",
        )
    return open_data_zip(report, parts, document), MIMETYPES[fmt], f"{stem}-open-data.zip"


def _project_record(p: dict[str, Any], years: list[int]) -> dict[str, Any]:
    return {
        "number": p["plan_number"],
        "workshop_id": p["workshop"],
        "workshop": p["workshop_title"],
        "stage": p["stage"],
        "item": p["key"],
        "title": p["title"],
        "description": p["description"],
        "goal": p["goal_key"],
        "goal_title": p["goal"],
        "horizon": p["horizon"],
        "strategy": p["strategy"],
        "office": p["office"],
        "indicator": p["indicator"],
        "sdgs": p["sdgs"],
        "budget": p["budget"],
        "budget_by_year": {str(y): p["years"][y] for y in years if p["years"][y] is not None},
        "rank": p["rank"],
        "score": p["score"],
        "provenance": p["provenance"],
        "comments": [c["text"] for c in p["comments"]],
    }


def plan_json(report: dict[str, Any], parts: list[ExportData], extra: dict[str, Any]) -> dict[str, Any]:
    years = report["years"]
    from .json_dump import document

    return {
        "format": "ruamkit-plan",
        "version": 1,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "language": report["lang"],
        "licence": LICENCE,
        "plan": extra["plan"],
        "summary": {k: v for k, v in report["summary"].items() if k != "top_goal"},
        "projects": [_project_record(p, years) for p in report["projects"]],
        "budget_by_year": {str(y): report["year_totals"][y] for y in years},
        "by_goal": [{k: g[k] for k in ("goal", "projects", "budget")} for g in report["goals"]],
        "by_sdg": [{k: e[k] for k in ("sdg", "projects", "budget")} for e in report["sdgs"]],
        "combined": extra["comparison"]["questions"],
        "workshops": [document(data) for data in parts],
    }


def pabulib(data: ExportData, stage: dict[str, Any], plan_title: str) -> str:
    """One participatory budget stage in the pabulib format (cumulative votes: amounts as points)."""
    items = stage.get("items") or []
    ballots = [b for b in data.ballots if b["stage"] == stage["key"]]
    entries: list[dict[str, Any]] = data.results["stages"]
    empty: dict[str, Any] = {"items": []}
    entry = next((s for s in entries if s["key"] == stage["key"]), empty)
    value = {i["key"]: i.get("value") for i in entry["items"]}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    out.write("META\n")
    writer.writerow(["key", "value"])
    meta = [
        ("description", f"{plan_title}: {_text(stage.get('title'))}"),
        ("country", "Thailand"),
        ("unit", _text(data.definition.to_json().get("city")) or "-"),
        ("instance", f"ruamkit-{data.workshop_id}-{stage['key']}"),
        ("num_projects", len(items)),
        ("num_votes", len(ballots)),
        ("budget", stage.get("budget")),
        ("vote_type", "cumulative"),
        ("max_sum_points", stage.get("budget")),
        ("rule", "none"),
        ("date_begin", str(data.definition.to_json().get("date") or "")),
        ("language", data.lang),
        ("currency", "THB"),
        ("licence", LICENCE),
    ]
    for key, val in meta:
        writer.writerow([key, _clean(val)])
    out.write("PROJECTS\n")
    writer.writerow(["project_id", "cost", "name", "votes", "score"])
    for item in items:
        voters = sum(1 for b in ballots if item["key"] in (b["choices"].get("budget") or {}))
        writer.writerow(
            [
                item["key"],
                int(item.get("budget") or 0),
                _clean(_text(item.get("title"))),
                voters,
                int(value.get(item["key"]) or 0),
            ]
        )
    out.write("VOTES\n")
    writer.writerow(["voter_id", "vote", "points", "group"])
    for ballot in ballots:
        amounts = {k: v for k, v in (ballot["choices"].get("budget") or {}).items() if v}
        writer.writerow(
            [
                ballot["id"],
                ",".join(amounts),
                ",".join(str(int(v)) for v in amounts.values()),
                ballot.get("group") or "",
            ]
        )
    return out.getvalue()


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(next(iter(value.values()), ""))
    return "" if value is None else str(value)


def _clean(value: Any) -> str:
    """pabulib cells: no line breaks, no semicolons."""
    return str("" if value is None else value).replace(";", ",").replace("\n", " ").replace("\r", " ")


def datacard(report: dict[str, Any], parts: list[ExportData]) -> str:
    workshops = "\n".join(
        f"- {w['title']} ({w['date_text'] or 'no date'}): {w['participants']} phones joined, "
        "{w['ballots']} ballots"
        for w in report["workshops"]
    )
    start, end = report["period"]["start"], report["period"]["end"]
    return f"""# Data card: {report["title"]}

**What.** The results of the participatory planning workshops of the plan "{report["title"]}"
({report["city"] or "no city given"}, period {start}-{end} Buddhist era,
{start - 543}-{end - 543} CE): every project once with its budget per year,
combined results of questions asked in several workshops, each workshop's ranked results,
and participatory budget votes in the pabulib format.

**Who.** Residents, government, private sector and civil society who took part in the workshops
below, anonymously (no names, addresses or phone numbers are collected; each ballot carries
only the stakeholder group the participant chose). Published by the municipality that ran them.

{workshops}

**When.** Exported on {datetime.now(UTC).date().isoformat()} (UTC) by RuamKit.

**Licence.** {LICENCE} (https://creativecommons.org/licenses/by/4.0/): reuse with attribution
to the municipality.

**Method.** Each stage's ballots give every item a value and a score from 0 to 100 (single and
approval: share of ballots naming it; dots: share of all dots; rank: Borda points over
ballots x items; score: weighted mean of criterion means, rescaled; budget: share of all
amounts). Combined results count every ballot of the workshops that asked the same question
(stage key) once, with the same formulas over all their items; items with the same title in
several workshops are one item (one row), whatever key each workshop gave it, and
`combined_results.csv` names each workshop's own key in `workshop_item`. A project's budget per year is
its `budget_years`, or its budget spread evenly over the years of its time frame. Ranks and
scores are the views of the people who took part, not decisions of the municipality.

**Files.** `projects.csv`, `budget_by_year` columns `y<year>`; `combined_results.csv`;
`workshop_results.csv`; `workshops.csv`; `plan.json` (everything, including each workshop's
ballots without any participant identifier); `pabulib/*.pb` (participatory budget stages).
All text files are UTF-8.
"""


def open_data_zip(report: dict[str, Any], parts: list[ExportData], document: dict[str, Any]) -> bytes:
    years = report["years"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        header = [
            "number",
            "workshop_id",
            "workshop",
            "stage",
            "item",
            "title",
            "goal",
            "goal_title",
            "horizon",
            "strategy",
            "office",
            "indicator",
            "sdgs",
            "budget",
            *[f"y{y}" for y in years],
            "rank",
            "score",
            "carried_from",
        ]
        rows = []
        for p in report["projects"]:
            rows.append(
                [
                    p["plan_number"],
                    p["workshop"],
                    p["workshop_title"],
                    p["stage"],
                    p["key"],
                    p["title"],
                    p["goal_key"],
                    p["goal"],
                    p["horizon"],
                    p["strategy"],
                    p["office"],
                    p["indicator"],
                    " ".join(p["sdgs"]),
                    p["budget"],
                    *[p["years"][y] for y in years],
                    p["rank"],
                    p["score"],
                    " | ".join(f"{v['workshop'] or ''} / {v['stage']}" for v in p["provenance"][:-1]),
                ]
            )
        archive.writestr("projects.csv", csv_bytes(header, rows))
        rows = []
        for q in report["questions"]:
            for item in q["items"]:
                for w in q["workshops"]:
                    cell = item["by_workshop"].get(w["workshop"]) or item["by_workshop"].get(
                        str(w["workshop"])
                    )
                    own_key = next(
                        (s["key"] for s in item.get("sources") or ()
                         if str(s["workshop"]) == str(w["workshop"])),
                        None,
                    )
                    rows.append(
                        [
                            q["key"],
                            q["title"],
                            q["combined"],
                            item["key"],
                            item["title"],
                            item["rank"],
                            item["score"],
                            w["workshop"],
                            own_key,
                            cell["score"] if cell else None,
                            item["workshop_spread"],
                            item["spread"],
                        ]
                    )
        archive.writestr(
            "combined_results.csv",
            csv_bytes(
                [
                    "question",
                    "question_title",
                    "combined",
                    "item",
                    "title",
                    "rank",
                    "score",
                    "workshop_id",
                    "workshop_item",
                    "workshop_score",
                    "workshop_spread",
                    "group_spread",
                ],
                rows,
            ),
        )
        rows = [
            [
                data.workshop_id,
                stage["key"],
                stage["method"],
                item["key"],
                item["title"],
                item["rank"],
                item["value"],
                item["score"],
                item.get("spread"),
            ]
            for data in parts
            for stage in data.results["stages"]
            for item in stage["items"]
        ]
        archive.writestr(
            "workshop_results.csv",
            csv_bytes(
                ["workshop_id", "stage", "method", "item", "title", "rank", "value", "score", "spread"], rows
            ),
        )
        rows = [
            [w["id"], w["title"], w["date_text"], w["participants"], w["ballots"], w["comments"]]
            for w in report["workshops"]
        ]
        archive.writestr(
            "workshops.csv",
            csv_bytes(
                ["workshop_id", "title", "date", "participants", "ballots", "published_comments"], rows
            ),
        )
        archive.writestr("plan.json", json.dumps(document, ensure_ascii=False, indent=1))
        archive.writestr("DATACARD.md", datacard(report, parts))
        for data in parts:
            for stage in data.definition.to_json().get("stages") or ():
                if stage.get("method") == "budget":
                    archive.writestr(
                        f"pabulib/{data.workshop_id}-{stage['key']}.pb", pabulib(data, stage, report["title"])
                    )
    return buffer.getvalue()
