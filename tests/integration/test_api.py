"""HTTP API v1 against the contract, on SQLite and PostgreSQL.

Every response body is checked against the served OpenAPI document.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import SAME_ORIGIN, Api, stage_entry, workshop_object
from tests.openapi_check import validate_response

W = "/api/v1/workshops"


def test_healthz(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_openapi_document_is_served(client: Any) -> None:
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/workshops", "/api/v1/join", "/api/v1/workshops/{workshop_id}/results"):
        assert path in doc["paths"]


# -- authentication -----------------------------------------------------------


def test_token_login_and_logout(app: Any) -> None:
    api = Api.signed_in(app, "anong")
    assert api.get(W).status_code == 200
    assert api.delete("/api/v1/auth/token").status_code == 204
    response = api.get(W)
    assert response.status_code == 401
    validate_response(response.get_json(), "/api/v1/workshops", "get", 401)


@pytest.mark.parametrize(
    "body",
    [
        {"username": "anong", "password": "wrong password"},
        {"username": "nobody", "password": "correct horse battery"},
        {"username": 5, "password": []},
    ],
)
def test_bad_login_is_401(app: Any, body: dict[str, Any]) -> None:
    Api.signed_in(app, "anong")
    response = app.test_client().post("/api/v1/auth/token", json=body)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic abc", "Token x"])
def test_facilitator_calls_need_a_valid_token(client: Any, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get(W, headers=headers)
    assert response.status_code == 401
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_participant_token_gets_nothing_from_facilitator_calls(api: Api) -> None:
    created = api.create_workshop()
    _browser, participant = api.join(created["code"])
    resident = Api(api.app, participant)
    for path in (W, f"{W}/{created['id']}", f"{W}/{created['id']}/results"):
        assert resident.get(path).status_code == 401
    assert resident.post(f"{W}/{created['id']}/stages/vision/open").status_code == 401


# -- workshops ----------------------------------------------------------------


def test_create_and_read_workshop(api: Api) -> None:
    response = api.post(W, workshop_object())
    assert response.status_code == 201
    created = response.get_json()
    validate_response(created, "/api/v1/workshops", "post", 201)
    assert created["join_url"] == f"http://ruamkit.test/j/{created['code']}"
    assert created["projector_url"].startswith("http://ruamkit.test/projector/")

    one = api.get(f"{W}/{created['id']}").get_json()
    validate_response(one, "/api/v1/workshops/{workshop_id}", "get", 200)
    assert [s["key"] for s in one["stages"]] == ["vision", "goals", "projects", "words"]
    assert {s["state"] for s in one["stages"]} == {"draft"}
    assert one["stages"][0]["results_shown"] is False
    assert one["title"] == {"th": "แผนพัฒนาเมืองทดสอบ", "en": "Test city plan"}

    listed = api.get(W).get_json()
    validate_response(listed, "/api/v1/workshops", "get", 200)
    assert [w["id"] for w in listed] == [created["id"]]


def test_create_from_yaml_body(api: Api) -> None:
    yaml_text = """
title: Park
languages: [en]
groups: [{key: resident, label: Residents}]
stages:
  - {key: pick, kind: other, title: Pick one, method: single, items: [{key: a, title: A}, {key: b, title: B}]}
