"""Thai catalogs, one per area: `python -m workshop.i18n_tools [update|check]`.

Each area (console, live pages, export) keeps its own catalog in
translations/<area>/th/LC_MESSAGES/, extracted only from that area's files, so
that people working on different areas never edit the same file. Flask-Babel
merges them (see BABEL_TRANSLATION_DIRECTORIES in config.py).

- update: extract, merge new strings into each .po (new ones untranslated), compile .mo.
- check:  fail if a string is missing from its catalog, untranslated or fuzzy,
          or if a compiled .mo says something else than its .po. The test suite runs it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
AREAS: dict[str, list[str]] = {
    # domain/problems.py: the texts of error codes (workshop files, ballots, paper lines),
    # said by the console and, through Flask-Babel's merged catalogs, by any page
    # workshop/cli.py: `run.py load` says a workshop file's mistakes in the terminal's language
    "console": ["workshop/web/facilitator", "workshop/domain/problems.py", "workshop/cli.py",
                "templates/base.html", "templates/facilitator"],
    "live": ["workshop/web/participant", "workshop/web/projector", "templates/live_base.html",
             "templates/participant", "templates/projector"],
    "export": ["workshop/export", "templates/export"],
}
METHODS = {".py": "python", ".html": "jinja2"}
OPTIONS = {"jinja2": {"extensions": "jinja2.ext.do", "trimmed": "false"}}
#: lazy_gettext (as _l) is used where a string is defined before any request, e.g. form labels
#: N_ (gettext_noop) marks texts defined where no translation is at hand (domain.problems)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2),
            "lazy_pgettext": ((1, "c"), 2), "N_": None, "Np_": (1, 2)}


def _files(area: str) -> list[Path]:
    found: list[Path] = []
    for entry in AREAS[area]:
        path = ROOT / entry
        found += sorted(p for p in path.rglob("*") if p.suffix in METHODS) if path.is_dir() else [path]
    return [p for p in found if p.exists()]


def extract(area: str) -> Catalog:
    template = Catalog(project="RuamKit", charset="utf-8")
    for path in _files(area):
        method = METHODS[path.suffix]
        for lineno, message, comments, context in extract_from_file(
                method, str(path), keywords=KEYWORDS, options=OPTIONS.get(method, {})):
            template.add(message, None, [(str(path.relative_to(ROOT)), lineno)],
                         auto_comments=comments, context=context)
    return template


def _po_path(area: str) -> Path:
    return ROOT / "translations" / area / "th" / "LC_MESSAGES" / "messages.po"


def _read(area: str) -> Catalog:
    path = _po_path(area)
    if not path.exists():
        return Catalog(locale="th", project="RuamKit")
    with path.open("rb") as f:
        return read_po(f, locale="th")


def _read_mo(path: Path) -> Catalog:
    with path.open("rb") as f:
        return read_mo(f)


def _mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def _translations(catalog: Catalog) -> dict[tuple[object, str | None], tuple[str, ...]]:
    """What a compiled catalog says: (id, context) -> translations, as gettext will read them.

    Compared instead of the .mo's bytes, which also hold Babel's version in their header.
    """
    def key(value: object) -> object:
        return tuple(value) if isinstance(value, list | tuple) else value

    def strings(value: object) -> tuple[str, ...]:
        return tuple(value) if isinstance(value, list | tuple) else (str(value),)

    return {(key(m.id), m.context): strings(m.string) for m in catalog
            if m.id and m.string and not m.fuzzy}


def update() -> None:
    for area in AREAS:
        catalog = _read(area)
        catalog.update(extract(area), no_fuzzy_matching=True)
        path = _po_path(area)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True)
        path.with_suffix(".mo").write_bytes(_mo_bytes(catalog))
        missing = [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
        print(f"{area}: {len(catalog)} messages, {len(missing)} to translate")


def problems() -> list[str]:
    found: list[str] = []
    for area in AREAS:
        catalog = _read(area)
        for message in extract(area):
            if not message.id:
                continue
            have = catalog.get(message.id, context=message.context)
            if have is None:
                found.append(f"{area}: not in the catalog: {message.id!r}")
            elif not have.string or (isinstance(have.string, tuple) and not all(have.string)):
                found.append(f"{area}: untranslated: {message.id!r}")
            elif have.fuzzy:
                found.append(f"{area}: fuzzy: {message.id!r}")
        mo = _po_path(area).with_suffix(".mo")
        if not mo.exists() or _translations(_read_mo(mo)) != _translations(catalog):
            shown = Path(*mo.parts[-5:]).as_posix()
            found.append(f"{area}: {shown} is not compiled from its .po (make i18n)")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["check"]:
        found = problems()
        print("\n".join(found) or "all catalogs complete")
        return 1 if found else 0
    update()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
