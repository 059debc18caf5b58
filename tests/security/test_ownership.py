"""The ownership matrix: every facilitator operation on a workshop, and the facilitator
socket, tried by its owner, a facilitator and a viewer of it, an account that is not a
member, an admin who is not a member, and a member whose account was disabled.

The operations come from the OpenAPI document: one on a workshop (or on its comments
and ideas) that is not classified in ``ACTIONS`` below fails the test, so a new route
cannot ship without saying who may call it.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api, grant, workshop_object
from workshop.services import accounts

#: what each workshop operation needs (domain.access): read < run < manage
ACTIONS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/workshops/{workshop_id}"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/results"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/comments"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/ideas"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/export"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/members"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/screen"): "read",
    ("PUT", "/api/v1/workshops/{workshop_id}"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/screen"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/join/pause"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/join/resume"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/open"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/reveal"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/hide"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/paper"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/close"): "run",
    ("GET", "/api/v1/workshops/{workshop_id}/stages/{key}/paper"): "read",
    ("GET", "/api/v1/workshops/{workshop_id}/paper-batches"): "read",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}/void"): "run",
    ("DELETE", "/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/paper-batches/{batch_id}/void"): "run",
    ("DELETE", "/api/v1/workshops/{workshop_id}/paper-batches/{batch_id}"): "run",
    ("GET", "/api/v1/workshops/{workshop_id}/stages/{key}/merges"): "read",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/merges"): "run",
    ("DELETE", "/api/v1/workshops/{workshop_id}/stages/{key}/merges/{merge_id}"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/merges/{merge_id}/undo"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/tokens"): "run",
    ("GET", "/api/v1/workshops/{workshop_id}/tokens.pdf"): "run",
    ("POST", "/api/v1/comments/{item_id}/approve"): "run",
    ("POST", "/api/v1/comments/{item_id}/reject"): "run",
    ("POST", "/api/v1/ideas/{item_id}/approve"): "run",
    ("POST", "/api/v1/ideas/{item_id}/reject"): "run",
    ("POST", "/api/v1/workshops/{workshop_id}/members"): "manage",
    ("PUT", "/api/v1/workshops/{workshop_id}/members/{user_id}"): "manage",
    ("DELETE", "/api/v1/workshops/{workshop_id}/members/{user_id}"): "manage",
    ("POST", "/api/v1/workshops/{workshop_id}/erase"): "manage",
    ("DELETE", "/api/v1/workshops/{workshop_id}"): "manage",
}
ROLES = ("owner", "facilitator", "viewer", "non-member", "admin", "disabled")
ALLOWED = {"read": {"owner", "facilitator", "viewer"}, "run": {"owner", "facilitator"},
           "manage": {"owner"}}


def workshop_operations(api: Api) -> set[tuple[str, str]]:
    document = api.get("/api/v1/openapi.json").get_json()
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item
            if path.startswith(("/api/v1/workshops/{workshop_id}", "/api/v1/comments/", "/api/v1/ideas/"))}


@pytest.fixture
def world(app: Any) -> dict[str, Any]:
    admin = Api.signed_in(app, "admin")  # the first account: an admin, member of nothing
    owner = Api.signed_in(app, "owner")
    created = owner.create_workshop(workshop_object(join="tokens", moderation="pre"))
    wid = created["id"]
    people = {"owner": owner, "admin": admin}
    for role in ("facilitator", "viewer", "non-member", "disabled", "bystander"):
        people[role] = Api.signed_in(app, role.replace("-", ""))
    grant(app, wid, "facilitator", "facilitator")
    grant(app, wid, "viewer", "viewer")
    grant(app, wid, "disabled", "facilitator")
    grant(app, wid, "bystander", "viewer")  # whose role the members calls change
    with app.app_context():
        admin_user = accounts.authenticate("admin", "correct horse battery")
        target = accounts.authenticate("disabled", "correct horse battery")
        bystander = accounts.authenticate("bystander", "correct horse battery").id
        accounts.set_disabled(admin_user, target.id, True)
    card = owner.post(f"/api/v1/workshops/{wid}/tokens", {"group": "resident", "count": 1}).get_json()
    browser, _token = owner.join(created["code"], None, token=card["tokens"][0]["token"])
    owner.stage(wid, "goals", "open")
    sock = owner.socket(browser)
    ids: dict[str, int] = {}
    for name in ("c1", "c2"):
        ids[name] = sock.emit("comment", {"stage": "goals", "text": f"ความเห็น {name}"}, callback=True)["id"]
    for name in ("i1", "i2"):
        ids[name] = sock.emit("idea", {"stage": "goals", "title": f"ไอเดีย {name}"}, callback=True)["id"]
    batch = owner.post(f"/api/v1/workshops/{wid}/stages/goals/paper",
                       {"group": "resident", "ballots": [{"dots": {"g1": 1}}]}).get_json()
    ids["batch"] = batch["batch_id"]
    ids["merge"] = owner.post(f"/api/v1/workshops/{wid}/stages/words/merges",
                              {"from": ["green city"], "into": "green"}).get_json()["id"]
    return {"wid": wid, "people": people, "ids": ids, "bystander": bystander}


def requests(world: dict[str, Any], api: Api) -> list[tuple[tuple[str, str], str, Any, int]]:
    """(operation, concrete path, JSON body, status when allowed), in an order that works."""
    w, ids, by = world["wid"], world["ids"], world["bystander"]
    current = api.get(f"/api/v1/workshops/{w}").get_json() if api.token else {}
    edit = {**workshop_object(join="tokens", moderation="pre", city="เทศบาลแก้ไข"),
            "revision": current.get("revision", 0)}
    paper = {"group": "resident", "ballots": [{"items": ["v1"]}]}
    p = "/api/v1/workshops/{workshop_id}"
    s = p + "/stages/{key}/"
    return [
        (("GET", p), f"/api/v1/workshops/{w}", None, 200),
        (("GET", p + "/results"), f"/api/v1/workshops/{w}/results", None, 200),
        (("GET", p + "/comments"), f"/api/v1/workshops/{w}/comments", None, 200),
        (("GET", p + "/ideas"), f"/api/v1/workshops/{w}/ideas", None, 200),
        (("GET", p + "/export"), f"/api/v1/workshops/{w}/export?format=json", None, 200),
        (("GET", p + "/members"), f"/api/v1/workshops/{w}/members", None, 200),
        (("GET", p + "/screen"), f"/api/v1/workshops/{w}/screen", None, 200),
        (("PUT", p), f"/api/v1/workshops/{w}", edit, 200),
        (("POST", p + "/screen"), f"/api/v1/workshops/{w}/screen", {"screen": "welcome"}, 200),
        (("POST", p + "/join/pause"), f"/api/v1/workshops/{w}/join/pause", None, 200),
        (("POST", p + "/join/resume"), f"/api/v1/workshops/{w}/join/resume", None, 200),
        (("POST", s + "open"), f"/api/v1/workshops/{w}/stages/vision/open", None, 200),
        (("POST", s + "reveal"), f"/api/v1/workshops/{w}/stages/vision/reveal", None, 200),
        (("POST", s + "hide"), f"/api/v1/workshops/{w}/stages/vision/hide", None, 200),
        (("POST", s + "paper"), f"/api/v1/workshops/{w}/stages/vision/paper", paper, 201),
        (("POST", s + "close"), f"/api/v1/workshops/{w}/stages/vision/close", None, 200),
        (("GET", s + "paper"), f"/api/v1/workshops/{w}/stages/goals/paper", None, 200),
        (("GET", p + "/paper-batches"), f"/api/v1/workshops/{w}/paper-batches", None, 200),
        (("POST", s + "paper/{batch_id}/void"),
         f"/api/v1/workshops/{w}/stages/goals/paper/{ids['batch']}/void", None, 200),
        (("DELETE", s + "paper/{batch_id}"),
         f"/api/v1/workshops/{w}/stages/goals/paper/{ids['batch']}", None, 200),
        (("POST", p + "/paper-batches/{batch_id}/void"),
         f"/api/v1/workshops/{w}/paper-batches/{ids['batch']}/void", None, 200),
        (("DELETE", p + "/paper-batches/{batch_id}"),
         f"/api/v1/workshops/{w}/paper-batches/{ids['batch']}", None, 200),
        (("GET", s + "merges"), f"/api/v1/workshops/{w}/stages/words/merges", None, 200),
        (("POST", s + "merges"), f"/api/v1/workshops/{w}/stages/words/merges",
         {"from": ["park"], "into": "parks"}, 201),
        (("DELETE", s + "merges/{merge_id}"),
         f"/api/v1/workshops/{w}/stages/words/merges/{ids['merge']}", None, 200),
        (("POST", s + "merges/{merge_id}/undo"),
         f"/api/v1/workshops/{w}/stages/words/merges/{ids['merge']}/undo", None, 200),
        (("POST", p + "/tokens"), f"/api/v1/workshops/{w}/tokens", {"group": "civil", "count": 2}, 201),
        (("GET", p + "/tokens.pdf"), f"/api/v1/workshops/{w}/tokens.pdf", None, 200),
        (("POST", "/api/v1/comments/{item_id}/approve"), f"/api/v1/comments/{ids['c1']}/approve", None, 200),
        (("POST", "/api/v1/comments/{item_id}/reject"), f"/api/v1/comments/{ids['c2']}/reject", None, 200),
        (("POST", "/api/v1/ideas/{item_id}/approve"), f"/api/v1/ideas/{ids['i1']}/approve", None, 200),
        (("POST", "/api/v1/ideas/{item_id}/reject"), f"/api/v1/ideas/{ids['i2']}/reject", None, 200),
        (("POST", p + "/members"), f"/api/v1/workshops/{w}/members",
         {"username": "nonmember", "role": "viewer"}, 201),
        (("PUT", p + "/members/{user_id}"), f"/api/v1/workshops/{w}/members/{by}",
         {"role": "facilitator"}, 200),
        (("DELETE", p + "/members/{user_id}"), f"/api/v1/workshops/{w}/members/{by}", None, 204),
        (("POST", p + "/erase"), f"/api/v1/workshops/{w}/erase", None, 200),
        (("DELETE", p), f"/api/v1/workshops/{w}", None, 204),
    ]


def expected(role: str, action: str, allowed_status: int) -> int:
    if role == "disabled":
        return 401  # its tokens stopped working when it was disabled
    if role in ALLOWED[action]:
        return allowed_status
    if role in ("non-member", "admin"):
        return 404  # as for a workshop that does not exist: ids do not leak
    return 403


def test_every_workshop_operation_is_classified(api: Api) -> None:
    assert workshop_operations(api) == set(ACTIONS)


@pytest.mark.parametrize("role", ROLES)
def test_ownership_matrix_over_the_api(world: dict[str, Any], role: str) -> None:
    api = world["people"][role]
    owner = world["people"]["owner"]
    wrong = []
    for operation, path, body, ok in requests(world, owner):
        method = operation[0]
        response = api.client.open(path, method=method, headers=api._headers(), json=body)
        want = expected(role, ACTIONS[operation], ok)
        if response.status_code != want:
            wrong.append(f"{method} {path}: {response.status_code}, expected {want}")
        elif want in (403, 404, 401):
            code = response.get_json()["error"]["code"]
            assert code == {401: "unauthorized", 403: "forbidden", 404: "not_found"}[want], (path, code)
    assert wrong == []
    listed = [w["id"] for w in api.get("/api/v1/workshops").get_json()] if role != "disabled" else None
    if role in ("facilitator", "viewer"):
        assert listed == [world["wid"]]
    elif role in ("non-member", "admin"):
        assert listed == []


def test_refused_calls_change_nothing(world: dict[str, Any]) -> None:
    owner = world["people"]["owner"]
    before = owner.get(f"/api/v1/workshops/{world['wid']}").get_json()
    members = owner.get(f"/api/v1/workshops/{world['wid']}/members").get_json()
    for role in ("viewer", "non-member", "admin", "disabled"):
        api = world["people"][role]
        for operation, path, body, _ok in requests(world, owner):
            if ACTIONS[operation] != "read":
                api.client.open(path, method=operation[0], headers=api._headers(), json=body)
    assert owner.get(f"/api/v1/workshops/{world['wid']}").get_json() == before
    assert owner.get(f"/api/v1/workshops/{world['wid']}/members").get_json() == members
    pending = owner.get(f"/api/v1/workshops/{world['wid']}/comments?status=pending").get_json()
    assert len(pending) == 2


@pytest.mark.parametrize("role", ROLES)
def test_ownership_matrix_over_the_socket(world: dict[str, Any], role: str) -> None:
    """Connect {"facilitator": TOKEN, "workshop": ID}: every member (a viewer's console is
    live too); then its one event, sync."""
    api = world["people"][role]
    sock = api.socket(auth={"facilitator": api.token, "workshop": world["wid"]})
    member = role in ("owner", "facilitator", "viewer")
    assert sock.is_connected() is member
    if member:
        answer = sock.emit("sync", {}, callback=True)
        assert answer["ok"] is True and answer["workshop"]["id"] == world["wid"]
        assert sock.emit("ballot", {"stage": "goals", "choices": {}}, callback=True)["ok"] is False


#: every socket event, and the kinds of socket that may send it (the others: `not_allowed`);
#: read against the handlers' registry, so a new event fails the test until it is classified
SOCKET_EVENTS: dict[str, tuple[dict[str, Any], set[str]]] = {
    "ballot": ({"stage": "vision", "choices": {"items": ["v1"]}}, {"resident", "kiosk"}),
    "comment": ({"stage": "vision", "text": "ความเห็น"}, {"resident", "kiosk"}),
    "idea": ({"stage": "goals", "title": "ไอเดีย"}, {"resident", "kiosk"}),
    "stage": ({"stage": "vision"}, {"resident", "kiosk"}),
    "sync": ({}, {"owner", "facilitator", "viewer", "resident", "kiosk", "projector"}),
    "comments": ({}, {"owner", "facilitator", "viewer", "resident", "kiosk", "projector"}),
}
SOCKET_ROLES = ("owner", "facilitator", "viewer", "resident", "kiosk", "projector")


def _kiosk_socket(app: Any, owner: Api, wid: int, code: str) -> Any:
    """A helper kiosk started from the console by the owner, with a resident seated at it."""
    from tests.integration.test_console import csrf_from
    from tests.integration.test_live_pages import csrf_of

    console = app.test_client()
    page = console.get("/login?lang=en").get_data(as_text=True)
    signed = console.post("/login?lang=en", data={"csrf_token": csrf_from(page), "username": owner.username,
                                                  "password": "correct horse battery"})
    assert signed.status_code == 302
    sheet = console.get(f"/console/w/{wid}?lang=en").get_data(as_text=True)
    assert console.post(f"/console/w/{wid}/kiosk", data={"csrf_token": csrf_from(sheet)}).status_code == 303
    join_page = console.get(f"/j/{code}?lang=en").get_data(as_text=True)
    joined = console.post(f"/j/{code}", data={"csrf_token": csrf_of(join_page), "group": "resident",
                                              "language": "en"})
    assert joined.status_code == 303
    return owner.socket(console, auth={"workshop": wid})


def test_every_socket_event_for_every_kind_of_socket(app: Any) -> None:
    """Owner, facilitator and viewer consoles, a resident's phone, a helper kiosk with a
    resident at it and a projector, each sending every socket event: a resident's events
    (ballot, comment, idea, stage) are answered `not_allowed` to every other socket and
    store nothing; sync and comments answer everyone, each with its own view."""
    from sqlalchemy import func, select

    from workshop.models import Ballot, Comment, Idea, Participant
    from workshop.realtime.handlers import EVENTS
    from workshop.storage import db

    assert set(SOCKET_EVENTS) == set(EVENTS), "classify the new socket event here"
    owner = Api.signed_in(app, "owner")
    created = owner.create_workshop(workshop_object())
    wid, code = created["id"], created["code"]
    owner.stage(wid, "vision", "open")
    owner.stage(wid, "goals", "open")
    sockets: dict[str, Any] = {"owner": owner.socket(auth={"facilitator": owner.token, "workshop": wid})}
    for role in ("facilitator", "viewer"):
        member = Api.signed_in(app, role)
        grant(app, wid, role, role)
        sockets[role] = member.socket(auth={"facilitator": member.token, "workshop": wid})
    _browser, token = owner.join(code, "civil")
    sockets["resident"] = owner.socket(auth={"participant": token})
    sockets["projector"] = owner.socket(auth={"projector": created["projector_url"].rsplit("/", 1)[1]})
    sockets["kiosk"] = _kiosk_socket(app, owner, wid, code)
    assert all(sock.is_connected() for sock in sockets.values()), [r for r, s in sockets.items()
                                                                   if not s.is_connected()]
    for event, (data, allowed) in SOCKET_EVENTS.items():
        for role in SOCKET_ROLES:
            ack = sockets[role].emit(event, dict(data), callback=True)
            if role in allowed:
                assert ack["ok"] is True, (event, role, ack)
            else:
                assert ack["ok"] is False and ack["error"]["code"] == "not_allowed", (event, role, ack)
    synced = {role: sockets[role].emit("sync", {}, callback=True) for role in SOCKET_ROLES}
    for role in ("owner", "facilitator", "viewer", "projector"):
        assert "participants" in synced[role] and "participant" not in synced[role], role
    for role in ("resident", "kiosk"):
        assert synced[role]["ballots"]["vision"]["choices"] == {"items": ["v1"]}, role
        assert "participants" not in synced[role], role
    with app.app_context():  # only the two residents' events were stored
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 2
        assert db.session.scalar(select(func.count()).select_from(Comment)) == 2
        assert db.session.scalar(select(func.count()).select_from(Idea)) == 2
        assert sorted(p.assisted for p in db.session.scalars(select(Participant))) == [False, True]