"""
    response = api.post(W, data=yaml_text.encode(), content_type="application/yaml")
    assert response.status_code == 201, response.get_json()


def test_invalid_workshop_names_the_place_and_creates_nothing(api: Api) -> None:
    bad = workshop_object()
    bad["stages"][2]["items"][0]["horizon"] = "someday"
    response = api.post(W, bad)
    assert response.status_code == 422
    error = response.get_json()["error"]
    validate_response(response.get_json(), "/api/v1/workshops", "post", 422)
    assert error["message"] == "stages[2].items[0].horizon: must be one of short, medium, long"
    assert {"loc": "stages[2].items[0].horizon", "message": "must be one of short, medium, long"} in error[
        "details"
    ]
    assert api.get(W).get_json() == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "bad_json"),
        (b"[1, 2]", "application/json", 400, "bad_json"),
        (b"", "application/json", 400, "bad_json"),
        (b"title: [unclosed", "application/yaml", 422, "invalid"),
        (b"title: a\ntitle: b\n", "application/yaml", 422, "invalid"),
        (b'{"title": "A", "title": "B"}', "application/json", 422, "invalid"),
    ],
)
def test_malformed_bodies(api: Api, data: bytes, content_type: str, status: int, code: str) -> None:
    response = api.post(W, data=data, content_type=content_type)
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code
    assert api.get(W).get_json() == []


def test_a_key_given_twice_in_json_is_named_with_its_place(api: Api) -> None:
    """json.loads would keep the last value silently; the API refuses and says where."""
    obj = workshop_object()
    text = json.dumps(obj, ensure_ascii=False)
    first = json.dumps(obj["stages"][0]["items"][0]["key"])
    text = text.replace(f'"key": {first}', f'"key": {first}, "key": "v9"', 1)
    response = api.post(W, data=text.encode(), content_type="application/json")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["details"] == [{"loc": "stages[0].items[0]", "message": "duplicate key 'key'"}]
    assert api.get(W).get_json() == []
    join = api.client.post("/api/v1/join", data=b'{"code": "X", "code": "Y"}',
                           content_type="application/json")
    assert join.status_code == 422 and join.get_json()["error"]["details"][0]["loc"] == ""


@pytest.mark.parametrize("megabytes", [1.5, 3])
def test_oversized_body_is_413(api: Api, megabytes: float) -> None:
    """Over the 1 MB a workshop may hold (1.5 MB: our check; 3 MB: the server's 2 MB cap)."""
    big = workshop_object(city="x" * int(megabytes * 1024 * 1024))
    response = api.post(W, data=json.dumps(big), content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert api.get(W).get_json() == []


def test_unknown_workshop_and_route_are_json_404(api: Api) -> None:
    assert api.get(f"{W}/999").get_json()["error"]["code"] == "not_found"
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert api.client.put(W, headers=api._headers()).status_code == 405


# -- stage lifecycle ----------------------------------------------------------


def test_stage_lifecycle_and_its_conflicts(api: Api) -> None:
    wid = api.create_workshop()["id"]
    path = f"{W}/{wid}/stages/vision"
    opened = api.post(f"{path}/open")
    assert opened.status_code == 200
    validate_response(opened.get_json(), "/api/v1/workshops/{workshop_id}/stages/{key}/open", "post", 200)
    assert opened.get_json()["state"] == "open"
    again = api.post(f"{path}/open")
    assert again.status_code == 409
    assert "already open" in again.get_json()["error"]["message"]
    assert api.post(f"{path}/close").get_json()["state"] == "closed"
    assert api.post(f"{path}/close").status_code == 409
    assert api.post(f"{path}/open").get_json()["state"] == "open"  # reopening is allowed
    assert api.post(f"{W}/{wid}/stages/goals/close").status_code == 409  # draft cannot close
    assert api.post(f"{W}/{wid}/stages/nope/open").status_code == 404


def test_reveal_and_hide(api: Api) -> None:
    wid = api.create_workshop()["id"]
    goals = f"{W}/{wid}/stages/goals"  # after_close by default
    assert api.post(f"{goals}/reveal").get_json()["results_shown"] is True
    assert api.post(f"{goals}/hide").get_json()["results_shown"] is False
    never = api.post(f"{W}/{wid}/stages/words/reveal")  # show_results: never
    assert never.status_code == 409
    assert "never" in never.get_json()["error"]["message"]


# -- paper ballots --------------------------------------------------------------


def test_paper_ballots_count_with_phone_ballots(api: Api) -> None:
    wid = api.create_workshop()["id"]
    api.stage(wid, "vision", "open")
    response = api.post(
        f"{W}/{wid}/stages/vision/paper",
        {"group": "government", "ballots": [{"items": ["v1"]}, {"items": ["v1", "v2"]}]},
    )
    assert response.status_code == 201
    validate_response(response.get_json(), "/api/v1/workshops/{workshop_id}/stages/{key}/paper", "post", 201)
    body = response.get_json()
    assert (body["stored"], body["ballots"], body["paper_ballots"]) == (2, 2, 2)
    assert body["batch"] == {**body["batch"], "id": body["batch_id"], "count": 2, "group": "government"}
    entry = stage_entry(api.results(wid), "vision")
    assert entry["ballots"] == 2 and entry["paper_ballots"] == 2
    assert entry["items"][0]["key"] == "v1" and entry["items"][0]["value"] == 2


def test_a_bad_paper_ballot_refuses_the_whole_batch(api: Api) -> None:
    wid = api.create_workshop()["id"]
    api.stage(wid, "vision", "open")
    response = api.post(
        f"{W}/{wid}/stages/vision/paper",
        {
            "group": "resident",
            "ballots": [{"items": ["v1"]}, {"items": ["v1", "v2", "v3"]}, {"items": ["zz"]}],
        },
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["message"].startswith("ballots[1]: ")
    assert [d["index"] for d in error["details"]] == [1, 2]
    assert stage_entry(api.results(wid), "vision")["ballots"] == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"group": "aliens", "ballots": [{"items": ["v1"]}]}, 422),
        ({"group": "resident", "ballots": []}, 422),
        ({"group": "resident", "ballots": "v1"}, 422),
        ({"group": "resident"}, 422),
        ({"group": "resident", "ballots": [{"items": ["v1"]}] * 1001}, 413),
    ],
)
def test_paper_ballot_input_errors(api: Api, body: dict[str, Any], status: int) -> None:
    wid = api.create_workshop()["id"]
    api.stage(wid, "vision", "open")
    response = api.post(f"{W}/{wid}/stages/vision/paper", body)
    assert response.status_code == status
    assert stage_entry(api.results(wid), "vision")["ballots"] == 0


