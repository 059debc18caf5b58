"""Injection without a browser: source rules, and every payload escaped in every page's HTML.

1. Source rules (no app): our JavaScript (static/js, not static/vendor) has no
   HTML or code sinks; templates mark nothing `|safe` and Python wraps nothing
   in Markup() but the server-made SVG on the allow-list; every template
   <script> carries the CSP nonce.
2. Rendered HTML (Flask test client, SQLite): one workshop per payload of
   tests/injection_corpus.py, the payload in every text field, with a resident's
   comments, ideas and words. Each console, resident and projector page must show
   the payload as text where the field is shown (parsed like a browser parses
   it), never as markup: no element, attribute, URL or script of its making, no
   raw copy of it in the HTML, and JSON data that cannot end its <script>.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from tests.conftest import make_app
from tests.factories import PASSWORD
from tests.injection_corpus import NO_LISTENER, Payload, collapse, corpus, populate, words_of

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = corpus()
PUBLIC = "http://ruamkit.test"  # TestConfig's WORKSHOP_PUBLIC_URL

# ---------------------------------------------------------------------------
# 1. Source rules

#: (regex, what it is); a use is allowed only as `innerHTML = ""` and the like (see EMPTY)
JS_SINKS = [
    (r"\.innerHTML\b", "innerHTML"),
    (r"\.outerHTML\b", "outerHTML"),
    (r"\binsertAdjacentHTML\b", "insertAdjacentHTML"),
    (r"\bdocument\s*\.\s*write(?:ln)?\b", "document.write"),
    (r"\beval\s*\(", "eval"),
    (r"\bnew\s+Function\b|\bFunction\s*\(", "new Function"),
    (r"\bset(?:Timeout|Interval)\s*\(\s*['\"`]", "setTimeout/setInterval with a string"),
    (r"\bcreateContextualFragment\b|\bparseFromString\b|\.srcdoc\b", "HTML parsing"),
    (r"\bsetAttribute\s*\(\s*['\"](?:on\w+|style|href|src|srcdoc|action|formaction)['\"]",
     "setAttribute of a handler, style or URL"),
    (r"\.(?:href|src|action|formAction)\s*=(?!=)", "URL property assignment"),
    (r"\.style\.cssText\b|\.cssText\s*=", "cssText"),
    (r"[{,]\s*['\"]?(?:href|src|srcdoc|action|style)['\"]?\s*:", "URL or style attribute given to h()"),
]
#: the only value an HTML sink may get: a constant empty string
EMPTY = re.compile(r"""\.(?:innerHTML|outerHTML)\s*=\s*(?:""|'')\s*;""")
#: reviewed uses of the URL rules above: (file, the whole line stripped)
JS_ALLOWED = {
    # the "Refresh" link of the console's live banner: this same page, from location
    ("console.js", "link.href = window.location.pathname + window.location.search;"),
    # the Publish / Reject forms of a moderation row added live: the page's own console path
    # (data-moderation, made by url_for) + "/comments/" or "/ideas/" + a whole number id + a fixed action
    ("console.js", "form.action = moderationAction(data, kind, id, action);"),
}

#: every `|safe` in templates/: (template, the expression marked safe) - all server-made SVG
SAFE_ALLOWED = {
    ("facilitator/workshop.html", "qr"),  # services.qr.qr_svg: the join QR code, title escaped
    ("facilitator/poster.html", "qr"),  # the same QR code on the printable poster
}
#: every Markup() in workshop/: (file, what is wrapped) - all server-made SVG
MARKUP_ALLOWED = {
    ("workshop/web/projector/views.py", "qr.qr_svg("),  # the join QR code, title escaped in qr_svg
    ("workshop/export/cards.py", "qr_svg("),  # QR codes of the printed join cards (PDF), no title
}


def strip_js_comments(source: str) -> str:
    """The code without comments (strings kept; none of ours holds // or /*)."""
    source = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), source, flags=re.S)
    return re.sub(r"(?<![:\\])//[^\n]*", "", source)


