"""The plan draft as a Word document (python-docx), for planners to continue in Word or LibreOffice.

Built from the same report context as the PDF (:func:`.context.build_report`),
so both say the same: the cover, a table of contents *field* (Word fills in the
page numbers when it opens the file; the entries are already there for any
reader that does not update fields), the summary, a chapter per kind of stage
with ranked tables, projects by horizon with their goal, budget, SDG targets and
indicator, published comments under their item, each stakeholder group's
scores with large spreads flagged, participation, and the appendix on methods.

Everything is real structure a planner can edit: headings use the built-in
Heading 1/2/3 styles (so Word's navigation pane and the contents work), tables
are Word tables, not pictures. Type is "TH Sarabun New" (the Thai government's
standard face, installed in every Thai government office) named for every
script slot (``w:ascii``, ``w:hAnsi``, ``w:cs``, ``w:eastAsia``), so Thai,
which Word sets as a complex script, uses it too; the font table names
"Sarabun" as its alternative, and no font is embedded. Fixed texts are the
export catalog's, the same as the PDF template's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from flask_babel import force_locale, gettext, ngettext

from .context import build_report
from .data import ExportData

#: the face named in every style, and the one the font table offers instead
FONT = "TH Sarabun New"
FALLBACK_FONT = "Sarabun"
#: TH Sarabun New is small on its body: 16 pt is the Thai official size for body text
BODY_PT = 16
TABLE_PT = 14
NOTE_PT = 13
ACCENT = RGBColor(0x17, 0x50, 0x6B)
MUTED = RGBColor(0x5B, 0x67, 0x70)
FLAG = RGBColor(0xB4, 0x23, 0x18)
HEAT = ("F4F7F9", "E1EEF3", "C9E1EA", "A9CEDC", "86B9CC", "66A6BE")

Dict = dict[str, Any]


# ---------------------------------------------------------------------------
# Low-level helpers: fonts for every script, fields, shading


def set_fonts(rpr: Any, *, size: float | None = None, bold: bool | None = None) -> None:
    """Name FONT for all four script slots of a run or style's properties (no theme fonts)."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    for slot in ("ascii", "hAnsi", "cs", "eastAsia"):
        fonts.set(qn(f"w:{slot}"), FONT)
    if size is not None:
        _set_val(rpr, "w:sz", str(int(size * 2)))
        _set_val(rpr, "w:szCs", str(int(size * 2)))
    if bold is not None:
        for tag in ("w:b", "w:bCs"):
            _set_val(rpr, tag, None if bold else "0")


def _set_val(parent: Any, tag: str, value: str | None) -> None:
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        parent.append(element)
    if value is None:
        element.attrib.pop(qn("w:val"), None)
    else:
        element.set(qn("w:val"), value)


def embolden(run: Any) -> Any:
    """Bold for Latin (w:b) and for Thai, which Word sets as a complex script (w:bCs)."""
    run.bold = True
    rpr = run._r.get_or_add_rPr()
    if rpr.find(qn("w:bCs")) is None:
        rpr.append(OxmlElement("w:bCs"))
    return run


def add_field(paragraph: Paragraph, instruction: str, shown: str = "") -> None:
    """A Word field (PAGE, NUMPAGES, ...) with ``shown`` as its last computed text."""

    def fld(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    run = paragraph.add_run()
    run._r.append(fld("begin"))
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    paragraph.add_run()._r.append(fld("separate"))
    paragraph.add_run(shown)
    paragraph.add_run()._r.append(fld("end"))


def shade(cell: _Cell, fill: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    for old in tcpr.findall(qn("w:shd")):
        tcpr.remove(old)
    tcpr.append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def repeat_header(table: Table) -> None:
    """The first row repeats on every page the table runs over, and never splits."""
    trpr = table.rows[0]._tr.get_or_add_trPr()
    trpr.append(OxmlElement("w:cantSplit"))
    trpr.append(OxmlElement("w:tblHeader"))


def column_widths(table: Table, widths_mm: Sequence[float]) -> None:
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=False):
            cell.width = Mm(width)
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_mm, strict=False):
        col.set(qn("w:w"), str(int(Mm(width).twips)))


# ---------------------------------------------------------------------------
# The document's look