def test_paper_ballots_need_an_opened_stage(api: Api) -> None:
    wid = api.create_workshop()["id"]
    response = api.post(
        f"{W}/{wid}/stages/vision/paper", {"group": "resident", "ballots": [{"items": ["v1"]}]}
    )
    assert response.status_code == 409


# -- joining and tokens ---------------------------------------------------------


def test_join_open_workshop(api: Api) -> None:
    created = api.create_workshop()
    browser = api.app.test_client()
    response = browser.post("/api/v1/join", json={"code": created["code"].lower(), "group": "civil"},
                            headers=SAME_ORIGIN)
    assert response.status_code == 201
    body = response.get_json()
    validate_response(body, "/api/v1/join", "post", 201)
    assert body["workshop_id"] == created["id"] and len(body["participant"]) >= 32
    assert "ruamkit=" in response.headers["Set-Cookie"]
    assert api.results(created["id"])["participants"] == {
        "total": 1,
        "by_group": {"resident": 0, "government": 0, "private": 0, "civil": 1},
        "assisted": 0,
    }


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"code": "NOPE99", "group": "resident"}, 404),
        ({"group": "resident"}, 422),
        ({"code": "CODE", "group": "aliens"}, 422),
        ({"code": "CODE"}, 422),
    ],
)
def test_join_errors(api: Api, body: dict[str, Any], status: int) -> None:
    created = api.create_workshop()
    body = dict(body)
    if body.get("code") == "CODE":
        body["code"] = created["code"]
    response = api.app.test_client().post("/api/v1/join", json=body, headers=SAME_ORIGIN)
    assert response.status_code == status
    assert api.results(created["id"])["participants"]["total"] == 0


def test_token_workshop_joins_once_per_card(api: Api) -> None:
    wid = api.create_workshop(workshop_object(join="tokens"))["id"]
    other = api.create_workshop(workshop_object(join="tokens"))
    code = api.get(f"{W}/{wid}").get_json()["code"]
    response = api.post(f"{W}/{wid}/tokens", {"group": "private", "count": 3})
    assert response.status_code == 201
    validate_response(response.get_json(), "/api/v1/workshops/{workshop_id}/tokens", "post", 201)
    cards = response.get_json()["tokens"]
    assert len({c["token"] for c in cards}) == 3
    assert cards[0]["join_url"].endswith(f"/j/{code}?t={cards[0]['token']}")

    join = api.app.test_client().post
    assert join("/api/v1/join", json={"code": code, "group": "resident"}).status_code == 403
    assert join("/api/v1/join", json={"code": code, "token": "WRONG123"}).status_code == 403
    assert join("/api/v1/join", json={"code": other["code"], "token": cards[0]["token"]}).status_code == 403
    first = join("/api/v1/join", json={"code": code, "token": cards[0]["token"]})
    assert first.status_code == 201 and first.get_json()["group"] == "private"
    again = join("/api/v1/join", json={"code": code, "token": cards[0]["token"]})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "token_used"
    assert api.results(wid)["participants"]["total"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"group": "private", "count": 0}, 422),
        ({"group": "private", "count": "5"}, 422),
        ({"group": "nobody", "count": 5}, 422),
        ({"group": "private", "count": 2001}, 413),
    ],
)
def test_token_request_errors(api: Api, body: dict[str, Any], status: int) -> None:
    wid = api.create_workshop(workshop_object(join="tokens"))["id"]
    assert api.post(f"{W}/{wid}/tokens", body).status_code == status


