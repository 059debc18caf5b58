"""The resident and projector pages over HTTP: joining, cookies, errors, escaping, languages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.factories import workshop_object

XSS = "<script>alert(1)</script>"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.S | re.I)


# ------------------------------------------------------------------ helpers


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form has no CSRF token"
    return found.group(1)


def open_join(browser: Any, code: str, **query: str) -> tuple[Any, str]:
    response = browser.get(f"/j/{code}", query_string=query)
    return response, response.get_data(as_text=True)


def join_by_form(browser: Any, code: str, group: str | None = "resident", language: str = "th",
                 token: str | None = None) -> Any:
    _, html = open_join(browser, code, **({"t": token} if token else {}))
    form = {"csrf_token": csrf_of(html), "language": language}
    if group is not None:
        form["group"] = group
    if token is not None:
        form["t"] = token
    return browser.post(f"/j/{code}", data=form)


def participants_total(api: Any, workshop_id: int) -> int:
    total: int = api.results(workshop_id)["participants"]["total"]
    return total


def boot_of(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="boot"[^>]*>(.*?)</script>', html, re.S)
    assert found, "the page has no boot data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def csp_nonce(response: Any) -> str:
    found = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"])
    assert found
    return found.group(1)


def assert_scripts_safe(response: Any) -> None:
    """Every inline script carries this response's nonce; no inline handlers or styles."""
    html = response.get_data(as_text=True)
    nonce = csp_nonce(response)
    for attrs, body in SCRIPT_TAG.findall(html):
        if "src=" in attrs:
            assert not body.strip(), attrs
            continue
        assert f'nonce="{nonce}"' in attrs, f"inline script without this response's nonce: {attrs}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), "inline event handler"
    assert not re.search(r"\sstyle\s*=", html, re.I), "inline style attribute"
    for attrs in re.findall(r"<style\b([^>]*)>", html, re.I):
        assert f'nonce="{nonce}"' in attrs


def tokens_workshop(api: Any) -> tuple[dict[str, Any], list[str]]:
    created = api.create_workshop(workshop_object(join="tokens"))
    response = api.post(f"/api/v1/workshops/{created['id']}/tokens", {"group": "civil", "count": 2})
    assert response.status_code == 201, response.get_json()
    return created, [t["token"] for t in response.get_json()["tokens"]]


# -------------------------------------------------------------------- join


def test_join_page_lists_groups_and_languages(api: Any, client: Any) -> None:
    created = api.create_workshop()
    response, html = open_join(client, created["code"])
    assert response.status_code == 200
    assert '<html lang="th"' in html
    for key, label in (("resident", "ประชาชน"), ("government", "หน่วยงานรัฐ"), ("civil", "ภาคประชาสังคม")):
        assert re.search(rf'<input type="radio" name="group" value="{key}" required', html)
        assert label in html
    assert 'name="language" value="th"' in html and 'name="language" value="en"' in html
    assert 'hreflang="th"' in html and 'hreflang="en"' in html  # the language switch
    assert "แผนพัฒนาเมืองทดสอบ" in html
    assert "5 ธันวาคม 2569" in html
    assert f'action="/j/{created["code"]}"' in html and 'method="post"' in html
    assert_scripts_safe(response)


def test_join_page_in_english_with_lang(api: Any, client: Any) -> None:
    created = api.create_workshop()
    _response, html = open_join(client, created["code"], lang="en")
    assert '<html lang="en"' in html
    assert "Residents" in html and "Civil society" in html
    assert "Join the workshop" in html
    assert "Test city plan" in html and "5 December 2026" in html
    # The choice sticks to this browser.
    _, again = open_join(client, created["code"])
    assert '<html lang="en"' in again


def test_join_creates_one_participant_and_remembers_it(api: Any, client: Any) -> None:
    created = api.create_workshop()
    response = join_by_form(client, created["code"], group="government", language="en")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/j/{created['code']}")
    assert "ruamkit=" in response.headers.get("Set-Cookie", "")
    assert participants_total(api, created["id"]) == 1

    # The same browser: the live room, never a second participant.
    for _ in range(2):
        room = client.get(f"/j/{created['code']}")
        html = room.get_data(as_text=True)
        assert room.status_code == 200
        assert 'id="stages"' in html and "Government" in html
        assert 'name="group"' not in html
    again = client.post(f"/j/{created['code']}", data={"csrf_token": "whatever", "group": "civil"})
    assert again.status_code in (303, 400)
    assert participants_total(api, created["id"]) == 1
    counts = api.results(created["id"])["participants"]["by_group"]
    assert counts["government"] == 1 and counts["civil"] == 0

    # Another browser is another participant.
    other = api.app.test_client()
    assert join_by_form(other, created["code"]).status_code == 303
    assert participants_total(api, created["id"]) == 2