def js_sink_uses(name: str, source: str) -> list[str]:
    found = []
    for number, line in enumerate(strip_js_comments(source).splitlines(), start=1):
        for pattern, what in JS_SINKS:
            for match in re.finditer(pattern, line):
                rest = line[match.start():]
                if what in ("innerHTML", "outerHTML") and EMPTY.match(rest):
                    continue
                if (name, line.strip()) in JS_ALLOWED:
                    continue
                found.append(f"{name}:{number}: {what}: {line.strip()}")
    return found


def our_scripts() -> list[Path]:
    scripts = sorted((ROOT / "static" / "js").glob("*.js"))
    assert {p.name for p in scripts} >= {"console.js", "resident.js", "projector.js"}
    return scripts


def test_our_javascript_has_no_html_or_code_sinks() -> None:
    problems = [use for path in our_scripts() for use in js_sink_uses(path.name, path.read_text("utf-8"))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", [
    "box.innerHTML = item.title;",
    "box.innerHTML = '<b>' + text + '</b>';",
    "el.outerHTML = x;",
    "list.insertAdjacentHTML('beforeend', row);",
    "document.write(title);",
    "document.writeln(title);",
    "var f = eval(data);",
    "var f = new Function('return ' + data);",
    "window.setTimeout('draw(' + key + ')', 10);",
    "a.href = item.url;",
    "a.setAttribute('href', link);",
    "el.setAttribute(\"onclick\", handler);",
    "el.style.cssText = text;",
    "h('a', { href: item.url }, title)",
    "frame.srcdoc = html;",
    "range.createContextualFragment(html);",
])
def test_the_sink_rule_catches_each_sink(code: str) -> None:
    """The rule above is only as good as its patterns: each kind of sink is caught."""
    assert js_sink_uses("example.js", code), code


def test_the_sink_rule_allows_clearing_and_comments() -> None:
    code = 'box.innerHTML = "";\n// never use innerHTML with text\n/* eval( */ el.textContent = t;\n'
    assert js_sink_uses("example.js", code) == []


def template_files() -> list[Path]:
    return sorted((ROOT / "templates").rglob("*.html"))


def test_safe_only_on_server_made_svg() -> None:
    found = set()
    for path in template_files():
        source = path.read_text("utf-8")
        name = path.relative_to(ROOT / "templates").as_posix()
        assert not re.search(r"\{%-?\s*autoescape\s+(false|off|0)", source, re.I), f"{name}: autoescape off"
        for match in re.finditer(r"\{\{-?\s*(.+?)\s*\|\s*safe\b", source):
            found.add((name, match.group(1).strip()))
        for match in re.finditer(r"\bmarkup\s*\(|\|\s*(?:unescape|urlize|xmlattr_unsafe)\b", source, re.I):
            found.add((name, match.group(0)))
    assert found == SAFE_ALLOWED, f"unreviewed |safe: {sorted(found - SAFE_ALLOWED)}"


