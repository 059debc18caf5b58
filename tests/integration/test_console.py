"""The facilitator console: sign-in, workshops, stage buttons, paper ballots, moderation, results.

Every test runs on SQLite and PostgreSQL (the `app` fixture). Forms are
posted as a browser would: the CSRF token is read from the page first.
"""

from __future__ import annotations

import html
import io
import json
import re
from typing import Any

import pytest

from tests.factories import PASSWORD, SESSIONS, workshop_object
from workshop.services import accounts, content, participants, results, workshops

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
XSS = "<script>alert('x')</script>"


# ---------------------------------------------------------------------------
# Helpers


def csrf_from(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no csrf_token on the page"
    return found.group(1)


def csrf(client: Any, path: str) -> str:
    """The CSRF token of a page's form, as a browser would have it."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return csrf_from(response.get_data(as_text=True))


def post_form(client: Any, path: str, data: dict[str, Any], page: str | None = None, **kw: Any) -> Any:
    """POST a console form with the token of ``page`` (default: the run sheet or path)."""
    token = csrf(client, page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def text(response: Any) -> str:
    body: str = response.get_data(as_text=True)
    return body


def make_user(app: Any, username: str = "facilitator") -> str:
    with app.app_context():
        accounts.create_user(username, PASSWORD)
    return username


def sign_in(client: Any, username: str, password: str = PASSWORD, **extra: str) -> Any:
    """Sign in through the form; the browser chose English (tests read English messages)."""
    return post_form(client, "/login?lang=en", {"username": username, "password": password, **extra})


@pytest.fixture
def console(app: Any, client: Any) -> Any:
    """A browser signed in to the console."""
    response = sign_in(client, make_user(app))
    assert response.status_code == 302
    return client


def create(app: Any, obj: dict[str, Any] | None = None) -> Any:
    with app.app_context():
        workshop = workshops.create_workshop(workshops.parse_definition(obj or workshop_object()))
        return workshop.id, workshop.code


def describe(app: Any, workshop_id: int) -> dict[str, Any]:
    with app.app_context():
        body = workshops.describe(workshops.get_workshop(workshop_id))
        return {s["key"]: s for s in body["stages"]}


def stage_results(app: Any, workshop_id: int, key: str) -> dict[str, Any]:
    with app.app_context():
        for entry in results.workshop_results(workshop_id, "en")["stages"]:
            if entry["key"] == key:
                return dict(entry)
    raise KeyError(key)


def stage_action(client: Any, workshop_id: int, key: str, action: str) -> Any:
    return post_form(client, f"/console/w/{workshop_id}/stages/{key}/{action}", {},
                     page=f"/console/w/{workshop_id}")


# ---------------------------------------------------------------------------
# Signing in and out


def test_root_redirects_to_console(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/console")


@pytest.mark.parametrize("path", ["/console", "/console/w/1", "/console/w/1/results",
                                  "/console/w/1/moderation", "/console/w/1/paper"])
def test_console_pages_require_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_sign_in_and_out(app: Any, client: Any) -> None:
    make_user(app, "ana")
    response = sign_in(client, "ana")
    assert response.status_code == 302
    assert response.headers["Location"] == "/console"
    page = client.get("/console")
    assert page.status_code == 200
    assert "ana" in text(page)

    token = csrf_from(text(page))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert client.get("/console").status_code == 302


def test_sign_out_revokes_the_session_token(app: Any, client: Any) -> None:
    make_user(app, "ana")
    sign_in(client, "ana")
    with client.session_transaction() as session:
        reference = session["facilitator_ref"]
    with app.app_context():
        assert accounts.user_for_reference(reference) is not None
    post_form(client, "/logout", {}, page="/console")
    with app.app_context():
        assert accounts.user_for_reference(reference) is None


def test_failed_sign_in_says_the_same_for_unknown_users_and_wrong_passwords(app: Any, client: Any) -> None:
    make_user(app, "ana")
    wrong_password = sign_in(client, "ana", "not the password")
    unknown_user = sign_in(client, "nobody", "not the password")
    assert wrong_password.status_code == unknown_user.status_code == 401
    for response in (wrong_password, unknown_user):
        assert "The username or password is not correct." in text(response)
    assert client.get("/console").status_code == 302


def test_empty_sign_in_form_names_the_fields(client: Any) -> None:
    response = sign_in(client, "", "")
    assert response.status_code == 422
    assert "Enter your username." in text(response)
    assert "Enter your password." in text(response)


def test_logout_is_post_only(console: Any) -> None:
    assert console.get("/logout").status_code == 405
    assert console.get("/console").status_code == 200


@pytest.mark.parametrize("target, expected", [
    ("/console/w/7/results", "/console/w/7/results"),
    ("https://evil.example/", "/console"),
    ("//evil.example/console", "/console"),
    ("/\\evil.example", "/console"),
    ("javascript:alert(1)", "/console"),
])
def test_next_redirects_only_to_local_paths(app: Any, client: Any, target: str, expected: str) -> None:
    make_user(app, "ana")
    response = sign_in(client, "ana", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_page_carries_next_from_the_redirect(app: Any, client: Any) -> None:
    make_user(app, "ana")
    location = client.get("/console/w/3/results").headers["Location"]
    page = text(client.get(location))
    assert 'value="/console/w/3/results"' in page
    token = csrf_from(page)
    response = client.post(location, data={"csrf_token": token, "username": "ana",
                                           "password": PASSWORD, "next": "/console/w/3/results"})
    assert response.headers["Location"] == "/console/w/3/results"


def test_the_login_page_tells_an_officer_without_an_account_whom_to_ask(client: Any) -> None:
    """Not only a server command: an administrator's invitation link, which an officer can ask for."""
    page = text(client.get("/login?lang=th"))
    assert "ขอลิงก์เชิญจากผู้ดูแลระบบ" in page and "python run.py user add" in page


def test_signing_in_keeps_the_chosen_language(app: Any, client: Any) -> None:
    make_user(app, "ana")
    client.get("/login?lang=en")
    sign_in(client, "ana")
    assert 'lang="en"' in text(client.get("/console"))


# ---------------------------------------------------------------------------
# CSRF


def test_post_without_csrf_token_is_refused(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    assert console.post("/logout").status_code == 400
    assert console.post("/login", data={"username": "x", "password": "y"}).status_code == 400
    refused = console.post(f"/console/w/{workshop_id}/stages/vision/open")
    assert refused.status_code == 400
    assert "This form has expired" in text(refused)
    assert describe(app, workshop_id)["vision"]["state"] == "draft"
    assert console.post("/console", data={"text": "title: x", "from_text": "1"}).status_code == 400
    assert console.post(f"/console/w/{workshop_id}/paper/vision",
                        data={"group": "resident", "lines": "v1"}).status_code == 400
    # still signed in: the refused logout did nothing
    assert console.get("/console").status_code == 200


def test_a_forged_token_is_refused(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    response = console.post(f"/console/w/{workshop_id}/stages/vision/open",
                            data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert describe(app, workshop_id)["vision"]["state"] == "draft"


# ---------------------------------------------------------------------------
# First start


def test_setup_link_creates_the_account_once(app: Any, client: Any) -> None:
    with app.app_context():
        token = accounts.new_setup_token()
    assert token
    page = client.get(f"/setup/{token}?lang=en")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"

    mismatch = post_form(client, f"/setup/{token}",
                         {"username": "chair", "password": PASSWORD, "confirm": "something else"})
    assert mismatch.status_code == 422
    assert "The two passwords are not the same." in text(mismatch)
    with app.app_context():
        assert not accounts.has_users()

    done = post_form(client, f"/setup/{token}",
                     {"username": "chair", "password": PASSWORD, "confirm": PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/console"
    assert "chair" in text(client.get("/console"))  # signed in

    again = client.get(f"/setup/{token}")
    assert again.status_code == 404
    assert "This setup link cannot be used" in text(again)
    with app.app_context():
        assert accounts.authenticate("chair", PASSWORD) is not None


def test_setup_rejects_a_short_password_and_a_bad_username(app: Any, client: Any) -> None:
    with app.app_context():
        token = accounts.new_setup_token()
    response = post_form(client, f"/setup/{token}",
                         {"username": "no spaces please", "password": "short", "confirm": "short"},
                         page=f"/setup/{token}?lang=en")
    assert response.status_code == 422
    body = text(response)
    assert "Use 2 to 64 letters" in body
    assert "10 to 256 characters" in body
    with app.app_context():
        assert not accounts.has_users()


def test_unknown_setup_token_is_refused(client: Any) -> None:
    response = client.get("/setup/not-a-token")
    assert response.status_code == 404


# ---------------------------------------------------------------------------
# Workshops: list and create


def test_workshop_list(app: Any, console: Any) -> None:
    workshop_id, code = create(app)
    with app.app_context():
        participants.join(code, "resident")
    body = text(console.get("/console?lang=en"))
    assert "Test city plan" in body
    assert code in body
    assert "5 December 2026" in body
    assert f'href="/console/w/{workshop_id}"' in body
    assert "4 draft" in body


def test_create_workshop_from_pasted_text(app: Any, console: Any) -> None:
    response = post_form(console, "/console", {"text": json.dumps(workshop_object()), "from_text": "1"})
    assert response.status_code == 302
    with app.app_context():
        [workshop] = workshops.list_workshops()
    assert response.headers["Location"] == f"/console/w/{workshop.id}"
    assert workshop.code in text(console.get(response.headers["Location"]))


def test_create_workshop_from_uploaded_file(app: Any, console: Any) -> None:
    data = (SESSIONS / "community-park-en.yaml").read_bytes()
    response = post_form(console, "/console", {
        "file": (io.BytesIO(data), "community-park-en.yaml"), "from_file": "1",
    }, page="/console", content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        [workshop] = workshops.list_workshops()
        assert workshop.definition["title"] == "Wang Riverside Park redesign"


def test_create_workshop_from_a_sample(app: Any, console: Any) -> None:
    page = text(console.get("/console"))
    assert 'value="ranong-livable-city.yaml"' in page
    response = post_form(console, "/console", {"sample": "ranong-livable-city.yaml", "from_sample": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert len(workshops.list_workshops()) == 1


def test_a_sample_outside_the_list_is_refused(app: Any, console: Any) -> None:
    response = post_form(console, "/console", {"sample": "../workshop/config.py", "from_sample": "1"})
    assert response.status_code == 422
    assert "Choose one of the sample workshops." in text(response)
    with app.app_context():
        assert workshops.list_workshops() == []


def test_bad_workshop_text_lists_every_error_and_creates_nothing(app: Any, console: Any) -> None:
    bad = workshop_object()
    bad["stages"][2]["items"][0]["horizon"] = "someday"
    bad["stages"][1]["dots"] = -1
    bad["join"] = "sometimes"
    pasted = json.dumps(bad, ensure_ascii=False)
    response = post_form(console, "/console?lang=en", {"text": pasted, "from_text": "1"},
                         page="/console")
    assert response.status_code == 422
    body = text(response)
    assert "Nothing was created" in body
    for place in ("stages[2].items[0].horizon", "stages[1].dots", "join"):
        assert f'<code class="loc">{place}</code>' in body
    # the pasted text is kept, escaped, in the form
    assert "someday" in body
    assert "&#34;sometimes&#34;" in body or "&quot;sometimes&quot;" in body
    with app.app_context():
        assert workshops.list_workshops() == []


def test_workshop_file_errors_are_said_in_the_pages_language(app: Any, console: Any) -> None:
    """From their codes, through the catalog: the same errors in Thai and in English, no English
    left on the Thai page (the regex translator is gone)."""
    bad = workshop_object()
    bad["stages"][2]["items"][0]["horizon"] = "someday"
    bad["stages"][1]["dots"] = -1
    bad["colour"] = "red"
    pasted = json.dumps(bad, ensure_ascii=False)
    said = {}
    for lang in ("th", "en"):
        response = post_form(console, f"/console?lang={lang}", {"text": pasted, "from_text": "1"},
                             page=f"/console?lang={lang}")
        assert response.status_code == 422
        said[lang] = text(response)
    assert "must be one of short, medium, long" in said["en"]
    assert "unknown field &#39;colour&#39;" in said["en"]
    assert "must be between 1 and 1000" in said["en"]
    assert "ต้องเป็นค่าใดค่าหนึ่งต่อไปนี้: short, medium, long" in said["th"]
    assert "ไม่มีช่อง “colour” ในไฟล์เวที" in said["th"]
    assert "ต้องอยู่ระหว่าง 1 ถึง 1000" in said["th"]
    for english in ("must be one of", "unknown field", "must be between"):
        assert english not in said["th"]
    assert 'lang="en"' not in said["th"].split('class="problem-list"', 1)[1].split("</ol>", 1)[0]


def test_a_yaml_syntax_errors_line_is_said_in_thai(console: Any) -> None:
    """The place of a YAML syntax error ("line 2" in the domain) is บรรทัดที่ 2 on a Thai page."""
    response = post_form(console, "/console?lang=th", {"text": "title: [unclosed\n", "from_text": "1"},
                         page="/console?lang=th")
    assert response.status_code == 422
    body = text(response)
    assert '<code class="loc">บรรทัดที่ 2</code>' in body and '<code class="loc">line 2</code>' not in body


#: broken workshop files, and what the Thai and the English page say about each (the whole message)
BROKEN_YAML = [
    ("title: x\nstages:\n  - key: a\n   kind: vision\n", "บรรทัดที่ 4",
     "บรรทัดนี้ย่อหน้าไม่ตรงกับบรรทัดด้านบน (ย่อหน้าด้วยเว้นวรรค)", "Line 4",
     "this line's indentation does not match the lines above it"),
    ("title: [a, b\ngroups: x\n", "บรรทัดที่ 2", "รายการในวงเล็บเหลี่ยม [ ] ยังไม่ปิดด้วย ]",
     "Line 2", "a list in [ ] is not closed with ]"),
    ("title: x\ncity: @y\n", "บรรทัดที่ 2", "ค่าจะขึ้นต้นด้วย “@” ไม่ได้ ให้ใส่ค่านี้ในเครื่องหมายคำพูด",
     "Line 2", "a value cannot start with “@”; put the value in quotes"),
    ("title: !!python/object:os.system x\n", "บรรทัดที่ 1", "ใช้แท็ก !!python/object:os.system ในไฟล์เวทีไม่ได้",
     "Line 1", "the tag !!python/object:os.system is not allowed in a workshop file"),
]
#: PyYAML's words (and ours in English) that must not reach a Thai page
ENGLISH = re.compile(r"\b(expected|found|but|line|column|block|mapping|stream|token|end|start|"
                     r"indicator|character|tag|document|alias|anchor|not|is|the)\b", re.IGNORECASE)


@pytest.mark.parametrize(("yaml_text", "th_place", "th_words", "en_place", "en_words"), BROKEN_YAML)
def test_a_yaml_syntax_error_is_said_whole_in_the_page_language(
    console: Any, yaml_text: str, th_place: str, th_words: str, en_place: str, en_words: str
) -> None:
    said = {}
    for lang in ("th", "en"):
        response = post_form(console, f"/console?lang={lang}", {"text": yaml_text, "from_text": "1"},
                             page=f"/console?lang={lang}")
        assert response.status_code == 422
        problems = text(response).split('class="problem-list"', 1)[1].split("</ol>", 1)[0]
        said[lang] = html.unescape(re.sub(r"<[^>]+>", " ", problems))
    assert th_place in said["th"] and th_words in said["th"] and "คอลัมน์ที่" in said["th"]
    # Thai through and through: no English word but the file's own (the tag it holds)
    assert not ENGLISH.findall(said["th"].replace("!!python/object:os.system", "")), said["th"]
    assert en_place in said["en"] and en_words in said["en"] and "(column" in said["en"]
    assert not re.search(r"[\u0e00-\u0e7f]", said["en"]), said["en"]


def test_paper_line_and_ballot_rule_errors_in_thai(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    path = f"/console/w/{workshop_id}/paper/vision"
    response = post_form(console, path + "?lang=th", {"group": "resident", "lines": "v1=3\nv9\nv1, v2, v3"},
                         page=path + "?lang=th")
    assert response.status_code == 422
    body = text(response)
    assert "“v1=3” ไม่ใช่รหัสตัวเลือก" in body
    assert "ไม่มีตัวเลือกรหัส &#39;v9&#39;" in body
    assert "เลือกได้ไม่เกิน 2 ข้อ" in body
    assert "is not an item key" not in body and "unknown item" not in body


def test_broken_yaml_names_the_line(app: Any, console: Any) -> None:
    response = post_form(console, "/console?lang=en",
                         {"text": "title: [unclosed\nstages: x", "from_text": "1"})
    assert response.status_code == 422
    assert re.search(r'<code class="loc">Line \d+</code>', text(response))
    with app.app_context():
        assert workshops.list_workshops() == []


def test_wrong_file_type_and_missing_inputs(app: Any, console: Any) -> None:
    wrong = post_form(console, "/console", {"file": (io.BytesIO(b"x"), "plan.docx"), "from_file": "1"},
                      content_type="multipart/form-data")
    assert wrong.status_code == 422
    assert "Choose a .yaml, .yml or .json file." in text(wrong)
    no_file = post_form(console, "/console", {"from_file": "1"})
    assert "Choose a workshop file first." in text(no_file)
    no_text = post_form(console, "/console", {"text": "  ", "from_text": "1"})
    assert "Paste the workshop text first." in text(no_text)
    with app.app_context():
        assert workshops.list_workshops() == []


# ---------------------------------------------------------------------------
# Run sheet and stage buttons


def test_run_sheet(app: Any, console: Any) -> None:
    workshop_id, code = create(app)
    with app.app_context():
        participants.join(code, "resident")
        participants.join(code, "civil")
        projector = workshops.projector_url(workshops.get_workshop(workshop_id))
    body = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert f'<p class="join-code" lang="en" aria-describedby="join-code-hint">{code}</p>' in body
    assert f"http://ruamkit.test/j/{code}" in body
    assert '<svg' in body and 'class="qr"' in body and 'role="img"' in body
    assert projector in body
    assert '<span data-live="participants-total">2</span>' in body
    for title in ("Vision", "Goals", "Projects", "One word"):
        assert title in body
    assert "Approval vote" in body and "Dot voting" in body and "Scoring" in body


def test_unknown_workshop_is_a_page_not_json(console: Any) -> None:
    response = console.get("/console/w/999")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Not found" in text(response)


def _buttons(body: str, key: str) -> dict[str, bool]:
    """Which of a stage card's lifecycle buttons are enabled."""
    card = body.split(f'id="stage-{key}"', 1)[1].split("</li>", 1)[0]
    found = re.findall(r'<button type="submit" class="[^"]*"( disabled)? data-action="(\w+)"', card)
    return {action: not disabled for disabled, action in found}


def test_stage_buttons_follow_the_lifecycle(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    page = f"/console/w/{workshop_id}?lang=en"
    assert _buttons(text(console.get(page)), "goals") == {
        "open": True, "close": False, "reveal": True, "hide": False}

    response = stage_action(console, workshop_id, "goals", "open")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/w/{workshop_id}#stage-goals")
    assert describe(app, workshop_id)["goals"]["state"] == "open"
    body = text(console.get(page))
    assert "“Goals” is open: residents can answer now." in body
    assert _buttons(body, "goals") == {"open": False, "close": True, "reveal": True, "hide": False}

    stage_action(console, workshop_id, "goals", "reveal")
    assert describe(app, workshop_id)["goals"]["results_shown"] is True
    stage_action(console, workshop_id, "goals", "hide")
    assert describe(app, workshop_id)["goals"]["results_shown"] is False
    stage_action(console, workshop_id, "goals", "close")
    assert describe(app, workshop_id)["goals"]["state"] == "closed"
    body = text(console.get(page))
    assert _buttons(body, "goals") == {"open": True, "close": False, "reveal": True, "hide": False}
    assert "Reopen" in body


def test_a_lifecycle_conflict_becomes_a_message(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    response = stage_action(console, workshop_id, "vision", "close")
    assert response.status_code == 302
    body = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert "is not open, so it cannot be closed." in body
    assert describe(app, workshop_id)["vision"]["state"] == "draft"
    stage_action(console, workshop_id, "words", "reveal")  # show_results: never
    assert "are never shown to residents" in text(console.get(f"/console/w/{workshop_id}"))


def test_unknown_stage_or_action(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    assert stage_action(console, workshop_id, "nope", "open").status_code == 404
    assert stage_action(console, workshop_id, "vision", "explode").status_code == 404


# ---------------------------------------------------------------------------
# Join cards (join: tokens)


def cards_of(app: Any, workshop_id: int) -> dict[str, int]:
    with app.app_context():
        return {group: c["cards"] for group, c in participants.join_token_counts(workshop_id).items()}


def make_cards(client: Any, workshop_id: int, group: str, count: str, **kw: Any) -> Any:
    return post_form(client, f"/console/w/{workshop_id}/cards", {"group": group, "count": count},
                     page=f"/console/w/{workshop_id}?lang=en", **kw)


def test_run_sheet_of_a_token_workshop_shows_cards_per_group(app: Any, console: Any) -> None:
    workshop_id, code = create(app, workshop_object(join="tokens"))
    with app.app_context():
        cards = participants.create_join_tokens(workshop_id, "civil", 3)
        participants.join(code, token=cards[0].code)
    body = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert 'id="join-cards"' in body and "Make the cards" in body
    civil = body.split('<tr data-group="civil">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num" data-live="cards-made">3</td>' in civil
    assert '<td class="num" data-live="cards-used">1</td>' in civil
    assert '<td class="num" data-live="cards-free">2</td>' in civil
    assert f"/api/v1/workshops/{workshop_id}/tokens.pdf?group=civil" in civil
    resident = body.split('<tr data-group="resident">', 1)[1].split("</tr>", 1)[0]
    assert "no cards yet" in resident and "tokens.pdf" not in resident  # nothing to print: a 409
    assert f'href="/api/v1/workshops/{workshop_id}/tokens.pdf"' in body  # every group's cards
    # and in Thai
    thai = text(console.get(f"/console/w/{workshop_id}?lang=th"))
    assert "บัตรเข้าร่วม" in thai and "Make the cards" not in thai


def test_an_open_workshop_has_no_cards_section(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    body = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert 'id="join-cards"' not in body and "/cards" not in body


def test_making_cards_then_printing_them(app: Any, console: Any) -> None:
    workshop_id, _code = create(app, workshop_object(join="tokens"))
    response = make_cards(console, workshop_id, "government", " 1,200 ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/w/{workshop_id}#join-cards")
    assert cards_of(app, workshop_id) == {"government": 1200}
    body = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert "1200 new join cards for “Government” are ready." in body
    link = f"/api/v1/workshops/{workshop_id}/tokens.pdf?group=government"
    assert f'download href="{link}"' in body
    # said once: the next visit shows the counts, not the message
    again = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert "new join cards" not in again and link in again
    # one card, in Thai digits; the message speaks of one card
    assert make_cards(console, workshop_id, "civil", "๑").status_code == 302
    assert "1 new join card for “Civil society” is ready." in text(console.get(f"/console/w/{workshop_id}"))
    assert cards_of(app, workshop_id) == {"government": 1200, "civil": 1}


@pytest.mark.parametrize("count", ["0", "-3", "2001", "1.5", "ten", "1e3", "99999999999"])
def test_a_bad_count_makes_no_card(app: Any, console: Any, count: str) -> None:
    workshop_id, _code = create(app, workshop_object(join="tokens"))
    response = make_cards(console, workshop_id, "resident", count)
    assert response.status_code == 422
    body = text(response)
    assert body.count("Type a whole number from 1 to 2,000.") == 1
    assert 'aria-invalid="true"' in body and f'value="{count}"' in body  # kept, to be corrected
    assert cards_of(app, workshop_id) == {}


def test_a_missing_count_or_a_bad_group_makes_no_card(app: Any, console: Any) -> None:
    workshop_id, _code = create(app, workshop_object(join="tokens"))
    missing = make_cards(console, workshop_id, "resident", "")
    assert missing.status_code == 422 and "Type how many cards to make." in text(missing)
    for group in ("nobody", "", XSS):
        refused = make_cards(console, workshop_id, group, "5")
        assert refused.status_code == 422
        assert "Choose one of this workshop" in text(refused)
        assert "<script>alert" not in text(refused)
    assert cards_of(app, workshop_id) == {}


def test_an_open_workshop_takes_no_cards(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    response = post_form(console, f"/console/w/{workshop_id}/cards", {"group": "resident", "count": "5"},
                         page=f"/console/w/{workshop_id}?lang=en")
    assert response.status_code == 409
    assert "This workshop takes no join cards" in text(response)
    assert cards_of(app, workshop_id) == {}
    unknown = console.post("/console/w/999/cards", data={"csrf_token": csrf(console, "/console")})
    assert unknown.status_code == 404


def test_making_cards_needs_the_csrf_token_and_a_signed_in_facilitator(app: Any, client: Any) -> None:
    workshop_id, _code = create(app, workshop_object(join="tokens"))
    signed_out = client.post(f"/console/w/{workshop_id}/cards", data={"group": "resident", "count": "5"})
    assert signed_out.status_code in (302, 400)
    sign_in(client, make_user(app))
    for data in ({"group": "resident", "count": "5"},
                 {"group": "resident", "count": "5", "csrf_token": "forged"}):
        refused = client.post(f"/console/w/{workshop_id}/cards", data=data)
        assert refused.status_code == 400
        assert "This form has expired" in text(refused)
    assert cards_of(app, workshop_id) == {}


# ---------------------------------------------------------------------------
# Paper ballots


def paper(client: Any, workshop_id: int, key: str, lines: str, group: str = "resident") -> Any:
    path = f"/console/w/{workshop_id}/paper/{key}"
    return post_form(client, path + "?lang=en", {"group": group, "lines": lines}, page=path)


def test_paper_page_documents_the_format_with_real_keys(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    start = console.get(f"/console/w/{workshop_id}/paper")
    assert start.status_code == 302
    assert start.headers["Location"].endswith(f"/console/w/{workshop_id}/paper/vision")
    body = text(console.get(f"/console/w/{workshop_id}/paper/projects?lang=en"))
    assert "p1.importance=5, p1.feasibility=3, p2.importance=4" in body
    assert '<code class="key">p2</code>' in body and '<code class="key">feasibility</code>' in body
    assert "has not been opened yet" in body


def test_paper_ballots_are_counted(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    response = paper(console, workshop_id, "vision", "v1, v2\n\n# box 2\nV3\nv2 v3\n", "civil")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/console/w/{workshop_id}/paper/vision?group=civil")
    entry = stage_results(app, workshop_id, "vision")
    assert entry["ballots"] == entry["paper_ballots"] == 3
    values = {item["key"]: item["value"] for item in entry["items"]}
    assert values == {"v1": 1, "v2": 2, "v3": 2}
    assert entry["items"][0]["by_group"]["civil"]["ballots"] == 3
    page = text(console.get(response.headers["Location"] + "&lang=en"))
    assert "Counted 3 paper ballots" in page
    assert '<option selected value="civil">' in page


def test_paper_ballots_of_every_method(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    for key in ("goals", "projects", "words"):
        stage_action(console, workshop_id, key, "open")
    assert paper(console, workshop_id, "goals", "g1=3, g2=2\ng3=1").status_code == 302
    assert paper(console, workshop_id, "projects",
                 "p1.importance=5, p1.feasibility=3, p2.importance=4").status_code == 302
    assert paper(console, workshop_id, "words", "สะอาด, green city\nร่มรื่น").status_code == 302
    assert stage_results(app, workshop_id, "goals")["paper_ballots"] == 2
    projects = stage_results(app, workshop_id, "projects")
    assert projects["items"][0]["criteria"] == {"importance": 5.0, "feasibility": 3.0}
    words = {item["key"] for item in stage_results(app, workshop_id, "words")["items"]}
    assert words == {"สะอาด", "green city", "ร่มรื่น"}  # each answer one entry, as typed


def test_bad_paper_lines_are_all_listed_and_nothing_is_counted(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    typed = "v1\nv1=3\n\nv1, v1\nv9\nv1, v2, v3"
    response = paper(console, workshop_id, "vision", typed)
    assert response.status_code == 422
    body = text(response)
    # format errors and broken ballot rules are listed together, in line order
    assert "4 lines cannot be counted" in body
    assert "Line 2</a>: &#39;v1=3&#39; is not an item key" in body
    assert "Line 4</a>: &#39;v1&#39; appears twice" in body
    assert "Line 5</a>: unknown item &#39;v9&#39;" in body
    assert "Line 6</a>: at most 2 choices" in body
    assert "Line 1<" not in body
    assert body.index("Line 2<") < body.index("Line 4<") < body.index("Line 6<")
    assert "v1=3\n\nv1, v1" in body  # the typed text is kept
    assert stage_results(app, workshop_id, "vision")["ballots"] == 0

    # with the format right, the ballot rules are checked when counting
    response = paper(console, workshop_id, "vision", "v1\nv1, v1\nv9\nv1, v2, v3")
    assert response.status_code == 422
    body = text(response)
    assert "3 lines cannot be counted" in body
    assert "Line 2</a>: &#39;v1&#39; appears twice" in body
    assert stage_results(app, workshop_id, "vision")["ballots"] == 0


def test_paper_ballots_need_an_opened_stage_and_a_group(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    response = paper(console, workshop_id, "vision", "v1")
    assert response.status_code == 422
    assert "Open it on the run sheet first" in text(response)
    stage_action(console, workshop_id, "vision", "open")
    no_group = paper(console, workshop_id, "vision", "v1", group="martians")
    assert no_group.status_code == 422
    only_comments = paper(console, workshop_id, "vision", "# nothing but a note\n\n")
    assert only_comments.status_code == 422
    assert "Type at least one ballot." in text(only_comments)
    assert stage_results(app, workshop_id, "vision")["ballots"] == 0


# ---------------------------------------------------------------------------
# Moderation


def _resident_posts(app: Any, code: str) -> dict[str, int]:
    with app.app_context():
        participant, _token = participants.join(code, "government")
        first = content.add_comment(participant, "vision", "v1", "More shade on the market street")
        second = content.add_comment(participant, "vision", None, "Too long a meeting")
        idea = content.add_idea(participant, "goals", "Night market", "Every Friday by the river")
        return {"first": first.id, "second": second.id, "idea": idea.id}


def test_moderation_queue_and_decisions(app: Any, console: Any) -> None:
    workshop_id, code = create(app)
    ids = _resident_posts(app, code)
    page = f"/console/w/{workshop_id}/moderation"
    body = text(console.get(page + "?lang=en"))
    assert "More shade on the market street" in body and "Night market" in body
    assert "Government" in body and "Vision 1" in body  # group and item, localized

    base = f"/console/w/{workshop_id}"
    response = post_form(console, f"{base}/comments/{ids['first']}/approve?show=pending", {}, page=page)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderation?show=pending")
    post_form(console, f"{base}/comments/{ids['second']}/reject", {}, page=page)
    post_form(console, f"{base}/ideas/{ids['idea']}/approve", {}, page=page)

    with app.app_context():
        statuses = {c.id: c.status for c in content.list_comments(workshop_id)}
        [idea] = content.list_ideas(workshop_id)
        goals = workshops.get_stage(workshops.get_workshop(workshop_id), "goals")
        item_keys = [item.key for item in goals.items]
    assert statuses == {ids["first"]: "published", ids["second"]: "rejected"}
    assert idea.status == "approved"
    assert idea.item_key in item_keys

    assert "No comments are waiting." in text(console.get(page + "?lang=en"))
    published = text(console.get(page + "?show=published&lang=en"))
    assert "More shade on the market street" in published and "Night market" in published
    rejected = text(console.get(page + "?show=rejected&lang=en"))
    assert "Too long a meeting" in rejected

    # an approved idea cannot be rejected: a message, not an error page
    post_form(console, f"{base}/ideas/{ids['idea']}/reject", {}, page=page)
    assert "cannot be rejected" in text(console.get(page + "?lang=en"))


def test_moderation_page_gives_its_script_what_a_live_row_needs(app: Any, console: Any) -> None:
    """console.js adds `moderation_item`s as rows: the labels and texts come from the page."""
    import html

    workshop_id, _code = create(app)
    body = text(console.get(f"/console/w/{workshop_id}/moderation?lang=en"))
    assert 'data-show="pending"' in body
    found = re.search(r"data-moderation='([^']*)'", body)
    assert found
    data = json.loads(html.unescape(found.group(1)))
    assert data["base"] == f"/console/w/{workshop_id}"
    assert data["stages"]["vision"] == "Vision" and data["items"]["vision"]["v1"] == "Vision 1"
    assert data["groups"]["government"] == "Government" and data["timezone"] == "Asia/Bangkok"
    assert data["buttons"] == {"comment": {"approve": "Publish", "reject": "Reject"},
                               "idea": {"approve": "Approve as item", "reject": "Reject"}}
    # the routes the script's forms post to (console.js: moderationAction) are these
    assert f'action="/console/w/{workshop_id}/comments/' not in body  # nothing waits yet
    assert 'data-entries="comment"' in body and 'data-entries="idea"' in body
    assert body.count('<span data-live="entries-count">0</span>') == 2
    thai = text(console.get(f"/console/w/{workshop_id}/moderation?lang=th"))
    thai_data = json.loads(html.unescape(re.search(r"data-moderation='([^']*)'", thai).group(1)))
    assert thai_data["buttons"]["comment"] == {"approve": "เผยแพร่", "reject": "ปฏิเสธ"}
    assert thai_data["groups"]["government"] == "หน่วยงานรัฐ"
    assert 'data-show="published"' in text(console.get(f"/console/w/{workshop_id}/moderation?show=published"))


def test_moderating_another_workshops_comment_is_not_found(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    _other_id, other_code = create(app)
    ids = _resident_posts(app, other_code)
    response = post_form(console, f"/console/w/{workshop_id}/comments/{ids['first']}/approve", {},
                         page=f"/console/w/{workshop_id}/moderation")
    assert response.status_code == 404
    with app.app_context():
        assert {c.status for c in content.list_comments(_other_id)} == {"pending"}


# ---------------------------------------------------------------------------
# Results


def test_results_page_ranks_items(app: Any, console: Any) -> None:
    workshop_id, code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    paper(console, workshop_id, "vision", "v2\nv2, v3\nv2\nv3\nv1, v2", "resident")
    with app.app_context():
        participants.join(code, "resident")
    body = text(console.get(f"/console/w/{workshop_id}/results?lang=en"))
    vision = body.split('id="results-vision"', 1)[1].split("</section>", 1)[0]
    ranked = vision.split("Score by group", 1)[0]
    assert ranked.index("Vision 2") < ranked.index("Vision 3") < ranked.index("Vision 1")
    assert "80.0" in ranked and "40.0" in ranked and "20.0" in ranked  # 4/5, 2/5, 1/5
    assert 'class="bar__fill w-80"' in ranked
    assert 'aria-label="Score 80.0 out of 100"' in ranked
    assert "Residents" in vision and "5 ballots" in vision
    assert '<dd data-live="participants-total">1</dd>' in body
    assert "{% block exports %}" not in body and 'class="exports"' in body


def test_results_flag_a_large_spread(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    paper(console, workshop_id, "vision", "v1\nv1\nv1", "resident")
    paper(console, workshop_id, "vision", "v2\nv2\nv2", "government")
    body = text(console.get(f"/console/w/{workshop_id}/results?lang=en"))
    assert body.count('class="is-flagged"') == 2  # v1 and v2: 100 points apart
    assert "(flagged: the groups disagree)" in body


def test_score_results_show_criterion_means(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "projects", "open")
    paper(console, workshop_id, "projects", "p1.importance=5, p1.feasibility=2\np1.importance=4")
    body = text(console.get(f"/console/w/{workshop_id}/results?lang=en"))
    projects = body.split('id="results-projects"', 1)[1].split("</section>", 1)[0]
    assert "Importance" in projects and "Feasibility" in projects
    assert "4.5" in projects and "2.0" in projects


# ---------------------------------------------------------------------------
# Languages


def thai_only() -> dict[str, Any]:
    """The factory's workshop in Thai only (its bilingual texts reduced to Thai)."""
    def thai(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) <= {"th", "en"} and value:
                return value.get("th") or value["en"]
            return {k: thai(v) for k, v in value.items()}
        if isinstance(value, list):
            return [thai(v) for v in value]
        return value

    return {**thai(workshop_object()), "languages": ["th"]}


def test_a_thai_workshop_speaks_thai_by_default(app: Any, console: Any) -> None:
    workshop_id, _code = create(app, thai_only())
    with console.session_transaction() as session:
        session.pop("lang", None)
    response = console.get(f"/console/w/{workshop_id}", headers={"Accept-Language": "en"})
    body = text(response)
    assert '<html lang="th">' in body
    assert "ดำเนินเวที" in body and "รหัสเข้าร่วม" in body
    assert "5 ธันวาคม 2569" in body  # Buddhist era

    english = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert '<html lang="en">' in english and "Run sheet" in english
    assert "5 December 2026" in english
    # the choice sticks for this browser
    assert '<html lang="en">' in text(console.get(f"/console/w/{workshop_id}/results"))


def test_an_english_workshop_speaks_english_by_default(app: Any, console: Any) -> None:
    obj = workshop_object(languages=["en", "th"], title={"en": "Park plan", "th": "แผนสวน"})
    workshop_id, _code = create(app, obj)
    with console.session_transaction() as session:
        session.pop("lang", None)
    body = text(console.get(f"/console/w/{workshop_id}", headers={"Accept-Language": "th"}))
    assert '<html lang="en">' in body and "Park plan" in body


def test_bilingual_texts_follow_the_chosen_language(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    thai = text(console.get(f"/console/w/{workshop_id}/paper/vision?lang=th"))
    assert "วิสัยทัศน์ 1" in thai and "บัตรกระดาษ" in thai
    english = text(console.get(f"/console/w/{workshop_id}/paper/vision?lang=en"))
    assert "Vision 1" in english and "Paper ballots" in english


# ---------------------------------------------------------------------------
# Escaping


def hostile_workshop() -> dict[str, Any]:
    obj = workshop_object(title={"th": XSS, "en": XSS}, city=XSS)
    obj["groups"][0]["label"] = {"th": XSS, "en": XSS}
    for stage in obj["stages"]:
        stage["title"] = XSS
        stage["prompt"] = XSS
        for item in stage.get("items", []):
            item["title"] = XSS
    obj["stages"][2]["criteria"][0]["label"] = XSS
    return obj


def test_every_page_escapes_workshop_texts_and_comments(app: Any, console: Any) -> None:
    workshop_id, code = create(app, hostile_workshop())
    for key in ("vision", "goals", "projects", "words"):
        stage_action(console, workshop_id, key, "open")
    paper(console, workshop_id, "vision", "v1")
    paper(console, workshop_id, "words", XSS.replace(",", ""))
    with app.app_context():
        participant, _token = participants.join(code, "resident")
        content.add_comment(participant, "vision", "v1", XSS)
        content.add_idea(participant, "goals", XSS, XSS)
    base = f"/console/w/{workshop_id}"
    pages = ["/console", base, f"{base}/results", f"{base}/moderation",
             f"{base}/moderation?show=published", f"{base}/moderation?show=rejected",
             *(f"{base}/paper/{key}" for key in ("vision", "goals", "projects", "words"))]
    for lang in ("th", "en"):
        for path in pages:
            response = console.get(path + ("&" if "?" in path else "?") + f"lang={lang}")
            assert response.status_code == 200, path
            body = text(response)
            assert "<script>alert" not in body, path
            assert "&lt;script&gt;alert(" in body, path
    # after moderation, the published texts are escaped too
    with app.app_context():
        [comment] = content.list_comments(workshop_id)
        [idea] = content.list_ideas(workshop_id)
        content.moderate_comment(comment.id, True)
        content.moderate_idea(idea.id, True)
    for path in (f"{base}/moderation?show=published", f"{base}/results", f"{base}/paper/goals"):
        assert "<script>alert" not in text(console.get(path)), path


def test_join_cards_section_escapes_group_labels(app: Any, console: Any) -> None:
    workshop_id, _code = create(app, {**hostile_workshop(), "join": "tokens"})
    assert make_cards(console, workshop_id, "resident", "2").status_code == 302
    for lang in ("th", "en"):
        body = text(console.get(f"/console/w/{workshop_id}?lang={lang}"))
        section = body.split('id="join-cards"', 1)[1].split("</section>", 1)[0]
        assert "notice--success" in section or lang == "en"  # the notice is shown once
        assert "<script>alert" not in section
        assert "&lt;script&gt;alert(" in section


def test_security_headers_on_console_pages(console: Any) -> None:
    response = console.get("/console")
    assert "script-src 'self' 'nonce-" in response.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    body = text(response)
    assert f'nonce="{nonce}"' in body
    assert " style=" not in body  # the CSP allows no inline styles


# ---------------------------------------------------------------------------
# Residents' personal data


def test_erase_needs_the_box_ticked_then_erases(app: Any, console: Any) -> None:
    wid, code = create(app)
    with app.app_context():
        participants.join(code, "civil")
    refused = post_form(console, f"/console/w/{wid}/erase", {}, page=f"/console/w/{wid}")
    assert refused.status_code == 422
    assert "Tick the box to confirm." in text(refused)
    with app.app_context():
        assert workshops.get_workshop(wid).erased_at is None
    done = post_form(console, f"/console/w/{wid}/erase", {"confirm": "y"}, page=f"/console/w/{wid}",
                     follow_redirects=True)
    assert done.status_code == 200
    assert "personal data is erased: 1 phones" in text(done)
    assert "Personal data was erased on" in text(done)
    with app.app_context():
        assert workshops.get_workshop(wid).erased_at is not None


def test_delete_needs_the_join_code(app: Any, console: Any) -> None:
    wid, code = create(app)
    wrong = post_form(console, f"/console/w/{wid}/delete", {"code": "WRONG1"}, page=f"/console/w/{wid}")
    assert wrong.status_code == 422
    assert "not this workshop" in text(wrong)
    done = post_form(console, f"/console/w/{wid}/delete", {"code": code.lower()}, page=f"/console/w/{wid}")
    assert done.status_code == 302
    assert console.get(f"/console/w/{wid}").status_code == 404
