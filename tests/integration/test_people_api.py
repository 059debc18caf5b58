"""People over the API: a workshop's members, one's own password and sessions, and the
admins' accounts (web/api/people.py). Responses are checked against the OpenAPI document."""

from __future__ import annotations

from typing import Any

from tests.factories import PASSWORD, Api
from tests.openapi_check import validate_response
from workshop.services import accounts

MEMBERS = "/api/v1/workshops/{workshop_id}/members"


def test_an_owner_adds_changes_and_removes_members(app: Any) -> None:
    Api.signed_in(app, "admin")
    owner = Api.signed_in(app, "owner")
    colleague = Api.signed_in(app, "colleague")
    wid = owner.create_workshop()["id"]
    assert colleague.get(f"/api/v1/workshops/{wid}").status_code == 404

    added = owner.post(f"/api/v1/workshops/{wid}/members", {"username": "colleague", "role": "viewer"})
    assert added.status_code == 201
    validate_response(added.get_json(), MEMBERS, "post", 201)
    uid = added.get_json()["user_id"]
    assert colleague.get(f"/api/v1/workshops/{wid}").status_code == 200
    assert colleague.post(f"/api/v1/workshops/{wid}/stages/vision/open").status_code == 403

    listed = colleague.get(f"/api/v1/workshops/{wid}/members")
    validate_response(listed.get_json(), MEMBERS, "get", 200)
    assert [(m["username"], m["role"]) for m in listed.get_json()] == [
        ("owner", "owner"), ("colleague", "viewer")]

    changed = owner.client.put(f"/api/v1/workshops/{wid}/members/{uid}", json={"role": "facilitator"},
                               headers=owner._headers())
    assert changed.status_code == 200 and changed.get_json()["role"] == "facilitator"
    assert colleague.post(f"/api/v1/workshops/{wid}/stages/vision/open").status_code == 200

    again = owner.post(f"/api/v1/workshops/{wid}/members", {"username": "colleague", "role": "viewer"})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "already_member")
    unknown = owner.post(f"/api/v1/workshops/{wid}/members", {"username": "nobody", "role": "viewer"})
    assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (422, "unknown_account")
    bad_role = owner.post(f"/api/v1/workshops/{wid}/members", {"username": "admin", "role": "king"})
    assert (bad_role.status_code, bad_role.get_json()["error"]["code"]) == (422, "bad_role")

    owner_id = listed.get_json()[0]["user_id"]
    last = owner.delete(f"/api/v1/workshops/{wid}/members/{owner_id}")
    assert (last.status_code, last.get_json()["error"]["code"]) == (409, "last_owner")
    demote = owner.client.put(f"/api/v1/workshops/{wid}/members/{owner_id}", json={"role": "viewer"},
                              headers=owner._headers())
    assert demote.status_code == 409

    assert owner.delete(f"/api/v1/workshops/{wid}/members/{uid}").status_code == 204
    assert colleague.get(f"/api/v1/workshops/{wid}").status_code == 404
    assert owner.delete(f"/api/v1/workshops/{wid}/members/{uid}").status_code == 404


def test_a_removed_member_loses_the_socket_at_once(app: Any) -> None:
    owner = Api.signed_in(app, "owner")
    colleague = Api.signed_in(app, "colleague")
    wid = owner.create_workshop()["id"]
    owner.post(f"/api/v1/workshops/{wid}/members", {"username": "colleague", "role": "facilitator"})
    uid = owner.get(f"/api/v1/workshops/{wid}/members").get_json()[1]["user_id"]
    sock = colleague.socket(auth={"facilitator": colleague.token, "workshop": wid})
    mine = owner.socket(auth={"facilitator": owner.token, "workshop": wid})
    assert sock.is_connected() and mine.is_connected()
    # a new role: cut, and connecting again gives the new role
    owner.client.put(f"/api/v1/workshops/{wid}/members/{uid}", json={"role": "viewer"},
                     headers=owner._headers())
    assert not sock.is_connected() and mine.is_connected()
    sock = colleague.socket(auth={"facilitator": colleague.token, "workshop": wid})
    assert sock.is_connected()
    owner.delete(f"/api/v1/workshops/{wid}/members/{uid}")
    assert not sock.is_connected()
    assert not colleague.socket(auth={"facilitator": colleague.token, "workshop": wid}).is_connected()