def _style_document(doc: Any, lang: str) -> None:
    styles = doc.styles
    # docDefaults: the font for every script, Thai as the complex-script language
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    set_fonts(rpr, size=BODY_PT)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:val"), "th-TH" if lang == "th" else "en-GB")
    language.set(qn("w:eastAsia"), "th-TH")
    language.set(qn("w:bidi"), "th-TH")

    for style in styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER, WD_STYLE_TYPE.TABLE):
            set_fonts(style.element.get_or_add_rPr())

    normal = styles["Normal"]
    set_fonts(normal.element.get_or_add_rPr(), size=BODY_PT)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.0

    for name, size, before, after, color in (
        ("Title", 28, 0, 6, ACCENT),
        ("Subtitle", 20, 0, 6, MUTED),
        ("Heading 1", 22, 18, 6, ACCENT),
        ("Heading 2", 18, 12, 4, ACCENT),
        ("Heading 3", 16, 8, 2, RGBColor(0x1D, 0x24, 0x29)),
    ):
        style = styles[name]
        set_fonts(style.element.get_or_add_rPr(), size=size, bold=name != "Subtitle")
        style.font.color.rgb = color
        style.font.italic = False
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = True
    # no border line under Title (the default template draws one)
    title_ppr = styles["Title"].element.find(qn("w:pPr"))
    if title_ppr is not None:
        for border in title_ppr.findall(qn("w:pBdr")):
            title_ppr.remove(border)

    for name, size in (("Table Text", TABLE_PT), ("Comment Text", NOTE_PT), ("Small Text", NOTE_PT)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        set_fonts(style.element.get_or_add_rPr(), size=size)
        style.paragraph_format.space_after = Pt(0)
        style.paragraph_format.space_before = Pt(0)
    styles["Comment Text"].font.color.rgb = RGBColor(0x33, 0x3F, 0x47)
    styles["Comment Text"].paragraph_format.left_indent = Mm(4)
    styles["Small Text"].font.color.rgb = MUTED
    for level in (1, 2):
        # Word's built-in names for the contents' entries
        style = styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.paragraph_format.left_indent = Mm(8 * (level - 1))
        style.paragraph_format.space_after = Pt(2 if level == 1 else 0)
        set_fonts(style.element.get_or_add_rPr(), size=BODY_PT, bold=level == 1)
    _name_fallback_font(doc)


def _name_fallback_font(doc: Any) -> None:
    """The font table names TH Sarabun New (alternative: Sarabun) and Sarabun, Thai-capable."""
    part = doc.part.part_related_by(RT.FONT_TABLE)
    from lxml import etree

    root = etree.fromstring(part.blob)
    thai_sig = (
        '<w:sig {ns} w:usb0="A100006F" w:usb1="5000204A" w:usb2="00000000" w:usb3="00000000" '
        'w:csb0="00010183" w:csb1="00000000"/>'
    )
    for name, alt in ((FONT, FALLBACK_FONT), (FALLBACK_FONT, None)):
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        if alt:
            etree.SubElement(font, qn("w:altName")).set(qn("w:val"), alt)
        etree.SubElement(font, qn("w:charset")).set(qn("w:val"), "DE")  # THAI_CHARSET
        etree.SubElement(font, qn("w:family")).set(qn("w:val"), "swiss")
        etree.SubElement(font, qn("w:pitch")).set(qn("w:val"), "variable")
        font.append(etree.fromstring(thai_sig.format(ns=nsdecls("w"))))
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _page_setup(section: Any, *, landscape: bool = False) -> None:
    short, long_ = Mm(210), Mm(297)
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long_, short) if landscape else (short, long_)
    # Thai official documents: 3 cm on the binding side, 2-2.5 cm elsewhere
    section.left_margin, section.right_margin = Mm(30), Mm(20)
    section.top_margin, section.bottom_margin = Mm(25), Mm(20)
    section.header_distance = section.footer_distance = Mm(10)


def _header_footer(section: Any, running: str, page_word: str) -> None:
    header = section.header.paragraphs[0]
    header.text = ""
    header.style = "Small Text"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.add_run(running)
    footer = section.footer.paragraphs[0]
    footer.style = "Small Text"
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(f"{page_word} ")
    add_field(footer, "PAGE", "1")


# ---------------------------------------------------------------------------
# Writing


class FullRow:
    """A table row of one cell across all columns, filled by ``fill(cell)``."""

    def __init__(self, fill: Callable[[_Cell], None]) -> None:
        self.fill = fill


