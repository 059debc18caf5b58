"""Paper batches (contract section 3): kept, refused when sent twice, listed, voided."""

from __future__ import annotations

from typing import Any

from tests.factories import Api, items_by_key, stage_entry
from tests.openapi_check import validate_response

W = "/api/v1/workshops"
BATCH = {"group": "government", "ballots": [{"items": ["v1"]}, {"items": ["v1", "v2"]}]}


def _received(sock: Any, name: str) -> list[Any]:
    return [e["args"][0] for e in sock.get_received() if e["name"] == name]


def test_a_batch_sent_twice_is_refused_then_confirmed_then_voided(api: Api) -> None:
    created = api.create_workshop()
    wid = created["id"]
    projector = api.socket(auth={"projector": created["projector_url"].rsplit("/", 1)[1]})
    api.stage(wid, "vision", "open")
    paper = f"{W}/{wid}/stages/vision/paper"

    first = api.post(paper, BATCH)
    assert first.status_code == 201
    body = first.get_json()
    validate_response(body, "/api/v1/workshops/{workshop_id}/stages/{key}/paper", "post", 201)
    assert (body["stored"], body["ballots"], body["paper_ballots"]) == (2, 2, 2)
    assert body["batch"]["count"] == 2 and body["batch"]["group"] == "government"
    assert body["batch"]["created_by"] and body["batch"]["voided"] is False

    # the same ballots, in another order: identical, refused, nothing counted
    again = api.post(paper, {**BATCH, "ballots": list(reversed(BATCH["ballots"]))})
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "duplicate_batch"
    assert error["details"]["batch"]["id"] == body["batch_id"]
    assert stage_entry(api.results(wid), "vision")["ballots"] == 2

    # another group is another batch
    assert api.post(paper, {**BATCH, "group": "civil"}).status_code == 201
    confirmed = api.post(paper, {**BATCH, "confirm": True})
    assert confirmed.status_code == 201
    assert confirmed.get_json()["batch"]["confirmed_duplicate"] is True
    entry = stage_entry(api.results(wid), "vision")
    assert (entry["ballots"], entry["paper_ballots"]) == (6, 6)

    listed = api.get(paper).get_json()
    validate_response(listed, "/api/v1/workshops/{workshop_id}/stages/{key}/paper", "get", 200)
    assert [b["group"] for b in listed] == ["government", "civil", "government"]  # newest first
    assert api.get(f"{W}/{wid}/paper-batches").get_json() == listed

    projector.get_received()
    voided = api.post(f"{paper}/{body['batch_id']}/void")
    assert voided.status_code == 200
    validate_response(voided.get_json(), "/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}/void",
                      "post", 200)
    assert voided.get_json()["voided"] is True and voided.get_json()["voided_by"]
    entry = stage_entry(api.results(wid), "vision")
    assert (entry["ballots"], entry["paper_ballots"]) == (4, 4)
    assert items_by_key(entry)["v1"]["value"] == 4 and items_by_key(entry)["v2"]["value"] == 2
    pushed = _received(projector, "results")
    assert pushed and pushed[-1]["key"] == "vision" and pushed[-1]["paper_ballots"] == 4

    # voiding again changes nothing; the voided batch stays listed
    assert api.delete(f"{paper}/{body['batch_id']}").status_code == 200
    assert stage_entry(api.results(wid), "vision")["paper_ballots"] == 4
    assert [b["voided"] for b in api.get(paper).get_json()] == [False, False, True]
    # once voided, the same batch is not a duplicate any more... of the voided one; the
    # confirmed copy still counts, so sending it once more is refused again
    assert api.post(paper, BATCH).status_code == 409


def test_void_through_the_workshop_wide_address(api: Api) -> None:
    wid = api.create_workshop()["id"]
    api.stage(wid, "vision", "open")
    batch = api.post(f"{W}/{wid}/stages/vision/paper", BATCH).get_json()["batch_id"]
    assert api.delete(f"{W}/{wid}/paper-batches/{batch}").status_code == 200
    assert stage_entry(api.results(wid), "vision")["paper_ballots"] == 0
    # a voided batch may be sent again: it is not a duplicate of a voided one
    assert api.post(f"{W}/{wid}/stages/vision/paper", BATCH).status_code == 201


def test_void_errors(api: Api) -> None:
    wid = api.create_workshop()["id"]
    other = api.create_workshop()["id"]
    api.stage(wid, "vision", "open")
    batch = api.post(f"{W}/{wid}/stages/vision/paper", BATCH).get_json()["batch_id"]
    assert api.post(f"{W}/{other}/paper-batches/{batch}/void").status_code == 404
    assert api.post(f"{W}/{wid}/stages/goals/paper/{batch}/void").status_code == 404
    assert api.post(f"{W}/{wid}/stages/vision/paper/999999/void").status_code == 404
    assert api.post(f"{W}/{wid}/stages/vision/paper", {**BATCH, "confirm": "yes"}).status_code == 422
    assert Api(api.app).post(f"{W}/{wid}/stages/vision/paper/{batch}/void").status_code == 401
    assert stage_entry(api.results(wid), "vision")["paper_ballots"] == 2


def test_a_batch_older_than_30_minutes_is_not_a_duplicate(api: Api) -> None:
    from datetime import timedelta

    from workshop.extensions import db
    from workshop.models import PaperBatch

    wid = api.create_workshop()["id"]
    api.stage(wid, "vision", "open")
    batch = api.post(f"{W}/{wid}/stages/vision/paper", BATCH).get_json()["batch_id"]
    with api.app.app_context():
        row = db.session.get(PaperBatch, batch)
        row.created_at = row.created_at - timedelta(minutes=31)
        db.session.commit()
    assert api.post(f"{W}/{wid}/stages/vision/paper", BATCH).status_code == 201
