"""Build the PDF fonts in ``static/fonts/`` from the vendored Sarabun (``python -m workshop.export.fonts``).

The vendored ``@fontsource/sarabun`` WOFF subsets become TrueType files (no
decoding on every render), and the Thai ones get two fixes so that text
copied or extracted from the PDF (pdftotext, search, screen readers) reads
exactly as typed. Neither changes what the page looks like.

1. SARA AM (ำ).
HarfBuzz always splits SARA AM into NIKHAHIT + SARA AA (moving NIKHAHIT before
a tone mark), and Sarabun then joins NIKHAHIT and the tone mark into one
glyph. WeasyPrint maps each glyph of the PDF to ONE text string (the text of
the glyph's cluster, decided where the glyph first appears), so the SARA AA
glyph of "น้ำ" and the one of "นา" were the same glyph with the same text: the
PDF read "นา" for "น้ำ". The fix gives the SARA AA that closes a SARA AM its own
glyph, one per preceding tone mark (same outline, same advance), through a
final ``ccmp`` lookup; each then always stands for the same text ("ำ", "่ำ",
"้ำ", ...).

2. Marks. WeasyPrint writes a mark's GPOS vertical offset as a PDF text rise,
and pdftotext then takes a raised vowel or tone mark for a separate word on
another line ("พ้ น / ื ที่" for "พื้นที่"). Sarabun's marks are drawn at their
place already, and its GSUB picks the lowered (.small) and shifted (.narrow)
forms by context, so the Thai subset goes without its GPOS table: same look
(checked by overlaying renders), no rises, marks stay in their word.

The fonts are SIL OFL 1.1 (``static/fonts/OFL.txt``), which allows modified
versions; Sarabun declares no Reserved Font Name.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from fontTools.otlLib import builder as otl
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import otTables

ROOT = Path(__file__).resolve().parent.parent.parent
VENDOR = ROOT / "static" / "vendor" / "sarabun"
FONTS = ROOT / "static" / "fonts"

SARA_AA = "uni0E32"
#: glyph before the SARA AA of a split SARA AM -> suffix of the SARA AA copy
AM_CONTEXTS = {
    "uni0E4D": "am",
    "uni0E4D.narrow": "am",
    "uni0E4D0E48": "am48",
    "uni0E4D0E48.narrow": "am48",
    "uni0E4D0E49": "am49",
    "uni0E4D0E49.narrow": "am49",
    "uni0E4D0E4A": "am4A",
    "uni0E4D0E4A.narrow": "am4A",
    "uni0E4D0E4B": "am4B",
    "uni0E4D0E4B.narrow": "am4B",
}


def _add_glyph_copy(font: TTFont, source: str, name: str) -> None:
    order = font.getGlyphOrder()
    if name in order:
        return
    font["glyf"].glyphs[name] = copy.deepcopy(font["glyf"][source])
    font["hmtx"].metrics[name] = font["hmtx"].metrics[source]
    font.setGlyphOrder([*order, name])
    font["glyf"].glyphOrder = font.getGlyphOrder()
    class_def = font["GDEF"].table.GlyphClassDef
    if class_def is not None and source in class_def.classDefs:
        class_def.classDefs[name] = class_def.classDefs[source]
    font["maxp"].numGlyphs = len(font.getGlyphOrder())


def fix_sara_am(font: TTFont) -> None:
    """Give the SARA AA closing each kind of split SARA AM a glyph of its own (see above)."""
    gsub = font["GSUB"].table
    present = set(font.getGlyphOrder())
    contexts = {before: suffix for before, suffix in AM_CONTEXTS.items() if before in present}
    singles = []
    for suffix in sorted(set(contexts.values())):
        name = f"{SARA_AA}.{suffix}"
        _add_glyph_copy(font, SARA_AA, name)
        singles.append(otl.buildLookup([otl.buildSingleSubstSubtable({SARA_AA: name})]))
    first_single = len(gsub.LookupList.Lookup)
    gsub.LookupList.Lookup.extend(singles)
    index = {suffix: first_single + i for i, suffix in enumerate(sorted(set(contexts.values())))}

    chain_subtables = []
    for suffix, lookup_index in index.items():
        befores = sorted(b for b, s in contexts.items() if s == suffix)
        sub = otTables.ChainContextSubst()
        sub.Format = 3
        sub.BacktrackGlyphCount = 1
        sub.BacktrackCoverage = [otl.buildCoverage(befores, font.getReverseGlyphMap())]
        sub.InputGlyphCount = 1
        sub.InputCoverage = [otl.buildCoverage([SARA_AA], font.getReverseGlyphMap())]
        sub.LookAheadGlyphCount = 0
        sub.LookAheadCoverage = []
        record = otTables.SubstLookupRecord()
        record.SequenceIndex, record.LookupListIndex = 0, lookup_index
        sub.SubstCount = 1
        sub.SubstLookupRecord = [record]
        chain_subtables.append(sub)
    chain = otl.buildLookup(chain_subtables)
    chain.LookupType = 6
    gsub.LookupList.Lookup.append(chain)
    chain_index = len(gsub.LookupList.Lookup) - 1
    gsub.LookupList.LookupCount = len(gsub.LookupList.Lookup)
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag == "ccmp":
            record.Feature.LookupListIndex.append(chain_index)
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)


def build(vendor: Path = VENDOR, out: Path = FONTS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for script in ("latin", "thai"):
        for weight in (400, 700):
            font = TTFont(vendor / f"sarabun-{script}-{weight}-normal.woff", recalcTimestamp=False)
            font.flavor = None
            if script == "thai":
                fix_sara_am(font)
                del font["GPOS"]
            target = out / f"sarabun-{script}-{weight}.ttf"
            font.save(target)
            written.append(target)
    (out / "OFL.txt").write_bytes((vendor / "OFL.txt").read_bytes())
    return written


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    for path in build():
        print(f"wrote {path.relative_to(ROOT)}", file=sys.stdout)
