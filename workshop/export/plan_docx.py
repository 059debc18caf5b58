"""The plan draft of a whole plan as a Word document (the same look as a workshop's, docx.py).

Chapters: executive summary (sentences written from the data, from the catalog's
templates), the workshops of the plan, combined results of the questions asked in several
workshops, each workshop's vision and goals, the projects (landscape: goal, strategy,
office, indicator, SDGs, score, where it came from, comments under each), the multi-year
budget by year of the plan, roll-ups by goal and by SDG target, and an appendix on how the
numbers were made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from flask_babel import force_locale, gettext, ngettext

from .docx import (
    FLAG,
    FullRow,
    Writer,
    _comments_filler,
    _header_footer,
    _item_title,
    _ranked_table,
    embolden,
    horizon_label,
    method_label,
    n,
)
from .plan_text import provenance_text, summary_sentences


def plan_docx(report: Mapping[str, Any]) -> bytes:
    """DOCX bytes of a plan report (export.plan_report.build_plan_report); needs an app context."""
    with force_locale(report["lang"]):
        return _write(report)


def _write(r: Mapping[str, Any]) -> bytes:
    w = Writer(r["lang"])
    w.doc.core_properties.title = r["title"]
    w.doc.core_properties.author = r["city"] or "RuamKit"
    w.doc.core_properties.subject = gettext("Development plan draft")
    center = WD_ALIGN_PARAGRAPH.CENTER
    w.para(gettext("Development plan draft") + " " + r["period_text"], "Subtitle", align=center)
    for _ in range(4):
        w.para()
    w.para(r["title"], "Title", align=center)
    if r["city"]:
        w.para(r["city"], "Subtitle", align=center)
    w.para(r["period_text"], bold=True, align=center)
    if r["description"]:
        w.para(r["description"], align=center)
    w.para()
    if r["generated_text"]:
        w.para(
            gettext(
                "A draft for discussion, generated on %(date)s from the ballots, comments and ideas of "
                "the plan's workshops.",
                date=r["generated_text"],
            ),
            "Small Text",
            align=center,
        )
    section = w.doc.add_section()
    from .docx import _page_setup

    _page_setup(section)
    _header_footer(section, r["title"], gettext("Page"))
    section.different_first_page_header_footer = False
    w.contents_field(
        gettext("Contents"),
        gettext(
            "Page numbers appear when the contents are updated (Word asks when the file opens; "
            "in LibreOffice: Tools, Update, Update All)."
        ),
    )

    number = 1
    w.chapter(f"{number}. " + gettext("Executive summary"))
    for sentence in summary_sentences(r):
        w.para(sentence)

    number += 1
    w.chapter(f"{number}. " + gettext("Workshops of the plan"))
    rows: list[Any] = [
        [str(i), x["title"], x["date_text"] or "–", n(x["participants"]), n(x["ballots"]), n(x["comments"])]
        for i, x in enumerate(r["workshops"], start=1)
    ]
    w.table(
        [
            gettext("No."),
            gettext("Workshop"),
            gettext("Date"),
            gettext("Phones joined"),
            gettext("All ballots"),
            gettext("published comments"),
        ],
        rows,
        [10, 50, 30, 22, 22, 26],
        numeric=(0, 3, 4, 5),
    )

    if r["questions"]:
        number += 1
        w.chapter(f"{number}. " + gettext("Combined results"), landscape=True)
        w.para(
            gettext(
                "A question asked in several workshops is counted once over all their ballots, with the same "
                "formulas; beside it, each workshop's own score. A spread of %(points)d points or more "
                "between workshops is marked !.",
                points=int(r["spread_flag"]),
            )
        )
        for q in r["questions"]:
            w.heading(q["title"], 2)
            w.para(
                method_label(q["method"]) + " · " + gettext("%(n)s ballots", n=n(q["ballots"])), "Small Text"
            )
            if not q["combined"]:
                w.para(
                    gettext(
                        "These stages use different methods or options: shown side by side, not added up."
                    ),
                    "Small Text",
                )
            header = (
                [gettext("Rank"), gettext("Item"), gettext("Combined")]
                + q["workshop_titles"]
                + [gettext("Spread")]
            )
            rows = [
                [
                    str(x["rank"]) if x["score"] is not None else "–",
                    x["title"]
                    + (
                        " ("
                        + gettext("counted as one: the same title in %(workshops)s",
                                  workshops=", ".join(x["joined"]))
                        + ")"
                        if x["joined"]
                        else ""
                    ),
                    x["score_text"],
                    *x["cells"],
                    x["workshop_spread_text"] + (" !" if x.get("flagged") else ""),
                ]
                for x in q["rows"]
            ]
            cols = len(q["workshop_titles"])
            each = max(18.0, min(30.0, 130 / max(1, cols)))
            table = w.table(
                header,
                rows,
                # the rank column fits its Thai heading (อันดับ) on one line
                [20, 247 - 20 - 22 - 20 - each * cols, 22] + [each] * cols + [20],
                numeric=range(2, 4 + cols),
            )
            for row, item in zip(list(table.rows)[1:], q["rows"], strict=False):
                if item.get("flagged"):
                    for run in row.cells[-1].paragraphs[0].runs:
                        embolden(run).font.color.rgb = FLAG

    visions = [
        (x, s) for x in r["workshops"] for s in x["report"]["stages"] if s["kind"] in ("vision", "goals")
    ]
    if visions:
        number += 1
        w.chapter(f"{number}. " + gettext("Vision and goals"))
        for x, stage in visions:
            w.heading(f"{stage['title']} · {x['title']}", 2)
            if stage["prompt"]:
                w.para(gettext("Question:") + " " + stage["prompt"])
            if stage["items"]:
                _ranked_table(w, stage, stage["items"])

    number += 1
    w.chapter(f"{number}. " + gettext("Projects and programmes"), landscape=True)
    projects = r["projects"]
    for horizon in ("short", "medium", "long", None):
        members = [p for p in projects if (p["horizon"] or None) == horizon]
        if not members:
            continue
        count = ngettext("%(num)d project", "%(num)d projects", len(members))
        w.heading(f"{horizon_label(horizon)} ({count})", 2)
        rows = []
        for p in members:
            where = "; ".join(provenance_text(v) for v in p["provenance"])
            rows.append(
                [
                    str(p["plan_number"]),
                    _item_title(p, project=True),
                    p["goal"] or "–",
                    p["strategy"] or "–",
                    p["office"] or "–",
                    p["indicator"] or "–",
                    "\n".join(p["sdgs"]) or "–",
                    p["score_text"],
                    where,
                ]
            )
            if p["comments"]:
                rows.append(FullRow(_comments_filler(p)))
        w.table(
            [
                gettext("No."),
                gettext("Project"),
                gettext("Goal:").rstrip(":"),
                gettext("Strategy and approach"),
                gettext("Responsible office"),
                gettext("Indicator:").rstrip(":"),
                "SDG",
                gettext("Score (0–100)"),
                gettext("Where it was ranked"),
            ],
            rows,
            [10, 52, 28, 28, 24, 30, 14, 17, 44],
            numeric=(0, 7),
        )

    w.heading(gettext("Budget by year (baht)"), 2)
    years = r["years"]
    header = [gettext("No."), gettext("Project")] + [str(y) for y in years] + [gettext("Total")]
    rows = [
        [str(p["plan_number"]), p["title"]] + [p["years_text"][y] or "–" for y in years] + [p["total_text"]]
        for p in projects
    ]
    rows.append(
        ["", gettext("All projects")] + [r["year_totals_text"][y] for y in years] + [r["grand_total_text"]]
    )
    each = 29.0
    table = w.table(
        header,
        rows,
        [10, 247 - 10 - each * (len(years) + 1), *[each] * (len(years) + 1)],
        numeric=range(2, 3 + len(years)),
    )
    for cell in table.rows[-1].cells:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                embolden(run)
    w.para(
        gettext(
            "A project's budget per year is its budget_years where given; otherwise its budget spread evenly "
            "over the years of its time frame (short term: the first third of the period, medium: the "
            "second, long: the last; none: the whole period)."
        ),
        "Small Text",
    )

    w.heading(gettext("Budget by goal"), 2)
    rows = [
        [g["goal"] or gettext("No goal given"), n(g["projects"]), g["budget_text"], g["share_text"]]
        for g in r["goals"]
    ]
    w.table(
        [gettext("Goal:").rstrip(":"), gettext("Projects"), gettext("Budget (baht)"), gettext("Share")],
        rows,
        [120, 30, 50, 30],
        numeric=(1, 2, 3),
    )
    if r["sdgs"]:
        w.heading(gettext("Budget by SDG target"), 2)
        rows = [
            [f"SDG {e['sdg']}", n(e["projects"]), e["budget_text"], ", ".join(e["titles"])] for e in r["sdgs"]
        ]
        w.table(
            [gettext("SDG target"), gettext("Projects"), gettext("Budget (baht)"), gettext("Project")],
            rows,
            [26, 24, 40, 157],
            numeric=(1, 2),
        )
        w.para(gettext("A project serving several targets counts in full for each of them."), "Small Text")

    w.chapter(gettext("Appendix: how the numbers were made"))
    w.bullets(
        [
            gettext(
                "Each workshop's ranks and scores are computed as explained in its own plan draft "
                "(the contract's "
                "formulas: a score from 0 to 100 for every item)."
            ),
            gettext(
                "Combined results count every ballot of the workshops that asked the question once, "
                "with the same "
                "formulas over all the items any of them listed."
            ),
            gettext(
                "A carried item keeps where it came from: the workshop and stage, and its rank and "
                "score there; "
                "such a project is listed once, in the workshop it was carried to."
            ),
            gettext(
                "Participants are anonymous: RuamKit stores no names, addresses or phone numbers, "
                "only the group "
                "each participant chose."
            ),
        ]
    )
    w.fill_contents()
    return w.save()