def test_markup_only_on_server_made_svg() -> None:
    found = set()
    for path in sorted((ROOT / "workshop").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        for line in path.read_text("utf-8").splitlines():
            if line.lstrip().startswith(("#", "from ", "import ")):
                continue
            for match in re.finditer(r"\bMarkup\(\s*([\w.]+\()?", line):
                found.add((name, match.group(1) or line.strip()))
    assert found == MARKUP_ALLOWED, f"unreviewed Markup(): {sorted(found - MARKUP_ALLOWED)}"


def test_every_template_script_carries_the_nonce() -> None:
    missing = []
    for path in template_files():
        if path.parent.name == "export":  # rendered to PDF, never served to a browser
            continue
        for tag in re.findall(r"<script\b[^>]*>", path.read_text("utf-8")):
            if 'nonce="{{ csp_nonce() }}"' not in tag:
                missing.append(f"{path.relative_to(ROOT)}: {tag}")
    assert not missing, "\n".join(missing)


# ---------------------------------------------------------------------------
# 2. Rendered HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
URL_ATTRS = {"href", "src", "action", "formaction", "data", "srcdoc", "xlink:href", "poster", "background",
             "ping", "codebase", "manifest"}
FORBIDDEN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style", "template",
                  "portal", "img", "video", "audio", "math"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class Tree(HTMLParser):
    """The page as elements (stdlib parser; entities decoded as a browser decodes them)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.stack = [self.root]
        self.nodes: list[Node] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        self.stack[-1].children.append(node)
        self.nodes.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def select(self, selector: str) -> list[Node]:
        """Descendant selectors of tag.class#id parts, e.g. "p.entry__meta span"."""
        parts = [re.fullmatch(r"([\w-]*)((?:\.[\w-]+)*)(?:#([\w-]+))?", s) for s in selector.split()]
        assert all(parts), selector

        def matches(node: Node, part: re.Match[str]) -> bool:
            tag, classes, ident = part.group(1), part.group(2), part.group(3)
            return ((not tag or node.tag == tag) and set(classes.split(".")[1:]) <= node.classes()
                    and (not ident or node.attrs.get("id") == ident))

        found = []
        for node in self.nodes:
            if not matches(node, parts[-1]):  # type: ignore[arg-type]
                continue
            want, up = len(parts) - 2, node.parent
            while want >= 0 and up is not None:
                if matches(up, parts[want]):  # type: ignore[arg-type]
                    want -= 1
                up = up.parent
            if want < 0:
                found.append(node)
        return found

    def texts(self, selector: str) -> list[str]:
        return [collapse(n.text()) for n in self.select(selector)]


def injected_markup(tree: Tree, nonce: str | None, listener: str = NO_LISTENER) -> list[str]:
    """Elements, attributes and URLs no template of ours makes: what an unescaped payload would add."""
    problems = []
    host = listener.split("://", 1)[-1]
    for node in tree.nodes:
        where = f"<{node.tag} {node.attrs}>"[:160]
        if node.tag in FORBIDDEN_TAGS:
            problems.append(f"element {where}")
        if node.tag == "meta" and "http-equiv" in node.attrs:
            problems.append(f"meta refresh {where}")
        if node.tag == "script":
            if nonce is None or node.attrs.get("nonce") != nonce:
                problems.append(f"script without this response's nonce {where}")
            if "src" in node.attrs and not node.attrs["src"].startswith("/static/"):
                problems.append(f"foreign script {where}")
        if node.tag == "link" and not (node.attrs.get("href", "").startswith("/static/")
                                       or (node.attrs.get("href", "").startswith("data:")
                                       and node.attrs.get("rel") == "icon")):
            problems.append(f"link {where}")
        for name, value in node.attrs.items():
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "autofocus"):
                problems.append(f"attribute {name} {where}")
            if name in URL_ATTRS:
                url = value.strip().lower()
                local = url.startswith(("/", "#", "?", PUBLIC)) and not url.startswith("//")
                icon = node.tag == "link" and url.startswith(("data:image/svg+xml,", "data:,"))
                if not (local or icon) or host in url:
                    problems.append(f"URL {name}={value[:80]!r} {where}")
    return problems


def csp_nonce(response: Any) -> str:
    policy = response.headers.get("Content-Security-Policy", "")
    found = re.search(r"script-src [^;]*'nonce-([A-Za-z0-9_-]{16,})'", policy)
    assert found, f"no script nonce in the CSP: {policy!r}"
    return found.group(1)


def json_blocks(html: str) -> dict[str, str]:
    return dict(re.findall(r'<script type="application/json" id="(\w+)"[^>]*>(.*?)</script>', html, re.S))


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from strings_in(key)
            yield from strings_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings_in(inner)


