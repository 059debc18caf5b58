"""Plans in the console: list, create (with errors in the page's language), add, order and
remove workshops, edit and delete; every form with its CSRF token, nothing needs JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import workshop_object
from tests.integration.test_console import csrf, make_user, post_form, sign_in, text
from workshop.services import workshops


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


@pytest.fixture
def console(app: Any, client: Any) -> Any:
    assert sign_in(client, make_user(app, "planner")).status_code == 302
    return client


def own_workshop(app: Any, title: str) -> int:
    from sqlalchemy import select

    from workshop.models import User
    from workshop.storage import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "planner"))
        definition = workshops.parse_definition(workshop_object(title=title))
        return workshops.create_workshop(definition, user_id=user.id).id


def plan_id_of(response: Any) -> int:
    match = re.search(r"/console/plans/(\d+)$", response.headers["Location"])
    assert match, response.headers.get("Location")
    return int(match.group(1))


def test_create_a_plan_add_order_and_remove_workshops(app: Any, console: Any) -> None:
    first, second = own_workshop(app, "ประชาคมชุมชนบางริ้น"), own_workshop(app, "ประชาคมชุมชนเขานิเวศน์")
    page = text(console.get("/console/plans?lang=th"))
    assert "ยังไม่มีแผน" in page and 'name="csrf_token"' in page
    response = post_form(
        console,
        "/console/plans",
        {
            "title": "แผนพัฒนาเมืองระนอง",
            "title_en": "Ranong plan",
            "city": "เทศบาลเมืองระนอง",
            "period": "2570-2574",
        },
        page="/console/plans",
    )
    assert response.status_code == 302
    plan_id = plan_id_of(response)
    show = f"/console/plans/{plan_id}"
    page = text(console.get(show + "?lang=th"))
    assert "แผนพัฒนาเมืองระนอง" in page and "พ.ศ. 2570–2574" in page and "แผนนี้ยังไม่มีการประชุม" in page
    # both workshops are offered, then added in order
    for wid in (second, first):
        assert f'value="{wid}"' in text(console.get(show))
        assert post_form(console, f"{show}/workshops", {"workshop": str(wid)}, page=show).status_code == 302
    page = text(console.get(show))
    assert page.index("ประชาคมชุมชนเขานิเวศน์") < page.index("ประชาคมชุมชนบางริ้น")
    assert "Every workshop you run is already in a plan" in text(console.get(show + "?lang=en"))
    # move the second up, then remove it
    assert post_form(console, f"{show}/workshops/{first}/up", {}, page=show).status_code == 302
    page = text(console.get(show))
    assert page.index("ประชาคมชุมชนบางริ้น") < page.index("ประชาคมชุมชนเขานิเวศน์")
    assert post_form(console, f"{show}/workshops/{first}/remove", {}, page=show).status_code == 302
    listed = text(console.get(show)).split('<ol class="plan-workshops">')[1].split("</ol>")[0]
    assert "ประชาคมชุมชนเขานิเวศน์" in listed and "ประชาคมชุมชนบางริ้น" not in listed
    assert f'value="{first}"' in text(console.get(show))  # offered again
    # the list of plans
    listing = text(console.get("/console/plans?lang=en"))
    assert "Ranong plan" in listing and "2570–2574 BE (2027–2031)" in listing
    assert "แผนพัฒนาเมืองระนอง" in text(console.get("/console/plans?lang=th"))


def test_plan_problems_are_said_in_the_page_language_and_nothing_is_made(app: Any, console: Any) -> None:
    response = post_form(
        console,
        "/console/plans?lang=th",
        {"title": "แผน", "period": "2574-2570"},
        page="/console/plans?lang=th",
    )
    assert response.status_code == 422
    assert "ปีสุดท้าย (2570) มาก่อนปีแรก (2574)" in text(response)
    response = post_form(
        console, "/console/plans?lang=en", {"title": "Plan", "period": "soon"}, page="/console/plans?lang=en"
    )
    assert response.status_code == 422 and "write two Buddhist-era years, for example 2570-2574" in text(
        response
    )
    assert "No plans yet" in text(console.get("/console/plans?lang=en"))


def test_edit_and_delete_a_plan(app: Any, console: Any) -> None:
    wid = own_workshop(app, "เวทีวิสัยทัศน์")
    response = post_form(
        console, "/console/plans", {"title": "แผนเดิม", "period": "2570-2574"}, page="/console/plans"
    )
    show = f"/console/plans/{plan_id_of(response)}"
    post_form(console, f"{show}/workshops", {"workshop": str(wid)}, page=show)
    edited = post_form(console, f"{show}/edit", {"title": "แผนใหม่", "period": "๒๕๗๑-๒๕๗๕"}, page=show)
    assert edited.status_code == 302
    page = text(console.get(show + "?lang=th"))
    assert "แผนใหม่" in page and "พ.ศ. 2571–2575" in page
    bad = post_form(console, f"{show}/edit?lang=en", {"title": "x", "period": "2570-2599"}, page=show)
    assert bad.status_code == 422 and "a plan spans at most 10 years" in text(bad)
    unticked = post_form(console, f"{show}/delete?lang=en", {}, page=show)  # one click deletes nothing
    assert unticked.status_code == 422 and "Tick the box to confirm." in text(unticked)
    assert console.get(show).status_code == 200
    assert post_form(console, f"{show}/delete", {"confirm": "y"}, page=show).status_code == 302
    assert console.get(show).status_code == 404
    with app.app_context():
        assert workshops.get_workshop(wid) is not None


def test_forms_need_their_csrf_token_and_others_plans_are_404(app: Any, console: Any, client: Any) -> None:
    response = post_form(
        console, "/console/plans", {"title": "แผน", "period": "2570-2574"}, page="/console/plans"
    )
    show = f"/console/plans/{plan_id_of(response)}"
    assert console.post(f"{show}/delete", data={}).status_code in (400, 403)
    assert console.get(show).status_code == 200
    other = app.test_client()
    assert sign_in(other, make_user(app, "stranger")).status_code == 302
    assert other.get(show).status_code == 404
    token = csrf(other, "/console/plans")
    assert other.post(f"{show}/delete", data={"csrf_token": token}).status_code == 404


def test_combined_results_with_nothing_shared_say_how_to_share_a_question(app: Any, console: Any) -> None:
    """The empty page points at the one way the console gives the same stage keys: a copy."""
    wid = own_workshop(app, "เวทีวิสัยทัศน์")
    response = post_form(
        console, "/console/plans", {"title": "แผน", "period": "2570-2574"}, page="/console/plans"
    )
    show = f"/console/plans/{plan_id_of(response)}"
    post_form(console, f"{show}/workshops", {"workshop": str(wid)}, page=show)
    page = text(console.get(f"{show}/compare?lang=th"))
    assert "ยังไม่มีคำถามที่ถามในสองการประชุมขึ้นไปของแผนนี้" in page
    assert 'href="/console/new#copy"' in page and "สำเนาเวที" in page


def test_the_results_and_plan_downloads_say_which_file_is_for_what(app: Any, console: Any) -> None:
    """An officer does not know JSON or pabulib: one line under the buttons says what each file is for."""
    wid = own_workshop(app, "เวทีวิสัยทัศน์")
    results = text(console.get(f"/console/w/{wid}/results?lang=th"))
    assert "เลือกไฟล์ไหนดี? PDF สำหรับพิมพ์หรือแจก" in results
    response = post_form(
        console, "/console/plans", {"title": "แผน", "period": "2570-2574"}, page="/console/plans"
    )
    show = f"/console/plans/{plan_id_of(response)}"
    post_form(console, f"{show}/workshops", {"workshop": str(wid)}, page=show)  # downloads need a workshop
    plan = text(console.get(f"{show}?lang=th"))
    assert "เลือกไฟล์ไหนดี? Word สำหรับแก้ไขร่างแผน" in plan and "JSON ใช้กับโปรแกรมอื่นเท่านั้น" in plan
