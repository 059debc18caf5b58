"""Expected attendance and pausing joining (issue 14.4): the run sheet warns when more phones
joined than expected, and a facilitator can pause joining (API and console button); while
paused new phones get 409 join_paused, phones already joined keep voting."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import SAME_ORIGIN, Api, workshop_object
from tests.integration.test_console import console, create, csrf, text  # noqa: F401
from workshop.domain.workshop_file import DefinitionError, parse_workshop
from workshop.services import workshops

W = "/api/v1/workshops"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


def join_api(api: Api, code: str) -> Any:
    return api.app.test_client().post("/api/v1/join", json={"code": code, "group": "resident"},
                                      headers=SAME_ORIGIN)


def test_pause_refuses_new_phones_and_resume_lets_them_in(api: Api) -> None:
    created = api.create_workshop()
    wid, code = created["id"], created["code"]
    api.stage(wid, "vision", "open")
    browser, _token = api.join(code)
    sock = api.socket(browser)

    paused = api.post(f"{W}/{wid}/join/pause")
    assert paused.status_code == 200 and paused.get_json() == {"workshop_id": wid, "join_paused": True}
    refused = join_api(api, code)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "join_paused"
    # the phone that joined before keeps voting
    ack = sock.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=True)
    assert ack["ok"], ack
    assert api.results(wid)["participants"]["total"] == 1

    resumed = api.post(f"{W}/{wid}/join/resume")
    assert resumed.status_code == 200 and resumed.get_json()["join_paused"] is False
    assert join_api(api, code).status_code == 201


def test_pausing_needs_the_run_role(app: Any) -> None:
    Api.signed_in(app, "admin")
    owner = Api.signed_in(app, "owner")
    viewer = Api.signed_in(app, "viewer")
    stranger = Api.signed_in(app, "stranger")
    created = owner.create_workshop()
    wid = created["id"]
    owner.post(f"{W}/{wid}/members", {"username": "viewer", "role": "viewer"})
    assert viewer.post(f"{W}/{wid}/join/pause").status_code == 403
    assert stranger.post(f"{W}/{wid}/join/pause").status_code == 404
    assert app.test_client().post(f"{W}/{wid}/join/pause").status_code == 401
    assert join_api(owner, created["code"]).status_code == 201  # still open


def test_join_page_says_joining_is_paused(app: Any, api: Api) -> None:
    created = api.create_workshop()
    api.post(f"{W}/{created['id']}/join/pause")
    phone = app.test_client()
    page = text(phone.get(f"/j/{created['code']}?lang=en"))
    assert "Joining is paused by the facilitator; ask them." in page
    token = csrf(phone, f"/j/{created['code']}?lang=en")
    answer = phone.post(f"/j/{created['code']}?lang=en", data={"csrf_token": token, "group": "resident"})
    assert answer.status_code == 409
    assert "Joining is paused by the facilitator; ask them." in text(answer)
    thai = text(app.test_client().get(f"/j/{created['code']}?lang=th"))
    assert "ผู้ดำเนินการหยุดรับผู้เข้าร่วมไว้ชั่วคราว" in thai
    assert api.results(created["id"])["participants"]["total"] == 0


@pytest.mark.parametrize("value", [0, -3, 1.5, "many", True, 100_001])
def test_expected_attendance_must_be_a_positive_whole_number(value: Any) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_workshop(workshop_object(expected_attendance=value))
    assert [e["loc"] for e in caught.value.errors] == ["expected_attendance"], caught.value.errors


def test_expected_attendance_is_kept_and_optional(api: Api) -> None:
    assert parse_workshop(workshop_object(expected_attendance=120)).expected_attendance == 120
    assert "expected_attendance" not in parse_workshop(workshop_object()).to_json()
    created = api.create_workshop(workshop_object(expected_attendance=120))
    assert api.get(f"{W}/{created['id']}").get_json()["expected_attendance"] == 120
    refused = api.post(W, workshop_object(expected_attendance=0))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["loc"] == "expected_attendance"


def test_run_sheet_counts_against_expected_and_pauses_without_javascript(
        app: Any, console: Any, api: Api) -> None:  # noqa: F811
    wid, code = create(app, workshop_object(expected_attendance=1))
    page = text(console.get(f"/console/w/{wid}?lang=en"))
    assert 'data-expected="1"' in page
    assert "0</span> joined of 1 expected" in page
    assert "data-attendance-warning hidden" in page
    for _ in range(2):
        assert join_api(api, code).status_code == 201
    page = text(console.get(f"/console/w/{wid}?lang=en"))
    assert "2</span> joined of 1 expected" in page
    assert "data-attendance-warning>" in page and "More phones have joined than the 1 people expected" in page

    token = csrf(console, f"/console/w/{wid}?lang=en")
    answer = console.post(f"/console/w/{wid}/join/pause", data={"csrf_token": token})
    assert answer.status_code == 302
    with app.app_context():
        assert workshops.get_workshop(wid).join_paused is True
    page = text(console.get(answer.headers["Location"]))
    assert "Resume joining" in page and "new phones are refused" in page
    assert join_api(api, code).status_code == 409
    assert console.post(f"/console/w/{wid}/join/resume", data={}).status_code == 400  # no CSRF
    answer = console.post(f"/console/w/{wid}/join/resume", data={"csrf_token": token})
    assert answer.status_code == 302
    assert "Pause joining" in text(console.get(answer.headers["Location"]))
    assert join_api(api, code).status_code == 201