# -- the app, built once for this module -------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[dict[str, Any]]:
    """One app on SQLite; a workshop per payload; a console signed in; a resident per workshop."""
    from workshop.extensions import db
    from workshop.services import accounts

    folder = tmp_path_factory.mktemp("injection")
    shutil.copy(sqlite_template, folder / "w.db")
    # BALLOT_BATCH=0: ballots are stored in this thread (populate() casts inside its app context)
    application = make_app(f"sqlite:///{folder / 'w.db'}", folder / "instance", BALLOT_BATCH=0)
    with application.app_context():
        made = {p.id: populate(p) for p in PAYLOADS}
        accounts.create_user("facilitator", PASSWORD)
    console = application.test_client()
    token = csrf_of(console.get("/login?lang=en").get_data(as_text=True))
    signed = console.post("/login", data={"csrf_token": token, "username": "facilitator",
                                          "password": PASSWORD})
    assert signed.status_code == 302
    residents = {}
    for pid, workshop in made.items():
        phone = application.test_client()
        form = csrf_of(phone.get(f"/j/{workshop['code']}").get_data(as_text=True))
        joined = phone.post(f"/j/{workshop['code']}", data={"csrf_token": form, "group": "resident",
                                                            "language": "th"})
        assert joined.status_code == 303, pid
        residents[pid] = phone
    yield {"app": application, "made": made, "console": console, "residents": residents}
    with application.app_context():
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def fetch(client: Any, path: str, status: int = 200) -> tuple[Any, str, Tree]:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    html = response.get_data(as_text=True)
    return response, html, Tree(html)


def assert_safe_page(response: Any, html: str, tree: Tree, payload: Payload, fields: tuple[str, ...]) -> None:
    """No markup of the payload's making, and not one raw copy of it anywhere in the HTML."""
    problems = injected_markup(tree, csp_nonce(response))
    assert not problems, "\n".join(problems)
    for field in fields:
        raw = payload.fit(field)
        if str(escape(raw)) != raw:
            assert raw not in html, f"raw {field} in the HTML"


def assert_shown(tree: Tree, selector: str, expected: str, what: str) -> None:
    texts = tree.texts(selector)
    want = collapse(expected)
    assert any(want in t for t in texts), f"{what}: {want[:80]!r} not in {selector}"


def assert_title_tag(tree: Tree, payload: Payload) -> None:
    assert_shown(tree, "title", payload.fit("title"), "title in <title>")


def expected_words(payload: Payload, *, shown: bool = False) -> list[str]:
    """The entries of the payload's words: their keys, or (``shown``) as typed."""
    from workshop.adapters.textseg import segment
    from workshop.domain.words import entries_of

    return [pair[1 if shown else 0] for given in words_of(payload) for pair in entries_of(given, segment)]


