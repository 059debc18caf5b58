"""Socket.IO events (contract section 4) with Flask-SocketIO's test client."""

from __future__ import annotations

import itertools
import time
from typing import Any

import pytest

from tests.factories import SAME_ORIGIN, Api, grant, items_by_key, stage_entry, workshop_object


def received(sock: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


@pytest.fixture
def room(api: Api) -> dict[str, Any]:
    """A workshop with the vision stage open and one resident connected by cookie."""
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    browser, token = api.join(created["code"], "resident")
    sock = api.socket(browser)
    assert sock.is_connected()
    return {**created, "browser": browser, "token": token, "sock": sock}


def ballot(sock: Any, stage: str, choices: Any, **extra: Any) -> dict[str, Any]:
    ack: dict[str, Any] = sock.emit("ballot", {"stage": stage, "choices": choices, **extra}, callback=True)
    return ack


# -- connecting -------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [
        None,
        {},
        {"participant": "forged"},
        {"participant": 12},
        {"projector": "wrong-key"},
        {"facilitator": "forged", "workshop": 1},
        {"role": "facilitator", "workshop": 1},
    ],
)
def test_bad_or_missing_credentials_are_refused(api: Api, auth: Any) -> None:
    api.create_workshop()
    sock = api.socket(auth=auth)
    assert not sock.is_connected()


def test_every_kind_of_credentials_connects(api: Api, room: dict[str, Any]) -> None:
    workshop = api.get(f"/api/v1/workshops/{room['id']}").get_json()
    key = workshop["projector_url"].rsplit("/", 1)[1]
    assert api.socket(auth={"participant": room["token"]}).is_connected()
    assert api.socket(auth={"projector": key}).is_connected()
    assert api.socket(auth={"facilitator": api.token, "workshop": room["id"]}).is_connected()
    assert not api.socket(auth={"facilitator": api.token, "workshop": 999}).is_connected()


def test_cookie_picks_the_named_workshop(api: Api, room: dict[str, Any]) -> None:
    other = api.create_workshop()
    api.stage(other["id"], "vision", "open")
    response = room["browser"].post("/api/v1/join", json={"code": other["code"], "group": "civil"},
                                      headers=SAME_ORIGIN)
    assert response.status_code == 201
    sock = api.socket(room["browser"], auth={"workshop": other["id"]})
    assert sock.is_connected()
    assert ballot(sock, "vision", {"items": ["v2"]})["ok"]
    assert items_by_key(stage_entry(api.results(other["id"]), "vision"))["v2"]["by_group"] == {
        "civil": {"ballots": 1, "value": 1, "score": 100.0}
    }
    # with two workshops remembered and none named, the cookie is ambiguous: refused
    assert not api.socket(room["browser"]).is_connected()


# -- ballots ----------------------------------------------------------------------


def test_ballot_is_acknowledged_stored_and_replaced(api: Api, room: dict[str, Any]) -> None:
    sock = room["sock"]
    assert ballot(sock, "vision", {"items": ["v1", "v2"]}) == {"ok": True, "version": 1}
    assert ballot(sock, "vision", {"items": ["v3"]}) == {"ok": True, "version": 2}
    entry = stage_entry(api.results(room["id"]), "vision")
    assert entry["ballots"] == 1
    assert [(i["key"], i["value"]) for i in entry["items"]] == [("v3", 1), ("v1", 0), ("v2", 0)]