class Writer:
    """The document, and the few ways of adding to it that the plan draft uses."""

    def __init__(self, lang: str) -> None:
        self.doc = Document()
        self.lang = lang
        self.toc: list[tuple[int, str]] = []
        self._bookmark = 0
        _style_document(self.doc, lang)
        _page_setup(self.doc.sections[0])
        self.doc.sections[0].different_first_page_header_footer = True

    def chapter(self, text: str, *, landscape: bool = False) -> Paragraph:
        """A Heading 1 on a new page; a new section first if the page turns."""
        section = self.doc.sections[-1]
        turns = (section.orientation == WD_ORIENT.LANDSCAPE) != landscape
        if turns:
            _page_setup(self.doc.add_section(WD_SECTION.NEW_PAGE), landscape=landscape)
        paragraph = self.heading(text, 1)
        if not turns:
            paragraph.paragraph_format.page_break_before = True
        return paragraph

    def heading(self, text: str, level: int, *, contents: bool = True) -> Paragraph:
        paragraph = self.doc.add_heading(text, level)
        if contents and level <= 2:
            self.toc.append((level, text))
        return paragraph

    def para(
        self,
        text: str = "",
        style: str | None = None,
        *,
        bold: bool = False,
        color: RGBColor | None = None,
        align: Any = None,
    ) -> Paragraph:
        paragraph = self.doc.add_paragraph(style=style)
        if text:
            run = paragraph.add_run(text)
            if bold:
                embolden(run)
            if color is not None:
                run.font.color.rgb = color
        if align is not None:
            paragraph.alignment = align
        return paragraph

    def bullets(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.doc.add_paragraph(line, style="List Bullet")

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        widths: Sequence[float],
        *,
        numeric: Iterable[int] = (),
    ) -> Table:
        """A grid with a repeated, shaded header row; a cell is text or a callable filling it."""
        numeric = set(numeric)
        table = self.doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for index, (cell, text) in enumerate(zip(table.rows[0].cells, header, strict=True)):
            self._cell_text(cell, text, bold=True, align_right=index in numeric)
            shade(cell, "E3EAEE")
        for values in rows:
            if isinstance(values, FullRow):
                cells = table.add_row().cells
                merged = cells[0].merge(cells[-1])
                merged.paragraphs[0].style = "Comment Text"
                values.fill(merged)
                shade(merged, "FAFAF5")
                continue
            cells = table.add_row().cells
            for index, (cell, value) in enumerate(zip(cells, values, strict=False)):
                if callable(value):
                    cell.paragraphs[0].style = "Table Text"
                    value(cell)
                else:
                    self._cell_text(cell, str(value), align_right=index in numeric)
        repeat_header(table)
        column_widths(table, widths)
        self.doc.add_paragraph(style="Small Text")  # Word needs a paragraph between two tables
        return table

    @staticmethod
    def _cell_text(cell: _Cell, text: str, *, bold: bool = False, align_right: bool = False) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.style = "Table Text"
        run = paragraph.add_run(text)
        if bold:
            embolden(run)
        if align_right:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    def contents_field(self, title: str, note: str) -> None:
        """The table of contents: a TOC field over Heading 1-2, already filled with the entries."""
        self.para(title, "TOC Heading")
        paragraph = self.doc.add_paragraph(style="toc 1")
        self._toc_paragraph = paragraph
        self._toc_note = note

    def fill_contents(self) -> None:
        """Put the collected headings into the contents field's last result (Word recomputes it)."""
        first: Paragraph = self._toc_paragraph
        body = first._p.getparent()
        position = list(body).index(first._p)

        def fld(kind: str) -> Any:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            if kind == "begin":
                element.set(qn("w:dirty"), "true")
            return element

        run = first.add_run()
        run._r.append(fld("begin"))
        instr = OxmlElement("w:instrText")
        instr.set(qn("xml:space"), "preserve")
        instr.text = ' TOC \\o "1-2" \\h \\z \\u '
        first.add_run()._r.append(instr)
        first.add_run()._r.append(fld("separate"))
        entries = self.toc or [(1, "")]
        paragraphs = [first]
        first.add_run(entries[0][1])
        for level, text in entries[1:]:
            new = self.doc.add_paragraph(style=f"toc {level}")
            new.add_run(text)
            body.remove(new._p)
            position += 1
            body.insert(position, new._p)
            paragraphs.append(new)
        paragraphs[-1].add_run()._r.append(fld("end"))
        note = self.doc.add_paragraph(style="Small Text")
        note.add_run(self._toc_note)
        body.remove(note._p)
        body.insert(position + 1, note._p)

    def save(self) -> bytes:
        settings = self.doc.settings.element
        update = OxmlElement("w:updateFields")
        update.set(qn("w:val"), "true")
        settings.append(update)
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()


# ---------------------------------------------------------------------------
# Labels: the same msgids as templates/export/*.html, so one translation serves both


def method_label(method: str) -> str:
    return {
        "single": gettext("Single choice"),
        "approval": gettext("Approval vote"),
        "dots": gettext("Dot voting"),
        "rank": gettext("Ranking"),
        "score": gettext("Scoring"),
        "budget": gettext("Budget split"),
        "words": gettext("Word cloud"),
    }.get(method, method)


def value_header(method: str) -> str:
    if method in ("single", "approval"):
        return gettext("Votes")
    return {
        "dots": gettext("Dots"),
        "rank": gettext("Borda points"),
        "score": gettext("Weighted mean"),
        "budget": gettext("Amount given (baht)"),
        "words": gettext("Mentions"),
    }.get(method, gettext("Value"))


def state_label(state: str | None) -> str:
    if state == "open":
        return gettext("voting still open")
    if state == "closed":
        return gettext("voting closed")
    return gettext("not opened")


def channel_count(key: str, n: str) -> str:
    """How many ballots of a stage were cast in one channel (hall, online, paper, kiosk)."""
    return {
        "hall": gettext("%(n)s in the hall", n=n),
        "online": gettext("%(n)s online", n=n),
        "paper": gettext("%(n)s on paper", n=n),
    }.get(key) or gettext("%(n)s at the kiosk", n=n)


