"""PUT /api/v1/workshops/{id}: live-safe edits, stale revisions, sockets told at once."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.factories import Api, workshop_object
from tests.openapi_check import validate_response

PATH = "/api/v1/workshops/{workshop_id}"


def put(api: Api, workshop_id: int, body: dict[str, Any]) -> Any:
    return api.client.put(f"/api/v1/workshops/{workshop_id}", json=body, headers=api._headers())


def current(api: Api, workshop_id: int) -> dict[str, Any]:
    response = api.get(f"/api/v1/workshops/{workshop_id}")
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def stage(body: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in body["stages"] if s["key"] == key)


def received(sock: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def test_get_change_put_round_trip(api: Api) -> None:
    created = api.create_workshop()
    body = current(api, created["id"])
    stage(body, "vision")["title"] = {"th": "วิสัยทัศน์ของเมือง", "en": "City vision"}
    stage(body, "projects")["items"][0]["sdgs"] = [11.2, 6]  # numbers, as people type them
    response = put(api, created["id"], body)
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    validate_response(edited, PATH, "put", 200)
    assert edited["revision"] == body["revision"] + 1
    assert stage(edited, "vision")["title"]["en"] == "City vision"
    assert stage(edited, "projects")["items"][0]["sdgs"] == ["11.2", "6"]
    assert current(api, created["id"]) == edited  # as GET gives it


def test_a_plain_workshop_object_with_a_revision_is_enough(api: Api) -> None:
    created = api.create_workshop()
    obj = workshop_object(title="แผนใหม่", revision=0)
    obj["stages"].append({"key": "extra", "kind": "other", "title": "เพิ่ม", "method": "rank",
                          "items": [{"key": "a", "title": "A"}, {"key": "b", "title": "B"}]})
    response = put(api, created["id"], obj)
    assert response.status_code == 200, response.get_json()
    assert [s["key"] for s in response.get_json()["stages"]][-1] == "extra"
    assert stage(response.get_json(), "extra")["state"] == "draft"


def test_stale_revision_is_refused(api: Api) -> None:
    created = api.create_workshop()
    body = current(api, created["id"])
    first = copy.deepcopy(body)
    first["title"] = "First facilitator"
    assert put(api, created["id"], first).status_code == 200
    body["title"] = "Second facilitator"
    response = put(api, created["id"], body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "stale_revision"
    assert error["details"] == {"revision": body["revision"] + 1}
    validate_response(response.get_json(), PATH, "put", 409)
    assert current(api, created["id"])["title"] == "First facilitator"


def test_a_stage_change_makes_an_edit_stale(api: Api) -> None:
    created = api.create_workshop()
    body = current(api, created["id"])
    api.stage(created["id"], "vision", "open")
    assert put(api, created["id"], body).get_json()["error"]["code"] == "stale_revision"


@pytest.mark.parametrize("revision", [None, "3", True])
def test_missing_or_malformed_revision_is_422(api: Api, revision: Any) -> None:
    created = api.create_workshop()
    body = workshop_object()
    if revision is not None:
        body["revision"] = revision
    response = put(api, created["id"], body)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["loc"] == "revision"


def test_invalid_workshop_is_422_with_the_same_errors_as_creating(api: Api) -> None:
    created = api.create_workshop()
    body = current(api, created["id"])
    stage(body, "projects")["items"][0]["horizon"] = "soon"
    response = put(api, created["id"], body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["details"] == [{"loc": "stages[2].items[0].horizon",
                                 "message": "must be one of short, medium, long"}]
    assert current(api, created["id"])["revision"] == body["revision"]


def test_unknown_workshop_and_no_token(api: Api) -> None:
    assert put(api, 999, workshop_object(revision=0)).status_code == 404
    created = api.create_workshop()
    anonymous = api.client.put(f"/api/v1/workshops/{created['id']}", json=workshop_object(revision=0))
    assert anonymous.status_code == 401


def test_an_edit_invalidating_ballots_is_refused_with_its_place(api: Api) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    browser, _token = api.join(created["code"], "resident")
    sock = api.socket(browser)
    ack = sock.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=True)
    assert ack["ok"] is True
    body = current(api, created["id"])
    stage(body, "vision")["method"] = "single"
    stage(body, "vision")["max_choices"] = None
    response = put(api, created["id"], body)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "edit_invalidates_ballots"
    assert error["message"] == "stages[0].method: stage 'vision' has ballots: its method stays approval"
    assert error["details"] == [{"loc": "stages[0].method", "code": "method_changed",
                                 "params": {"stage": "vision", "old": "approval"},
                                 "message": "stage 'vision' has ballots: its method stays approval"}]
    validate_response(response.get_json(), PATH, "put", 409)

    body = current(api, created["id"])
    body["groups"] = [g for g in body["groups"] if g["key"] != "resident"]
    stage(body, "vision")["items"].pop()
    refused = put(api, created["id"], body).get_json()["error"]["details"]
    assert [(r["loc"], r["code"]) for r in refused] == [
        ("groups[0]", "group_in_use"), ("stages[0].items[2]", "item_removed")]


def test_an_edit_during_voting_reaches_every_phone_and_projector(api: Api) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    phones = []
    for group in ("resident", "government"):
        browser, _token = api.join(created["code"], group)
        phones.append(api.socket(browser))
    key = created["projector_url"].rsplit("/", 1)[1]
    projector = api.socket(auth={"projector": key})
    assert phones[0].emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=True)["ok"]
    for sock in (*phones, projector):
        sock.get_received()

    body = current(api, created["id"])
    stage(body, "vision")["items"][0]["title"] = {"th": "วิสัยทัศน์ 1 (แก้คำผิด)", "en": "Vision 1 (fixed)"}
    body["stages"].append({"key": "later", "kind": "other", "title": "ภายหลัง", "method": "single",
                           "items": [{"key": "x", "title": "X"}]})
    response = put(api, created["id"], body)
    assert response.status_code == 200, response.get_json()

    for sock in (*phones, projector):
        states = received(sock, "state")
        assert states, "every open page hears of the edit"
        whole = states[-1]
        assert "partial" not in whole  # the whole workshop, not the short form
        assert whole["revision"] == response.get_json()["revision"]
        assert stage(whole, "vision")["items"][0]["title"]["en"] == "Vision 1 (fixed)"
        assert stage(whole, "vision")["state"] == "open"
        assert stage(whole, "later")["state"] == "draft"
    # the ballot stays, and counts under the fixed title
    ack = phones[0].emit("sync", {}, callback=True)
    assert ack["ballots"]["vision"]["choices"] == {"items": ["v1"]}
    entry = next(s for s in api.results(created["id"])["stages"] if s["key"] == "vision")
    assert entry["ballots"] == 1
    assert next(i for i in entry["items"] if i["key"] == "v1")["value"] == 1


def test_stages_and_items_are_matched_by_key(api: Api) -> None:
    """Reordering keeps each stage's state and ballots; a removed draft stage goes."""
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    browser, _token = api.join(created["code"], "resident")
    sock = api.socket(browser)
    assert sock.emit("ballot", {"stage": "vision", "choices": {"items": ["v2"]}}, callback=True)["ok"]
    body = current(api, created["id"])
    body["stages"] = [body["stages"][2], body["stages"][1], body["stages"][0]]  # words removed
    stage(body, "vision")["items"].reverse()
    response = put(api, created["id"], body)
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()
    assert [(s["key"], s["state"]) for s in edited["stages"]] == [
        ("projects", "draft"), ("goals", "draft"), ("vision", "open")]
    assert [i["key"] for i in stage(edited, "vision")["items"]] == ["v3", "v2", "v1"]
    assert sock.emit("ballot", {"stage": "vision", "choices": {"items": ["v3"]}}, callback=True) == {
        "ok": True, "version": 2}