ids = [p.id for p in PAYLOADS]
STAGES = 4  # vision, goals, projects, words


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_console_run_sheet(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    response, html, tree = fetch(built["console"], f"/console/w/{w['id']}")
    assert_safe_page(response, html, tree, payload, ("title", "city", "group_label", "stage_title", "prompt"))
    assert_title_tag(tree, payload)
    assert_shown(tree, "p.workshop-bar__title", payload.fit("title"), "workshop title")
    assert_shown(tree, "p.workshop-bar__meta", payload.fit("city"), "city")
    assert_shown(tree, "table.mini-table th", payload.fit("group_label"), "group label")
    assert tree.texts("h3.stage-card__title") == [collapse(payload.fit("stage_title"))] * STAGES
    assert tree.texts("p.stage-card__prompt") == [collapse(payload.fit("prompt"))] * STAGES
    labels = [n.attrs["aria-label"] for n in tree.select("div.stage-card__actions")]
    assert len(labels) == STAGES and all(payload.fit("stage_title") in label for label in labels)


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_console_moderation(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    fields = ("title", "city", "stage_title", "group_label", "item_title", "comment", "idea_title",
              "idea_description")
    for show in ("pending", "published"):
        response, html, tree = fetch(built["console"], f"/console/w/{w['id']}/moderation?show={show}")
        assert_safe_page(response, html, tree, payload, fields)
        assert_shown(tree, "p.entry__text", payload.fit("comment"), f"{show} comment")
        assert_shown(tree, "p.entry__title", payload.fit("idea_title"), f"{show} idea")
        assert_shown(tree, "p.entry__meta span", payload.fit("stage_title"), "stage of an entry")
        assert_shown(tree, "p.entry__meta span.tag", payload.fit("group_label"), "group of an entry")
        if show == "pending":
            assert_shown(tree, "p.entry__text", payload.fit("idea_description"), "idea description")
        else:
            assert_shown(tree, "p.entry__meta span", payload.fit("item_title"), "item of a comment")


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_console_results(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    response, html, tree = fetch(built["console"], f"/console/w/{w['id']}/results")
    assert_safe_page(response, html, tree, payload, ("title", "city", "stage_title", "group_label",
                                                       "item_title", "criterion_label", "idea_title"))
    toc = tree.texts("nav.toc a")  # each "N title"
    assert len(toc) == STAGES and all(t.endswith(collapse(payload.fit("stage_title"))) for t in toc), toc
    assert_shown(tree, "section.result-stage h2", payload.fit("stage_title"), "stage title")
    assert_shown(tree, "table.results-table th.item-title", payload.fit("item_title"), "item title")
    assert_shown(tree, "table.results-table th.item-title", payload.fit("idea_title"), "approved idea")
    assert_shown(tree, "table.results-table thead th", payload.fit("criterion_label"), "criterion")
    assert_shown(tree, "section.results-overview dt", payload.fit("group_label"), "group label")
    assert_shown(tree, "table.groups-table th.group-col", payload.fit("group_label"), "group column")
    for word in expected_words(payload, shown=True):
        assert_shown(tree, "table.results-table th.item-title", word, "word")


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_console_paper_pages(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    fields = ("title", "city", "stage_title", "prompt", "group_label", "item_title", "criterion_label")
    for key in ("vision", "goals", "projects", "words"):
        response, html, tree = fetch(built["console"], f"/console/w/{w['id']}/paper/{key}")
        assert_safe_page(response, html, tree, payload, fields)
        assert tree.texts("span.stage-picker__title") == [collapse(payload.fit("stage_title"))] * STAGES
        assert_shown(tree, "h2#entry-heading", payload.fit("stage_title"), "stage title")
        assert_shown(tree, "section.card p.muted", payload.fit("prompt"), "prompt")
        assert_shown(tree, "select#group option", payload.fit("group_label"), "group choice")
        if key == "vision":
            assert_shown(tree, "aside.format-card td", payload.fit("item_title"), "item key table")
            assert_shown(tree, "aside.format-card td", payload.fit("idea_title"), "approved idea")
        if key == "projects":
            assert_shown(tree, "aside.format-card td", payload.fit("criterion_label"), "criterion table")


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_console_reflects_typed_text_escaped(built: dict[str, Any], payload: Payload) -> None:
    """What a facilitator types comes back escaped: paper lines in errors, stage titles in messages."""
    w = built["made"][payload.id]
    console, base = built["console"], f"/console/w/{w['id']}"
    page = console.get(f"{base}/paper/vision").get_data(as_text=True)
    lines = payload.text.replace(",", " ")[:5000]
    response = console.post(f"{base}/paper/vision", data={"csrf_token": csrf_of(page),
                                                          "group": "resident", "lines": lines})
    html = response.get_data(as_text=True)
    tree = Tree(html)
    assert response.status_code == 422
    problems = injected_markup(tree, csp_nonce(response))
    assert not problems, "\n".join(problems)
    assert tree.select("ul.problem-list li")
    for token in lines.split():
        if any(ch in token for ch in "<>&\"'"):
            assert f"“{token}”" not in html, "a typed token came back raw"

    # stage actions flash the stage's title on the next page
    page = console.get(base).get_data(as_text=True)
    acted = console.post(f"{base}/stages/projects/hide", data={"csrf_token": csrf_of(page)})
    assert acted.status_code == 302
    response, html, tree = fetch(console, base)
    assert_safe_page(response, html, tree, payload, ("stage_title",))
    assert_shown(tree, "div.flash p", payload.fit("stage_title"), "flash message")
    page = console.get(base).get_data(as_text=True)
    again = console.post(f"{base}/stages/projects/reveal", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 302


def test_jinja_autoescapes_html_templates(built: dict[str, Any]) -> None:
    env = built["app"].jinja_env
    assert env.autoescape("page.html") is True
    assert str(env.from_string("{{ x }}").render(x="<b>")) == "&lt;b&gt;"


def test_console_workshop_list(built: dict[str, Any]) -> None:
    response, html, tree = fetch(built["console"], "/console")
    assert not injected_markup(tree, csp_nonce(response))
    titles, cities = tree.texts("a.workshops-table__title"), tree.texts("span.workshops-table__city")
    for payload in PAYLOADS:
        assert collapse(payload.fit("title")) in titles, payload.id
        assert collapse(payload.fit("city")) in cities, payload.id
        for raw in (payload.fit("title"), payload.fit("city")):
            assert str(escape(raw)) == raw or raw not in html, payload.id


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_console_paste_a_workshop_file(built: dict[str, Any], payload: Payload) -> None:
    """A pasted file with the payload where a key or choice belongs: the errors quote it escaped."""
    console = built["console"]
    page = console.get("/console").get_data(as_text=True)
    text = json.dumps({"title": payload.fit("title"), "join": payload.text[:300], "languages": ["xx"],
                       "groups": [{"key": payload.text[:300], "label": payload.fit("group_label")}],
                       "stages": []})
    response = console.post("/console", data={"csrf_token": csrf_of(page), "text": text,
                                              "from_text": "1"})
    html = response.get_data(as_text=True)
    tree = Tree(html)
    assert response.status_code in (400, 422), response.status_code
    assert tree.select("ol.problem-list li")
    assert not injected_markup(tree, csp_nonce(response))
    if payload.dangerous:
        assert payload.text[:300] not in html


DEFINITION_FIELDS = ("title", "city", "group_label", "stage_title", "prompt", "item_title", "description",
                     "indicator", "criterion_label")


def assert_json_data(html: str, payload: Payload, fields: tuple[str, ...]) -> dict[str, Any]:
    """The page's JSON cannot end its <script>, and holds each field's text exactly."""
    blocks = json_blocks(html)
    assert set(blocks) == {"i18n", "boot"}, set(blocks)
    for name, raw in blocks.items():
        assert not set(raw) & set("<>&"), f"{name}: markup characters in a JSON script"
    boot: dict[str, Any] = json.loads(blocks["boot"])
    found = set(strings_in(boot))
    for field in fields:
        assert payload.fit(field) in found, f"{field} not in the page's data"
    return boot


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_resident_join_page(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    stranger = built["app"].test_client()
    response, html, tree = fetch(stranger, f"/j/{w['code']}")
    assert_safe_page(response, html, tree, payload, ("title", "city", "group_label"))
    assert_title_tag(tree, payload)
    assert_shown(tree, "h1", payload.fit("title"), "title")
    assert_shown(tree, "p.sub", payload.fit("city"), "city")
    assert_shown(tree, "span.choice-text", payload.fit("group_label"), "group choice")


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_resident_room_page(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    response, html, tree = fetch(built["residents"][payload.id], f"/j/{w['code']}")
    assert_safe_page(response, html, tree, payload, (*DEFINITION_FIELDS, "idea_title", "idea_description"))
    assert_title_tag(tree, payload)
    assert_shown(tree, "h1", payload.fit("title"), "title")
    assert_shown(tree, "strong.me-group", payload.fit("group_label"), "my group")
    boot = assert_json_data(html, payload, (*DEFINITION_FIELDS, "idea_title", "idea_description"))
    shown = boot["snapshot"]["results"]
    assert set(shown) == {"vision", "projects", "words"}  # never goals: a draft
    assert set(expected_words(payload)) <= {i["key"] for i in shown["words"]["items"]}


@pytest.mark.parametrize("payload", PAYLOADS, ids=ids)
def test_projector_page(built: dict[str, Any], payload: Payload) -> None:
    w = built["made"][payload.id]
    stranger = built["app"].test_client()
    response, html, tree = fetch(stranger, f"/projector/{w['projector_key']}")
    assert_safe_page(response, html, tree, payload, (*DEFINITION_FIELDS, "idea_title"))
    assert_title_tag(tree, payload)
    assert_shown(tree, "h1.pj-title", payload.fit("title"), "title")
    assert_shown(tree, "p.pj-city", payload.fit("city"), "city")
    boot = assert_json_data(html, payload, (*DEFINITION_FIELDS, "idea_title"))
    words = {i["key"] for i in boot["results"]["words"]["items"]}
    assert set(expected_words(payload)) <= words


@pytest.mark.parametrize("page", ["console", "join", "room", "projector", "login", "error"])
def test_csp_is_strict_on_every_page(built: dict[str, Any], page: str) -> None:
    """A nonce per response on every page; nothing inline or evaluated is allowed; violations reported."""
    w = built["made"]["script"]
    client = {"console": built["console"], "error": built["console"],
              "room": built["residents"]["script"]}.get(page, built["app"].test_client())
    path = {"console": f"/console/w/{w['id']}", "join": f"/j/{w['code']}", "room": f"/j/{w['code']}",
            "projector": f"/projector/{w['projector_key']}", "login": "/login",
            "error": "/console/w/999999"}[page]
    first, second = client.get(path), client.get(path)
    assert first.status_code in (200, 404) and first.status_code == second.status_code
    policy = first.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert csp_nonce(first) != csp_nonce(second)
    for name in ("script-src", "style-src"):
        sources = directives[name]
        assert f"'nonce-{csp_nonce(first)}'" in sources
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:",
                    "https:", "blob:"} & set(sources), (name, sources)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["report-uri"] == ["/csp-report"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    tree = Tree(first.get_data(as_text=True))
    scripts = [n for n in tree.nodes if n.tag == "script"]
    assert all(n.attrs.get("nonce") == csp_nonce(first) for n in scripts), [n.attrs for n in scripts]


def test_the_markup_check_catches_unescaped_payloads() -> None:
    """Proof that the checks above could fail: each payload, not escaped, is caught."""
    for payload in PAYLOADS:
        text = payload.text
        html = f'<p title="{text}">{text}</p><p title=\'{text}\'></p><input value={text}>'
        markup = {"script", "html", "attr"}
        if payload.kind in markup or ("<" in payload.text and payload.kind in ("url", "css")):
            assert injected_markup(Tree(html), nonce="n"), payload.id


def test_a_csp_report_cannot_forge_log_lines(built: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    """Anyone can POST to /csp-report: what it says is logged on one line, controls made visible."""
    forged = "inline\n2026-12-05 09:00:00 INFO workshop: all clear\x1b[2J\u202eevil"
    report = {"csp-report": {"document-uri": "http://x/j/ABC\r\nfake: line",
                             "violated-directive": "script-src", "blocked-uri": forged + "x" * 5000}}
    with caplog.at_level(logging.WARNING, logger="workshop.web.security"):
        response = built["app"].test_client().post("/csp-report", data=json.dumps(report),
                                                   content_type="application/csp-report")
    assert response.status_code == 204
    [message] = [r.getMessage() for r in caplog.records if r.name == "workshop.web.security"]
    assert message.isprintable(), repr(message)
    assert "inline\\u000a2026-12-05" in message and "\\u001b[2J\\u202eevil" in message
    assert "ABC\\u000d\\u000afake" in message
    assert len(message) < 1200
