"""Carry forward through the API: a forum's ranked needs become a goals workshop's items,
each with its source; goals keep their keys; what a stage with ballots refuses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import GROUPS, Api
from tests.integration.test_exports import ballot
from tests.openapi_check import validate_response

P = "/api/v1/plans"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


def forum() -> dict[str, Any]:
    return {
        "title": "ประชาคมชุมชนบางริ้น",
        "date": "2026-11-02",
        "languages": ["th", "en"],
        "groups": GROUPS,
        "stages": [
            {
                "key": "needs",
                "kind": "goals",
                "title": "ปัญหาและความต้องการของชุมชน",
                "method": "approval",
                "allow_ideas": True,
                "items": [
                    {
                        "key": "flood",
                        "title": "น้ำท่วมขัง",
                        "description": "ถนนสายหลักน้ำท่วมทุกฝน",
                        "sdgs": ["11.5"],
                    },
                    {"key": "waste", "title": "ขยะในคลอง"},
                    {"key": "light", "title": "ไฟส่องสว่าง"},
                    {"key": "park", "title": "ลานกีฬา"},
                ],
            }
        ],
    }


def goals_workshop() -> dict[str, Any]:
    return {
        "title": "เวทีกำหนดเป้าหมายการพัฒนา",
        "date": "2026-12-05",
        "languages": ["th", "en"],
        "groups": GROUPS,
        "stages": [
            {
                "key": "goals",
                "kind": "goals",
                "title": "เป้าหมายการพัฒนา",
                "method": "dots",
                "dots": 5,
                "items": [{"key": "g0", "title": "เมืองน่าอยู่"}],
            },
            {
                "key": "projects",
                "kind": "projects",
                "title": "โครงการ",
                "method": "approval",
                "items": [{"key": "p0", "title": "โครงการเดิม", "goal": "g0"}],
            },
        ],
    }


def feed_forum(api: Api, wid: int, code: str) -> None:
    """flood 5/5, waste 3/5, light 3/5, park 0/5; and an approved idea."""
    api.stage(wid, "needs", "open")
    choices = [
        ["flood", "waste"],
        ["flood", "light"],
        ["flood", "waste", "light"],
        ["flood"],
        ["flood", "waste", "light"],
    ]
    for n, items in enumerate(choices):
        browser, _token = api.join(code, "resident")
        sock = api.socket(browser)
        ballot(sock, "needs", {"items": items})
        if n == 0:
            ack = sock.emit("idea", {"stage": "needs", "title": "ทางเท้าสำหรับผู้สูงอายุ"}, callback=True)
            assert ack["ok"], ack
            idea_id = ack["id"]
        sock.disconnect()
    response = api.post(f"/api/v1/ideas/{idea_id}/approve")
    assert response.status_code == 200, response.get_json()
    api.stage(wid, "needs", "close")


@pytest.fixture
def planned(api: Api) -> dict[str, Any]:
    a = api.create_workshop(forum())
    b = api.create_workshop(goals_workshop())
    feed_forum(api, a["id"], a["code"])
    response = api.post(P, {"title": "แผนพัฒนาเมือง", "period": "2570-2574", "workshops": [a["id"], b["id"]]})
    assert response.status_code == 201, response.get_json()
    return {"plan": response.get_json()["id"], "forum": a["id"], "goals": b["id"]}


def carry(api: Api, p: dict[str, Any], rule: dict[str, Any], **extra: Any) -> Any:
    body = {
        "from": {"workshop": p["forum"], "stage": "needs"},
        "to": {"workshop": p["goals"], "stage": "goals"},
        "rule": rule,
        **extra,
    }
    return api.post(f"{P}/{p['plan']}/carry", body)


def goals_items(api: Api, wid: int) -> list[dict[str, Any]]:
    workshop = api.get(f"/api/v1/workshops/{wid}").get_json()
    return next(s for s in workshop["stages"] if s["key"] == "goals")["items"]


def test_top_n_carries_with_source_and_keeps_keys(api: Api, planned: dict[str, Any]) -> None:
    results = {i["key"]: i for i in api.results(planned["forum"])["stages"][0]["items"]}
    preview = carry(api, planned, {"top": 2}, preview=True)
    assert preview.status_code == 200, preview.get_json()
    validate_response(preview.get_json(), "/api/v1/plans/{plan_id}/carry", "post", 200)
    assert preview.get_json()["saved"] is False
    assert [i["key"] for i in goals_items(api, planned["goals"])] == ["g0"]  # nothing saved

    response = carry(api, planned, {"top": 2})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["saved"] is True
    # waste and light tie in second place: both come
    assert [i["key"] for i in body["items"]] == ["flood", "waste", "light"]
    items = goals_items(api, planned["goals"])
    assert [i["key"] for i in items] == ["g0", "flood", "waste", "light"]
    flood = items[1]
    assert flood["title"] == "น้ำท่วมขัง" and flood["description"] == "ถนนสายหลักน้ำท่วมทุกฝน"
    assert flood["sdgs"] == ["11.5"]
    assert flood["source"] == {
        "workshop": planned["forum"],
        "stage": "needs",
        "item": "flood",
        "rank": results["flood"]["rank"],
        "score": results["flood"]["score"],
    }
    assert flood["source"]["rank"] == 1 and flood["source"]["score"] == 100.0
    # goals keep their keys: a project can now point at a carried goal
    workshop = api.get(f"/api/v1/workshops/{planned['goals']}").get_json()
    projects = next(s for s in workshop["stages"] if s["key"] == "projects")
    projects["items"].append({"key": "p1", "title": "ระบบระบายน้ำ", "goal": "flood"})
    edited = api.client.put(
        f"/api/v1/workshops/{planned['goals']}",
        json=workshop,
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert edited.status_code == 200, edited.get_json()
    # the JSON export carries the source too
    dump = api.get(f"/api/v1/workshops/{planned['goals']}/export?format=json").get_json()
    goals_def = next(s for s in dump["definition"]["stages"] if s["key"] == "goals")
    assert goals_def["items"][1]["source"]["item"] == "flood"


def test_min_score_ideas_and_by_hand(api: Api, planned: dict[str, Any]) -> None:
    chosen = carry(api, planned, {"min_score": 60}, preview=True).get_json()
    assert [i["key"] for i in chosen["items"]] == ["flood", "waste", "light"]
    ideas = carry(api, planned, {"approved_ideas": True}, preview=True).get_json()
    assert [i["title"] for i in ideas["items"]] == ["ทางเท้าสำหรับผู้สูงอายุ"]
    assert ideas["items"][0]["source"]["score"] == 0.0
    picked = carry(api, planned, {"items": ["park", "flood"]})
    assert picked.status_code == 200, picked.get_json()
    items = goals_items(api, planned["goals"])
    assert [i["key"] for i in items] == ["g0", "park", "flood"]
    assert items[1]["source"] == {
        "workshop": planned["forum"],
        "stage": "needs",
        "item": "park",
        "rank": 4,
        "score": 0.0,
    }


def test_replacing_goals_a_project_points_at_is_refused_whole(api: Api, planned: dict[str, Any]) -> None:
    response = carry(api, planned, {"top": 1}, mode="replace")
    assert response.status_code == 422  # p0's goal g0 would be gone
    assert [i["key"] for i in goals_items(api, planned["goals"])] == ["g0"]


def test_what_cannot_be_carried(app: Any, api: Api, planned: dict[str, Any]) -> None:
    # backwards: the goals workshop comes after the forum
    back = api.post(
        f"{P}/{planned['plan']}/carry",
        {
            "from": {"workshop": planned["goals"], "stage": "goals"},
            "to": {"workshop": planned["forum"], "stage": "needs"},
            "rule": {"top": 1},
        },
    )
    assert back.status_code == 422 and back.get_json()["error"]["details"][0]["code"] == "not_earlier"
    # a workshop outside the plan
    outside = api.create_workshop(goals_workshop())["id"]
    response = api.post(
        f"{P}/{planned['plan']}/carry",
        {
            "from": {"workshop": planned["forum"], "stage": "needs"},
            "to": {"workshop": outside, "stage": "goals"},
            "rule": {"top": 1},
        },
    )
    assert response.status_code == 422 and response.get_json()["error"]["details"][0]["code"] == "not_in_plan"
    # the request is checked by the carry model the OpenAPI document shows: each problem's code and place
    for body, loc, code in (
        ({"preview": "yes"}, "preview", "preview"),
        ({"mode": "merge"}, "mode", "mode"),
        ({"colour": "red"}, "colour", "unknown_field"),
        ({"from": {"workshop": "1", "stage": "needs"}}, "from", "stage_ref"),
        ({"rule": {"approved_ideas": False}}, "rule", "rule"),
        ({"rule": {"min_score": 150}}, "rule", "min_score"),
    ):
        full = {
            "from": {"workshop": planned["forum"], "stage": "needs"},
            "to": {"workshop": planned["goals"], "stage": "goals"},
            "rule": {"top": 1},
            **body,
        }
        refused = api.post(f"{P}/{planned['plan']}/carry", full)
        detail = refused.get_json()["error"]["details"][0]
        assert refused.status_code == 422 and (detail["loc"], detail["code"]) == (loc, code), body
    # a bad rule, an unknown stage or item
    assert carry(api, planned, {"top": 0}).get_json()["error"]["details"][0]["code"] == "top"
    assert (
        carry(api, planned, {"items": ["nope"]}).get_json()["error"]["details"][0]["code"] == "unknown_item"
    )
    response = api.post(
        f"{P}/{planned['plan']}/carry",
        {
            "from": {"workshop": planned["forum"], "stage": "nope"},
            "to": {"workshop": planned["goals"], "stage": "goals"},
            "rule": {"top": 1},
        },
    )
    assert response.get_json()["error"]["details"][0]["code"] == "unknown_stage"
    # nobody else
    other = Api.signed_in(app)
    assert (
        other.post(
            f"{P}/{planned['plan']}/carry",
            {
                "from": {"workshop": planned["forum"], "stage": "needs"},
                "to": {"workshop": planned["goals"], "stage": "goals"},
                "rule": {"top": 1},
            },
        ).status_code
        == 404
    )


def test_a_stage_with_ballots_keeps_its_items(api: Api, planned: dict[str, Any]) -> None:
    workshop = api.get(f"/api/v1/workshops/{planned['goals']}").get_json()
    api.stage(planned["goals"], "projects", "open")
    browser, _token = api.join(workshop["code"], "resident")
    sock = api.socket(browser)
    ballot(sock, "projects", {"items": ["p0"]})
    sock.disconnect()
    body = {
        "from": {"workshop": planned["forum"], "stage": "needs"},
        "to": {"workshop": planned["goals"], "stage": "projects"},
        "rule": {"top": 1},
        "mode": "replace",
    }
    response = api.post(f"{P}/{planned['plan']}/carry", body)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "edit_invalidates_ballots"
    workshop = api.get(f"/api/v1/workshops/{planned['goals']}").get_json()
    assert [i["key"] for i in workshop["stages"][1]["items"]] == ["p0"]


def console_of(api: Api) -> Any:
    from workshop.services.accounts import reference_of
    from workshop.services.sessions import SESSION_REFERENCE

    browser = api.app.test_client()
    with browser.session_transaction() as session:
        session[SESSION_REFERENCE] = reference_of(api.token)
    return browser


def test_console_carry_form_previews_and_carries(api: Api, planned: dict[str, Any]) -> None:
    import re

    browser = console_of(api)
    path = f"/console/plans/{planned['plan']}/carry"
    page = browser.get(path + f"?lang=th&from={planned['forum']}:needs&to={planned['goals']}:goals")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "น้ำท่วมขัง" in html and "100.0" in html and "ข้อเสนอของประชาชนที่อนุมัติแล้ว" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {
        "csrf_token": token,
        "from": f"{planned['forum']}:needs",
        "to": f"{planned['goals']}:goals",
        "rule": "top",
        "top": "๒",
        "mode": "append",
    }
    preview = browser.post(path + "?lang=en", data={**form, "preview": "1"})
    assert preview.status_code == 200
    assert "3 items would be carried" in preview.get_data(as_text=True)
    assert [i["key"] for i in goals_items(api, planned["goals"])] == ["g0"]
    done = browser.post(path, data=form)
    assert done.status_code == 302
    assert [i["key"] for i in goals_items(api, planned["goals"])] == ["g0", "flood", "waste", "light"]
    bad = browser.post(path + "?lang=th", data={**form, "rule": "items"})
    assert bad.status_code == 422 and "เลือกอย่างน้อยหนึ่งรายการ" in bad.get_data(as_text=True)
    # no source stage chosen: said in the page's language, from the carry model's code
    for lang, words in (("th", "เลือกขั้นตอนที่จะนำรายการมา"), ("en", "Choose a stage to take the items from")):
        unchosen = browser.post(path + f"?lang={lang}", data={**form, "from": ""})
        assert unchosen.status_code == 422 and words in unchosen.get_data(as_text=True), lang
    assert browser.post(path, data={k: v for k, v in form.items() if k != "csrf_token"}).status_code in (
        400,
        403,
    )


def test_the_workshop_draft_names_where_a_carried_item_came_from(api: Api, planned: dict[str, Any]) -> None:
    import io

    import docx

    from tests.integration.test_docx_export import body_text

    assert carry(api, planned, {"top": 1}).status_code == 200
    response = api.get(f"/api/v1/workshops/{planned['goals']}/export?format=docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    cells = [p.text for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    # the source workshop and stage by their titles, its rank and score there; no numeric id
    assert "นำมาจาก “ประชาคมชุมชนบางริ้น” ขั้นตอน “ปัญหาและความต้องการของชุมชน” (อันดับ 1 คะแนน 100.0)" in cells
    text = body_text(document)
    assert f"การประชุมที่ {planned['forum']}" not in text
    english = body_text(
        docx.Document(io.BytesIO(api.get(
            f"/api/v1/workshops/{planned['goals']}/export?format=docx&lang=en").data))
    )
    assert "Carried from “" in english and "Carried from workshop" not in english


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the database does not matter to the PDF
def test_the_workshop_pdf_names_where_a_carried_item_came_from(
    api: Api, planned: dict[str, Any], tmp_path: Any
) -> None:
    from tests.integration.test_exports import flat, need_poppler, pdf_fonts, pdf_text

    need_poppler()
    assert carry(api, planned, {"top": 1}).status_code == 200
    response = api.get(f"/api/v1/workshops/{planned['goals']}/export?format=pdf")
    assert response.status_code == 200
    text = flat(pdf_text(response.data, tmp_path))
    assert flat("นำมาจาก “ประชาคมชุมชนบางริ้น” ขั้นตอน “ปัญหาและความต้องการของชุมชน” (อันดับ 1 คะแนน 100.0)") in text
    assert all("Sarabun" in font for font in pdf_fonts(response.data, tmp_path))