def test_approved_ideas_stay_ideas(api: Api, app: Any) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "goals", "open")
    browser, _token = api.join(created["code"], "resident")
    sock = api.socket(browser)
    ack = sock.emit("idea", {"stage": "goals", "title": "ตลาดริมน้ำ"}, callback=True)
    assert api.post(f"/api/v1/ideas/{ack['id']}/approve").status_code == 200
    body = current(api, created["id"])
    stage(body, "goals")["items"][-1]["title"] = "ตลาดริมน้ำ (สะกดใหม่)"
    assert put(api, created["id"], body).status_code == 200
    from workshop.extensions import db
    from workshop.models import Item

    with app.app_context():
        item = db.session.query(Item).filter_by(key=f"idea-{ack['id']}").one()
        assert (item.origin, item.data["title"]) == ("idea", "ตลาดริมน้ำ (สะกดใหม่)")


def test_the_workshop_file_from_the_api_reads_back_the_same(api: Api) -> None:
    created = api.create_workshop()
    response = api.client.get(f"/api/v1/workshops/{created['id']}",
                              headers={**api._headers(), "Accept": "application/yaml"})
    assert response.status_code == 200 and response.mimetype == "application/yaml"
    from workshop.domain.workshop_file import load_workshop_text, parse_workshop

    assert load_workshop_text(response.get_data()) == parse_workshop(workshop_object())
    assert api.get(f"/api/v1/workshops/{created['id']}").mimetype == "application/json"


def test_a_workshop_file_can_be_put_with_its_revision_in_the_query(api: Api) -> None:
    created = api.create_workshop()
    path = f"/api/v1/workshops/{created['id']}"
    yaml_headers = {**api._headers(), "Accept": "application/yaml"}
    text = api.client.get(path, headers=yaml_headers).get_data(as_text=True)
    edited = text.replace("Test city plan", "Test city plan, edited")
    headers = {**api._headers(), "Content-Type": "application/yaml"}
    response = api.client.put(f"{path}?revision=0", data=edited.encode(), headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["title"]["en"] == "Test city plan, edited"
    stale = api.client.put(f"{path}?revision=0", data=edited.encode(), headers=headers)
    assert stale.get_json()["error"]["code"] == "stale_revision"
    assert api.client.put(path, data=edited.encode(), headers=headers).status_code == 422  # no revision


def test_a_stage_action_keeps_the_checked_definition_an_edit_does_not(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening or closing a stage bumps the revision but changes no definition: the typed
    definition checked before is kept (a workshop at the file limits took 0.2-0.4 s to check
    again on every stage action); an edit is checked again and seen at once."""
    from workshop.domain.definition import WorkshopDefinition

    created = api.create_workshop()
    wid = created["id"]
    body = current(api, wid)
    checked: list[int] = []
    real = WorkshopDefinition.from_stored.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(WorkshopDefinition, "from_stored", classmethod(
        lambda cls, *args, **kwargs: checked.append(1) or real(cls, *args, **kwargs)))
    for action in ("open", "close", "reveal", "hide"):
        assert api.post(f"/api/v1/workshops/{wid}/stages/vision/{action}").status_code == 200
        after = current(api, wid)
        assert stage(after, "vision")["state"] == ("open" if action == "open" else "closed")
    assert checked == []
    body = current(api, wid)
    stage(body, "vision")["title"] = "วิสัยทัศน์ใหม่"
    assert put(api, wid, body).status_code == 200
    assert stage(current(api, wid), "vision")["title"] == "วิสัยทัศน์ใหม่"
    assert checked