def horizon_label(key: str | None) -> str:
    return {
        "short": gettext("Short term"),
        "medium": gettext("Medium term"),
        "long": gettext("Long term"),
    }.get(key or "", gettext("No time frame given"))


def chapter_title(key: str) -> str:
    return {
        "vision": gettext("Vision"),
        "goals": gettext("Development goals"),
        "projects": gettext("Projects and programmes"),
    }.get(key, gettext("Other questions"))


def n(value: int | float) -> str:
    return f"{value:,}"


# ---------------------------------------------------------------------------
# The plan draft


def workshop_report(data: ExportData, generated: date | None = None) -> dict[str, Any]:
    """The report a workshop's plan draft is written from (plain data)."""
    return build_report(
        definition=data.definition,
        results=data.results,
        comments=data.comments,
        ideas=data.ideas,
        counts=data.counts,
        lang=data.lang,
        generated=generated,
        sources=data.sources,
    )


def report_docx(report: Mapping[str, Any]) -> bytes:
    """A workshop's plan draft as DOCX bytes, from its report, in the report's language."""
    with force_locale(report["lang"]):
        return write_report(report)


def write_report(r: Mapping[str, Any]) -> bytes:
    w = Writer(r["lang"])
    w.doc.core_properties.title = r["title"]
    w.doc.core_properties.author = r["city"] or "RuamKit"
    w.doc.core_properties.subject = gettext("Plan draft: results of the participatory workshop")
    w.doc.core_properties.language = "th-TH" if r["lang"] == "th" else "en-GB"
    w.doc.core_properties.keywords = "RuamKit"

    _cover(w, r)
    section = w.doc.add_section(WD_SECTION.NEW_PAGE)
    _page_setup(section)
    _header_footer(section, f"{r['title']}", gettext("Page"))
    section.different_first_page_header_footer = False
    w.contents_field(
        gettext("Contents"),
        gettext(
            "Page numbers appear when the contents are updated (Word asks when the file opens; "
            "in LibreOffice: Tools, Update, Update All)."
        ),
    )
    number = 1
    _summary(w, r, number)
    for chapter in r["chapters"]:
        number += 1
        _chapter(w, r, chapter, number)
    number += 1
    _breakdown(w, r, number)
    number += 1
    _participation(w, r, number)
    _appendix(w, r)
    w.fill_contents()
    return w.save()


def _cover(w: Writer, r: Mapping[str, Any]) -> None:
    center = WD_ALIGN_PARAGRAPH.CENTER
    w.para(
        gettext("Plan draft") + " · " + gettext("Results of the participatory workshop"),
        "Subtitle",
        align=center,
    )
    for _ in range(3):
        w.para()
    w.para(r["title"], "Title", align=center)
    if r["city"]:
        w.para(r["city"], "Subtitle", align=center)
    if r["date_text"]:
        w.para(gettext("Workshop of %(date)s", date=r["date_text"]), bold=True, align=center)
    w.para()
    s = r["summary"]
    w.table(
        [
            gettext("phones joined"),
            gettext("ballots, phone and paper"),
            gettext("published comments"),
            gettext("stages"),
        ],
        [[n(s["participants"]), n(s["ballots"]), n(s["comments"]), n(len(r["stages"]))]],
        [37.5, 37.5, 37.5, 37.5],
        numeric=(),
    )
    note = (
        gettext(
            "A draft for discussion, generated on %(date)s from the ballots, comments and ideas "
            "of the workshop.",
            date=r["generated_text"],
        )
        if r["generated_text"]
        else gettext(
            "A draft for discussion, generated from the ballots, comments and ideas of the workshop."
        )
    )
    w.para(
        note
        + " "
        + gettext(
            "Ranks and scores show the views of the people who took part; "
            "they are not yet decisions of the municipality."
        )
    )
    # not a heading style: the contents start after the cover
    w.para(gettext("Stages of the workshop"), bold=True, color=ACCENT).paragraph_format.space_before = Pt(12)
    for index, stage in enumerate(r["stages"], start=1):
        w.para(f"{index}. {stage['title']} · {method_label(stage['method'])}")
    w.para()
    w.para("RuamKit · " + gettext("participatory planning workshops"), "Small Text")


def _summary(w: Writer, r: Mapping[str, Any], number: int) -> None:
    s = r["summary"]
    w.chapter(f"{number}. " + gettext("Summary"))
    w.table(
        [
            gettext("phones joined"),
            gettext("ballots, phone and paper"),
            gettext("published comments"),
            gettext("approved ideas"),
        ],
        [[n(s["participants"]), n(s["ballots"]), n(s["comments"]), n(s["ideas"])]],
        [40, 40, 40, 40],
    )
    for stage in s["stages"]:
        w.heading(stage["title"], 3, contents=False)
        if stage["top"]:
            for item in stage["top"]:
                w.para(f"{item['rank']}. {item['title']} · {item['score_text']}")
        else:
            w.para(gettext("No ballots yet."), "Small Text")
    w.para(
        gettext(
            "Ranks and scores (0 to 100) of the whole room; how each score is computed is "
            "explained in the appendix."
        ),
        "Small Text",
    )
    if s["flagged"]:
        w.para(
            ngettext(
                "%(num)d item divides the stakeholder groups: their scores differ by %(points)d points or "
                "more. "
                "See the views of each group.",
                "%(num)d items divide the stakeholder groups: their scores differ by %(points)d points or "
                "more. "
                "See the views of each group.",
                s["flagged"],
                points=int(r["spread_flag"]),
            ),
            bold=True,
            color=FLAG,
        )
    else:
        w.para(
            gettext(
                "No item divides the stakeholder groups by %(points)d points or more.",
                points=int(r["spread_flag"]),
            )
        )


