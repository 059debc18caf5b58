"""Injection payloads for the "Trust" tests: script, HTML, attribute, template, URL, CSS and Unicode tricks.

Every payload that would run if it ever reached a page as markup calls a
marker: it sets ``window.__pwned`` or calls ``alert()`` (the browser tests fail
on any dialog). Payloads that would load something point at ``{listener}``, the
URL of a tiny HTTP listener the browser and PDF tests start on 127.0.0.1: a
single request to it means a payload was loaded as markup or CSS somewhere.

Used by tests/integration/test_injection_static.py (rendered HTML, no browser)
and tests/e2e/test_injection.py (real Chromium and the PDF).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: what an executed payload sets; a page where it is defined has run injected script
MARKER = "__pwned"
#: a URL nobody listens on, for tests without a listener (port 9: discard)
NO_LISTENER = "http://127.0.0.1:9"

#: field -> most characters it takes
#: (workshop/domain/definition.py LIMITS, services/content.py, domain/methods.py)
LIMITS = {
    "title": 200, "city": 200, "group_label": 200, "criterion_label": 200,
    "stage_title": 200, "prompt": 1000, "item_title": 200, "description": 2000, "indicator": 500,
    "comment": 1000, "idea_title": 200, "idea_description": 2000, "word": 40,
}

_LONG = ("แผนพัฒนาเมืองน่าอยู่ " * 30 + "<script>window.__pwned=1</script>" + " ข้อความยาวมาก" * 60
         + '"><img src=x onerror=alert(1)>' + " end")

#: (id, kind, text); {listener} becomes the listener's URL
_RAW: tuple[tuple[str, str, str], ...] = (
    # <script> variants
    ("script", "script", "<script>window.__pwned=1</script>"),
    ("script-upper-src", "script", "<SCRIPT SRC={listener}/script.js></SCRIPT>"),
    ("script-close-json", "script", "</script><script>window.__pwned=1</script>"),
    ("script-attr-break", "script", '"><script>window.__pwned=1</script>'),
    ("script-squote-break", "script", "'><script>alert(1)</script>"),
    ("script-thai", "script", "แผนพัฒนา<script>window.__pwned=1</script>เมืองระนอง"),
    ("script-comment-break", "script", "--><script>window.__pwned=1</script><!--]]>"),
    # HTML with handlers
    ("img-onerror", "html", "<img src=x onerror=\"window.__pwned=1\">"),
    ("img-listener", "html", "<img src=\"{listener}/img.png\" onerror=alert(1)>"),
    ("svg-onload", "html", "<svg onload=window.__pwned=1>"),
    ("svg-script", "html", "<svg><script>window.__pwned=1</script></svg>"),
    ("iframe-srcdoc", "html", "<iframe srcdoc=\"<script>parent.__pwned=1</script>\"></iframe>"),
    ("details-ontoggle", "html", "<details open ontoggle=alert(1)>ไทย</details>"),
    ("mxss-noscript", "html", "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">"),
    ("mxss-math", "html", "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>"),
    ("object-data", "html", "<object data=\"javascript:alert(1)\"></object><embed src=\"{listener}/e\">"),
    # attribute breakouts
    ("attr-dquote", "attr", "\" onmouseover=\"window.__pwned=1\" x=\""),
    ("attr-squote", "attr", "' onmouseover='window.__pwned=1' x='"),
    ("attr-autofocus", "attr", "\" autofocus onfocus=\"window.__pwned=1"),
    # URLs
    ("js-url", "url", "javascript:alert(1)"),
    ("js-link", "url", "<a href=\"javascript:window.__pwned=1\">คลิก click</a>"),
    ("data-url", "url", "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="),
    ("base-href", "url", "<base href=\"{listener}/\">"),
    ("meta-refresh", "url", "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">"),
    # CSS
    ("style-import", "css", "<style>@import url({listener}/import.css)</style>"),
    ("link-stylesheet", "css", "<link rel=stylesheet href={listener}/link.css>"),
    ("css-url", "css", "background:url({listener}/bg.png);x:expression(alert(1))"),
    ("style-attr", "css", "<div style=\"background:url({listener}/style.png)\">สวัสดี</div>"),
    # template languages
    ("jinja-expr", "template", "{{7*7}} {{ config }} {{ ''.__class__.__mro__ }}"),
    ("jinja-raw", "template", "{% raw %}{{7*7}}{% endraw %}{% for x in range(3) %}x{% endfor %}"),
    ("dollar-brace", "template", "${7*7} #{7*7} <%= 7*7 %> {n} {item} %(title)s %s"),
    # Unicode and text tricks
    ("entities", "unicode", "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#60;b&#62;"),
    ("rtl", "unicode", "\u202eRLO\u202c \u2066isolate\u2069 ไทย\u200b<b>ตัวหนา</b>\u200d"),
    ("fullwidth", "unicode", "＜script＞alert(1)＜/script＞ \u2028\u2029 ๑๒๓"),
    ("long", "unicode", _LONG),
)


@dataclass(frozen=True)
class Payload:
    id: str
    kind: str
    text: str

    def fit(self, field: str) -> str:
        """The payload as ``field`` can hold it: cut to its limit, without outer whitespace."""
        return self.text[:LIMITS[field]].strip()

    @property
    def dangerous(self) -> bool:
        """Whether escaping changes it, i.e. it holds characters markup is made of."""
        return any(ch in self.text for ch in "<>&\"'")

    @property
    def payloads(self) -> tuple[Payload, ...]:
        return (self,)


SEPARATOR = " ¦ "


@dataclass(frozen=True)
class Batch:
    """Several payloads in one workshop: each field holds all of them, one after another."""

    payloads: tuple[Payload, ...]

    @property
    def id(self) -> str:
        return "+".join(p.id for p in self.payloads)

    def fit(self, field: str) -> str:
        return SEPARATOR.join(p.fit(field) for p in self.payloads)


def corpus(listener: str = NO_LISTENER) -> list[Payload]:
    return [Payload(pid, kind, text.replace("{listener}", listener.rstrip("/"))) for pid, kind, text in _RAW]


def batches(payloads: list[Payload], most: int = 5, room: int = 200) -> list[Batch]:
    """The payloads packed into as few workshops as hold them whole (first fit, longest first).

    Every field of a batch holds each of its payloads in full, so a batch is only
    as long as ``room`` (the shortest field: 200 characters) allows; a longer payload is alone.
    """
    packed: list[list[Payload]] = []
    for payload in sorted(payloads, key=lambda p: (-len(p.text), p.id)):
        for group in packed:
            used = sum(len(p.text) + len(SEPARATOR) for p in group)
            if len(group) < most and used + len(payload.text) <= room:
                group.append(payload)
                break
        else:
            packed.append([payload])
    return [Batch(tuple(group)) for group in packed]


def collapse(text: str) -> str:
    """Whitespace runs as one space: how text compares once laid out by a page or PDF."""
    return " ".join(text.split())


def payload_workshop(texts: Payload | Batch) -> dict[str, Any]:
    """tests.factories.workshop_object with ``texts`` in every text field of the workshop file.

    Stages: ``vision`` approval (results live, comments and ideas), ``goals`` dots (left
    a draft), ``projects`` score (results after close), ``words`` (results live, 10 words).
    The group ``resident`` and item ``v1``, ``p1`` and criterion ``importance`` carry the texts.
    """
    from tests.factories import workshop_object

    def f(field: str) -> str:
        return texts.fit(field)

    def both(field: str) -> dict[str, str]:
        return {"th": f(field), "en": f(field)}

    obj = workshop_object(title=both("title"), city=f("city"), moderation="pre")
    obj["groups"][0]["label"] = both("group_label")
    vision, goals, projects, words = obj["stages"]
    for stage in (vision, goals, projects, words):
        stage.update(title=both("stage_title"), prompt=f("prompt"))
    vision.update(allow_comments=True, allow_ideas=True)
    vision["items"][0].update(title=both("item_title"), description=f("description"))
    goals["items"][0].update(title=f("item_title"), description=f("description"))
    projects.update(show_results="after_close")
    projects["criteria"][0]["label"] = both("criterion_label")
    projects["items"][0].update(title=f("item_title"), description=f("description"), indicator=f("indicator"))
    words.update(show_results="live", max_words=10, allow_comments=False)
    return obj


def words_of(texts: Payload | Batch) -> list[str]:
    """What a resident types into the words stage: each payload's first 40 characters."""
    given = []
    for payload in texts.payloads:
        text = payload.text.replace("\u2028", " ").replace("\u2029", " ")
        given.append(text[:LIMITS["word"]].strip() or "คำ")
    return given


