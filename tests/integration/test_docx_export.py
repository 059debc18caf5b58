"""The plan draft as DOCX (contract 1.1): API, CLI, console link; read back with python-docx,
and converted by LibreOffice headless and read with pdftotext (slow).

Set RUAMKIT_KEEP_DOCX=/some/folder to keep the files for looking at them.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from fontTools.merge import Merger

from tests.conftest import require
from tests.factories import SESSIONS, Api, session_file
from tests.integration.test_exports import (
    APPROVED_TH,
    HYPERLINK,
    PENDING_TH,
    RANONG_VISION_ORDER,
    export,
    feed_ranong,
    flat,
)

ROOT = Path(__file__).resolve().parent.parent.parent
SPREAD_TH = "ความต่าง"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


def keep(name: str, data: bytes) -> None:
    folder = os.environ.get("RUAMKIT_KEEP_DOCX")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(data)


def body_text(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def headings(document: Any, level: int) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == f"Heading {level}"]


def table_after(document: Any, heading: str, level: int = 2) -> Any:
    """The first table after the Heading ``level`` paragraph whose text is ``heading``."""
    start = next(
        p._p for p in document.paragraphs if p.style.name == f"Heading {level}" and p.text == heading
    )
    for child in start.itersiblings():
        if child.tag == f"{W_NS}tbl":
            return next(t for t in document.tables if t._tbl is child)
    raise AssertionError(f"no table after {heading!r}")


def tables_under(document: Any, heading: str) -> list[Any]:
    """The tables between a Heading 2 and the next Heading 1 or 2."""
    start = next(p._p for p in document.paragraphs if p.style.name == "Heading 2" and p.text == heading)
    by_element = {t._tbl: t for t in document.tables}
    found = []
    for child in start.itersiblings():
        if child.tag == f"{W_NS}tbl":
            found.append(by_element[child])
        elif (
            child.tag == f"{W_NS}p"
            and child.pPr is not None
            and child.pPr.pStyle is not None
            and (child.pPr.pStyle.val in ("Heading1", "Heading2"))
        ):
            break
    return found


def item_rows(table: Any) -> list[Any]:
    """The rows of items (not the header, not the full-width rows of comments under them)."""
    return [row for row in table.rows[1:] if len(row._tr.tc_lst) > 1]


def item_title(row: Any) -> str:
    return str(row.cells[1].paragraphs[0].text.split("  [")[0])


def ranong_docx(api: Api) -> tuple[dict[str, Any], bytes]:
    ranong = feed_ranong(api)
    response = export(api, ranong["id"], "docx")
    assert response.mimetype == DOCX
    assert re.search(
        r'attachment; filename="ruamkit-\d+-2026-12-05-plan-draft-th\.docx"',
        response.headers["Content-Disposition"],
    )
    keep("ranong.docx", response.data)
    return ranong, response.data


def test_thai_docx_plan_draft_has_real_headings_tables_and_the_numbers(api: Api) -> None:
    ranong, data = ranong_docx(api)
    document = docx.Document(io.BytesIO(data))
    definition = session_file("ranong-livable-city.yaml")
    text = body_text(document)

    # cover and dates: Buddhist era in Thai
    assert document.paragraphs and any(
        p.style.name == "Title" and p.text == definition["title"] for p in document.paragraphs
    )
    assert "5 ธันวาคม 2569" in text
    assert document.core_properties.title == definition["title"]

    # real heading styles, in the chapters' order, the appendix last
    h1 = headings(document, 1)
    assert h1[0] == "1. สรุปผล"
    assert h1[-1].startswith("ภาคผนวก")
    stage_titles = [s["title"] for s in definition["stages"]]
    h2 = headings(document, 2)
    for title in stage_titles:
        assert title in h2, title
    assert {"ระยะสั้น", "ระยะกลาง", "ระยะยาว"} <= {h.split(" (")[0] for h in headings(document, 3)}

    # a table of contents field, already listing the chapters
    xml = document.element.xml
    assert re.search(r'<w:instrText[^>]*> TOC \\o "1-2" \\h \\z \\u </w:instrText>', xml)
    toc = [p.text for p in document.paragraphs if p.style.name.startswith("toc ")]
    assert [t for t in toc if t in h1] == h1 and set(h2) <= set(toc)
    assert document.settings.element.find(f"{W_NS}updateFields") is not None

    # the vision ranking is a table, in rank order, with the scores of the API
    results = {s["key"]: s for s in api.get(f"/api/v1/workshops/{ranong['id']}/results").get_json()["stages"]}
    vision_stage = definition["stages"][1]
    vision = {i["key"]: i["title"] for i in vision_stage["items"]}
    table = table_after(document, vision_stage["title"])
    assert [c.text for c in table.rows[0].cells] == ["อันดับ", "ข้อความวิสัยทัศน์", "เสียง", "คะแนน (0–100)"]
    assert [item_title(row) for row in item_rows(table)] == [vision[key] for key in RANONG_VISION_ORDER]
    expected = {i["key"]: i for i in results["vision"]["items"]}
    assert [row.cells[3].text for row in item_rows(table)] == [
        f"{expected[k]['score']:.1f}" for k in RANONG_VISION_ORDER
    ]
    assert [row.cells[0].text for row in item_rows(table)] == [
        str(expected[k]["rank"]) for k in RANONG_VISION_ORDER
    ]

    # comments: the approved one in a full-width row right under its item, the pending one nowhere
    assert flat(APPROVED_TH) in flat(text)
    assert flat(PENDING_TH) not in flat(text)
    assert HYPERLINK in text
    rows = list(table.rows)
    commented = [i for i, row in enumerate(rows) if len(row._tr.tc_lst) == 1]
    assert len(commented) == 1 and APPROVED_TH in rows[commented[0]].cells[0].text
    assert item_title(rows[commented[0] - 1]) == vision["v3"]

    # projects by horizon: goal, budget, indicator and SDGs in their own columns, each project once
    projects = definition["stages"][3]
    goals = {i["key"]: i["title"] for i in definition["stages"][2]["items"]}
    project_tables = tables_under(document, projects["title"])
    assert len(project_tables) == 3  # short, medium, long term
    assert [c.text for c in project_tables[0].rows[0].cells][2:6] == [
        "เป้าหมาย",
        "งบประมาณ (บาท)",
        "ตัวชี้วัด",
        "SDG",
    ]
    listed = {item_title(row): row for t in project_tables for row in item_rows(t)}
    assert sorted(listed) == sorted(i["title"] for i in projects["items"])
    for item in projects["items"]:
        row = listed[item["title"]]
        assert row.cells[2].text == goals[item["goal"]]
        if item.get("budget") is not None:
            assert row.cells[3].text == f"{item['budget']:,}"
        assert row.cells[5].text == "\n".join(str(x) for x in item.get("sdgs") or ()) or "–"
    scored = {i["title"]: i for i in results["projects"]["items"]}
    p1 = next(i for i in projects["items"] if i["key"] == "p1")
    assert listed[p1["title"]].cells[-2].text == f"{scored[p1['title']]['score']:.1f}"
    assert "45,000,000" in text

    # group breakdown and participation tables, spread flags
    breakdown = [t for t in document.tables if t.rows[0].cells[-1].text == SPREAD_TH]
    vision_groups = next(t for t in breakdown if item_title(t.rows[1]) in vision.values())
    for row in vision_groups.rows[1:]:
        key = next(k for k, title in vision.items() if title == row.cells[1].text)
        spread = expected[key]["spread"]
        assert row.cells[-1].text == (
            "–" if spread is None else f"{spread:.1f}" + (" !" if spread >= 20 else "")
        )
        by_group = expected[key]["by_group"]
        assert [c.text for c in row.cells[2:-1]] == [
            f"{by_group[g['key']]['score']:.1f}" if g["key"] in by_group else "–"
            for g in definition["groups"]
        ]
    labels = [c.text.split("\n")[0] for c in vision_groups.rows[0].cells[2:-1]]
    assert labels == [g["label"] for g in definition["groups"]]
    assert any(row.cells[-1].text.endswith("!") for row in vision_groups.rows[1:])
    assert "การมีส่วนร่วม" in " ".join(h1)

    # Thai type: TH Sarabun New for every script slot, in the defaults and the styles
    styles = document.styles.element
    defaults = styles.find(f"{W_NS}docDefaults").find(f"{W_NS}rPrDefault").find(f"{W_NS}rPr")
    fonts = defaults.find(f"{W_NS}rFonts")
    assert {fonts.get(f"{W_NS}{slot}") for slot in ("ascii", "hAnsi", "cs", "eastAsia")} == {"TH Sarabun New"}
    assert defaults.find(f"{W_NS}lang").get(f"{W_NS}bidi") == "th-TH"
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        rfonts = document.styles[name].element.rPr.find(f"{W_NS}rFonts")
        assert rfonts.get(f"{W_NS}cs") == "TH Sarabun New", name
        assert not any(attr.endswith("Theme") for attr in rfonts.attrib), name
    font_table = zipfile.ZipFile(io.BytesIO(data)).read("word/fontTable.xml").decode()
    assert 'w:name="TH Sarabun New"' in font_table and 'w:altName w:val="Sarabun"' in font_table
    assert not any(name.startswith("word/fonts/") for name in zipfile.ZipFile(io.BytesIO(data)).namelist())


def test_english_docx_and_the_sections(api: Api) -> None:
    ranong = feed_ranong(api)
    response = export(api, ranong["id"], "docx", lang="en")
    document = docx.Document(io.BytesIO(response.data))
    h1 = headings(document, 1)
    assert h1[0] == "1. Summary" and h1[-1] == "Appendix: how the scores were computed"
    assert "Views of each stakeholder group" in " ".join(h1)
    assert "5 December 2026" in body_text(document)
    # the projects chapter is a landscape section, the rest portrait A4
    orientations = [(round(s.page_width.mm), round(s.page_height.mm)) for s in document.sections]
    assert (297, 210) in orientations and (210, 297) in orientations


def test_docx_is_offered_by_the_console_the_openapi_and_the_cli(api: Api, tmp_path: Path) -> None:
    from flask import render_template_string

    with api.app.test_request_context("/console"):
        html = render_template_string(
            '{% with workshop_id=7 %}{% include "export/_download_buttons.html" %}{% endwith %}'
        )
    assert "/api/v1/workshops/7/export?format=docx" in html
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    export_doc = paths["/api/v1/workshops/{workshop_id}/export"]["get"]
    assert DOCX in export_doc["responses"]["200"]["content"]
    enum = next(p for p in export_doc["parameters"] if p["name"] == "format")["schema"]["enum"]
    assert "docx" in enum


def test_cli_writes_a_docx(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "WORKSHOP_INSTANCE": str(tmp_path / "instance"),
        "WORKSHOP_PUBLIC_URL": "http://ruamkit.test",
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    loaded = run("load", str(SESSIONS / "ranong-livable-city.yaml"))
    wid = re.search(r"^id: (\d+)$", loaded, re.M).group(1)  # type: ignore[union-attr]
    out = tmp_path / "plan.docx"
    assert "wrote" in run("export", wid, "--format", "docx", "--out", str(out))
    document = docx.Document(str(out))
    assert headings(document, 1)[0] == "1. สรุปผล"


# -- LibreOffice: the file opens in another word processor and reads right --------------------


def libreoffice_pdf(data: bytes, tmp_path: Path) -> Path:
    """Convert with LibreOffice headless; Sarabun stands in for TH Sarabun New, as on a machine
    without the government face (fontconfig alias), so the Thai is drawn by a Thai font."""
    soffice = shutil.which("soffice")
    require(
        soffice is not None and shutil.which("pdftotext") is not None,
        "LibreOffice (soffice) or poppler-utils are missing",
    )
    source = tmp_path / "plan.docx"
    source.write_bytes(data)
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    for weight in ("400", "700"):
        # static/fonts holds Sarabun's Latin and Thai halves (for WeasyPrint); LibreOffice wants one face
        merged = Merger().merge(
            [str(ROOT / "static" / "fonts" / f"sarabun-{half}-{weight}.ttf") for half in ("latin", "thai")]
        )
        merged.save(str(fonts / f"sarabun-{weight}.ttf"))
    fonts_conf = tmp_path / "fonts.conf"
    fonts_conf.write_text(
        f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <cachedir>{tmp_path / "fontcache"}</cachedir>
  <alias binding="same"><family>TH Sarabun New</family><prefer><family>Sarabun</family></prefer></alias>
</fontconfig>
""",
        encoding="utf-8",
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts_conf), "HOME": str(tmp_path)}
    result = subprocess.run(
        [
            str(soffice),
            f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    pdf = tmp_path / "plan.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr + result.stdout
    return pdf


@pytest.mark.slow
def test_libreoffice_opens_the_docx_and_prints_the_plan(api: Api, tmp_path: Path) -> None:
    _ranong, data = ranong_docx(api)
    pdf = libreoffice_pdf(data, tmp_path)
    keep("ranong-libreoffice.pdf", pdf.read_bytes())
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat_text = flat(text)
    definition = session_file("ranong-livable-city.yaml")
    assert flat(definition["title"]) in flat_text
    assert "5ธันวาคม2569" in flat_text
    for label in ("สารบัญ", "ระยะสั้น", "ระยะกลาง", "ระยะยาว", "45,000,000", "ภาคผนวก", flat(APPROVED_TH)):
        assert label in flat_text, label
    for word in ("น้ำท่วม", "ผู้สูงอายุ", "ชุมชน", "พื้นที่"):
        assert word in text, word
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Sarabun" in fonts
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout,
        ).group(1)
    )  # type: ignore[union-attr]
    assert pages >= 6
