"""The console's People section, My account, Accounts (admins) and invitation links, and
every console page of a workshop for each role (services.access through the console)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from tests.factories import PASSWORD, grant, workshop_object
from tests.integration.test_console import csrf, post_form, sign_in, text
from workshop.services import accounts, workshops


def setup_people(app: Any) -> dict[str, Any]:
    """admin (first account), owner (of the workshop), facilitator, viewer, outsider."""
    with app.app_context():
        for name in ("admin", "owner", "facilitator", "viewer", "outsider"):
            accounts.create_user(name, PASSWORD)
        owner = accounts.authenticate("owner", PASSWORD)
        wid = workshops.create_workshop(workshops.parse_definition(
            workshop_object(join="tokens")), user_id=owner.id).id
    grant(app, wid, "facilitator", "facilitator")
    grant(app, wid, "viewer", "viewer")
    return {"wid": wid}


def browser(app: Any, name: str) -> Any:
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


#: every console page and form of a workshop, and the role it needs
PAGES = [
    ("GET", "/console/w/{w}", "read"),
    ("GET", "/console/w/{w}/results", "read"),
    ("GET", "/console/w/{w}/moderation", "read"),
    ("GET", "/console/w/{w}/paper/vision", "run"),
    ("POST", "/console/w/{w}/stages/vision/open", "run"),
    ("POST", "/console/w/{w}/cards", "run"),
    ("POST", "/console/w/{w}/members", "manage"),
    ("POST", "/console/w/{w}/erase", "manage"),
    ("POST", "/console/w/{w}/delete", "manage"),
]
ALLOWED = {"read": {"owner", "facilitator", "viewer"}, "run": {"owner", "facilitator"}, "manage": {"owner"}}


@pytest.mark.parametrize("role", ["owner", "facilitator", "viewer", "outsider", "admin"])
def test_console_pages_for_each_role(app: Any, role: str) -> None:
    world = setup_people(app)
    client = browser(app, role)
    token = csrf(client, "/console?lang=en")
    wrong = []
    for method, path, action in PAGES:
        url = path.format(w=world["wid"])
        # a form is posted empty: allowed roles get past the gate (to a 302 or a form error)
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        status = response.status_code
        if role in ALLOWED[action]:
            ok = status in (200, 302, 422)
        elif role in ("outsider", "admin"):
            ok = status == 404 and "This page does not exist" in text(response)
        else:
            ok = status == 403 and "Your role does not allow this" in text(response)
        if not ok:
            wrong.append(f"{method} {url}: {status}")
    assert wrong == []
    listing = text(client.get("/console?lang=en"))
    assert (f"/console/w/{world['wid']}" in listing) is (role in ("owner", "facilitator", "viewer"))


def test_a_viewer_sees_no_buttons_it_cannot_press(app: Any) -> None:
    world = setup_people(app)
    page = text(browser(app, "viewer").get(f"/console/w/{world['wid']}?lang=en"))
    assert "/stages/vision/open" not in page and "/erase" not in page and "/cards" not in page
    assert "/members" not in page  # no forms to change people
    assert "Your role here: Viewer" in page and "owner" in page
    viewer_moderation = text(browser(app, "viewer").get(f"/console/w/{world['wid']}/moderation?lang=en"))
    assert "&#34;buttons&#34;: null" in viewer_moderation or '"buttons": null' in viewer_moderation
    owner_moderation = text(browser(app, "owner").get(f"/console/w/{world['wid']}/moderation?lang=en"))
    assert "buttons&#34;: null" not in owner_moderation and '"buttons": null' not in owner_moderation
    owner_page = text(browser(app, "owner").get(f"/console/w/{world['wid']}?lang=en"))
    assert "/stages/vision/open" in owner_page and "/erase" in owner_page and "Add a colleague" in owner_page


def test_an_owner_adds_changes_and_removes_people_in_the_console(app: Any) -> None:
    world = setup_people(app)
    wid = world["wid"]
    owner = browser(app, "owner")
    page = f"/console/w/{wid}?lang=en"
    added = post_form(owner, f"/console/w/{wid}/members", {"username": "outsider", "role": "viewer"},
                      page=page)
    assert added.status_code == 302 and added.headers["Location"].endswith("#people")
    assert "“outsider” is now a member: Viewer." in text(owner.get(page))
    assert browser(app, "outsider").get(f"/console/w/{wid}").status_code == 200

    unknown = post_form(owner, f"/console/w/{wid}/members", {"username": "nobody", "role": "viewer"},
                        page=page)
    assert unknown.status_code == 302
    assert "No account is called “nobody”" in text(owner.get(page))

    with app.app_context():
        uid = accounts.authenticate("outsider", PASSWORD).id
        owner_id = accounts.authenticate("owner", PASSWORD).id
    post_form(owner, f"/console/w/{wid}/members/{uid}/role", {"role": "facilitator"}, page=page)
    assert "“outsider” is now: Facilitator." in text(owner.get(page))
    post_form(owner, f"/console/w/{wid}/members/{owner_id}/remove", {}, page=page)
    assert "A workshop keeps at least one owner" in text(owner.get(page))
    post_form(owner, f"/console/w/{wid}/members/{uid}/remove", {}, page=page)
    assert "The member is removed" in text(owner.get(page))
    assert browser(app, "outsider").get(f"/console/w/{wid}").status_code == 404


def test_people_forms_need_a_csrf_token(app: Any) -> None:
    world = setup_people(app)
    owner = browser(app, "owner")
    response = owner.post(f"/console/w/{world['wid']}/members",
                          data={"username": "outsider", "role": "owner"})
    assert response.status_code == 400
    assert browser(app, "outsider").get(f"/console/w/{world['wid']}").status_code == 404


def test_my_account_changes_the_password(app: Any) -> None:
    setup_people(app)
    client = browser(app, "viewer")
    other = browser(app, "viewer")
    page = "/console/account?lang=en"
    assert "Change password" in text(client.get(page))
    wrong = post_form(client, "/console/account", {"current": "nope", "password": "new long words",
                                                   "confirm": "new long words"}, page=page)
    assert wrong.status_code == 422 and "This is not your current password." in text(wrong)
    common = post_form(client, "/console/account", {"current": PASSWORD, "password": "1234567890",
                                                    "confirm": "1234567890"}, page=page)
    assert common.status_code == 422 and "one of the 10,000 most common" in text(common)
    short = post_form(client, "/console/account", {"current": PASSWORD, "password": "password",
                                                   "confirm": "password"}, page=page)
    assert short.status_code == 422 and "10 to 256 characters" in text(short)
    done = post_form(client, "/console/account", {"current": PASSWORD, "password": "new long words",
                                                  "confirm": "new long words"}, page=page)
    assert done.status_code == 302
    assert "Your password is changed" in text(client.get(page))  # this browser stays signed in
    assert other.get("/console").status_code == 302  # the other one is signed out
    with app.app_context():
        assert accounts.authenticate("viewer", "new long words") is not None


def test_sign_out_everywhere_from_the_console(app: Any) -> None:
    world = setup_people(app)
    client, other = browser(app, "owner"), browser(app, "owner")
    done = post_form(client, "/console/account/signout-all", {}, page="/console/account?lang=en")
    assert done.status_code == 302 and "/login" in done.headers["Location"]
    for b in (client, other):
        assert b.get(f"/console/w/{world['wid']}").status_code == 302  # to sign in


def test_accounts_page_is_for_admins(app: Any) -> None:
    setup_people(app)
    assert browser(app, "owner").get("/console/accounts").status_code == 404
    admin = browser(app, "admin")
    page = text(admin.get("/console/accounts?lang=en"))
    for name in ("admin", "owner", "facilitator", "viewer", "outsider"):
        assert f">{name}" in page
    assert "Accounts" in text(admin.get("/console?lang=en"))  # the header links it
    assert 'href="/console/accounts"' not in text(browser(app, "owner").get("/console?lang=en"))


def test_invite_set_password_disable_and_reset(app: Any) -> None:
    setup_people(app)
    admin = browser(app, "admin")
    page = "/console/accounts?lang=en"
    invited = post_form(admin, "/console/accounts", {"username": "newcomer"}, page=page)
    assert invited.status_code == 201
    link = re.search(r"http://[^<\"]+/invite/[A-Za-z0-9_-]+", text(invited)).group(0)
    path = link[link.index("/invite/"):]
    taken = post_form(admin, "/console/accounts", {"username": "newcomer"}, page=page)
    assert taken.status_code == 422 and "This account name is taken" in text(taken)

    newcomer = app.test_client()
    form = newcomer.get(path + "?lang=en")
    assert form.status_code == 200 and "newcomer" in text(form)
    assert form.headers["Cache-Control"] == "no-store"
    weak = post_form(newcomer, path, {"password": "newcomer", "confirm": "newcomer"}, page=path + "?lang=en")
    assert weak.status_code == 422
    common = post_form(newcomer, path, {"password": "qwertyuiop", "confirm": "qwertyuiop"},
                       page=path + "?lang=en")
    assert common.status_code == 422 and "most common" in text(common)
    same = post_form(newcomer, path, {"password": "newcomer12", "confirm": "newcomer12"},
                     page=path + "?lang=en")
    assert same.status_code == 200 or same.status_code == 302
    assert newcomer.get("/console").status_code == 200  # signed in
    assert newcomer.get(path).status_code == 404  # the link is spent

    with app.app_context():
        uid = accounts.authenticate("newcomer", "newcomer12").id
    disabled = post_form(admin, f"/console/accounts/{uid}/disable", {}, page=page)
    assert disabled.status_code == 302
    assert newcomer.get("/console").status_code == 302  # signed out at once
    assert sign_in(app.test_client(), "newcomer", "newcomer12").status_code == 401
    post_form(admin, f"/console/accounts/{uid}/enable", {}, page=page)
    assert sign_in(app.test_client(), "newcomer", "newcomer12").status_code == 302

    reset = post_form(admin, f"/console/accounts/{uid}/reset", {}, page=page)
    assert reset.status_code == 200 and "/invite/" in text(reset)
    assert sign_in(app.test_client(), "newcomer", "newcomer12").status_code == 401
    assert "Last sign-in" in text(admin.get(page))


def console_rules(app: Any) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) of every console address of a workshop, from the URL map:
    a page added tomorrow is in this list without anyone editing the test."""
    fill = {"workshop_id": "{w}", "key": "vision", "user_id": "1", "comment_id": "1", "idea_id": "1",
            "item": "v1", "action": "open", "batch_id": "1", "merge_id": "1"}
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("facilitator.") or "workshop_id" not in rule.arguments:
            continue
        if rule.rule.startswith("/console/plans/"):
            continue  # a plan's pages: the plan's own members decide (kind "plan")
        path = rule.rule
        for name in rule.arguments:
            # a choice of words: its first word (approve, open, ...)
            path = re.sub(r"<any\(([a-z_]+)[^)]*\):" + name + r">", r"\1", path)
            path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", fill.get(name, "1"), path)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            found.append((method, path, rule.endpoint))
    return found