def test_retried_ballot_id_is_not_counted_twice(api: Api, room: dict[str, Any]) -> None:
    sock = room["sock"]
    first = ballot(sock, "vision", {"items": ["v1"]}, ballot_id="b-1")
    second = ballot(sock, "vision", {"items": ["v2"]}, ballot_id="b-2")
    retry = ballot(sock, "vision", {"items": ["v1"]}, ballot_id="b-1")
    assert (first, second, retry) == (
        {"ok": True, "version": 1},
        {"ok": True, "version": 2},
        {"ok": True, "version": 1},
    )
    entry = stage_entry(api.results(room["id"]), "vision")
    assert entry["ballots"] == 1
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 0, "v2": 1, "v3": 0}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"stage": "vision", "choices": {"items": ["v9"]}}, "invalid"),
        ({"stage": "vision", "choices": {"items": ["v1", "v2", "v3"]}}, "invalid"),
        ({"stage": "vision", "choices": "v1"}, "invalid"),
        ({"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": 5}, "invalid"),
        ({"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": "x" * 65}, "invalid"),
        ({"stage": "goals", "choices": {"dots": {"g1": 1}}}, "stage_closed"),
        ({"stage": "nope", "choices": {"items": ["v1"]}}, "unknown_stage"),
        ({"stage": None, "choices": {"items": ["v1"]}}, "unknown_stage"),
    ],
)
def test_refused_ballots(api: Api, room: dict[str, Any], data: dict[str, Any], code: str) -> None:
    ack = room["sock"].emit("ballot", data, callback=True)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code and ack["error"]["message"]
    assert stage_entry(api.results(room["id"]), "vision")["ballots"] == 0


def test_non_object_event_data_is_invalid(room: dict[str, Any]) -> None:
    for data in ("text", [1, 2], 7):
        ack = room["sock"].emit("ballot", data, callback=True)
        assert ack["error"]["code"] == "invalid"


def test_closed_stage_refuses_ballot(api: Api, room: dict[str, Any]) -> None:
    assert ballot(room["sock"], "vision", {"items": ["v1"]})["ok"]
    api.stage(room["id"], "vision", "close")
    ack = ballot(room["sock"], "vision", {"items": ["v2"]})
    assert ack["error"]["code"] == "stage_closed"
    assert stage_entry(api.results(room["id"]), "vision")["items"][0]["key"] == "v1"


def test_only_residents_vote(api: Api, room: dict[str, Any]) -> None:
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": room["id"]})
    assert ballot(facilitator, "vision", {"items": ["v1"]})["error"]["code"] == "not_allowed"


def test_rate_limited_ballots(api: Api, room: dict[str, Any]) -> None:
    codes = [ballot(room["sock"], "vision", {"items": ["v1"]})["ok"] for _ in range(40)]
    assert codes[0] is True
    last = ballot(room["sock"], "vision", {"items": ["v1"]})
    assert last["ok"] is False and last["error"]["code"] == "rate_limited"
    # another phone is not affected
    browser, _ = api.join(room["code"], "civil")
    assert ballot(api.socket(browser), "vision", {"items": ["v2"]})["ok"] is True


# -- comments and ideas -------------------------------------------------------------


def test_comment_waits_for_moderation_then_is_published(api: Api, room: dict[str, Any]) -> None:
    ack = room["sock"].emit(
        "comment", {"stage": "vision", "item": "v1", "text": "  ดีมาก <b>!</b> "}, callback=True
    )
    assert ack["ok"] is True and ack["status"] == "pending"
    pending = api.get(f"/api/v1/workshops/{room['id']}/comments?status=pending").get_json()
    assert [(c["id"], c["text"], c["item"]) for c in pending] == [(ack["id"], "ดีมาก <b>!</b>", "v1")]
    room["sock"].get_received()
    approved = api.post(f"/api/v1/comments/{ack['id']}/approve").get_json()
    assert approved["status"] == "published"
    assert [c["text"] for c in received(room["sock"], "comment")] == ["ดีมาก <b>!</b>"]
    assert api.get(f"/api/v1/workshops/{room['id']}/comments?status=pending").get_json() == []


