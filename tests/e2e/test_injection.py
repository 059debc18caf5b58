"""Injection in a real browser and in the PDF: every payload, every text field, every page.

The payloads of tests/injection_corpus.py are packed a few to a workshop (every
text field of the workshop file holds each of its payloads in full: title,
city, group label, stage titles and prompts, item titles, descriptions and
indicators, criterion labels). Residents join on their phones and type the
payloads as comments, ideas and words; the facilitator publishes and approves
through the API, opens stages and reveals results, so the payloads also travel
in live socket events. Headless Chromium visits the console (login, workshop
list, run sheet, moderation, results, paper entry), the resident pages (join,
voting with live results) and the projector.

On every page: no dialog, window.__pwned never defined (after load and after
live updates), no `securitypolicyviolation` event, no element, handler or URL of
a payload's making, and the payloads shown as literal text where their field is
shown. At the end: the server logged no CSP report, and the payload listener
(the URL in every loading payload) got no request. The PDF of the plan draft
shows each payload as text and fetches nothing either.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_app, require
from tests.injection_corpus import (
    LIMITS,
    MARKER,
    SEPARATOR,
    Batch,
    Payload,
    batches,
    collapse,
    corpus,
    payload_workshop,
    populate,
    words_of,
)
from tests.servers import Listener, wait_until
from workshop.export import render_export

BATCH = 5  # workshops driven at once: a projector, a phone and a console tab each
SETTLE_MS = 2500  # live updates allowed to arrive before the last look at the pages

#: recorded in every page and frame before any of the page's scripts run
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || ''));
}, true);
"""

#: the page's verdict: was the marker set, which violations, which elements no template makes
INSPECT = """
(host) => {
  const bad = [];
  const forbidden = new Set(['IFRAME', 'FRAME', 'FRAMESET', 'OBJECT', 'EMBED', 'APPLET', 'BASE', 'STYLE',
                             'TEMPLATE', 'IMG', 'VIDEO', 'AUDIO', 'MATH', 'PORTAL']);
  const urls = new Set(['href', 'src', 'action', 'formaction', 'data', 'srcdoc', 'xlink:href', 'poster',
                        'background', 'ping']);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toUpperCase();
    const where = { toString: () => el.outerHTML.slice(0, 140) };
    if (forbidden.has(tag)) bad.push('element ' + where);
    if (tag === 'META' && el.hasAttribute('http-equiv')) bad.push('meta ' + where);
    if (tag === 'SCRIPT') {
      if (!el.nonce) bad.push('script without a nonce ' + where);
      if (el.src && new URL(el.src).origin !== location.origin) bad.push('foreign script ' + where);
    }
    if (tag === 'LINK') {
      const href = el.getAttribute('href') || '';
      if (!(href.startsWith('/static/') || (el.rel === 'icon' && href.startsWith('data:')))) {
        bad.push('link ' + where);
      }
    }
    for (const a of Array.from(el.attributes)) {
      const name = a.name.toLowerCase();
      const value = a.value.trim().toLowerCase();
      if (name.startsWith('on') || ['srcdoc', 'formaction', 'autofocus'].includes(name)) {
        bad.push('attribute ' + name + ' ' + where);
      }
      if (name === 'style' && /url\\(|expression|@import|javascript:/.test(value)) bad.push('style ' + where);
      if (urls.has(name) && (value.startsWith('javascript:') || value.startsWith('data:text')
                             || value.startsWith('//') || value.includes(host))) {
        bad.push('url ' + name + ' ' + where);
      }
    }
  }
  return {
    pwned: typeof window.__pwned !== 'undefined',
    violations: window.__cspViolations || ['(the recorder did not run)'],
    injected: bad,
  };
}
"""


# ------------------------------------------------------------------ the listener


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    try:
        yield found
    finally:
        found.stop()