def test_change_password_over_the_api(app: Any) -> None:
    api = Api.signed_in(app, "somchai")
    other_session = Api(app, api.post("/api/v1/auth/token",
                                      {"username": "somchai", "password": PASSWORD}).get_json()["token"])
    wrong = api.post("/api/v1/auth/password",
                     {"current_password": "nope", "new_password": "long enough words"})
    assert (wrong.status_code, wrong.get_json()["error"]["code"]) == (401, "wrong_password")
    weak = api.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "password"})
    assert weak.status_code == 422
    body = weak.get_json()["error"]
    assert body["code"] == "weak_password"
    assert body["details"] == [{"code": "too_short", "min_length": 10}, {"code": "too_common"}]
    validate_response(weak.get_json(), "/api/v1/auth/password", "post", 422)
    common = api.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "qwertyuiop"})
    assert common.get_json()["error"]["details"] == [{"code": "too_common"}]

    done = api.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "new long words"})
    assert done.status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 200  # this token stays
    assert other_session.get("/api/v1/auth/me").status_code == 401  # other sessions end
    assert api.post("/api/v1/auth/token", {"username": "somchai", "password": PASSWORD}).status_code == 401
    assert api.post("/api/v1/auth/token", {"username": "somchai",
                                           "password": "new long words"}).status_code == 201


def test_sign_out_everywhere_revokes_every_token_and_cuts_sockets(app: Any) -> None:
    api = Api.signed_in(app, "somchai")
    second = Api(app, api.post("/api/v1/auth/token",
                               {"username": "somchai", "password": PASSWORD}).get_json()["token"])
    colleague = Api.signed_in(app, "colleague")
    wid = api.create_workshop()["id"]
    api.post(f"/api/v1/workshops/{wid}/members", {"username": "colleague", "role": "viewer"})
    sockets = [api.socket(auth={"facilitator": t, "workshop": wid}) for t in (api.token, second.token)]
    theirs = colleague.socket(auth={"facilitator": colleague.token, "workshop": wid})
    assert all(s.is_connected() for s in sockets)
    assert api.post("/api/v1/auth/signout-all").status_code == 204
    assert api.get("/api/v1/auth/me").status_code == 401
    assert second.get("/api/v1/workshops").status_code == 401
    assert not any(s.is_connected() for s in sockets)
    assert theirs.is_connected()


def test_admins_invite_disable_enable_and_reset(app: Any) -> None:
    admin = Api.signed_in(app, "admin")
    user = Api.signed_in(app, "somchai")
    me = admin.get("/api/v1/auth/me")
    validate_response(me.get_json(), "/api/v1/auth/me", "get", 200)
    assert me.get_json()["is_admin"] is True

    for call in (user.get("/api/v1/accounts"), user.post("/api/v1/accounts", {"username": "x1"})):
        assert (call.status_code, call.get_json()["error"]["code"]) == (403, "admin_only")

    invited = admin.post("/api/v1/accounts", {"username": "newcomer"})
    assert invited.status_code == 201
    validate_response(invited.get_json(), "/api/v1/accounts", "post", 201)
    link = invited.get_json()["link"]
    assert "/invite/" in link and invited.get_json()["account"]["has_password"] is False
    with app.app_context():
        accounts.use_link(link.rsplit("/", 1)[1], "a newcomer's own words")
    assert admin.post("/api/v1/accounts", {"username": "newcomer"}).status_code == 409

    listed = admin.get("/api/v1/accounts")
    validate_response(listed.get_json(), "/api/v1/accounts", "get", 200)
    by_name = {a["username"]: a for a in listed.get_json()}
    assert set(by_name) == {"admin", "somchai", "newcomer"}
    assert by_name["somchai"]["last_sign_in_at"] is not None
    assert by_name["newcomer"]["last_sign_in_at"] is None

    wid = user.create_workshop()["id"]
    sock = user.socket(auth={"facilitator": user.token, "workshop": wid})
    uid = by_name["somchai"]["id"]
    disabled = admin.post(f"/api/v1/accounts/{uid}/disable")
    assert disabled.status_code == 200 and disabled.get_json()["disabled"] is True
    assert not sock.is_connected()  # at once
    assert user.get("/api/v1/workshops").status_code == 401
    assert user.post("/api/v1/auth/token", {"username": "somchai", "password": PASSWORD}).status_code == 401
    assert admin.post(f"/api/v1/accounts/{me.get_json()['id']}/disable").status_code == 409

    assert admin.post(f"/api/v1/accounts/{uid}/enable").get_json()["disabled"] is False
    assert user.post("/api/v1/auth/token", {"username": "somchai", "password": PASSWORD}).status_code == 201

    reset = admin.post(f"/api/v1/accounts/{uid}/reset")
    assert reset.status_code == 200
    assert user.post("/api/v1/auth/token", {"username": "somchai", "password": PASSWORD}).status_code == 401
    assert admin.post("/api/v1/accounts/999/reset").status_code == 404
