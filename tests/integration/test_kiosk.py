"""The helper kiosk (issue 15, item 3): a hall tablet where residents without a phone vote
one after another, each as a new anonymous, assisted participant; a kiosk never shows or
changes an earlier resident's ballot."""

from __future__ import annotations

import html
from typing import Any

from sqlalchemy import select

from tests.factories import Api, workshop_object
from tests.integration.test_console import console, create, csrf_from, stage_results  # noqa: F401
from tests.integration.test_live_pages import boot_of, csrf_of
from workshop.extensions import db
from workshop.models import Ballot, Participant
from workshop.services import results, stages

VISION = ["v1", "v2", "v3", "v1", "v2"]


def _start_kiosk(console: Any, workshop_id: int, code: str) -> Any:  # noqa: F811
    page = console.get(f"/console/w/{workshop_id}?lang=en").get_data(as_text=True)
    assert "Start a helper kiosk on this device" in page
    response = console.post(f"/console/w/{workshop_id}/kiosk", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/j/{code}")
    return console


def _vote(app: Any, kiosk: Any, workshop_id: int, item: str, ballot_id: str) -> None:
    socket = Api(app).socket(kiosk, auth={"workshop": workshop_id})
    assert socket.is_connected()
    ack = socket.emit("ballot", {"stage": "vision", "choices": {"items": [item]}, "ballot_id": ballot_id},
                      callback=True)
    assert ack == {"ok": True, "version": 1}, ack
    socket.disconnect()


def test_five_residents_at_a_kiosk_are_five_anonymous_assisted_participants(
        app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, code = create(app)
    with app.app_context():
        stages.ACTIONS["open"](workshop_id, "vision")
    kiosk = _start_kiosk(console, workshop_id, code)
    # the kiosk browser is signed out of the console: nobody at it reaches the console
    assert kiosk.get(f"/console/w/{workshop_id}").status_code == 302

    for n, item in enumerate(VISION):
        page = kiosk.get(f"/j/{code}?lang=en").get_data(as_text=True)
        assert "Helper kiosk" in page and 'name="group"' in page  # a fresh join page each time
        assert "snapshot" not in page
        response = kiosk.post(f"/j/{code}", data={"csrf_token": csrf_of(page), "group": "resident",
                                                  "language": "en"})
        assert response.status_code == 303
        room = kiosk.get(f"/j/{code}").get_data(as_text=True)
        snapshot = boot_of(room)["snapshot"]
        assert snapshot["ballots"] == {}  # nothing of the previous resident
        assert "Finished: next person" in room
        _vote(app, kiosk, workshop_id, item, f"kiosk-{n}")
        mine = boot_of(kiosk.get(f"/j/{code}").get_data(as_text=True))["snapshot"]["ballots"]
        assert mine["vision"]["choices"] == {"items": [item]}
        done = kiosk.post(f"/j/{code}/next", data={"csrf_token": csrf_of(room)})
        assert done.status_code == 303
        # the previous resident is forgotten: the page is a join page again, with no ballot,
        # and the socket no longer lets this browser in as them
        after = kiosk.get(f"/j/{code}").get_data(as_text=True)
        assert 'id="boot"' not in after and 'name="group"' in after
        socket = Api(app).socket(kiosk, auth={"workshop": workshop_id})
        assert not socket.is_connected()

    with app.app_context():
        people = list(db.session.scalars(select(Participant).where(Participant.workshop_id == workshop_id)))
        assert len(people) == 5 and all(p.assisted for p in people)
        assert len({p.token_hash for p in people}) == 5
    with app.app_context():
        counts = results.workshop_results(workshop_id, "en")["participants"]
    assert counts["total"] == 5 and counts["assisted"] == 5  # the results say how many at the kiosk
    with app.app_context():
        channels = set(db.session.scalars(select(Ballot.channel).join(Participant).where(
            Participant.workshop_id == workshop_id)))
    assert channels == {"kiosk"}  # every kiosk ballot is tagged kiosk
    vision = stage_results(app, workshop_id, "vision")
    assert vision["ballots"] == 5
    counts = {i["key"]: i["value"] for i in vision["items"]}
    assert counts["v1"] == counts["v2"] == 2 * counts["v3"] > 0  # each ballot counted once


def test_a_phone_is_not_assisted_and_next_person_does_not_forget_it(app: Any, client: Any) -> None:
    _workshop_id, code = create(app)
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert "Helper kiosk" not in html.unescape(page) and "ตู้ช่วยลงคะแนน" not in page
    client.post(f"/j/{code}", data={"csrf_token": csrf_of(page), "group": "resident", "language": "th"})
    room = client.get(f"/j/{code}").get_data(as_text=True)
    assert 'id="boot"' in room and "/next" not in room
    client.post(f"/j/{code}/next", data={"csrf_token": csrf_of(page)})  # not a kiosk: no effect
    assert 'id="boot"' in client.get(f"/j/{code}").get_data(as_text=True)
    with app.app_context():
        assert [p.assisted for p in db.session.scalars(select(Participant))] == [False]
        assert results.workshop_results(_workshop_id, "en")["participants"]["assisted"] == 0


def test_starting_a_kiosk_needs_the_csrf_token_and_an_open_join(app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, _code = create(app)
    assert console.post(f"/console/w/{workshop_id}/kiosk", data={}).status_code == 400
    assert console.get(f"/console/w/{workshop_id}").status_code == 200  # still signed in
    cards_id, _ = create(app, workshop_object(join="tokens"))
    page = console.get(f"/console/w/{cards_id}?lang=en").get_data(as_text=True)
    assert "Start a helper kiosk" not in page
    refused = console.post(f"/console/w/{cards_id}/kiosk", data={"csrf_token": csrf_from(page)})
    assert refused.status_code == 409
    assert console.get(f"/console/w/{cards_id}").status_code == 200


def test_stopping_the_kiosks_ends_kiosk_mode_and_voting_at_them(app: Any, console: Any) -> None:  # noqa: F811
    from tests.integration.test_console import make_user, sign_in

    workshop_id, code = create(app)
    with app.app_context():
        stages.ACTIONS["open"](workshop_id, "vision")
    other = app.test_client()  # the facilitator's own laptop, still signed in
    assert sign_in(other, make_user(app, "second")).status_code == 302
    with app.app_context():
        from workshop.models import User
        from workshop.services import access

        access.make_owner("workshop", workshop_id, db.session.scalar(select(User.id).where(
            User.username == "second")))
        db.session.commit()
    kiosk = _start_kiosk(console, workshop_id, code)
    page = kiosk.get(f"/j/{code}?lang=en").get_data(as_text=True)
    kiosk.post(f"/j/{code}", data={"csrf_token": csrf_of(page), "group": "resident", "language": "en"})
    room = kiosk.get(f"/j/{code}").get_data(as_text=True)
    assert 'id="kiosk-idle"' in room and "js/kiosk.js" in room  # the idle question, and its script
    seated = Api(app).socket(kiosk, auth={"workshop": workshop_id})
    seated.get_received()
    ack = seated.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": "k1"},
                      callback=True)
    assert ack["ok"] is True, ack

    sheet = other.get(f"/console/w/{workshop_id}?lang=en").get_data(as_text=True)
    assert "Stop helper kiosks" in sheet
    assert other.post(f"/console/w/{workshop_id}/kiosk/stop", data={}).status_code == 400  # CSRF
    stopped = other.post(f"/console/w/{workshop_id}/kiosk/stop", data={"csrf_token": csrf_from(sheet)})
    assert stopped.status_code == 303

    # the seated resident's page is told at once, and can vote no further
    assert [e["name"] for e in seated.get_received()].count("kiosk_stopped") == 1
    ack = seated.emit("ballot", {"stage": "vision", "choices": {"items": ["v2"]}, "ballot_id": "k2"},
                      callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_allowed", ack
    # the tablet's next page says the kiosk was stopped; it is a kiosk no more
    page = kiosk.get(f"/j/{code}?lang=en")
    assert page.status_code == 200 and "This helper kiosk has been stopped" in page.get_data(as_text=True)
    after = kiosk.get(f"/j/{code}?lang=en").get_data(as_text=True)
    assert "Helper kiosk" not in html.unescape(after) and 'name="group"' in after and 'id="boot"' not in after
    assert not Api(app).socket(kiosk, auth={"workshop": workshop_id}).is_connected()
    # the ballot sent before the stop stays counted, once
    vision = stage_results(app, workshop_id, "vision")
    assert vision["ballots"] == 1 and vision["by_channel"]["kiosk"] == 1
    # a kiosk can be started again later
    assert sign_in(kiosk, "second").status_code == 302
    again = _start_kiosk(kiosk, workshop_id, code)
    assert "Helper kiosk" in again.get(f"/j/{code}?lang=en").get_data(as_text=True)