def test_the_listener_hears_a_request(listener: Listener) -> None:
    """Proof that "no request reached the listener" means something."""
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(listener.url + "/probe.css", timeout=5)
    answer.value.close()
    deadline = time.monotonic() + 5
    while not listener.hits and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.hits == ["GET /probe.css HTTP/1.1"]


# ------------------------------------------------------------------ helpers


def csp_reports_since(log: Path, offset: int) -> list[str]:
    with log.open("rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    return [line for line in text.splitlines() if "CSP violation" in line and "csp-canary" not in line]


class Pages:
    """Opens pages with the recorder and a dialog trap; inspects them."""

    def __init__(self, new_page: Any, watch: Any, listener: Listener) -> None:
        self.new_page, self.watch, self.listener = new_page, watch, listener
        self.dialogs: list[str] = []
        self.checked = 0
        self.texts_checked = 0
        self.placements = 0  # payload texts found, one per payload of a batch in a checked field

    def prepare(self, page: Any) -> Any:
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("dialog", lambda d: (self.dialogs.append(f"{d.type}: {d.message!r} on {page.url}"),
                                     d.dismiss()))
        return page

    def open(self, width: int = 360, height: int = 740) -> Any:
        return self.prepare(self.new_page(width, height))

    def tab(self, page: Any) -> Any:
        """Another tab of the same browser (cookies shared): for the signed-in console."""
        return self.prepare(self.watch.attach(page.context.new_page()))

    def inspect(self, page: Any, what: str) -> None:
        page.wait_for_load_state("load")
        found = page.evaluate(INSPECT, self.listener.url.split("://", 1)[1])
        assert not found["pwned"], f"{what}: injected script ran ({MARKER} is set) on {page.url}"
        assert not found["violations"], f"{what}: CSP violations {found['violations']}"
        assert not found["injected"], f"{what}: " + "\n".join(found["injected"])
        assert not self.dialogs, self.dialogs
        self.checked += 1

    def shows(self, page: Any, checks: list[tuple[str, str, str]], timeout: float = 15.0,
              visible: bool = True) -> None:
        """Each (selector, text, what): ``text`` is on the page as literal text, in a visible element
        matching ``selector`` (waits for live updates to bring it)."""
        selectors = sorted({selector for selector, _text, _what in checks})

        def missing() -> list[str]:
            found = page.evaluate(TEXTS, selectors)
            gone = []
            for selector, text, what in checks:
                want = collapse(text)
                if not any(want in collapse(t) and (shown or not visible) for t, shown in found[selector]):
                    gone.append(f"{what}: {want[:60]!r} in {selector}")
            return gone

        deadline = time.monotonic() + timeout
        while (gone := missing()) and time.monotonic() < deadline:
            time.sleep(0.15)
        assert not gone, f"not shown as text on {page.url}:\n" + "\n".join(gone)
        self.texts_checked += len(checks)
        self.placements += sum(len(collapse(text).split(SEPARATOR)) for _selector, text, _what in checks)


#: selector -> [[textContent, visible], ...]
TEXTS = """
(selectors) => Object.fromEntries(selectors.map((s) => [s, Array.from(document.querySelectorAll(s)).map(
  (el) => [el.textContent,
           el.getClientRects().length > 0 && getComputedStyle(el).visibility === 'visible'])]))
"""


def words(texts: Payload | Batch) -> list[str]:
    """The distinct entries the server makes of what the resident typed, as typed (one per
    answer; only an answer of more than 4 words is split)."""
    from workshop.adapters.textseg import segment
    from workshop.domain.words import entries_of

    entries = (shown for given in words_of(texts) for _key, shown in entries_of(given, segment))
    return list(dict.fromkeys(entries))


# ------------------------------------------------------------------ the test


class Room:
    """One workshop (a batch of payloads), its projector, a resident's phone and a console tab."""

    def __init__(self, batch: Batch, created: dict[str, Any]) -> None:
        self.batch, self.id, self.code = batch, created["id"], created["code"]
        self.projector_url = created["projector_url"]
        self.projector: Any = None
        self.phone: Any = None
        self.console: Any = None
        self.idea_item = ""

    def f(self, field: str) -> str:
        return self.batch.fit(field)


@pytest.mark.browser
@pytest.mark.slow
def test_payloads_are_text_on_every_page(live_server: Any, http_api: Any, new_page: Any, watch: Any,
                                         listener: Listener) -> None:
    log_start = live_server.log.stat().st_size
    payloads = corpus(listener.url)
    pages = Pages(new_page, watch, listener)
    rooms = [Room(b, http_api.create_workshop(payload_workshop(b))) for b in batches(payloads)]
    assert sorted(p.id for room in rooms for p in room.batch.payloads) == sorted(p.id for p in payloads)

    # The console: the login page, then signed in, the list of every workshop.
    console = pages.open(1280, 900)
    console.goto(live_server.url("/login?lang=en"))
    pages.inspect(console, "login")
    console.fill("#username", "facilitator")
    console.fill("#password", "correct horse battery staple")
    console.locator("form.stack [type=submit]").click()
    console.wait_for_url("**/console")
    pages.shows(console, [check for room in rooms for check in (
        ("a.workshops-table__title", room.f("title"), "title in the workshop list"),
        ("span.workshops-table__city", room.f("city"), "city in the workshop list"))])
    pages.inspect(console, "workshop list")

    for start in range(0, len(rooms), BATCH):
        group = rooms[start:start + BATCH]
        live_room(group, pages, http_api, live_server, console)
        for room in group:
            console_pages(room, pages, console, live_server)

    console.wait_for_timeout(500)
    pages.inspect(console, "console at the end")
    assert pages.dialogs == []
    assert csp_reports_since(live_server.log, log_start) == []
    assert listener.hits == []
    assert not watch.problems, watch.problems
    print(f"\ninjection: {len(payloads)} payloads in {len(rooms)} workshops, {pages.checked} page "
          f"inspections, {pages.texts_checked} literal-text checks holding {pages.placements} payload "
          f"texts, dialogs {len(pages.dialogs)}, CSP reports 0, listener hits {len(listener.hits)}")


def live_room(rooms: list[Room], pages: Pages, api: Any, live: Any, console: Any) -> None:
    """Join, vote, talk, moderate, reveal: every live page of these workshops follows along."""
    # A browser window per projector and per phone (a background tab would be throttled);
    # pages load side by side: goto returns once the response has come.
    for room in rooms:
        room.projector = pages.open(1280, 800)
        room.projector.goto(room.projector_url, wait_until="commit")
        room.phone = pages.open()
        room.phone.goto(live.url(f"/j/{room.code}?lang=th"), wait_until="commit")
        room.console = pages.tab(console)
        room.console.goto(live.url(f"/console/w/{room.id}"), wait_until="commit")
    for room in rooms:
        room.projector.wait_for_selector("#pj-total")
        pages.shows(room.projector, [
            ("h1.pj-title", room.f("title"), "projector title"),
            ("p.pj-city", room.f("city"), "projector city"),
            (".pj-group-label", room.f("group_label"), "projector group")])
        pages.inspect(room.projector, "projector, waiting")
        pages.shows(room.phone, [
            ("h1", room.f("title"), "join page title"),
            ("p.sub", room.f("city"), "join page city"),
            ("span.choice-text", room.f("group_label"), "join page group")])
        pages.inspect(room.phone, "join page")
        pages.shows(room.console, [
            ("p.workshop-bar__title", room.f("title"), "run sheet title"),
            ("p.workshop-bar__meta", room.f("city"), "run sheet city"),
            ("table.mini-table th", room.f("group_label"), "run sheet group"),
            ("h3.stage-card__title", room.f("stage_title"), "run sheet stage"),
            ("p.stage-card__prompt", room.f("prompt"), "run sheet prompt")])
        pages.inspect(room.console, "run sheet")
    for room in rooms:
        room.phone.locator("input[name=group][value=resident]").check()
        room.phone.locator("form.join-form button[type=submit]").click()
    for room in rooms:
        room.phone.wait_for_selector("#conn[data-state=online]")
        pages.shows(room.phone, [
            ("h1", room.f("title"), "room title"),
            ("strong.me-group", room.f("group_label"), "room group")])

    # vision: approval, results live
    for room in rooms:
        api.stage(room.id, "vision", "open")
    for room in rooms:
        phone = room.phone
        phone.wait_for_selector("#send-vision")
        pages.shows(phone, [
            ("#t-vision", room.f("stage_title"), "stage title on the phone"),
            ("#st-vision legend.prompt", room.f("prompt"), "prompt on the phone"),
            ("#st-vision .item-title", room.f("item_title"), "item title on the phone"),
            ("#st-vision .item-desc", room.f("description"), "description on the phone")])
        phone.locator("#c-vision-v1").check()
        phone.locator("#send-vision").click()
        phone.wait_for_selector("#ack-vision[data-kind=ok]")
    for room in rooms:
        pages.shows(room.projector, [
            ("#pj-stage-title", room.f("stage_title"), "stage title on the projector"),
            ("#pj-prompt", room.f("prompt"), "prompt on the projector"),
            (".pj-bar[data-key=v1] .pj-bar-title", room.f("item_title"), "bar on the projector")])
        pages.shows(room.phone, [("#st-vision .bar-title", room.f("item_title"), "live result on the phone")])

    # comments and ideas, typed on the phone: one of each published, one left waiting
    for room in rooms:
        talk(room, pages)
    for room in rooms:
        comments = api.ok("GET", f"/api/v1/workshops/{room.id}/comments?status=pending")
        ideas = api.ok("GET", f"/api/v1/workshops/{room.id}/ideas?status=pending")
        assert len(comments) == 2 and len(ideas) == 2, (comments, ideas)
        assert {c["text"] for c in comments} == {room.f("comment")}
        assert {i["title"] for i in ideas} == {room.f("idea_title")}
        api.ok("POST", f"/api/v1/comments/{next(c for c in comments if c['item'])['id']}/approve")
        room.idea_item = api.ok("POST", f"/api/v1/ideas/{ideas[0]['id']}/approve")["item"]
    for room in rooms:
        phone, item = room.phone, room.idea_item
        phone.wait_for_selector(f"#c-vision-{item}")
        pages.shows(phone, [
            ("#cm-vision .comment-text", room.f("comment"), "published comment on the phone"),
            ("#cm-vision .comment-about", room.f("item_title"), "what the comment is about"),
            ("#cm-vision .comment-group", room.f("group_label"), "group of the comment"),
            ("#st-vision .item-title", room.f("idea_title"), "approved idea on the phone"),
            ("#st-vision .item-desc", room.f("idea_description"), "idea description on the phone")])
        phone.locator(f"#c-vision-{item}").check()
        phone.evaluate("document.querySelector('#ack-vision').setAttribute('data-kind', '')")
        phone.locator("#send-vision").click()
        phone.wait_for_selector("#ack-vision[data-kind=ok]")
    for room in rooms:
        bar = f".pj-bar[data-key={room.idea_item}] .pj-bar-title"
        pages.shows(room.projector, [(bar, room.f("idea_title"), "approved idea on the projector")])

    # projects: score, results after close, revealed while open
    for room in rooms:
        api.stage(room.id, "vision", "close")
        api.stage(room.id, "projects", "open")
    for room in rooms:
        phone = room.phone
        phone.wait_for_selector("#send-projects")
        pages.shows(phone, [
            ("#st-projects .score-legend", room.f("item_title"), "scored item on the phone"),
            ("#st-projects .item-desc", room.f("description"), "scored item's description"),
            ("#st-projects .crit-legend", room.f("criterion_label"), "criterion on the phone")])
        phone.locator("label.scale-opt:has(#s-projects-p1-importance-5)").click()
        phone.locator("label.scale-opt:has(#s-projects-p1-feasibility-3)").click()
        phone.locator("#send-projects").click()
        phone.wait_for_selector("#ack-projects[data-kind=ok]")
        api.stage(room.id, "projects", "reveal")
    for room in rooms:
        pages.shows(room.projector, [(".pj-bar[data-key=p1] .pj-bar-title", room.f("item_title"),
                                      "scored item on the projector")])
        pages.shows(room.phone, [("#st-projects .bar-title", room.f("item_title"),
                                  "revealed result on the phone")])

    # words, results live: the words become items in the projector's cloud and the phone's bars
    for room in rooms:
        api.stage(room.id, "words", "open")
    for room in rooms:
        phone = room.phone
        phone.wait_for_selector("#w-words-0")
        for n, word in enumerate(words_of(room.batch)):
            phone.locator(f"#w-words-{n}").fill(word)
        phone.locator("#send-words").click()
        phone.wait_for_selector("#ack-words[data-kind=ok]")
    for room in rooms:
        given = words(room.batch)
        # the cloud holds the most given words; those that do not fit whole are hidden:
        # every one is one of the words, as text, and the shown ones are visible text
        room.projector.wait_for_selector("#pj-results .pj-word", state="attached")
        cloud = [collapse(t) for t in room.projector.locator("#pj-results .pj-word").all_text_contents()]
        assert cloud and set(cloud) <= {collapse(w) for w in given}, cloud
        visible = [collapse(t) for t in room.projector.locator("#pj-results .pj-word:not([hidden])")
                   .all_text_contents()]
        assert visible, cloud
        pages.shows(room.projector, [("#pj-results .pj-word", w, "word in the projector's cloud")
                                     for w in given if collapse(w) in visible])
        # a phone lists the first ten words; each is one of them, as text
        shown = [collapse(t) for t in room.phone.locator("#st-words .bar-title").all_text_contents()]
        assert len(shown) == min(10, len(given)) and set(shown) <= {collapse(w) for w in given}, shown
        pages.shows(room.phone, [("#st-words .bar-title", w, "word in the phone's results")
                                 for w in given if collapse(w) in shown])

    # Live updates have flowed; a last look at every page.
    rooms[-1].phone.wait_for_timeout(SETTLE_MS)
    for room in rooms:
        pages.inspect(room.projector, f"projector of {room.batch.id}")
        pages.inspect(room.phone, f"phone of {room.batch.id}")
        pages.inspect(room.console, f"run sheet of {room.batch.id}")
        # a stage button on the run sheet flashes the stage's title
        room.console.locator("#stage-projects button[data-action=hide]").click()
        room.console.wait_for_selector(".flash")
        pages.shows(room.console, [(".flash p", room.f("stage_title"), "flash message")])
        pages.inspect(room.console, f"run sheet of {room.batch.id} after an action")
        room.console.close()
        room.projector.context.close()
        room.phone.context.close()


def talk(room: Room, pages: Pages) -> None:
    phone = room.phone
    forms = phone.locator("#st-vision details.talk-wrap")
    forms.nth(0).locator("summary").click()
    for about in ("v1", ""):
        phone.locator("#ca-vision").select_option(about)
        phone.locator("#ct-vision").fill(room.f("comment"))
        forms.nth(0).locator("button[type=submit]").click()
        forms.nth(0).locator(".ack[data-kind=ok]").wait_for()
        phone.evaluate("document.querySelectorAll('#st-vision .talk .ack')[0].setAttribute('data-kind', '')")
    forms.nth(1).locator("summary").click()
    for _ in range(2):
        phone.locator("#it-vision").fill(room.f("idea_title"))
        phone.locator("#id-vision").fill(room.f("idea_description"))
        forms.nth(1).locator("button[type=submit]").click()
        forms.nth(1).locator(".ack[data-kind=ok]").wait_for()
        phone.evaluate("document.querySelectorAll('#st-vision .talk .ack')[1].setAttribute('data-kind', '')")
    pages.inspect(phone, f"phone of {room.batch.id} after talking")


def console_pages(room: Room, pages: Pages, console: Any, live: Any) -> None:
    """Moderation (waiting, published), results and paper entry: each in a tab, loaded side by side."""
    base = live.url(f"/console/w/{room.id}")
    keys = [("aside.format-card td", room.f("item_title"), "paper item key"),
            ("aside.format-card td", room.f("criterion_label"), "paper criterion key")]
    visits: list[tuple[str, str, list[tuple[str, str, str]]]] = [
        ("/moderation?show=pending", "moderation, waiting", [
            ("p.entry__text", room.f("comment"), "waiting comment"),
            ("p.entry__title", room.f("idea_title"), "waiting idea"),
            ("p.entry__text", room.f("idea_description"), "waiting idea's description"),
            ("p.entry__meta span", room.f("stage_title"), "stage of an entry"),
            ("p.entry__meta span.tag", room.f("group_label"), "group of an entry")]),
        ("/moderation?show=published", "moderation, published", [
            ("p.entry__text", room.f("comment"), "published comment"),
            ("p.entry__meta span", room.f("item_title"), "item of a comment"),
            ("p.entry__title", room.f("idea_title"), "approved idea")]),
        ("/results", "results", [
            ("section.result-stage h2", room.f("stage_title"), "results stage"),
            ("table.results-table th.item-title", room.f("item_title"), "results item"),
            ("table.results-table th.item-title", room.f("idea_title"), "results idea"),
            ("table.results-table thead th", room.f("criterion_label"), "results criterion"),
            ("section.results-overview dt", room.f("group_label"), "results group"),
            *(("table.results-table th.item-title", w, "results word") for w in words(room.batch))]),
        *((f"/paper/{key}", f"paper entry {key}", [
            ("h2#entry-heading", room.f("stage_title"), "paper stage"),
            ("span.stage-picker__title", room.f("stage_title"), "paper stage picker"),
            ("section.card p.muted", room.f("prompt"), "paper prompt"),
            ("aside.format-card td", room.f("item_title"), "paper item key"),
            *(keys if key == "projects" else ())]) for key in ("vision", "projects")),
    ]
    tabs = []
    for path, _what, _checks in visits:
        tab = pages.tab(console)
        tab.goto(base + path, wait_until="commit")
        tabs.append(tab)
    for tab, (path, what, checks) in zip(tabs, visits, strict=True):
        tab.wait_for_selector("[data-live=connection][data-connected=true]")
        pages.shows(tab, checks)
        if path.startswith("/paper/"):
            pages.shows(tab, [("#group option", room.f("group_label"), "paper group")], visible=False)
        pages.inspect(tab, what)
    for tab in tabs:
        pages.inspect(tab, "console, a last look")
        tab.close()


# ------------------------------------------------------------------ the CSP is enforced


@pytest.mark.browser
def test_the_csp_blocks_and_reports_an_injected_script(live_server: Any, http_api: Any, new_page: Any,
                                                       listener: Listener) -> None:
    """Proof that "no violation, no report" means something: the policy blocks; page and server hear."""
    created = http_api.create_workshop(payload_workshop(corpus(listener.url)[0]))
    log_start = live_server.log.stat().st_size
    page = new_page(1280, 800)
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(created["projector_url"] + "?csp-canary=1")
    page.wait_for_selector("#pj-total")
    page.evaluate("""(url) => {
      const s = document.createElement('script');
      s.textContent = 'window.__canary = 1';
      document.body.appendChild(s);
      const img = document.createElement('img');
      img.src = url + '/canary.png';
      document.body.appendChild(img);
    }""", listener.url)
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("typeof window.__canary") == "undefined"
    directives = " ".join(page.evaluate("window.__cspViolations"))
    assert "script-src" in directives and "img-src" in directives
    def canary_reports() -> list[str]:
        text = live_server.log.read_bytes()[log_start:].decode("utf-8", "replace")
        return [line for line in text.splitlines() if "CSP violation" in line and "csp-canary" in line]

    wait_until(lambda: len(canary_reports()) >= 2, message="the server's CSP report log")
    assert listener.hits == []  # blocked before it was fetched


# ------------------------------------------------------------------ the PDF


@pytest.fixture
def pdf_app(tmp_path: Path, sqlite_template: Path) -> Iterator[Any]:
    shutil.copy(sqlite_template, tmp_path / "w.db")
    # BALLOT_BATCH=0: ballots are stored in this thread (populate() casts inside its app context)
    application = make_app(f"sqlite:///{tmp_path / 'w.db'}", tmp_path / "instance", BALLOT_BATCH=0)
    yield application
    from workshop.extensions import db

    with application.app_context():
        db.session.remove()
        if db.engine is not None:
            db.engine.dispose()


def squeeze(text: str) -> str:
    """Text without whitespace and hyphens, as compared with a PDF's text layer: lines break
    anywhere in a long run of characters, pdftotext joins a word hyphenated at a line's end
    ("http-" + "equiv") and reads a tightly kerned bold "--" as one hyphen."""
    return "".join(text.split()).replace("-", "")


def laid_out(text: str) -> str:
    """Text as a PDF's text layer holds it: a right-to-left override (U+202E ... U+202C) in
    visual order, and no invisible format characters (bidi controls, zero-width joiners)."""
    text = re.sub("\u202e([^\u202c]*)\u202c", lambda m: m.group(1)[::-1], text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


@dataclass(frozen=True)
class Tagged:
    """A batch whose fields also name themselves ("[indicator]<payload>"): the PDF's text tells them apart."""

    batch: Batch

    @property
    def payloads(self) -> tuple[Payload, ...]:
        return self.batch.payloads

    def fit(self, field: str) -> str:
        return SEPARATOR.join(tag(field, p) for p in self.payloads)


def tag(field: str, payload: Payload) -> str:
    return f"[{field}]{payload.fit(field)}"[:LIMITS[field]].strip()


#: the fields the plan draft prints (a resident's idea is listed by its title)
PDF_FIELDS = ("title", "city", "group_label", "stage_title", "prompt", "item_title", "description",
              "indicator", "criterion_label", "comment", "idea_title", "idea_description")


def test_pdf_shows_payloads_as_text_and_fetches_nothing(pdf_app: Any, listener: Listener,
                                                        tmp_path: Path) -> None:
    require(shutil.which("pdftotext") is not None, "pdftotext is not installed (poppler-utils)")
    missing, checked = [], 0
    for batch in batches(corpus(listener.url), most=3, room=140):
        with pdf_app.app_context():
            made = populate(Tagged(batch))
            content, mimetype, _name = render_export(made["id"], "pdf")
        assert mimetype == "application/pdf" and content.startswith(b"%PDF")
        path = tmp_path / f"{made['id']}.pdf"
        path.write_bytes(content)
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True,
                              check=True, timeout=120).stdout.decode("utf-8")
        flat = squeeze(text)
        for payload in batch.payloads:
            for field in PDF_FIELDS:
                checked += 1
                if squeeze(laid_out(tag(field, payload))) not in flat:
                    missing.append(f"{payload.id}: {field}")
        for word in words(batch):
            checked += 1
            if squeeze(laid_out(word)) not in flat:
                missing.append(f"{batch.id}: word {word!r}")
    assert not missing, "\n".join(missing)
    assert listener.hits == []
    print(f"\npdf: {checked} payload-in-field checks as literal text, listener hits {len(listener.hits)}")