# -- results --------------------------------------------------------------------


def test_results_shape_matches_openapi(api: Api) -> None:
    wid = api.create_workshop()["id"]
    api.stage(wid, "projects", "open")
    api.post(
        f"{W}/{wid}/stages/projects/paper",
        {
            "group": "resident",
            "ballots": [
                {"scores": {"p1": {"importance": 5, "feasibility": 3}}},
                {"scores": {"p1": {"importance": 4}}},
            ],
        },
    )
    body = api.results(wid)
    validate_response(body, "/api/v1/workshops/{workshop_id}/results", "get", 200)
    projects = stage_entry(body, "projects")
    p1, p2 = projects["items"]
    # importance mean 4.5 (w2), feasibility mean 3 (w1): (2*4.5 + 1*3) / 3 = 4.0 -> (4-1)/4*100 = 75
    assert p1["key"] == "p1" and p1["value"] == pytest.approx(4.0) and p1["score"] == pytest.approx(75.0)
    assert p1["criteria"] == {"importance": 4.5, "feasibility": 3.0}
    assert p2["value"] is None and p2["score"] is None and p2["rank"] == 2


def test_results_titles_follow_lang(api: Api) -> None:
    wid = api.create_workshop()["id"]
    th = stage_entry(api.results(wid), "vision")["items"][0]["title"]
    en = stage_entry(api.results(wid, lang="en"), "vision")["items"][0]["title"]
    assert (th, en) == ("วิสัยทัศน์ 1", "Vision 1")


# -- rate limits ------------------------------------------------------------------


def test_password_guessing_is_rate_limited(app: Any) -> None:
    Api.signed_in(app, "anong")
    client = app.test_client()
    codes = [
        client.post("/api/v1/auth/token", json={"username": "anong", "password": f"guess{i}"}).status_code
        for i in range(12)
    ]
    assert codes[:9] == [401] * 9 and codes[-1] == 429
    assert (
        client.post("/api/v1/auth/token", json={"username": "anong", "password": "x"}).get_json()["error"][
            "code"
        ]
        == "rate_limited"
    )
    # another user name from the same address is not locked out
    assert client.post("/api/v1/auth/token", json={"username": "other", "password": "x"}).status_code == 401


def test_joining_is_limited_per_address_far_above_a_venue(api: Api) -> None:
    from workshop.adapters.ratelimit import HTTP_KEY, HTTP_RATES

    join = HTTP_RATES["join"]
    assert join.burst >= 2000  # a whole town hall behind one router joins at once
    created = api.create_workshop()
    limits = api.app.extensions[HTTP_KEY]
    # as if the burst were spent from 127.0.0.1
    assert limits.limiter.limiter.hit(join.item(), limits.prefix, "join", "127.0.0.1", cost=join.burst)
    response = api.app.test_client().post(
        "/api/v1/join",
        json={"code": created["code"], "group": "civil"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) >= 1
    other = api.app.test_client().post(
        "/api/v1/join",
        json={"code": created["code"], "group": "civil"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 201


def test_every_page_has_a_strict_csp_with_a_fresh_nonce(client: Any) -> None:
    first = client.get("/login").headers["Content-Security-Policy"]
    second = client.get("/login").headers["Content-Security-Policy"]
    assert first != second  # a new nonce per response
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'", "report-uri /csp-report"):
        assert directive in first
    assert "unsafe-inline" not in first and "unsafe-eval" not in first


def test_csp_reports_are_kept_and_logged(app: Any, client: Any) -> None:
    from workshop.web.security import reports

    report = {"csp-report": {"document-uri": "http://x/j/ABC", "violated-directive": "script-src",
                             "blocked-uri": "inline"}}
    response = client.post("/csp-report", data=json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert list(reports(app)) == [report["csp-report"]]
    assert client.post("/csp-report", data=b"{nope", content_type="application/csp-report").status_code == 400