def _comments_filler(item: Mapping[str, Any]) -> Callable[[_Cell], None]:
    def fill(cell: _Cell) -> None:
        first = True
        for comment in item["comments"]:
            paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
            paragraph.style = "Comment Text"
            embolden(paragraph.add_run(f"{comment['group']}: "))
            paragraph.add_run(f"“{comment['text']}”")
            first = False
        if item["more_comments"]:
            paragraph = cell.add_paragraph(style="Comment Text")
            paragraph.add_run(
                ngettext(
                    "and %(num)d more comment, in the CSV and JSON exports",
                    "and %(num)d more comments, in the CSV and JSON exports",
                    item["more_comments"],
                )
            )

    return fill


def with_comments(rows: list[list[Any]], items: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Rows with, under each commented item, a full-width row of its published comments."""
    out: list[Any] = []
    for row, item in zip(rows, items, strict=True):
        out.append(row)
        if item["comments"]:
            out.append(FullRow(_comments_filler(item)))
    return out


def units_notes(item: Mapping[str, Any]) -> list[str]:
    """An item's value in people's units, as the PDF writes them under the value
    (``context.units_view``): share of ballots or dots, average place, baht on average and
    share of the pot, funded or not."""
    units = item.get("units") or {}
    if "percent_text" in units:
        return [units["percent_text"]]
    if "position_text" in units:
        return [gettext("average place %(n)s", n=units["position_text"])]
    if "average_text" in units:
        notes = [gettext("%(amount)s on average, %(share)s of the pot", amount=units["average_text"],
                         share=units["pot_text"])]
        if units.get("funded") is True:
            notes.append(gettext("Funded"))
        elif units.get("funded") is False:
            notes.append(gettext("Not funded"))
        return notes
    return []


def _value_cell(item: Mapping[str, Any]) -> Callable[[_Cell], None]:
    """The value as counted, and under it the same in people's units (right-aligned like a number)."""
    def fill(cell: _Cell) -> None:
        paragraph = cell.paragraphs[0]
        paragraph.add_run(item["value_text"])
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        for note in units_notes(item):
            extra = cell.add_paragraph(note, style="Small Text")
            extra.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if note == gettext("Funded"):
                embolden(extra.runs[0])

    return fill


def carried_text(source: Mapping[str, Any]) -> str:
    """Where a carried item came from: the source workshop and stage by their titles
    (``context.source_view``), with its rank and score there."""
    if source["workshop"]:
        text = gettext(
            "Carried from “%(workshop)s”, stage “%(stage)s”",
            workshop=source["workshop"],
            stage=source["stage"],
        )
    else:
        text = gettext("Carried from an earlier workshop, stage “%(stage)s”", stage=source["stage"])
    if source["score"] is None:
        return text
    there = gettext("rank %(rank)s, score %(score)s", rank=source["rank"], score=source["score_text"])
    return f"{text} ({there})"


def _item_title(item: Mapping[str, Any], *, project: bool = False) -> Callable[[_Cell], None]:
    def fill(cell: _Cell) -> None:
        paragraph = cell.paragraphs[0]
        embolden(paragraph.add_run(item["title"]))
        badges = []
        if item["idea_group"]:
            badges.append(gettext("idea from %(group)s", group=item["idea_group"]))
        if item["flagged"]:
            badges.append(gettext("groups differ"))
        if badges:
            run = paragraph.add_run("  [" + "; ".join(badges) + "]")
            run.font.color.rgb = FLAG
        if item["description"]:
            cell.add_paragraph(item["description"], style="Table Text")
        source = item.get("source_view")
        if source:
            cell.add_paragraph(carried_text(source), style="Small Text")
        if not project and (item["goal"] or item["budget_text"] or item["sdgs"]):
            facts = []
            if item["goal"]:
                facts.append(f"{gettext('Goal:')} {item['goal']}")
            if item["budget_text"]:
                facts.append(f"{gettext('Cost:')} {item['budget_text']}")
            if item["sdgs"]:
                facts.append(" ".join(f"SDG {sdg}" for sdg in item["sdgs"]))
            cell.add_paragraph(" · ".join(facts), style="Small Text")

    return fill


def _ranked_table(w: Writer, stage: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> None:
    what = (
        gettext("Word")
        if stage["method"] == "words"
        else gettext("Statement")
        if stage["kind"] == "vision"
        else gettext("Item")
    )
    rows = [
        [
            str(item["rank"]) if item["score"] is not None else "–",
            _item_title(item),
            _value_cell(item),
            item["score_text"],
        ]
        for item in items
    ]
    w.table(
        [gettext("Rank"), what, value_header(stage["method"]), gettext("Score (0–100)")],
        with_comments(rows, items),
        [18, 92, 25, 25],
        numeric=(0, 2, 3),
    )


def _project_table(w: Writer, stage: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> None:
    criteria = stage["criteria"] if stage["method"] == "score" else []
    header = [
        gettext("No."),
        gettext("Project"),
        gettext("Goal:").rstrip(":"),
        gettext("Budget (baht)"),
        gettext("Indicator:").rstrip(":"),
        "SDG",
    ]
    header += [c["label"] for c in criteria] or [value_header(stage["method"])]
    header += [gettext("Score (0–100)"), gettext("Rank")]
    rows = []
    for item in items:
        row: list[Any] = [
            str(item["number"]),
            _item_title(item, project=True),
            item["goal"] or "–",
            n(item["budget"]) if item["budget"] is not None else "–",
            item["indicator"] or "–",
            "\n".join(item["sdgs"]) or "–",
        ]
        row += [c["mean_text"] for c in item["criteria"]] if criteria else [_value_cell(item)]
        row += [item["score_text"], str(item["rank"]) if item["score"] is not None else "–"]
        rows.append(row)
    extra = len(criteria) or 1
    # landscape A4: 247 mm between the margins
    value_width = 40 if stage["method"] == "budget" else 22
    widths = [10, 48, 28, 32, 34, 16] + [value_width] * extra + [22, 18]
    slack = 247 - sum(widths)
    widths[1] += slack
    numeric = (0, 3, *range(6, 6 + extra + 2))
    w.table(header, with_comments(rows, items), widths, numeric=numeric)


def _chapter(w: Writer, r: Mapping[str, Any], chapter: Mapping[str, Any], number: int) -> None:
    w.chapter(f"{number}. {chapter_title(chapter['key'])}", landscape=chapter["key"] == "projects")
    for stage in chapter["stages"]:
        w.heading(stage["title"], 2)
        meta = " | ".join(
            [
                method_label(stage["method"]),
                gettext("%(n)s ballots", n=n(stage["ballots"]))
                + (" (" + ", ".join(channel_count(c["key"], c["text"]) for c in stage["channels"]) + ")"
                   if stage["channels"] else ""),
                state_label(stage["state"]),
            ]
        )
        w.para(meta, "Small Text").paragraph_format.keep_with_next = True
        if stage["prompt"]:
            w.para(gettext("Question:") + " " + stage["prompt"]).paragraph_format.keep_with_next = True
        if not stage["all_items"]:
            w.para(
                gettext("No words were given.")
                if stage["method"] == "words"
                else gettext("This stage has no items."),
                "Small Text",
            )
            continue
        if not stage["ballots"]:
            w.para(gettext("No ballots were cast in this stage."), "Small Text")
        funding = stage.get("funding")
        if funding:
            w.para(
                gettext(
                    "Funded line: going down the ranking, each project is funded in full while the pot "
                    "lasts. %(n)s projects funded, costing %(cost)s of the %(pot)s pot; %(left)s left.",
                    n=funding["count"],
                    cost=funding["funded_cost_text"],
                    pot=funding["pot_text"],
                    left=funding["left_text"],
                )
            )
        if stage["horizons"]:
            for horizon in stage["horizons"]:
                if horizon["key"] or len(stage["horizons"]) > 1:
                    count = ngettext("%(num)d project", "%(num)d projects", len(horizon["items"]))
                    w.heading(f"{horizon_label(horizon['key'])} ({count})", 3)
                _project_table(w, stage, horizon["items"])
        else:
            _ranked_table(w, stage, stage["items"])
            if stage["more_items"]:
                w.para(
                    gettext(
                        "and %(n)s more words, each given less often (all are in the CSV export).",
                        n=stage["more_items"],
                    ),
                    "Small Text",
                )
        if stage["comments"]:
            w.heading(gettext("Comments on this stage"), 3, contents=False)
            for comment in stage["comments"]:
                paragraph = w.para(style="Comment Text")
                embolden(paragraph.add_run(f"{comment['group']}: "))
                paragraph.add_run(f"“{comment['text']}”")
            if stage["more_comments"]:
                w.para(
                    ngettext(
                        "and %(num)d more comment, in the CSV and JSON exports",
                        "and %(num)d more comments, in the CSV and JSON exports",
                        stage["more_comments"],
                    ),
                    "Comment Text",
                )
        if stage["ideas"]:
            w.heading(gettext("Ideas proposed by participants"), 3, contents=False)
            for idea in stage["ideas"]:
                text = f"{idea['group']}: {idea['title']}" + (
                    f": {idea['description']}" if idea["description"] else ""
                )
                w.para(text, "Comment Text")


def _breakdown(w: Writer, r: Mapping[str, Any], number: int) -> None:
    points = int(r["spread_flag"])
    # many groups need the width of a landscape page
    wide = max((len(s["groups"]) for s in r["stages"]), default=0) > 4
    text_width = 247.0 if wide else 160.0
    w.chapter(f"{number}. " + gettext("Views of each stakeholder group"), landscape=wide)
    w.para(
        gettext(
            "The same score computed within each group. A marked spread means the groups see an item "
            "differently: their highest and lowest scores differ by %(points)d points or more.",
            points=points,
        )
    )
    w.para(
        "! "
        + gettext("spread of %(points)d points or more", points=points)
        + " · "
        + gettext("grey: fewer than %(n)d ballots, not counted in the spread", n=r["min_group_ballots"]),
        "Small Text",
    )
    for stage in r["stages"]:
        if not (stage["ballots"] and stage["items"]):
            continue
        w.heading(stage["title"], 2)
        groups = stage["groups"]
        header = [gettext("Rank"), gettext("Word") if stage["method"] == "words" else gettext("Item")]
        header += [f"{g['label']}\n{gettext('n = %(n)s', n=g['ballots'])}" for g in groups]
        header += [gettext("Spread")]
        rows = []
        for item in stage["breakdown"]:
            row: list[Any] = [str(item["rank"]), item["title"]]
            row += [cell["score_text"] or "–" for cell in item["by_group"]]
            row += [item["spread_text"] + (" !" if item["flagged"] else "")]
            rows.append(row)
        width_groups = max(17.0, min(24.0, (text_width - 18 - 20 - 60) / max(1, len(groups))))
        title_width = text_width - 18 - 20 - width_groups * len(groups)
        table = w.table(
            header,
            rows,
            [18, title_width] + [width_groups] * len(groups) + [20],
            numeric=range(2, 3 + len(groups)),
        )
        for table_row, item in zip(list(table.rows)[1:], stage["breakdown"], strict=False):
            for cell, group_cell in zip(table_row.cells[2:], item["by_group"], strict=False):
                if group_cell["few"]:
                    shade(cell, "EEEEEE")
                    for run in cell.paragraphs[0].runs:
                        run.font.color.rgb = MUTED
                elif group_cell["score"] is not None:
                    shade(cell, HEAT[min(5, max(0, int(group_cell["score"] // 20)))])
            if item["flagged"]:
                spread_cell = table_row.cells[-1]
                shade(spread_cell, "FBE3E0")
                for run in spread_cell.paragraphs[0].runs:
                    embolden(run).font.color.rgb = FLAG
        if stage["breakdown_more"]:
            w.para(
                ngettext(
                    "%(num)d more item, ranked lower, is in the CSV export (results.csv).",
                    "%(num)d more items, ranked lower, are in the CSV export (results.csv).",
                    stage["breakdown_more"],
                ),
                "Small Text",
            )


def _participation(w: Writer, r: Mapping[str, Any], number: int) -> None:
    pa = r["participation"]
    w.chapter(f"{number}. " + gettext("Participation"))
    w.heading(gettext("By stakeholder group"), 2)
    rows = [[g["label"], n(g["phones"]), f"{g['share']:.1f}%", n(g["paper"])] for g in pa["groups"]]
    rows.append([gettext("All groups"), n(pa["total"]), "100%", n(pa["most_paper"])])
    table = w.table(
        [
            gettext("Group"),
            gettext("Phones joined"),
            gettext("Share"),
            gettext("Paper ballots (busiest stage)"),
        ],
        rows,
        [60, 30, 30, 40],
        numeric=(1, 2, 3),
    )
    for run in table.rows[-1].cells[0].paragraphs[0].runs:
        embolden(run)
    w.heading(gettext("By stage: phone and paper ballots"), 2)
    rows = [[st["title"], n(st["phone"]), n(st["paper"]), n(st["ballots"])] for st in pa["stages"]]
    rows.append([gettext("All stages"), n(pa["ballots"] - pa["paper"]), n(pa["paper"]), n(pa["ballots"])])
    w.table(
        [gettext("Stage"), gettext("Phone"), gettext("Paper"), gettext("All ballots")],
        rows,
        [70, 30, 30, 30],
        numeric=(1, 2, 3),
    )
    w.para(
        gettext(
            "A phone that joined counts once as a participant, whatever it voted on. Paper ballots are "
            "typed in by the facilitators with the voter's group but no phone, so they are not counted "
            "as participants; the busiest stage gives an idea of how many people voted on paper."
        ),
        "Small Text",
    )


def method_explanation(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(how the value is counted, the score's formula) for one stage of the appendix."""
    o, method = entry["options"], entry["method"]
    if method == "single":
        return (
            gettext("Each ballot names one item. Value: the number of ballots naming the item."),
            gettext("score = value ÷ ballots × 100"),
        )
    if method == "approval":
        return (
            gettext(
                "Each ballot names up to %(n)s items it supports. Value: the number of ballots naming "
                "the item.",
                n=o["max_choices"],
            ),
            gettext("score = value ÷ ballots × 100 (the share of ballots that support it)"),
        )
    if method == "dots":
        return (
            gettext(
                "Each participant places up to %(dots)s dots, at most %(per)s on one item. Value: the "
                "dots on the item.",
                dots=o["dots"],
                per=o["max_per_item"],
            ),
            gettext("score = value ÷ all dots placed × 100"),
        )
    if method == "rank":
        return (
            gettext(
                "Each ballot puts items in order, all or only some. With N = %(n)s items, the item in "
                "position p (p = 0 for the first) gets N − p Borda points; items left out get 0. Value: "
                "the sum of the points.",
                n=o["n_items"],
            ),
            gettext("score = value ÷ (ballots × N) × 100"),
        )
    if method == "score":
        criteria = ", ".join(
            f"{c['label']} ({gettext('weight %(w)s', w=c['weight'])})" for c in entry["criteria"]
        )
        text = " ".join(
            [
                gettext(
                    "Each item is scored from %(low)s to %(high)s on each criterion; a ballot may leave "
                    "items "
                    "or criteria out.",
                    low=o["min"],
                    high=o["max"],
                ),
                gettext("Criteria and weights:") + " " + criteria + ".",
                gettext(
                    "Value: the weighted mean, over the criteria that got any score for the item, of the "
                    "mean "
                    "score given on each criterion."
                ),
            ]
        )
        return text, gettext(
            "score = (value − %(low)s) ÷ (%(high)s − %(low)s) × 100", low=o["min"], high=o["max"]
        )
    if method == "budget":
        return (
            gettext(
                "Each participant shares out up to %(budget)s among the items. Value: the amount given "
                "to the item.",
                budget=o["budget_text"],
            ),
            gettext("score = value ÷ all amounts given × 100"),
        )
    return (
        gettext(
            "Each participant gives up to %(n)s words; Thai text is cut into words with a dictionary. "
            "Value: the number of ballots that gave the word (once per ballot).",
            n=o["max_words"],
        ),
        gettext("score = value ÷ ballots × 100"),
    )


def _appendix(w: Writer, r: Mapping[str, Any]) -> None:
    w.chapter(gettext("Appendix: how the scores were computed"))
    w.para(
        gettext(
            "Every stage turns its ballots into a value for each item and then into a score from 0 to 100 "
            "that can be compared across items. Phone and paper ballots count alike. A later ballot from "
            "the same phone replaces its earlier one."
        )
    )
    for entry in r["methods"]:
        w.heading(f"{entry['stage']} · {method_label(entry['method'])}", 3, contents=False)
        text, formula = method_explanation(entry)
        w.para(text)
        w.para(formula, bold=True)
    w.heading(gettext("Ranks"), 2)
    w.bullets(
        [
            gettext("Items are ranked by score, highest first. Equal scores share a rank (1, 2, 2, 4)."),
            gettext(
                "An item nobody scored has no score and is ranked last. Where nothing was cast (no "
                "ballots, dots "
                "or amounts), a stage has no scores."
            ),
            gettext("Scores are rounded to one decimal place for display only; ranks use the exact values."),
        ]
    )
    w.heading(gettext("Stakeholder groups and spread"), 2)
    w.bullets(
        [
            gettext(
                "Each ballot counts for the group the participant chose when joining (for paper, the group "
                "written on the ballot). A group's score is computed within the group exactly as for the "
                "whole "
                "room."
            ),
            gettext(
                "The spread of an item is its highest group score minus its lowest, among groups with at "
                "least "
                "%(n)s ballots in the stage; with fewer than two such groups there is no spread.",
                n=r["min_group_ballots"],
            ),
            gettext(
                "An item is marked when its spread is %(points)d points or more: the groups see it "
                "differently, "
                "which is worth discussing before the plan is adopted.",
                points=int(r["spread_flag"]),
            ),
        ]
    )
    if r["flagged"]:
        w.para(gettext("Items marked for a large spread:"), bold=True)
        w.bullets(
            f"{f['title']} ({f['stage']}, {gettext('spread %(s)s', s=f['spread_text'])})"
            for f in r["flagged"]
        )
    else:
        w.para(gettext("No item reached a spread of %(points)d points.", points=int(r["spread_flag"])))
    w.heading(gettext("About the data"), 2)
    w.bullets(
        [
            gettext(
                "Participants are anonymous: RuamKit stores no names, addresses or phone numbers, only the "
                "group "
                "each participant chose."
            ),
            gettext(
                "Comments and ideas appear here only after a facilitator approved them; an approved idea "
                "becomes "
                "an item that can be voted on."
            ),
            gettext("All ballots, comments and ideas are in the CSV and JSON exports of this workshop."),
        ]
    )
