"""A plan of two community forums and the Ranong workshop (vision, goals, projects, budget),
built through the API, then its exports: the plan draft DOCX (python-docx, and
LibreOffice + pdftotext, slow), the plan draft PDF (WeasyPrint, read with pdftotext and
pdffonts), the open-data bundle (CSV, data card, JSON, pabulib .pb
read back by a strict parser) and the JSON."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest

from tests.factories import Api
from tests.integration.test_carry import feed_forum, forum
from tests.integration.test_docx_export import W_NS, headings, keep, libreoffice_pdf
from tests.integration.test_exports import feed_ranong, flat, need_poppler, pdf_fonts, pdf_text
from tests.integration.test_plans import put

P = "/api/v1/plans"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


@pytest.fixture
def plan(api: Api) -> dict[str, Any]:
    a = api.create_workshop(forum())
    b = api.create_workshop({**forum(), "title": "ประชาคมชุมชนเขานิเวศน์"})
    feed_forum(api, a["id"], a["code"])
    feed_forum(api, b["id"], b["code"])
    ranong = feed_ranong(api)
    # a Thai plan's fields on one project: office, strategy, its budget per year
    workshop = api.get(f"/api/v1/workshops/{ranong['id']}").get_json()
    projects = next(s for s in workshop["stages"] if s["key"] == "projects")
    p1 = next(i for i in projects["items"] if i["key"] == "p1")
    p1.update(
        {
            "office": "กองช่าง",
            "strategy": "ยุทธศาสตร์ที่ 2 เมืองปลอดภัยจากภัยพิบัติ",
            "budget_years": {"2570": 10_000_000, "2571": 20_000_000, "2572": 15_000_000},
        }
    )
    response = put(api, f"/api/v1/workshops/{ranong['id']}", workshop)
    assert response.status_code == 200, response.get_json()
    created = api.post(
        P,
        {
            "title": {"th": "แผนพัฒนาเทศบาลเมืองระนอง", "en": "Ranong development plan"},
            "city": "เทศบาลเมืองระนอง",
            "period": "2570-2574",
            "languages": ["th", "en"],
            "workshops": [a["id"], b["id"], ranong["id"]],
        },
    )
    assert created.status_code == 201, created.get_json()
    return {"id": created.get_json()["id"], "ranong": ranong["id"], "definition": workshop}


def export(api: Api, plan_id: int, fmt: str, **params: str) -> Any:
    response = api.get(f"{P}/{plan_id}/export", query_string={"format": fmt, **params})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def all_projects(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for s in definition["stages"] if s["kind"] == "projects" for i in s["items"]]


def test_plan_docx_has_the_sections_and_the_budget_adds_up(api: Api, plan: dict[str, Any]) -> None:
    response = export(api, plan["id"], "docx")
    assert response.mimetype.endswith("wordprocessingml.document")
    assert 'filename="ruamkit-plan-' in response.headers["Content-Disposition"]
    keep("plan.docx", response.data)
    document = docx.Document(io.BytesIO(response.data))
    h1 = headings(document, 1)
    for title in ("บทสรุปผู้บริหาร", "การประชุมของแผน", "ผลรวมของทุกเวที", "วิสัยทัศน์และเป้าหมาย", "แผนงานและโครงการ"):
        assert any(title in h for h in h1), (title, h1)
    text = "\n".join(p.text for p in document.paragraphs)
    # the executive summary is sentences made from the data
    assert "การประชุม 3 ครั้ง" in text and "พ.ศ. 2570–2574" in text
    assert "น้ำท่วมขัง" in text  # first in the question asked in both forums
    # the budget table: a column per year of the plan, each row adding up to the project's budget
    budget = next(
        t for t in document.tables if t.rows[0].cells[-1].text == "รวม" and t.rows[0].cells[2].text == "2570"
    )
    assert [c.text for c in budget.rows[0].cells][2:-1] == ["2570", "2571", "2572", "2573", "2574"]
    expected = {i["title"]: i for i in all_projects(plan["definition"])}
    totals = [0] * 5
    listed = 0
    for row in budget.rows[1:-1]:
        cells = [c.text for c in row.cells]
        amounts = [int(x.replace(",", "")) if x not in ("–", "") else 0 for x in cells[2:-1]]
        item = expected[cells[1]]
        if item.get("budget") is not None or item.get("budget_years"):
            want = sum(item["budget_years"].values()) if item.get("budget_years") else item["budget"]
            assert sum(amounts) == want, cells
            assert int(cells[-1].replace(",", "")) == want
        totals = [t + a for t, a in zip(totals, amounts, strict=True)]
        listed += 1
    assert listed == len(expected)
    last = [c.text for c in budget.rows[-1].cells]
    assert [int(x.replace(",", "")) for x in last[2:-1]] == totals
    p1 = next(row for row in budget.rows[1:] if row.cells[1].text == expected_title(plan, "p1"))
    assert [c.text for c in p1.cells][2:5] == ["10,000,000", "20,000,000", "15,000,000"]
    # roll-ups by goal and SDG target; office and strategy in the project table
    assert any(
        t.rows[0].cells[0].text == "เป้าหมาย" and t.rows[0].cells[-1].text == "สัดส่วน" for t in document.tables
    )
    assert any(t.rows[0].cells[0].text == "เป้าหมาย SDG" for t in document.tables)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "กองช่าง" in cells and "ยุทธศาสตร์ที่ 2 เมืองปลอดภัยจากภัยพิบัติ" in cells
    # TH Sarabun New for every script slot, like the workshop's draft
    fonts = document.styles.element.find(f"{W_NS}docDefaults").find(f"{W_NS}rPrDefault").find(f"{W_NS}rPr")
    assert fonts.find(f"{W_NS}rFonts").get(f"{W_NS}cs") == "TH Sarabun New"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the database does not matter to the PDF
def test_plan_pdf_has_the_docx_sections_and_the_budget_adds_up(
    api: Api, plan: dict[str, Any], tmp_path: Path
) -> None:
    need_poppler()
    response = export(api, plan["id"], "pdf")
    assert response.mimetype == "application/pdf"
    assert 'filename="ruamkit-plan-' in response.headers["Content-Disposition"]
    assert "-plan-draft-th.pdf" in response.headers["Content-Disposition"]
    keep("plan.pdf", response.data)
    text = pdf_text(response.data, tmp_path)
    # the DOCX's chapters, the plan's Buddhist-era period and the day it was made (B.E.)
    for words in (
        "ร่างแผนพัฒนา",
        "แผนพัฒนาเทศบาลเมืองระนอง",
        "บทสรุปผู้บริหาร",
        "การประชุมของแผน",
        "ผลรวมของทุกเวที",
        "วิสัยทัศน์และเป้าหมาย",
        "แผนงานและโครงการ",
        "งบประมาณรายปี (บาท)",
        "พ.ศ. 2570–2574",
        # the executive summary's sentences, office and strategy, a published comment
        "การประชุม 3 ครั้ง",
        "น้ำท่วมขัง",
        "กองช่าง",
        "ยุทธศาสตร์ที่ 2 เมืองปลอดภัยจากภัยพิบัติ",
    ):
        assert flat(words) in flat(text), words
    made = re.search(r"จัดทำเมื่อวันที่(\d+)([ก-๙]+)(\d{4})", flat(text))
    assert made is not None and int(made.group(3)) == date.today().year + 543, made
    # the budget by year: p1's own amounts, and a total per year equal to the JSON's
    assert flat("10,000,000 20,000,000 15,000,000") in flat(text)
    body = json.loads(export(api, plan["id"], "json").data)
    layout = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=response.data,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    total_row = next(
        line for line in layout.splitlines() if line.strip().startswith("ทุกโครงการ") and "," in line
    )
    amounts = [int(x.replace(",", "")) for x in total_row.split()[1:]]
    years = [body["budget_by_year"][str(y)] for y in range(2570, 2575)]
    assert amounts == [*years, sum(years)], total_row
    assert sum(years) == sum(
        sum(p["budget_by_year"].values()) for p in body["projects"] if p["budget_by_year"]
    )
    # Thai set in Sarabun only, never a fallback font
    assert all("Sarabun" in font for font in pdf_fonts(response.data, tmp_path)), pdf_fonts(
        response.data, tmp_path
    )


def expected_title(plan: dict[str, Any], key: str) -> str:
    return next(i["title"] for i in all_projects(plan["definition"]) if i["key"] == key)


def parse_pb(text: str) -> dict[str, Any]:
    """A strict reader of the pabulib format: three sections in order, ';' cells, every
    required META key, counts that match, votes naming known projects within the points."""
    sections: dict[str, list[list[str]]] = {}
    current = None
    for line in text.splitlines():
        if line in ("META", "PROJECTS", "VOTES"):
            assert current is None or list(sections) == ["META", "PROJECTS", "VOTES"][: len(sections)]
            current = line
            sections[current] = []
            continue
        assert current is not None, "text before META"
        sections[current].append(next(csv.reader([line], delimiter=";")))
    assert list(sections) == ["META", "PROJECTS", "VOTES"]
    meta_rows = sections["META"]
    assert meta_rows[0] == ["key", "value"]
    meta = {k: v for k, v in meta_rows[1:]}
    for key in (
        "description",
        "country",
        "unit",
        "instance",
        "num_projects",
        "num_votes",
        "budget",
        "vote_type",
    ):
        assert key in meta, key
    projects_header, *project_rows = sections["PROJECTS"]
    assert projects_header[:2] == ["project_id", "cost"]
    projects = {row[0]: dict(zip(projects_header, row, strict=True)) for row in project_rows}
    votes_header, *vote_rows = sections["VOTES"]
    assert votes_header[:2] == ["voter_id", "vote"]
    votes = [dict(zip(votes_header, row, strict=True)) for row in vote_rows]
    assert int(meta["num_projects"]) == len(projects) and int(meta["num_votes"]) == len(votes)
    for vote in votes:
        chosen = vote["vote"].split(",")
        assert all(p in projects for p in chosen)
        if meta["vote_type"] == "cumulative":
            points = [int(x) for x in vote["points"].split(",")]
            assert len(points) == len(chosen) and sum(points) <= int(meta["max_sum_points"])
    return {"meta": meta, "projects": projects, "votes": votes}


def test_open_data_bundle(api: Api, plan: dict[str, Any]) -> None:
    response = export(api, plan["id"], "zip")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {
        "projects.csv",
        "combined_results.csv",
        "workshop_results.csv",
        "workshops.csv",
        "plan.json",
        "DATACARD.md",
    } <= names
    rows = list(csv.DictReader(io.StringIO(archive.read("projects.csv").decode("utf-8-sig"))))
    assert {
        "title",
        "goal",
        "horizon",
        "office",
        "strategy",
        "budget",
        "y2570",
        "y2574",
        "rank",
        "score",
    } <= set(rows[0])
    assert len(rows) == len(all_projects(plan["definition"]))
    p1 = next(r for r in rows if r["item"] == "p1")
    assert (p1["office"], p1["y2571"]) == ("กองช่าง", "20000000")
    card = archive.read("DATACARD.md").decode("utf-8")
    for word in (
        "**What.**",
        "**Who.**",
        "**When.**",
        "**Licence.**",
        "**Method.**",
        "CC BY 4.0",
        "2570-2574",
    ):
        assert word in card
    # the participatory budget stage in the pabulib format
    (pb_name,) = [n for n in names if n.endswith(".pb")]
    pb = parse_pb(archive.read(pb_name).decode("utf-8"))
    assert pb["meta"]["vote_type"] == "cumulative" and pb["meta"]["budget"] == "10000000"
    assert pb["meta"]["num_votes"] == "12"
    assert pb["projects"]["b6"]["votes"] == "12" and pb["projects"]["b6"]["score"] == str(12 * 1_900_000)
    combined = list(csv.DictReader(io.StringIO(archive.read("combined_results.csv").decode("utf-8-sig"))))
    assert {r["question"] for r in combined} == {"needs"}
    dump = json.loads(archive.read("plan.json"))
    assert dump["plan"]["id"] == plan["id"] and len(dump["workshops"]) == 3


def test_plan_json_and_access(app: Any, api: Api, plan: dict[str, Any]) -> None:
    body = json.loads(export(api, plan["id"], "json").data)
    assert body["format"] == "ruamkit-plan" and body["licence"] == "CC BY 4.0"
    assert sum(body["budget_by_year"].values()) == sum(
        p["budget"] or 0 for p in body["projects"] if not p["budget_by_year"]
    ) + sum(sum(p["budget_by_year"].values()) for p in body["projects"] if p["budget_by_year"])
    assert api.get(f"{P}/{plan['id']}/export?format=pptx").status_code == 422
    other = Api.signed_in(app)
    assert other.get(f"{P}/{plan['id']}/export?format=json").status_code == 404
    assert app.test_client().get(f"{P}/{plan['id']}/export?format=json").status_code == 401


@pytest.mark.slow
def test_libreoffice_prints_the_plan_draft(api: Api, plan: dict[str, Any], tmp_path: Path) -> None:
    pdf = libreoffice_pdf(export(api, plan["id"], "docx").data, tmp_path)
    keep("plan-libreoffice.pdf", pdf.read_bytes())
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in ("แผนพัฒนาเทศบาลเมืองระนอง", "บทสรุปผู้บริหาร", "พ.ศ. 2570–2574", "กองช่าง", "น้ำท่วมขัง"):
        assert flat(words) in flat(text), words