def populate(texts: Payload | Batch) -> dict[str, Any]:
    """In an app context: the workshop of ``texts`` with one resident's ballots, comments and ideas.

    vision (approval) took a ballot, a published comment on item v1 and one still
    pending, an approved idea (now an item) and one still pending; then it closed.
    projects (score) is open with a ballot and its results revealed; words is open
    with the texts given as words. The app must store ballots in this thread
    (BALLOT_BATCH=0).
    """
    from workshop.services import ballots, content, participants, stages, workshops

    workshop = workshops.create_workshop(workshops.parse_definition(payload_workshop(texts)))
    wid = workshop.id
    stages.open_stage(wid, "vision")
    resident, _token = participants.join(workshop.code, "resident", None, "th")
    ballots.cast_ballot(resident, "vision", {"items": ["v1"]})
    published = content.add_comment(resident, "vision", "v1", texts.fit("comment"))
    content.add_comment(resident, "vision", None, texts.fit("comment"))
    idea = content.add_idea(resident, "vision", texts.fit("idea_title"), texts.fit("idea_description"))
    content.add_idea(resident, "vision", texts.fit("idea_title"), texts.fit("idea_description"))
    content.moderate_comment(published.id, True)
    content.moderate_idea(idea.id, True)
    stages.close_stage(wid, "vision")
    stages.open_stage(wid, "projects")
    ballots.cast_ballot(resident, "projects", {"scores": {"p1": {"importance": 5, "feasibility": 3}}})
    stages.reveal_stage(wid, "projects")
    stages.open_stage(wid, "words")
    ballots.cast_ballot(resident, "words", {"words": words_of(texts)})
    return {"id": wid, "code": workshop.code, "projector_key": workshop.projector_key}