#: the builder's pages are for editing: a viewer gets 403 on them too
BUILDER_PAGES = ("facilitator.build", "facilitator.stage_page", "facilitator.item_page")


@pytest.mark.parametrize("role", ["outsider", "admin", "viewer"])
def test_every_console_address_of_a_workshop_is_gated(app: Any, role: str) -> None:
    """Non-members (admins too) get 404 on every console address of a workshop, whatever
    its view; a viewer gets 403 on every form and on the pages that run the room."""
    world = setup_people(app)
    rules = console_rules(app)
    assert len(rules) >= 15, rules
    client = browser(app, role)
    token = csrf(client, "/console?lang=en")
    wrong = []
    for method, path, endpoint in rules:
        url = path.format(w=world["wid"]) + "?lang=en"
        response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
        if role != "viewer":
            want = {404}
        elif method == "POST" or endpoint in ("facilitator.paper", "facilitator.paper_start"):
            want = {403}
        else:  # a page to read; 404: a made-up stage or item; 403: the builder's pages (edits)
            want = {200, 302, 404} | ({403} if endpoint.startswith(BUILDER_PAGES) else set())
        if response.status_code not in want:
            wrong.append(f"{method} {path} ({endpoint}): {response.status_code}")
    assert wrong == []


def test_the_invitation_links_copy_button_speaks_thai(app: Any) -> None:
    """console.js names its Copy button from the body's data-strings: the accounts page (not a
    workshop page) has them too, so a Thai page does not show an English "Copy"."""
    setup_people(app)
    admin = browser(app, "admin")
    invited = post_form(admin, "/console/accounts", {"username": "newcomer"},
                        page="/console/accounts?lang=th")
    assert invited.status_code == 201
    strings = re.search(r"data-strings='([^']*)'", text(invited))
    assert strings is not None and "data-copy" in text(invited)
    assert json.loads(html.unescape(strings.group(1)))["copy"] == "คัดลอก"


def test_my_account_in_thai_says_what_an_api_token_is_without_the_word_token(app: Any) -> None:
    """A municipal officer does not know "โทเค็น": the Thai page says "another program's access code (API)"."""
    setup_people(app)
    page = text(browser(app, "owner").get("/console/account?lang=th"))
    assert "โทเค็น" not in page
    assert "รหัสเชื่อมต่อของโปรแกรมอื่น (API)" in page


def test_leaving_or_removing_a_member_asks_first(app: Any) -> None:
    """console.js asks a button's data-confirm question before the form is sent."""
    ids = setup_people(app)
    page = text(browser(app, "owner").get(f"/console/w/{ids['wid']}?lang=en"))
    assert 'data-confirm="Leave this workshop? You will no longer see it' in page
    assert 'data-confirm="Remove facilitator from this workshop?"' in page


def test_a_new_password_link_or_disabling_an_account_asks_first(app: Any) -> None:
    """Both cut the colleague off at once (maybe in the middle of a workshop): console.js asks."""
    setup_people(app)
    page = text(browser(app, "admin").get("/console/accounts?lang=en"))
    assert 'data-confirm="Make a new password link for viewer? Their password stops working at once' in page
    assert 'data-confirm="Disable viewer? They are signed out at once' in page
