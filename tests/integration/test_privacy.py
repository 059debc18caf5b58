"""Residents' personal data: anonymous by design, erasable by the facilitator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect, select

from tests.factories import SAME_ORIGIN, Api, stage_entry
from tests.openapi_check import validate_response


def test_nothing_identifying_is_stored_with_a_ballot(app: Any) -> None:
    from workshop.models import Base

    for mapper in Base.registry.mappers:
        columns = {c.key for c in inspect(mapper.class_).columns}
        assert not columns & {"ip", "ip_address", "remote_addr", "user_agent", "name", "email", "phone"}


#: what a phone's requests carry that could identify it; none of it may reach the database
ADDRESS, AGENT, FORWARDED = "203.0.113.77", "RuamKitProbe/9.9 (Redmi 9A; Android 10)", "198.51.100.23"


def test_no_address_or_device_reaches_the_database(api: Api) -> None:
    """A resident joins, votes, comments and posts an idea from a distinctive address and
    phone: afterwards no row of any table holds the address, a forwarded address or the
    User-Agent (the whole database is dumped and searched)."""
    from sqlalchemy import text

    from workshop.extensions import db
    from workshop.models import Base

    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    browser = api.app.test_client()
    environ = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": AGENT, "HTTP_X_FORWARDED_FOR": FORWARDED}
    page = browser.get(f"/j/{created['code']}", environ_base=environ)
    assert page.status_code == 200
    joined = browser.post("/api/v1/join", json={"code": created["code"], "group": "civil"},
                          environ_base=environ, headers=SAME_ORIGIN)
    assert joined.status_code == 201
    from workshop.extensions import socketio

    sock = socketio.test_client(api.app, flask_test_client=browser,
                                headers={"User-Agent": AGENT, "X-Forwarded-For": FORWARDED})
    assert sock.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": "b1"},
                     callback=True)["ok"]
    assert sock.emit("comment", {"stage": "vision", "text": "ขอทางเท้า"}, callback=True)["ok"]
    assert sock.emit("idea", {"stage": "goals", "title": "ตลาดเย็น"}, callback=True)["ok"]

    dumped = []
    with api.app.app_context():
        session = db.session()
        for table in Base.metadata.sorted_tables:
            for row in session.execute(text(f"SELECT * FROM {table.name}")):
                dumped.append(f"{table.name}: {tuple(row)}")
        db.session.remove()
    whole = "\n".join(dumped)
    assert "ขอทางเท้า" in whole and "ตลาดเย็น" in whole  # the dump does hold what was sent
    for secret in (ADDRESS, FORWARDED, "203.0.113", "RuamKitProbe", "Redmi"):
        assert secret not in whole, secret


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