def test_comments_published_at_once_with_post_moderation(api: Api) -> None:
    created = api.create_workshop(workshop_object(moderation="post"))
    browser, _ = api.join(created["code"])
    ack = api.socket(browser).emit("comment", {"stage": "vision", "text": "hello"}, callback=True)
    assert ack["status"] == "published"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"stage": "vision", "text": ""}, "invalid"),
        ({"stage": "vision", "text": "x" * 1001}, "invalid"),
        ({"stage": "vision", "text": 5}, "invalid"),
        ({"stage": "vision", "item": "nope", "text": "hi"}, "invalid"),
        ({"stage": "nope", "text": "hi"}, "unknown_stage"),
    ],
)
def test_refused_comments(room: dict[str, Any], data: dict[str, Any], code: str) -> None:
    ack = room["sock"].emit("comment", data, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == code


def test_idea_becomes_an_item_when_approved(api: Api, room: dict[str, Any]) -> None:
    sock = room["sock"]
    refused = sock.emit("idea", {"stage": "vision", "title": "Not here"}, callback=True)
    assert refused["error"]["code"] == "not_allowed"  # vision takes no ideas
    ack = sock.emit(
        "idea", {"stage": "goals", "title": "สวนสาธารณะริมน้ำ", "description": "ปลูกต้นไม้"}, callback=True
    )
    assert ack == {"ok": True, "id": ack["id"], "status": "pending"}
    sock.get_received()
    idea = api.post(f"/api/v1/ideas/{ack['id']}/approve").get_json()
    assert idea["status"] == "approved" and idea["item"] == f"idea-{ack['id']}"
    states = received(sock, "state")
    goals = next(s for s in states[-1]["stages"] if s["key"] == "goals")
    assert goals["folded"] and goals["items_total"] >= 1  # not open: a phone gets it folded
    assert api.post(f"/api/v1/ideas/{ack['id']}/reject").status_code == 409
    api.stage(room["id"], "goals", "open")
    synced = sock.emit("sync", {}, callback=True)
    goals = next(s for s in synced["workshop"]["stages"] if s["key"] == "goals")
    assert goals["items"][-1]["title"] == "สวนสาธารณะริมน้ำ"
    assert ballot(sock, "goals", {"dots": {idea["item"]: 2}})["ok"]


# -- sync and broadcasts --------------------------------------------------------------


def test_sync_returns_state_and_my_ballots(api: Api, room: dict[str, Any]) -> None:
    ballot(room["sock"], "vision", {"items": ["v2"]})
    ack = room["sock"].emit("sync", {}, callback=True)
    assert ack["ok"] is True
    assert ack["ballots"] == {"vision": {"choices": {"items": ["v2"]}, "version": 1}}
    assert ack["workshop"]["id"] == room["id"]
    assert [s["state"] for s in ack["workshop"]["stages"]] == ["open", "draft", "draft", "draft"]
    assert "projector_key" not in str(ack) and room["projector_url"].rsplit("/", 1)[1] not in str(ack)
    assert set(ack["results"]) == {"vision"}  # live results, and only those


def test_a_stage_change_sends_the_short_state_and_new_items_the_whole(api: Api, room: dict[str, Any]) -> None:
    """Opening a stage tells every projector and console each stage's state and visibility
    in a few hundred bytes, and every phone the same with the open stages' items (a phone
    has a stage folded until it opens: payloads.resident_workshop); an approved idea (a new
    item) sends the whole workshop, as `sync` does."""
    import json

    sock = room["sock"]
    projector = api.socket(auth={"projector": room["projector_url"].rsplit("/", 1)[1]})
    sock.get_received()
    projector.get_received()
    api.stage(room["id"], "goals", "open")
    [short] = received(sock, "state")
    [watched] = received(projector, "state")
    assert short["partial"] is True and short["id"] == room["id"]
    assert watched["stages"] == [
        {"key": "vision", "state": "open", "results_shown": True},
        {"key": "goals", "state": "open", "results_shown": False},
        {"key": "projects", "state": "draft", "results_shown": False},
        {"key": "words", "state": "draft", "results_shown": False},
    ]
    whole = sock.emit("sync", {}, callback=True)["workshop"]
    assert short["revision"] == whole["revision"] == watched["revision"]
    fields = ("key", "state", "results_shown")
    assert [{k: s[k] for k in fields} for s in short["stages"]] == watched["stages"]
    opened = {s["key"]: s["items"] for s in whole["stages"] if s["state"] == "open"}
    assert {s["key"]: s["items"] for s in short["stages"] if "items" in s} == opened
    assert len(json.dumps(watched)) < 400 < len(json.dumps(short)) < len(json.dumps(whole))

    idea = sock.emit("idea", {"stage": "goals", "title": "ตลาดริมน้ำ"}, callback=True)
    api.post(f"/api/v1/ideas/{idea['id']}/approve")
    [full] = received(sock, "state")
    assert "partial" not in full
    goals = next(s for s in full["stages"] if s["key"] == "goals")
    assert goals["state"] == "open" and goals["items"][-1]["title"] == "ตลาดริมน้ำ"


def test_results_reach_projectors_always_and_residents_only_when_shown(api: Api) -> None:
    created = api.create_workshop()
    wid = created["id"]
    key = created["projector_url"].rsplit("/", 1)[1]
    projector = api.socket(auth={"projector": key})
    browser, _ = api.join(created["code"])
    resident = api.socket(browser)
    api.stage(wid, "goals", "open")  # after_close: hidden while open
    for sock in (projector, resident):
        sock.get_received()
    assert ballot(resident, "goals", {"dots": {"g1": 3}})["ok"]
    assert [r["key"] for r in received(projector, "results")] == ["goals"]
    assert received(resident, "results") == []
    api.stage(wid, "goals", "close")  # now shown
    events = resident.get_received()
    shown = [e["args"][0] for e in events if e["name"] == "results"]
    assert [r["key"] for r in shown] == ["goals"] and shown[0]["items"][0]["value"] == 3
    state = [e["args"][0] for e in events if e["name"] == "state"][-1]
    assert [s["results_shown"] for s in state["stages"] if s["key"] == "goals"] == [True]


def test_never_shown_results_never_reach_residents(api: Api) -> None:
    created = api.create_workshop()
    browser, _ = api.join(created["code"])
    resident = api.socket(browser)
    api.stage(created["id"], "words", "open")
    assert ballot(resident, "words", {"words": ["green"]})["ok"]
    api.stage(created["id"], "words", "close")
    assert api.post(f"/api/v1/workshops/{created['id']}/stages/words/reveal").status_code == 409
    assert "words" not in resident.emit("sync", {}, callback=True)["results"]
    assert [r for r in received(resident, "results") if r["key"] == "words"] == []


def test_participants_event_counts_by_group(api: Api) -> None:
    created = api.create_workshop()
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": created["id"]})
    facilitator.get_received()
    api.join(created["code"], "private")
    counts = received(facilitator, "participants")
    assert counts[-1]["total"] == 1 and counts[-1]["by_group"]["private"] == 1


def test_moderation_event_reaches_facilitators_only(api: Api, room: dict[str, Any]) -> None:
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": room["id"]})
    facilitator.get_received()
    room["sock"].get_received()
    room["sock"].emit("comment", {"stage": "vision", "text": "hi"}, callback=True)
    assert received(facilitator, "moderation")[-1] == {"comments": 1, "ideas": 0}
    assert received(room["sock"], "moderation") == []


def _watchers(api: Api, room: dict[str, Any]) -> dict[str, Any]:
    """A facilitator (bearer token), a projector and a second phone, their queues emptied."""
    key = room["projector_url"].rsplit("/", 1)[1]
    browser, _token = api.join(room["code"], "civil")
    socks = {"facilitator": api.socket(auth={"facilitator": api.token, "workshop": room["id"]}),
             "projector": api.socket(auth={"projector": key}),
             "resident": room["sock"], "neighbour": api.socket(browser)}
    for sock in socks.values():
        assert sock.is_connected()
        sock.get_received()
    return socks


def test_a_pending_comment_reaches_facilitators_only_as_a_moderation_item(
        api: Api, room: dict[str, Any]) -> None:
    socks = _watchers(api, room)
    text = "ทางเท้า <img src=x onerror=alert(1)> ริมคลอง"
    ack = room["sock"].emit("comment", {"stage": "vision", "item": "v2", "text": text}, callback=True)
    assert ack["ok"] is True and ack["status"] == "pending"
    [item] = received(socks["facilitator"], "moderation_item")
    assert item["kind"] == "comment"
    comment = item["comment"]
    assert (comment["id"], comment["text"], comment["stage"], comment["item"], comment["group"],
            comment["status"]) == (ack["id"], text, "vision", "v2", "resident", "pending")
    assert comment["created_at"].endswith("+00:00")
    for name in ("projector", "resident", "neighbour"):
        assert received(socks[name], "moderation_item") == [], name
        assert received(socks[name], "moderation") == [], name


def test_a_pending_idea_reaches_facilitators_only_as_a_moderation_item(
        api: Api, room: dict[str, Any]) -> None:
    socks = _watchers(api, room)
    ack = room["sock"].emit("idea", {"stage": "goals", "title": "ตลาดนัดริมน้ำ", "description": "ทุกวันศุกร์"},
                            callback=True)
    assert ack["ok"] is True
    events = [e["name"] for e in socks["facilitator"].get_received()
              if e["name"] in ("moderation_item", "moderation")]
    assert events == ["moderation_item", "moderation"]  # the row, then the counts that include it
    # another, read as data
    room["sock"].emit("idea", {"stage": "goals", "title": "สวนผักชุมชน"}, callback=True)
    [item] = received(socks["facilitator"], "moderation_item")
    assert item["kind"] == "idea"
    assert (item["idea"]["title"], item["idea"]["description"], item["idea"]["status"],
            item["idea"]["group"]) == ("สวนผักชุมชน", None, "pending", "resident")
    for name in ("projector", "resident", "neighbour"):
        assert received(socks[name], "moderation_item") == [], name


def test_the_consoles_cookie_socket_gets_moderation_items(api: Api, room: dict[str, Any]) -> None:
    """The console signs its socket in with the session cookie ({role: facilitator})."""
    import re

    from tests.factories import PASSWORD
    from workshop.services import accounts

    with api.app.app_context():
        accounts.create_user("console-user", PASSWORD)
    grant(api.app, room["id"], "console-user")
    browser = api.app.test_client()
    page = browser.get("/login?lang=en").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    signed_in = browser.post("/login", data={"csrf_token": token, "username": "console-user",
                                             "password": PASSWORD})
    assert signed_in.status_code == 302
    console = api.socket(browser, auth={"role": "facilitator", "workshop": room["id"]})
    assert console.is_connected()
    console.get_received()
    room["sock"].emit("comment", {"stage": "vision", "text": "ไฟส่องทางไม่พอ"}, callback=True)
    assert [i["comment"]["text"] for i in received(console, "moderation_item")] == ["ไฟส่องทางไม่พอ"]


def test_published_comments_and_refused_ones_are_no_moderation_items(api: Api) -> None:
    created = api.create_workshop(workshop_object(moderation="post"))
    browser, _ = api.join(created["code"])
    phone = api.socket(browser)
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": created["id"]})
    facilitator.get_received()
    assert phone.emit("comment", {"stage": "vision", "text": "hello"}, callback=True)["status"] == "published"
    assert phone.emit("comment", {"stage": "vision", "text": ""}, callback=True)["ok"] is False
    assert phone.emit("idea", {"stage": "vision", "title": "not here"}, callback=True)["ok"] is False
    pushed = [e["name"] for e in facilitator.get_received()]
    assert "moderation_item" not in pushed and "comment" in pushed


def _pushed(sock: Any) -> list[str]:
    """Names of what the server pushed to a socket since last asked, connected or not
    (the test client keeps whatever the server sends to its engine.io session)."""
    names = [e["name"] for e in sock.queue]
    sock.queue.clear()
    return names


def test_facilitator_socket_loses_rights_on_logout(api: Api, room: dict[str, Any]) -> None:
    """Signed out: its events are refused and nothing more is pushed to it; another
    facilitator's socket goes on receiving."""
    other = Api.signed_in(api.app)
    grant(api.app, room["id"], other.username)
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": room["id"]})
    colleague = api.socket(auth={"facilitator": other.token, "workshop": room["id"]})
    assert facilitator.emit("sync", {}, callback=True)["ok"] is True
    ballot(room["sock"], "vision", {"items": ["v1"]})  # results of a stage not shown to residents
    assert "results" in _pushed(facilitator) and "results" in _pushed(colleague)

    assert api.delete("/api/v1/auth/token").status_code == 204
    assert not facilitator.is_connected()  # disconnected by the server; connecting again is refused
    assert not api.socket(auth={"facilitator": api.token, "workshop": room["id"]}).is_connected()
    ballot(room["sock"], "vision", {"items": ["v2"]})
    room["sock"].emit("comment", {"stage": "vision", "text": "after the logout"}, callback=True)
    assert _pushed(facilitator) == []
    assert {"results", "moderation", "moderation_item"} <= set(_pushed(colleague))


def test_a_token_revoked_elsewhere_is_swept(api: Api, room: dict[str, Any]) -> None:
    """Another process signed the token out (no notice here): the sweep disconnects its socket."""
    from sqlalchemy import update

    from workshop.extensions import db
    from workshop.models import ApiToken
    from workshop.models._types import utcnow
    from workshop.realtime import signout
    from workshop.services.security import token_hash

    other = Api.signed_in(api.app)
    grant(api.app, room["id"], other.username)
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": room["id"]})
    colleague = api.socket(auth={"facilitator": other.token, "workshop": room["id"]})
    with api.app.app_context():
        db.session.execute(update(ApiToken).where(ApiToken.token_hash == token_hash(api.token))
                           .values(revoked_at=utcnow()))
        db.session.commit()
    assert facilitator.is_connected()  # this process was not told
    assert signout.sweep(api.app) == 1
    assert not facilitator.is_connected() and colleague.is_connected()
    _pushed(facilitator)
    ballot(room["sock"], "vision", {"items": ["v3"]})
    assert _pushed(facilitator) == []
    assert "results" in _pushed(colleague)
    assert signout.sweep(api.app) == 0


@pytest.fixture
def app_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    return getattr(request, "param", {})


@pytest.mark.parametrize("app_overrides", [{"RESULTS_INTERVAL": 0.2}], indirect=True)
def test_results_are_coalesced(api: Api) -> None:
    """However fast ballots come, a stage's results go out at most once per interval."""
    from workshop.realtime.broadcast import notifier_of

    notifier = notifier_of(api.app)
    emitted: list[float] = []
    original = notifier._emit_results

    def timed(workshop_id: int, stage_key: str) -> None:
        emitted.append(time.monotonic())
        original(workshop_id, stage_key)

    notifier._emit_results = timed  # type: ignore[method-assign]
    created = api.create_workshop()
    key = created["projector_url"].rsplit("/", 1)[1]
    projector = api.socket(auth={"projector": key})
    api.stage(created["id"], "vision", "open")
    socks = [api.socket(api.join(created["code"])[0]) for _ in range(8)]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and emitted:  # the open's own broadcast, if any, first
        before = len(emitted)
        time.sleep(0.3)
        if len(emitted) == before:
            break
    projector.get_received()
    emitted.clear()
    for sock in socks:
        assert ballot(sock, "vision", {"items": ["v1"]})["ok"]
    events: list[Any] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (not events or events[-1]["ballots"] < 8):
        time.sleep(0.05)
        events += received(projector, "results")
    assert events and events[-1]["ballots"] == 8  # the final tally arrives
    gaps = [later - earlier for earlier, later in itertools.pairwise(emitted)]
    assert all(gap >= 0.19 for gap in gaps), gaps  # never two within one interval
