"""Residents' personal data: anonymous by design, erasable by the facilitator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select

from tests.factories import Api, stage_entry
from tests.openapi_check import validate_response


def test_nothing_identifying_is_stored_with_a_ballot(app: Any) -> None:
    from workshop.models import Ballot, Comment, Participant

    for model in (Ballot, Participant, Comment):
        columns = {c.key for c in inspect(model).columns}
        assert not columns & {"ip", "ip_address", "remote_addr", "user_agent", "name", "email", "phone"}


def test_erase_keeps_anonymous_results_and_kills_tokens(api: Api) -> None:
    created = api.create_workshop()
    wid = created["id"]
    api.stage(wid, "vision", "open")
    browser, token = api.join(created["code"], "civil")
    sock = api.socket(browser)
    assert sock.emit(
        "ballot", {"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": "x1"}, callback=True
    )["ok"]
    published = sock.emit("comment", {"stage": "vision", "text": "ชื่อ นาย ก. โทร 081"}, callback=True)
    sock.emit("comment", {"stage": "vision", "text": "pending, never published"}, callback=True)
    sock.emit("idea", {"stage": "goals", "title": "my idea"}, callback=True)
    api.post(f"/api/v1/comments/{published['id']}/approve")
    before = api.results(wid)

    response = api.post(f"/api/v1/workshops/{wid}/erase")
    assert response.status_code == 200
    body = response.get_json()
    validate_response(body, "/api/v1/workshops/{workshop_id}/erase", "post", 200)
    assert (body["participants"], body["receipts"], body["comments_deleted"], body["ideas_deleted"]) == (
        1,
        1,
        1,
        1,
    )

    after = api.results(wid)
    assert after == before  # ballots and participation counts stay, anonymously
    assert stage_entry(after, "vision")["items"][0]["by_group"] == {
        "civil": {"ballots": 1, "value": 1, "score": 100.0}
    }
    comments = api.get(f"/api/v1/workshops/{wid}/comments").get_json()
    assert [c["status"] for c in comments] == ["published"]
    assert api.get(f"/api/v1/workshops/{wid}").get_json()["erased_at"]

    # the phone's token is dead: no new socket, no ballot through the old one
    assert not api.socket(auth={"participant": token}).is_connected()
    ack = sock.emit("ballot", {"stage": "vision", "choices": {"items": ["v2"]}}, callback=True)
    assert ack["ok"] is False

    from workshop.extensions import db
    from workshop.models import Comment

    with api.app.app_context():
        assert db.session.scalars(select(Comment.participant_id)).all() == [None]


def test_delete_workshop_removes_everything(api: Api) -> None:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    browser, _ = api.join(created["code"])
    api.socket(browser).emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=True)
    assert api.delete(f"/api/v1/workshops/{created['id']}").status_code == 204
    assert api.get(f"/api/v1/workshops/{created['id']}").status_code == 404
    assert api.delete(f"/api/v1/workshops/{created['id']}").status_code == 404
    from workshop.extensions import db
    from workshop.models import Ballot, Participant

    with api.app.app_context():
        assert db.session.scalars(select(Ballot)).all() == []
        assert db.session.scalars(select(Participant)).all() == []
