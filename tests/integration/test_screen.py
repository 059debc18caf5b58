"""Presenter control: the facilitator chooses what the projector shows (API, console, sockets).

The choice is stored (a reloaded projector comes back to it), announced as `screen`
to projectors and consoles (never to residents), and sent by the console with a
form per button (CSRF, no JavaScript needed).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import Api, workshop_object
from tests.integration.test_console import csrf, make_user, sign_in, text
from workshop.services import screens, workshops


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}  # one phone writes 55 comments


def received(sock: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def projector_key(api: Api, workshop_id: int) -> str:
    found: str = api.get(f"/api/v1/workshops/{workshop_id}").get_json()["projector_url"].rsplit("/", 1)[1]
    return found


def choose(api: Api, workshop_id: int, **body: Any) -> Any:
    return api.post(f"/api/v1/workshops/{workshop_id}/screen", body)


def boot_of(html: str) -> dict[str, Any]:
    import json

    found = re.search(r'<script type="application/json" id="boot"[^>]*>(.*?)</script>', html, re.S)
    assert found
    data: dict[str, Any] = json.loads(found.group(1))
    return data


# -- the API ---------------------------------------------------------------------


def test_api_chooses_each_screen_and_says_what_is_shown(api: Api) -> None:
    wid = api.create_workshop()["id"]
    current = api.get(f"/api/v1/workshops/{wid}/screen").get_json()
    assert current == {"screen": "auto", "stage": None, "shows": {"screen": "welcome", "stage": None}}
    answer = choose(api, wid, screen="stage", stage="goals")
    assert answer.status_code == 200
    assert answer.get_json() == {"screen": "stage", "stage": "goals",
                                 "shows": {"screen": "stage", "stage": "goals"}}
    for screen in ("welcome", "comments", "ideas", "participation"):
        body = choose(api, wid, screen=screen).get_json()
        assert body["screen"] == body["shows"]["screen"] == screen
    assert api.get(f"/api/v1/workshops/{wid}").status_code == 200
    api.stage(wid, "goals", "open")
    body = choose(api, wid, screen="auto").get_json()
    assert body == {"screen": "auto", "stage": None, "shows": {"screen": "stage", "stage": "goals"}}


def test_api_steps_next_and_previous(api: Api) -> None:
    wid = api.create_workshop()["id"]
    choose(api, wid, screen="welcome")
    seen = [choose(api, wid, screen="next").get_json()["shows"] for _ in range(3)]
    assert seen == [{"screen": "stage", "stage": "vision"}, {"screen": "stage", "stage": "goals"},
                    {"screen": "stage", "stage": "projects"}]
    assert choose(api, wid, screen="previous").get_json()["stage"] == "goals"


def test_a_chosen_stage_that_no_longer_exists_gives_way_to_auto(app: Any, api: Api) -> None:
    wid = api.create_workshop()["id"]
    choose(api, wid, screen="stage", stage="goals")
    with app.app_context():
        from workshop.storage import db

        workshop = workshops.get_workshop(wid)
        workshop.screen_stage = "gone"  # as if an edit of the workshop removed the stage
        db.session.commit()
    assert api.get(f"/api/v1/workshops/{wid}/screen").get_json() == {
        "screen": "auto", "stage": None, "shows": {"screen": "welcome", "stage": None}}


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"screen": "podium"}, 422, "invalid"),
    ({"screen": "stage"}, 422, "invalid"),
    ({"screen": "stage", "stage": "nope"}, 404, "unknown_stage"),
    ({"screen": "welcome", "stage": "goals"}, 422, "invalid"),
    ({}, 422, "invalid"),
])
def test_api_refuses_a_screen_that_cannot_be_shown(api: Api, body: dict[str, Any], status: int,
                                                   code: str) -> None:
    wid = api.create_workshop()["id"]
    answer = choose(api, wid, **body)
    assert answer.status_code == status, answer.get_json()
    assert answer.get_json()["error"]["code"] == code
    assert api.get(f"/api/v1/workshops/{wid}/screen").get_json()["screen"] == "auto"


def test_api_screen_needs_a_facilitator(api: Api) -> None:
    wid = api.create_workshop()["id"]
    anonymous = Api(api.app)
    assert anonymous.post(f"/api/v1/workshops/{wid}/screen", {"screen": "welcome"}).status_code == 401
    assert anonymous.get(f"/api/v1/workshops/{wid}/screen").status_code == 401
    assert choose(api, 999, screen="welcome").status_code == 404


# -- sockets and the projector page ------------------------------------------------


def test_projectors_and_consoles_hear_the_choice_residents_do_not(api: Api) -> None:
    created = api.create_workshop()
    wid = created["id"]
    projector = api.socket(auth={"projector": projector_key(api, wid)})
    console = api.socket(auth={"facilitator": api.token, "workshop": wid})
    browser, _token = api.join(created["code"], "resident")
    phone = api.socket(browser)
    for sock in (projector, console, phone):
        sock.get_received()
    choose(api, wid, screen="stage", stage="projects")
    for sock in (projector, console):
        assert received(sock, "screen") == [
            {"screen": "stage", "stage": "projects", "shows": {"screen": "stage", "stage": "projects"},
             "join_paused": False}]
    assert received(phone, "screen") == []


def test_a_paused_join_takes_the_qr_code_off_the_projector(api: Api) -> None:
    """Pausing joining tells the projectors at once (their QR code and join code give way to
    'Joining is paused'), and a projector opened meanwhile starts that way."""
    created = api.create_workshop()
    wid = created["id"]
    key = projector_key(api, wid)
    projector = api.socket(auth={"projector": key})
    projector.get_received()
    assert api.post(f"/api/v1/workshops/{wid}/join/pause").status_code == 200
    assert received(projector, "screen")[-1]["join_paused"] is True
    html = text(api.client.get(f"/projector/{key}"))
    assert 'data-join-paused="true"' in html and "ขณะนี้หยุดรับผู้เข้าร่วมชั่วคราว" in html
    assert api.post(f"/api/v1/workshops/{wid}/join/resume").status_code == 200
    assert received(projector, "screen")[-1]["join_paused"] is False
    assert 'data-join-paused="false"' in text(api.client.get(f"/projector/{key}"))


def test_auto_follows_the_stages_and_says_so_with_every_state(api: Api) -> None:
    wid = api.create_workshop()["id"]
    projector = api.socket(auth={"projector": projector_key(api, wid)})
    projector.get_received()
    api.stage(wid, "vision", "open")
    api.stage(wid, "goals", "open")
    assert received(projector, "screen")[-1]["shows"] == {"screen": "stage", "stage": "goals"}
    api.stage(wid, "goals", "close")
    api.stage(wid, "vision", "close")
    # with nothing open, auto shows the stage closed last (not the last in file order)
    assert received(projector, "screen")[-1]["shows"] == {"screen": "stage", "stage": "vision"}
    # a chosen screen stays chosen whatever the stages do
    choose(api, wid, screen="comments")
    api.stage(wid, "projects", "open")
    assert received(projector, "screen")[-1]["shows"] == {"screen": "comments", "stage": None}


def test_sync_and_a_reloaded_projector_come_back_to_the_chosen_screen(api: Api) -> None:
    wid = api.create_workshop()["id"]
    key = projector_key(api, wid)
    choose(api, wid, screen="stage", stage="goals")
    projector = api.socket(auth={"projector": key})
    ack = projector.emit("sync", {}, callback=True)
    assert ack["ok"] and ack["screen"]["shows"] == {"screen": "stage", "stage": "goals"}
    page = api.client.get(f"/projector/{key}")
    assert page.status_code == 200
    html = text(page)
    assert boot_of(html)["screen"]["shows"] == {"screen": "stage", "stage": "goals"}
    assert 'data-shows="stage"' in html


def test_comments_reach_the_projector_and_every_phone_in_sync(api: Api) -> None:
    created = api.create_workshop(workshop_object(moderation="post"))
    wid = created["id"]
    api.stage(wid, "vision", "open")
    browser, _token = api.join(created["code"], "resident")
    phone = api.socket(browser)
    for n in range(55):
        ack = phone.emit("comment", {"stage": "vision", "item": "v1" if n % 2 else None,
                                     "text": f"comment {n}"}, callback=True)
        assert ack["ok"], ack
    late, _ = api.join(created["code"], "civil")
    late_phone = api.socket(late)
    ack = late_phone.emit("sync", {}, callback=True)
    assert [c["text"] for c in ack["comments"][:2]] == ["comment 54", "comment 53"]
    assert len(ack["comments"]) == 50 and ack["comments_more"] is True
    more = late_phone.emit("comments", {"before": ack["comments"][-1]["id"]}, callback=True)
    assert more["ok"] and [c["text"] for c in more["comments"]] == [f"comment {n}" for n in range(4, -1, -1)]
    assert more["more"] is False
    assert late_phone.emit("comments", {"before": "x"}, callback=True)["error"]["code"] == "invalid"
    html = text(api.client.get(f"/projector/{projector_key(api, wid)}"))
    assert boot_of(html)["comments"][0]["text"] == "comment 54"


def test_only_published_comments_are_in_sync(api: Api) -> None:
    created = api.create_workshop(workshop_object(moderation="pre"))
    api.stage(created["id"], "vision", "open")
    browser, _token = api.join(created["code"], "resident")
    phone = api.socket(browser)
    assert phone.emit("comment", {"stage": "vision", "text": "waiting"}, callback=True)["status"] == "pending"
    assert phone.emit("sync", {}, callback=True)["comments"] == []


# -- the console -------------------------------------------------------------------


@pytest.fixture
def console(app: Any, client: Any) -> Any:
    assert sign_in(client, make_user(app)).status_code == 302
    return client


def own_workshop(app: Any) -> int:
    """A workshop of the signed-in facilitator (the first account owns those made without one)."""
    with app.app_context():
        return int(workshops.create_workshop(workshops.parse_definition(workshop_object())).id)


def screen_now(app: Any, workshop_id: int) -> dict[str, Any]:
    with app.app_context():
        return screens.screen_of(workshops.get_workshop(workshop_id))


def test_run_sheet_offers_every_screen_and_works_without_javascript(app: Any, console: Any) -> None:
    wid = own_workshop(app)
    page = text(console.get(f"/console/w/{wid}?lang=en"))
    assert page.count('screen-choice__label">Show on projector<') == 4
    for label in ("Welcome and join", "Comments", "Approved ideas", "Participation", "Automatic",
                  "Next screen", "Previous screen"):
        assert label in page
    assert 'aria-keyshortcuts="Shift+ArrowRight"' in page and "<kbd>Shift</kbd>" in page
    token = csrf(console, f"/console/w/{wid}?lang=en")
    answer = console.post(f"/console/w/{wid}/screen", data={"csrf_token": token, "screen": "stage",
                                                            "stage": "projects"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("#stage-projects")
    assert screen_now(app, wid)["stage"] == "projects"
    page = text(console.get(answer.headers["Location"]))
    assert "The projector now shows: Stage 3: Projects." in page
    pressed = re.findall(r'<button [^>]*data-screen="([a-z]+)"(?: data-screen-stage="([a-z]+)")?[^>]*'
                         r'aria-pressed="true"', page)
    assert pressed == [("stage", "projects")]
    answer = console.post(f"/console/w/{wid}/screen", data={"csrf_token": token, "screen": "next"})
    assert answer.status_code == 302
    assert screen_now(app, wid)["stage"] == "words"
    console.post(f"/console/w/{wid}/screen", data={"csrf_token": token, "screen": "next"})
    assert screen_now(app, wid)["screen"] == "comments"


def test_console_screen_form_needs_csrf_and_answers_json_to_the_script(app: Any, console: Any) -> None:
    wid = own_workshop(app)
    assert console.post(f"/console/w/{wid}/screen", data={"screen": "welcome"}).status_code == 400
    assert screen_now(app, wid)["screen"] == "auto"
    token = csrf(console, f"/console/w/{wid}?lang=en")
    answer = console.post(f"/console/w/{wid}/screen", data={"csrf_token": token, "screen": "participation"},
                          headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_json()["shows"] == {"screen": "participation", "stage": None}
    bad = console.post(f"/console/w/{wid}/screen", data={"csrf_token": token, "screen": "podium"},
                       headers={"Accept": "application/json"})
    assert bad.status_code == 422 and bad.get_json()["ok"] is False
    bad = console.post(f"/console/w/{wid}/screen?lang=en", data={"csrf_token": token, "screen": "podium"},
                       follow_redirects=True)
    assert "That screen cannot be shown" in text(bad)


def test_a_token_workshop_projector_never_says_scan_to_join(api: Api) -> None:
    created = api.create_workshop(workshop_object(join="tokens"))
    html = text(api.client.get(f"/projector/{projector_key(api, created['id'])}?lang=en"))
    assert "Scan to join" not in html and "choose your group" not in html
    assert "Scan the QR code on your printed card" in html
    assert created["code"] not in html.split('id="boot"')[0]
    open_html = text(api.client.get(f"/projector/{projector_key(api, api.create_workshop()['id'])}?lang=en"))
    assert "Scan to join" in open_html


def test_the_phone_page_comes_with_the_published_comments(api: Api) -> None:
    created = api.create_workshop(workshop_object(moderation="post"))
    api.stage(created["id"], "vision", "open")
    writer, _token = api.join(created["code"], "resident")
    assert api.socket(writer).emit("comment", {"stage": "vision", "item": "v2", "text": "ร่มรื่น"},
                                   callback=True)["ok"]
    late, _ = api.join(created["code"], "civil")
    page = late.get(f"/j/{created['code']}")
    assert page.status_code == 200
    snapshot = boot_of(text(page))["snapshot"]
    assert [(c["stage"], c["item"], c["text"]) for c in snapshot["comments"]] == [("vision", "v2", "ร่มรื่น")]
    assert snapshot["comments_more"] is False