def test_join_needs_a_group_and_a_csrf_token(api: Any, client: Any) -> None:
    created = api.create_workshop()
    no_group = join_by_form(client, created["code"], group=None)
    assert no_group.status_code == 422
    assert "โปรดเลือกกลุ่มของท่าน" in no_group.get_data(as_text=True)
    unknown = join_by_form(client, created["code"], group="aliens")
    assert unknown.status_code == 422

    forged = api.app.test_client()
    response = forged.post(f"/j/{created['code']}", data={"group": "resident", "language": "th"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "หน้านี้หมดอายุแล้ว" in html and 'name="csrf_token"' in html
    assert participants_total(api, created["id"]) == 0


def test_room_page_carries_state_ballots_and_language(api: Any, client: Any) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    join_by_form(client, created["code"], group="private", language="th")
    socket = api.socket(client, auth={"workshop": created["id"]})
    assert socket.is_connected()
    ack = socket.emit("ballot", {"stage": "vision", "choices": {"items": ["v2"]}, "ballot_id": "b-1"},
                      callback=True)
    assert ack == {"ok": True, "version": 1}
    socket.disconnect()

    room = client.get(f"/j/{created['code']}")
    html = room.get_data(as_text=True)
    boot = boot_of(html)
    assert boot["workshop_id"] == created["id"] and boot["lang"] == "th"
    snapshot = boot["snapshot"]
    assert snapshot["ballots"]["vision"] == {"choices": {"items": ["v2"]}, "version": 1}
    states = {s["key"]: s["state"] for s in snapshot["workshop"]["stages"]}
    assert states["vision"] == "open" and states["goals"] == "draft"
    assert set(snapshot["results"]) == {"vision"}  # show_results: live
    assert "ภาคเอกชน" in html
    strings = json.loads(re.search(r'id="i18n"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert strings["submit"] == "ส่งคะแนน"
    assert_scripts_safe(room)

    english = client.get(f"/j/{created['code']}?lang=en")
    html = english.get_data(as_text=True)
    assert '<html lang="en"' in html and "Private sector" in html
    assert boot_of(html)["snapshot"]["participant"]["language"] == "en"
    strings = json.loads(re.search(r'id="i18n"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert strings["submit"] == "Send my vote"


# ------------------------------------------------------------- join tokens


def test_token_workshop_without_a_card_asks_to_scan_it(api: Any, client: Any) -> None:
    created, cards = tokens_workshop(api)
    response, html = open_join(client, created["code"])
    assert response.status_code == 200
    assert "สแกนคิวอาร์โค้ดบนบัตรของท่าน" in html
    assert 'name="group"' not in html
    _, english = open_join(client, created["code"], lang="en")
    assert "Scan the QR code on your card" in english
    # Posting without a card joins nobody.
    token = csrf_of(open_join(client, created["code"], t=cards[0])[1])
    forged = client.post(f"/j/{created['code']}", data={"csrf_token": token, "group": "resident"})
    assert forged.status_code == 403
    assert participants_total(api, created["id"]) == 0


def test_token_qr_joins_in_one_step_and_only_once(api: Any, client: Any) -> None:
    created, cards = tokens_workshop(api)
    response, html = open_join(client, created["code"], t=cards[0].lower())
    assert response.status_code == 200
    assert "ภาคประชาสังคม" in html  # the card's group, shown before confirming
    assert f'name="t" value="{cards[0].lower()}"' in html
    assert 'name="group"' not in html

    joined = join_by_form(client, created["code"], group=None, token=cards[0])
    assert joined.status_code == 303
    assert api.results(created["id"])["participants"]["by_group"]["civil"] == 1
    # Scanning the card again on the same phone: the room, no second participant.
    _room, html = open_join(client, created["code"], t=cards[0])
    assert 'id="stages"' in html
    assert participants_total(api, created["id"]) == 1

    # Another phone with the used card: a clear refusal, before and after confirming.
    other = api.app.test_client()
    _, html = open_join(other, created["code"], t=cards[0])
    assert "บัตรนี้ถูกใช้เข้าร่วมไปแล้ว" in html
    assert 'name="t"' not in html  # nothing to confirm
    token = csrf_of(open_join(other, created["code"], t=cards[1])[1])
    refused = other.post(f"/j/{created['code']}", data={"csrf_token": token, "t": cards[0]})
    assert refused.status_code == 409
    assert "บัตรนี้ถูกใช้เข้าร่วมไปแล้ว" in refused.get_data(as_text=True)
    assert participants_total(api, created["id"]) == 1


def test_unknown_card_is_refused(api: Any, client: Any) -> None:
    created, cards = tokens_workshop(api)
    _, html = open_join(client, created["code"], t="NOPE1234", lang="en")
    assert "This card does not belong to this workshop" in html
    token = csrf_of(open_join(client, created["code"], t=cards[0])[1])
    refused = client.post(f"/j/{created['code']}", data={"csrf_token": token, "t": "NOPE1234"})
    assert refused.status_code == 403
    assert participants_total(api, created["id"]) == 0


# ------------------------------------------------------------------ errors


def test_unknown_code_is_a_404_in_the_right_language(client: Any, api: Any) -> None:
    response = client.get("/j/NOSUCH")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="th"' in html and "ไม่พบเวทีที่ใช้รหัสนี้" in html
    english = client.get("/j/NOSUCH?lang=en")
    assert english.status_code == 404 and "No workshop has this code" in english.get_data(as_text=True)
    assert client.post("/j/NOSUCH", data={"group": "resident"}).status_code in (400, 404)


def test_enter_code_page(api: Any, client: Any) -> None:
    created = api.create_workshop()
    page = client.get("/j")
    assert page.status_code == 200 and 'name="code"' in page.get_data(as_text=True)
    found = client.get("/j", query_string={"code": created["code"].lower()})
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/j/{created['code']}")
    assert client.get("/j?code=ZZZZZZ").status_code == 404


def test_projector_page(api: Any, client: Any) -> None:
    created = api.create_workshop()
    path = created["projector_url"].removeprefix("http://ruamkit.test")
    response = client.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="th"' in html
    assert "<svg" in html and 'class="qr"' in html
    assert f'>{created["code"]}<' in html
    assert f"ruamkit.test/j/{created['code']}" in html
    boot = boot_of(html)
    assert boot["key"] == path.rsplit("/", 1)[1]
    assert boot["participants"] == {"total": 0, "by_group": {
        "resident": 0, "government": 0, "private": 0, "civil": 0}, "assisted": 0}
    assert_scripts_safe(response)
    english = client.get(path + "?lang=en").get_data(as_text=True)
    assert '<html lang="en"' in english and "Test city plan" in english
    # The projector never changes the browser's language.
    assert '<html lang="th"' in client.get(path).get_data(as_text=True)


def test_projector_with_a_bad_key_is_a_404(client: Any, api: Any) -> None:
    api.create_workshop()
    response = client.get("/projector/not-a-key")
    assert response.status_code == 404
    assert "ลิงก์จอฉายนี้ไม่ถูกต้อง" in response.get_data(as_text=True)
    assert "<svg" not in response.get_data(as_text=True)


# ----------------------------------------------------------- escaping, CSP


@pytest.fixture
def hostile(api: Any) -> dict[str, Any]:
    obj = workshop_object()
    obj["title"] = {"th": XSS, "en": XSS}
    obj["city"] = XSS
    obj["groups"][0]["label"] = {"th": f"ประชาชน {XSS}", "en": XSS}
    obj["stages"][0]["title"] = XSS
    obj["stages"][0]["prompt"] = XSS
    obj["stages"][0]["items"][0]["title"] = XSS
    created = api.create_workshop(obj)
    api.stage(created["id"], "vision", "open")
    return created


def assert_escaped(html: str) -> None:
    assert XSS not in html
    assert "alert(1)" not in html.replace("&lt;script&gt;alert(1)&lt;/script&gt;", "").replace(
        "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e", "")


def test_workshop_text_is_escaped_on_both_pages(hostile: dict[str, Any], api: Any, client: Any) -> None:
    response, html = open_join(client, hostile["code"])
    assert_escaped(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert_scripts_safe(response)

    join_by_form(client, hostile["code"], group="resident")
    room = client.get(f"/j/{hostile['code']}")
    html = room.get_data(as_text=True)
    assert_escaped(html)
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in html  # inside the JSON data
    assert_scripts_safe(room)

    projector = client.get(hostile["projector_url"].removeprefix("http://ruamkit.test"))
    html = projector.get_data(as_text=True)
    assert_escaped(html)
    assert_scripts_safe(projector)


def test_static_files_of_the_pages_exist(api: Any, client: Any) -> None:
    created = api.create_workshop()
    join_by_form(client, created["code"])
    html = client.get(f"/j/{created['code']}").get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any("live.css" in a for a in assets) and any("resident.js" in a for a in assets)
    for asset in assets:
        assert "?v=" in asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        response.close()
    assert "cdn" not in html.lower() and "https://" not in html
