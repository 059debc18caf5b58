"""Plans over the API: create, list, edit, attach/detach workshops, access, OpenAPI shapes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api, grant, workshop_object
from tests.openapi_check import validate_response

P = "/api/v1/plans"
RANONG_PLAN = {
    "title": {"th": "แผนพัฒนาเมืองระนอง", "en": "Ranong development plan"},
    "city": "เทศบาลเมืองระนอง",
    "period": "2570-2574",
    "languages": ["th", "en"],
}


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


def put(api: Api, path: str, body: Any) -> Any:
    return api.client.put(path, json=body, headers={"Authorization": f"Bearer {api.token}"})


def make_plan(api: Api, **overrides: Any) -> dict[str, Any]:
    response = api.post(P, {**RANONG_PLAN, **overrides})
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def test_create_list_get_and_edit_a_plan(api: Api) -> None:
    forum_a = api.create_workshop(workshop_object(title="ประชาคมชุมชนบางริ้น"))
    forum_b = api.create_workshop(workshop_object(title="ประชาคมชุมชนเขานิเวศน์"))
    response = api.post(P, {**RANONG_PLAN, "workshops": [forum_b["id"], forum_a["id"]]})
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    validate_response(plan, "/api/v1/plans", "post", 201)
    assert plan["period"] == {"start": 2570, "end": 2574}
    assert plan["years"] == [2570, 2571, 2572, 2573, 2574]
    assert plan["created_by"] == api.username
    assert [w["id"] for w in plan["workshops"]] == [forum_b["id"], forum_a["id"]]
    assert [w["position"] for w in plan["workshops"]] == [0, 1]
    assert plan["workshops"][0]["title"] == "ประชาคมชุมชนเขานิเวศน์"

    listed = api.get(P).get_json()
    validate_response(listed, "/api/v1/plans", "get", 200)
    assert [p["id"] for p in listed] == [plan["id"]]
    got = api.get(f"{P}/{plan['id']}").get_json()
    validate_response(got, "/api/v1/plans/{plan_id}", "get", 200)
    assert got == plan

    # PUT replaces the object; the workshops' order too when given
    edited = put(
        api,
        f"{P}/{plan['id']}",
        {
            **RANONG_PLAN,
            "period": {"start": 2571, "end": 2575},
            "workshops": [forum_a["id"]],
            "revision": plan["revision"],
        },
    )
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    validate_response(body, "/api/v1/plans/{plan_id}", "put", 200)
    assert body["period"] == {"start": 2571, "end": 2575} and [w["id"] for w in body["workshops"]] == [
        forum_a["id"]
    ]
    assert body["revision"] == plan["revision"] + 1
    stale = put(api, f"{P}/{plan['id']}", {**RANONG_PLAN, "revision": plan["revision"]})
    assert stale.status_code == 409 and stale.get_json()["error"]["code"] == "stale_revision"


def test_attach_move_and_detach(api: Api) -> None:
    plan = make_plan(api)
    ids = [api.create_workshop()["id"] for _ in range(3)]
    for wid in ids:
        response = api.post(f"{P}/{plan['id']}/workshops", {"workshop": wid})
        assert response.status_code == 200, response.get_json()
    validate_response(response.get_json(), "/api/v1/plans/{plan_id}/workshops", "post", 200)
    assert [w["id"] for w in response.get_json()["workshops"]] == ids
    moved = api.post(f"{P}/{plan['id']}/workshops", {"workshop": ids[2], "position": 0}).get_json()
    assert [w["id"] for w in moved["workshops"]] == [ids[2], ids[0], ids[1]]
    detached = api.delete(f"{P}/{plan['id']}/workshops/{ids[0]}")
    assert detached.status_code == 200
    assert [w["id"] for w in detached.get_json()["workshops"]] == [ids[2], ids[1]]
    assert api.delete(f"{P}/{plan['id']}/workshops/{ids[0]}").get_json()["error"]["code"] == "not_in_plan"
    # the workshop stays
    assert api.get(f"/api/v1/workshops/{ids[0]}").status_code == 200


def test_a_workshop_belongs_to_one_plan_at_most(api: Api) -> None:
    first, second = make_plan(api), make_plan(api, title="แผนอื่น")
    wid = api.create_workshop()["id"]
    assert api.post(f"{P}/{first['id']}/workshops", {"workshop": wid}).status_code == 200
    response = api.post(f"{P}/{second['id']}/workshops", {"workshop": wid})
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "workshop_in_other_plan" and error["details"] == {
        "workshop": wid,
        "plan": first["id"],
    }
    created = api.post(P, {**RANONG_PLAN, "workshops": [wid]})
    assert created.status_code == 409
    assert len(api.get(P).get_json()) == 2  # the refused plan was not created


def test_deleting_a_plan_keeps_its_workshops_and_deleting_a_workshop_leaves_the_plan(api: Api) -> None:
    keep, gone = api.create_workshop()["id"], api.create_workshop()["id"]
    plan = make_plan(api, workshops=[keep, gone])
    assert api.delete(f"/api/v1/workshops/{gone}").status_code == 204
    assert [w["id"] for w in api.get(f"{P}/{plan['id']}").get_json()["workshops"]] == [keep]
    assert api.delete(f"{P}/{plan['id']}").status_code == 204
    assert api.get(f"{P}/{plan['id']}").status_code == 404
    assert api.get(f"/api/v1/workshops/{keep}").status_code == 200
    # the workshop is free again
    assert make_plan(api, workshops=[keep])["workshops"][0]["id"] == keep


@pytest.mark.parametrize(
    ("body", "loc", "code"),
    [
        ({"period": "2570-2574"}, "title", "required"),
        ({"title": "x"}, "period", "required"),
        ({"title": "x", "period": "2574-2570"}, "period", "period_order"),
        ({"title": "x", "period": "2570-2590"}, "period", "period_length"),
        ({"title": "x", "period": "2027-2031"}, "period", "period_range"),
        ({"title": "x", "period": "soon"}, "period", "period_format"),
        ({"title": {"fr": "plan"}, "period": "2570-2574"}, "title.fr", "text_language"),
        ({"title": "x", "period": "2570-2574", "budget": 5}, "budget", "unknown_field"),
        ({"title": "x", "period": "2570-2574", "workshops": [1, 1]}, "workshops", "workshops"),
    ],
)
def test_a_bad_plan_is_422_with_each_problem_placed(
    api: Api, body: dict[str, Any], loc: str, code: str
) -> None:
    response = api.post(P, body)
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["error"]["details"]
    assert {"loc": loc, "code": code} in [{"loc": d["loc"], "code": d["code"]} for d in details]
    assert api.get(P).get_json() == []


def test_thai_digits_in_the_period(api: Api) -> None:
    assert make_plan(api, period="๒๕๗๐-๒๕๗๔")["period"] == {"start": 2570, "end": 2574}


def test_only_members_see_a_plan_and_only_facilitators_of_a_workshop_attach_it(app: Any, api: Api) -> None:
    plan = make_plan(api)
    other = Api.signed_in(app)
    # not a member: 404, as if the plan did not exist; and not in their list
    assert other.get(f"{P}/{plan['id']}").status_code == 404
    assert other.get(P).get_json() == []
    assert put(other, f"{P}/{plan['id']}", RANONG_PLAN).status_code == 404
    # their own workshop cannot go into a plan they are not in
    theirs = other.create_workshop()["id"]
    assert other.post(f"{P}/{plan['id']}/workshops", {"workshop": theirs}).status_code == 404
    # nor can the plan's owner put a workshop of someone else into the plan
    assert api.post(f"{P}/{plan['id']}/workshops", {"workshop": theirs}).status_code == 404
    # a viewer of that workshop still cannot
    grant(app, theirs, api.username, "viewer")
    assert api.post(f"{P}/{plan['id']}/workshops", {"workshop": theirs}).status_code == 403
    # once a facilitator of it, the plan's owner may
    grant_role(app, theirs, api.username, "facilitator")
    assert api.post(f"{P}/{plan['id']}/workshops", {"workshop": theirs}).status_code == 200
    assert api.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/plans/{plan_id}"]["get"]["tags"] == [
        "plans"
    ]


def grant_role(app: Any, workshop_id: int, username: str, role: str) -> None:
    from sqlalchemy import select

    from workshop.models import User, WorkshopMember
    from workshop.storage import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        row = db.session.scalar(
            select(WorkshopMember).where(
                WorkshopMember.workshop_id == workshop_id, WorkshopMember.user_id == user.id
            )
        )
        row.role = role
        db.session.commit()


def test_a_plan_member_role_decides_editing(app: Any, api: Api) -> None:
    from sqlalchemy import select

    from workshop.models import PlanMember, User
    from workshop.storage import db

    plan = make_plan(api)
    viewer = Api.signed_in(app)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == viewer.username))
        db.session.add(PlanMember(plan_id=plan["id"], user_id=user.id, role="viewer"))
        db.session.commit()
    assert viewer.get(f"{P}/{plan['id']}").status_code == 200
    assert put(viewer, f"{P}/{plan['id']}", RANONG_PLAN).status_code == 403
    assert viewer.delete(f"{P}/{plan['id']}").status_code == 403
