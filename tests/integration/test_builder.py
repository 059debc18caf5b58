"""The console's workshop builder: create, copy, edit through forms, download, preview, checklist."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.factories import SESSIONS, workshop_object
from tests.integration.test_console import create, csrf_from, make_user, sign_in, text
from workshop.domain.definition import LIMITS
from workshop.domain.workshop_file import load_workshop_text, parse_workshop
from workshop.services import stages, workshops

REVISION = re.compile(r'name="revision" value="(\d+)"')


@pytest.fixture
def console(app: Any, client: Any) -> Any:
    response = sign_in(client, make_user(app))
    assert response.status_code == 302
    return client


def definition(app: Any, workshop_id: int) -> dict[str, Any]:
    with app.app_context():
        return workshops.definition_of(workshops.get_workshop(workshop_id)).to_json()


def page(client: Any, path: str) -> tuple[str, str, str]:
    """GET a builder page: (html, csrf token, revision of its forms)."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    html = text(response)
    found = REVISION.search(html)
    return html, csrf_from(html), found.group(1) if found else ""


def post(client: Any, path: str, page_path: str, data: dict[str, Any], **kw: Any) -> Any:
    _html, token, revision = page(client, page_path)
    return client.post(path, data={"csrf_token": token, "revision": revision, **data}, **kw)


def open_stage(app: Any, workshop_id: int, key: str) -> None:
    with app.app_context():
        stages.open_stage(workshop_id, key)


def newest_id(app: Any) -> int:
    with app.app_context():
        return workshops.list_workshops()[0].id


# -- creating -------------------------------------------------------------------


def test_create_from_blank_is_a_valid_draft(app: Any, console: Any) -> None:
    response = post(
        console,
        "/console/new",
        "/console/new?lang=en",
        {
            "source": "blank",
            "lang-th": "1",
            "lang-en": "1",
            "first_language": "th",
            "title-th": "เวทีเมืองใหม่",
            "title-en": "New town hall",
        },
    )
    assert response.status_code == 302
    workshop_id = newest_id(app)
    assert response.headers["Location"].endswith(f"/console/w/{workshop_id}/build")
    made = definition(app, workshop_id)
    assert made["title"] == {"th": "เวทีเมืองใหม่", "en": "New town hall"}
    assert made["languages"] == ["th", "en"]
    assert [g["key"] for g in made["groups"]] == ["resident", "government", "private", "civil"]
    assert [(s["key"], s["method"]) for s in made["stages"]] == [("warmup", "words")]
    assert parse_workshop(made)  # valid as it is


def test_blank_needs_a_language(console: Any) -> None:
    response = post(console, "/console/new", "/console/new?lang=en", {"source": "blank"})
    assert response.status_code == 422
    assert "Choose at least one language." in text(response)


@pytest.mark.parametrize("sample", sorted(p.name for p in SESSIONS.glob("*.yaml")))
def test_create_from_every_sample(app: Any, console: Any, sample: str) -> None:
    response = post(console, "/console/new", "/console/new?lang=en", {"source": "sample", "sample": sample})
    assert response.status_code == 302
    expected = load_workshop_text((SESSIONS / sample).read_bytes())
    assert definition(app, newest_id(app)) == expected.to_json()


def test_copy_is_a_new_draft_with_a_new_code_and_no_ballots(app: Any, console: Any) -> None:
    original_id, code = create(app)
    response = post(
        console, "/console/new", "/console/new?lang=en", {"source": "copy", "copy": str(original_id)}
    )
    assert response.status_code == 302
    copy_id = newest_id(app)
    assert copy_id != original_id
    with app.app_context():
        copied = workshops.get_workshop(copy_id)
        assert copied.code != code
        assert {s.state for s in copied.stages} == {"draft"}
    copied_def, original_def = definition(app, copy_id), definition(app, original_id)
    assert copied_def["title"] == {"th": "แผนพัฒนาเมืองทดสอบ (สำเนา)", "en": "Test city plan (copy)"}
    assert copied_def["stages"] == original_def["stages"]


def test_the_copy_picker_is_not_marked_as_an_error_until_it_is_one(app: Any, console: Any) -> None:
    """Jinja's ``errors.copy`` is dict.copy(), always true: the picker was red on a fresh page."""
    create(app)
    html = text(console.get("/console/new?lang=en"))
    assert html.count("field--error") == 0
    response = post(console, "/console/new", "/console/new?lang=en", {"source": "copy", "copy": "999999"})
    assert response.status_code == 422
    assert 'id="copy-error"' in text(response)


def test_the_code_tag_of_a_stage_and_an_item_marks_only_the_code_as_english(app: Any, console: Any) -> None:
    """รหัส is Thai (read by a Thai voice); only the code itself is lang="en"."""
    workshop_id, _code = create(app)
    stage_page = text(console.get(f"/console/w/{workshop_id}/build/s/vision?lang=th"))
    assert '<span class="tag tag--plain">รหัส: <span lang="en">vision</span></span>' in stage_page
    item_page = text(console.get(f"/console/w/{workshop_id}/build/s/vision/i/v1?lang=th"))
    assert '<span class="tag tag--plain">รหัส: <span lang="en">v1</span></span>' in item_page


# -- the workshop file ----------------------------------------------------------


@pytest.mark.parametrize("sample", sorted(p.name for p in SESSIONS.glob("*.yaml")))
def test_file_to_builder_to_file_is_lossless(app: Any, console: Any, sample: str) -> None:
    """Every sample: imported, edited by saving each builder form unchanged, downloaded,
    read again: the same workshop."""
    typed = load_workshop_text((SESSIONS / sample).read_bytes())
    original = typed.to_json()
    with app.app_context():
        workshop_id = workshops.create_workshop(typed).id
    build = f"/console/w/{workshop_id}/build"
    html, _token, _revision = page(console, build)
    assert post(console, f"{build}/settings", build, _settings_form(html)).status_code == 302
    assert post(console, f"{build}/groups", build, _form_values(html, "groups")).status_code == 302
    for stage in original["stages"]:
        stage_path = f"{build}/s/{stage['key']}"
        stage_html, _t, _r = page(console, stage_path)
        response = post(console, stage_path, stage_path, _form_values(stage_html, "stage"))
        assert response.status_code == 302, text(response)
        for item in stage["items"][:2]:
            item_path = f"{stage_path}/i/{item['key']}"
            item_html, _t, _r = page(console, item_path)
            response = post(console, item_path, item_path, _form_values(item_html, "item"))
            assert response.status_code == 302, text(response)
    download = console.get(f"/console/w/{workshop_id}/workshop.yaml")
    assert download.status_code == 200
    assert download.mimetype == "application/yaml"
    assert "attachment" in download.headers["Content-Disposition"]
    assert load_workshop_text(download.get_data()).to_json() == original


def _form_values(html: str, form: str) -> dict[str, Any]:
    """The values a browser would send for the builder form named ``form`` (hidden field form=...)."""
    start = html.index(f'name="form" value="{form}"')
    start = html.rindex("<form", 0, start)
    end = html.index("</form>", start)
    chunk = html[start:end]
    data: dict[str, Any] = {}
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>(?:[^<]*</textarea>)?", chunk, re.S):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) in ("csrf_token", "revision") or " disabled" in tag:
            continue
        key = name.group(1)
        if tag.startswith("<textarea"):
            value = re.sub(r"^<textarea[^>]*>", "", tag)[: -len("</textarea>")]
        elif tag.startswith("<select"):
            select_end = chunk.index("</select>", chunk.index(tag))
            options = chunk[chunk.index(tag) : select_end]
            chosen = re.search(r'<option value="([^"]*)" selected', options) or re.search(
                r'<option value="([^"]*)"', options
            )
            value = chosen.group(1) if chosen else ""
        else:
            kind = re.search(r'type="([^"]+)"', tag)
            if kind and kind.group(1) in ("checkbox", "radio") and " checked" not in tag:
                continue
            found = re.search(r'value="([^"]*)"', tag)
            value = found.group(1) if found else ""
        import html as html_lib

        data.setdefault(key, []).append(html_lib.unescape(value))
    return data


def _settings_form(html: str) -> dict[str, Any]:
    return _form_values(html, "settings")


# -- editing through the forms --------------------------------------------------


def test_every_builder_page_renders_in_both_languages(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    base = f"/console/w/{workshop_id}"
    for lang in ("th", "en"):
        for path in (
            "/console/new",
            f"{base}/build",
            f"{base}/build/s/vision",
            f"{base}/build/s/projects",
            f"{base}/build/s/goals",
            f"{base}/build/s/words",
            f"{base}/build/s/projects/i/p1",
            f"{base}/build/s/vision/preview",
            f"{base}/build/s/vision/phone",
            base,
        ):
            response = console.get(f"{path}?lang={lang}")
            assert response.status_code == 200, (path, lang)
            assert f'lang="{lang}"' in text(response)


def test_settings_with_buddhist_era_date(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    build = f"/console/w/{workshop_id}/build"
    html, _t, _r = page(console, build + "?lang=th")
    data = _settings_form(html)
    data.update({"date": "๑๕/๑/๒๕๗๐", "city-th": "เทศบาลนครใหม่", "join": "tokens"})
    response = post(console, f"{build}/settings", build, data)
    assert response.status_code == 302
    saved = definition(app, workshop_id)
    assert (saved["date"], saved["join"]) == ("2027-01-15", "tokens")
    assert saved["city"] == "เทศบาลนครใหม่"
    html, _t, _r = page(console, build + "?lang=th")
    assert 'value="15/1/2570"' in html


def test_a_bad_date_comes_back_with_what_was_typed(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    build = f"/console/w/{workshop_id}/build"
    html, _t, _r = page(console, build + "?lang=en")
    data = _settings_form(html)
    data.update({"date": "31/2/2569", "title-en": "Typed title"})
    response = post(console, f"{build}/settings", build, data)
    assert response.status_code == 422
    body = text(response)
    assert "Type a date as day/month/year" in body
    assert 'value="Typed title"' in body and 'value="31/2/2569"' in body
    assert definition(app, workshop_id)["title"]["en"] == "Test city plan"


def test_groups_add_rename_reorder_remove(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    build = f"/console/w/{workshop_id}/build"
    html, _t, _r = page(console, build + "?lang=en")
    data = _form_values(html, "groups")
    data.update(
        {
            "group-resident-en": "Residents of the city",
            "new-group-th": "เยาวชน",
            "new-group-en": "Youth",
            "action": "add",
        }
    )
    assert post(console, f"{build}/groups", build, data).status_code == 302
    groups = definition(app, workshop_id)["groups"]
    assert groups[0]["label"]["en"] == "Residents of the city"
    assert groups[-1] == {"key": "youth", "label": {"th": "เยาวชน", "en": "Youth"}}
    html, _t, _r = page(console, build)
    assert (
        post(
            console, f"{build}/groups", build, {**_form_values(html, "groups"), "action": "up:youth"}
        ).status_code
        == 302
    )
    assert [g["key"] for g in definition(app, workshop_id)["groups"]][-2:] == ["youth", "civil"]
    html, _t, _r = page(console, build)
    assert (
        post(
            console, f"{build}/groups", build, {**_form_values(html, "groups"), "action": "remove:youth"}
        ).status_code
        == 302
    )
    assert "youth" not in [g["key"] for g in definition(app, workshop_id)["groups"]]


def test_removing_a_group_with_participants_is_refused_with_its_reason(
    app: Any, console: Any, api: Any
) -> None:
    workshop_id, code = create(app)
    api.join(code, "government")
    build = f"/console/w/{workshop_id}/build"
    html, _t, _r = page(console, build + "?lang=en")
    response = post(
        console, f"{build}/groups", build, {**_form_values(html, "groups"), "action": "remove:government"}
    )
    assert response.status_code == 409
    assert "cannot be removed: residents have joined in it" in text(response)


def test_add_a_stage_with_the_method_picker(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    build = f"/console/w/{workshop_id}/build"
    html, _t, _r = page(console, build + "?lang=en")
    for method in ("single", "approval", "dots", "rank", "score", "budget", "words"):
        assert f'value="{method}"' in html
    assert "Residents share out a number of dots among the items" in html
    response = post(
        console,
        f"{build}/stages",
        build,
        {
            "form": "add-stage",
            "action": "add",
            "method": "budget",
            "kind": "projects",
            "new-stage-th": "แบ่งงบประมาณ",
            "new-stage-en": "Split the budget",
        },
    )
    assert response.status_code == 302
    stage = definition(app, workshop_id)["stages"][-1]
    assert (stage["key"], stage["method"], stage["budget"]) == ("projects1", "budget", 1_000_000)
    assert response.headers["Location"].endswith(f"/build/s/{stage['key']}")


def test_stage_form_items_and_options(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    path = f"/console/w/{workshop_id}/build/s/goals"
    html, _t, _r = page(console, path + "?lang=en")
    data = _form_values(html, "stage")
    data.update(
        {
            "title-th": "เป้าหมาย",
            "title-en": "Goals",
            "dots": "๗",
            "max_per_item": "3",
            "new-item-en": "Clean canals",
            "action": "add-item",
        }
    )
    assert post(console, path, path, data).status_code == 302
    goals = next(s for s in definition(app, workshop_id)["stages"] if s["key"] == "goals")
    assert goals["title"] == {"th": "เป้าหมาย", "en": "Goals"}
    assert goals["dots"] == 7
    assert goals["items"][-1]["key"] == "g4" and goals["items"][-1]["title"] == {"en": "Clean canals"}
    html, _t, _r = page(console, path)
    assert (
        post(console, path, path, {**_form_values(html, "stage"), "action": "item-up:g4"}).status_code == 302
    )
    html, _t, _r = page(console, path)
    assert (
        post(console, path, path, {**_form_values(html, "stage"), "action": "item-remove:g1"}).status_code
        == 302
    )
    stages = {s["key"]: s for s in definition(app, workshop_id)["stages"]}
    assert [i["key"] for i in stages["goals"]["items"]] == ["g2", "g4", "g3"]
    assert stages["projects"]["items"][0]["goal"] is None  # it served g1, removed


def test_item_form_with_goal_budget_and_sdgs(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    path = f"/console/w/{workshop_id}/build/s/projects/i/p2"
    html, _t, _r = page(console, path + "?lang=th")
    assert "เมืองและชุมชนที่ยั่งยืน" in html and "ระบบขนส่งที่ปลอดภัย" in html
    for name, limit in (("title", "title_chars"), ("description", "description_chars"),
                        ("indicator", "indicator_chars")):  # the boxes hold what the file may
        assert re.search(rf'name="{name}-th"[^>]*maxlength="{LIMITS[limit]}"', html), name
    data = _form_values(html, "item")
    data.update(
        {
            "budget": "๒,๕๐๐,๐๐๐",
            "goal": "g3",
            "horizon": "medium",
            "sdgs": ["11", "11.2", "6.b"],
            "indicator-th": "จำนวนผู้ใช้",
        }
    )
    assert post(console, path, path, data).status_code == 302
    item = next(s for s in definition(app, workshop_id)["stages"] if s["key"] == "projects")["items"][1]
    assert (item["budget"], item["goal"], item["horizon"]) == (2_500_000, "g3", "medium")
    assert item["sdgs"] == ["11", "11.2", "6.b"] and item["indicator"] == "จำนวนผู้ใช้"


def _projects_item(app: Any, workshop_id: int, index: int) -> dict[str, Any]:
    return next(s for s in definition(app, workshop_id)["stages"] if s["key"] == "projects")["items"][index]


def test_item_form_office_strategy_and_budget_per_year(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    path = f"/console/w/{workshop_id}/build/s/projects/i/p2"
    html, _t, _r = page(console, path + "?lang=th")
    for words in ("หน่วยงานรับผิดชอบ", "ยุทธศาสตร์และแนวทาง", "งบประมาณรายปี (บาท)", "ปีงบประมาณ (พ.ศ.)"):
        assert words in html, words
    assert 'name="budget_year-9"' not in html and 'name="budget_year-2"' in html  # three empty rows
    data = _form_values(html, "item")
    data.update(
        {
            "office-th": "กองช่าง",
            "strategy-th": "ยุทธศาสตร์ที่ 2 เมืองปลอดภัย",
            # Thai digits, commas, a common-era year taken as 2571, the rows in any order
            "budget_year-0": "๒๕๗๒",
            "budget_amount-0": "๑,๐๐๐,๐๐๐",
            "budget_year-1": "2570",
            "budget_amount-1": "2,500,000",
            "budget_year-2": "2028",
            "budget_amount-2": "500000",
        }
    )
    assert post(console, path, path, data).status_code == 302
    item = _projects_item(app, workshop_id, 1)
    assert item["office"] == "กองช่าง" and item["strategy"] == "ยุทธศาสตร์ที่ 2 เมืองปลอดภัย"
    assert item["budget_years"] == {"2570": 2_500_000, "2571": 500_000, "2572": 1_000_000}
    # shown back in year order, with room for more; clearing an amount drops its year
    html, _t, _r = page(console, path + "?lang=th")
    assert re.search(r'name="budget_year-0"[^>]*value="2570"', html)
    assert re.search(r'name="budget_amount-0"[^>]*value="2,500,000"', html)
    assert 'name="budget_year-5"' in html
    data = _form_values(html, "item")
    data.update({"budget_amount-1": "", "office-th": ""})
    assert post(console, path, path, data).status_code == 302
    item = _projects_item(app, workshop_id, 1)
    assert item["budget_years"] == {"2570": 2_500_000, "2572": 1_000_000} and "office" not in item


def test_budget_rows_offer_the_plans_years() -> None:
    from workshop.web.facilitator.builder import budget_year_rows

    # in a plan of 2570-2574: its years not used yet follow the item's own
    rows = budget_year_rows({"budget_years": {"2571": 5}}, [2570, 2571, 2572, 2573, 2574])
    assert rows == [("2571", 5), ("2570", None), ("2572", None), ("2573", None), ("2574", None)]
    # in no plan: the item's years, then three empty rows; never more than the ten a file allows
    assert budget_year_rows({}, []) == [("", None)] * 3
    many = {str(2560 + i): i for i in range(10)}
    assert len(budget_year_rows({"budget_years": many}, [])) == 10


def test_a_workshop_of_a_plan_offers_the_plans_years(app: Any, console: Any) -> None:
    from workshop.models import PlanWorkshop, User
    from workshop.services import plans
    from workshop.storage import db

    workshop_id, _code = create(app)
    with app.app_context():
        user = db.session.query(User).filter_by(username="facilitator").one()
        plan = plans.create_plan(user, {"title": "แผนพัฒนาท้องถิ่น", "period": "2570-2572"})
        db.session.add(PlanWorkshop(plan_id=plan.id, workshop_id=workshop_id, position=0))
        db.session.commit()
    path = f"/console/w/{workshop_id}/build/s/projects/i/p2"
    html, _t, _r = page(console, path + "?lang=th")
    years = re.findall(r'name="budget_year-\d+"[^>]*value="(\d*)"', html)
    assert years == ["2570", "2571", "2572"]
    # an amount for the second year only: the other offered years are left out
    data = {**_form_values(html, "item"), "budget_amount-1": "๗๕๐,๐๐๐"}
    assert post(console, path, path, data).status_code == 302
    assert _projects_item(app, workshop_id, 1)["budget_years"] == {"2571": 750_000}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # form reading, not storage
@pytest.mark.parametrize(
    ("row", "error"),
    [
        ({"budget_year-0": "70", "budget_amount-0": "100"}, "พิมพ์ปีงบประมาณเป็นปีพุทธศักราช"),
        ({"budget_year-0": "", "budget_amount-0": "100"}, "ระบุปีของจำนวนเงินนี้"),
        ({"budget_year-0": "2570", "budget_amount-0": "หนึ่งแสน"}, "พิมพ์ตัวเลข เช่น 2,500,000"),
        ({"budget_year-0": "3000", "budget_amount-0": "100"}, "พิมพ์ปีงบประมาณเป็นปีพุทธศักราช"),
        (
            {"budget_year-0": "2570", "budget_amount-0": "1",
             "budget_year-1": "๒๕๗๐", "budget_amount-1": "2"},
            "ปี 2570 ซ้ำ",
        ),
    ],
)
def test_budget_per_year_errors_are_said_in_thai_and_nothing_is_saved(
    app: Any, console: Any, row: dict[str, str], error: str
) -> None:
    workshop_id, _code = create(app)
    path = f"/console/w/{workshop_id}/build/s/projects/i/p2"
    html, _t, _r = page(console, path + "?lang=th")
    data = {**_form_values(html, "item"), **row, "office-th": "กองคลัง"}
    response = post(console, path, path + "?lang=th", data)
    assert response.status_code == 422
    body = text(response)
    assert error in body, body[body.find("error-summary") :][:1500]
    assert 'value="กองคลัง"' in body  # what was typed comes back
    assert 'aria-invalid="true"' in body
    assert "office" not in _projects_item(app, workshop_id, 1)


def test_plan_fields_only_on_projects_and_items_that_have_them(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    html, _t, _r = page(console, f"/console/w/{workshop_id}/build/s/vision/i/v1?lang=en")
    assert 'name="plan_fields"' not in html and "Responsible office" not in html
    html, _t, _r = page(console, f"/console/w/{workshop_id}/build/s/projects/i/p1?lang=en")
    assert "Responsible office" in html and "Budget per year (baht)" in html


def test_a_stale_revision_is_refused_and_what_was_typed_is_kept(app: Any, console: Any, api: Any) -> None:
    workshop_id, _code = create(app)
    path = f"/console/w/{workshop_id}/build/s/vision"
    html, token, revision = page(console, path + "?lang=en")
    open_stage(app, workshop_id, "goals")  # another facilitator changes the workshop meanwhile
    data = {
        **_form_values(html, "stage"),
        "title-en": "Our vision, fixed",
        "csrf_token": token,
        "revision": revision,
    }
    response = console.post(path, data=data)
    assert response.status_code == 409
    body = text(response)
    assert "Someone else saved a change to this workshop" in body
    assert 'value="Our vision, fixed"' in body
    assert definition(app, workshop_id)["stages"][0]["title"]["en"] == "Vision"
    # the page came back with the current revision: saving again works
    fresh = REVISION.search(body)
    assert fresh and int(fresh.group(1)) == int(revision) + 1
    again = console.post(path, data={**data, "revision": fresh.group(1), "csrf_token": csrf_from(body)})
    assert again.status_code == 302
    assert definition(app, workshop_id)["stages"][0]["title"]["en"] == "Our vision, fixed"


def test_a_locked_stage_shows_why_and_keeps_its_rules(app: Any, console: Any, api: Any) -> None:
    workshop_id, code = create(app)
    open_stage(app, workshop_id, "vision")
    browser, _token = api.join(code, "resident")
    assert api.socket(browser).emit(
        "ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=True
    )["ok"]
    path = f"/console/w/{workshop_id}/build/s/vision"
    html, _t, _r = page(console, path + "?lang=en")
    assert "This stage has 1 ballot" in html
    assert 'name="max_choices"' in html and 'id="max_choices"' in html
    data = {**_form_values(html, "stage"), "title-en": "Vision (typo fixed)"}
    assert "max_choices" not in data  # disabled: a browser does not send it
    response = post(console, path, path, data)
    assert response.status_code == 302, text(response)
    stage = definition(app, workshop_id)["stages"][0]
    assert (stage["title"]["en"], stage["max_choices"]) == ("Vision (typo fixed)", 2)


def test_yaml_download_needs_sign_in(app: Any, client: Any) -> None:
    workshop_id, _code = create(app)
    assert client.get(f"/console/w/{workshop_id}/workshop.yaml").status_code == 302


def test_preview_phone_is_the_resident_component_without_a_socket(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    response = console.get(f"/console/w/{workshop_id}/build/s/projects/phone?as=en")
    assert response.status_code == 200
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    body = text(response)
    assert "js/resident.js" in body and "socket.io" not in body
    boot = re.search(r'<script type="application/json" id="boot"[^>]*>(.*?)</script>', body, re.S)
    assert boot is not None
    import json

    data = json.loads(boot.group(1))
    assert data["preview"] is True
    states = {s["key"]: s["state"] for s in data["snapshot"]["workshop"]["stages"]}
    assert states == {"vision": "draft", "goals": "draft", "projects": "open", "words": "draft"}
    with app.app_context():  # nothing changed
        assert {s.state for s in workshops.get_workshop(workshop_id).stages} == {"draft"}


def test_checklist_on_the_run_sheet(app: Any, console: Any) -> None:
    obj = workshop_object()
    obj["stages"][1]["items"] = []  # goals: allow_ideas, no items
    obj["stages"][1]["title"] = "Goals only in one language"
    for item in obj["stages"][2]["items"]:
        item["goal"] = None
    workshop_id, _code = create(app, obj)
    html = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert 'id="checklist"' in html
    assert "has no items yet" in html
    assert "are never shown to residents" in html  # the words stage
    assert "A text is missing in English: title of the stage “Goals only in one language”" in html
    assert f"/console/w/{workshop_id}/build/s/goals" in html


def test_checklist_warns_of_a_loopback_join_address(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    run_sheet = text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert "Phones cannot open the join address" in run_sheet
    # nothing the officer is told to do is an environment variable: they pass a message on
    assert "WORKSHOP_PUBLIC_URL" not in run_sheet and "pass on to whoever installed RuamKit" in run_sheet
    assert "ที่ “วิธีแก้” มีข้อความให้ส่งต่อถึงผู้ติดตั้ง RuamKit" in text(console.get(f"/console/w/{workshop_id}?lang=th"))
    # the server listens on the network: the setting names this computer; the exact words to pass on
    app.config["LISTEN_HOST"], app.config["PORT"] = "0.0.0.0", 5000
    page = text(console.get(f"/console/w/{workshop_id}/build?lang=en"))
    assert 'id="join-address"' in page and 'id="it-message"' in page
    assert "Please remove WORKSHOP_PUBLIC_URL" in page and "--host 0.0.0.0" not in page
    assert "กรุณาลบ WORKSHOP_PUBLIC_URL ออก" in text(console.get(f"/console/w/{workshop_id}/build?lang=th"))
    # the server listens on this computer only: restart it on all addresses
    app.config["LISTEN_HOST"], app.config["PORT"] = "127.0.0.1", 5731
    page = text(console.get(f"/console/w/{workshop_id}/build?lang=en"))
    assert "python run.py serve --host 0.0.0.0 --port 5731" in page
    assert "remove WORKSHOP_PUBLIC_URL" not in page
    thai = text(console.get(f"/console/w/{workshop_id}/build?lang=th"))
    assert "กรุณาหยุด RuamKit แล้วเปิดใหม่" in thai and "--port 5731" in thai
    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"
    assert "Phones cannot open the join address" not in text(console.get(f"/console/w/{workshop_id}?lang=en"))
    assert 'id="join-address"' not in text(console.get(f"/console/w/{workshop_id}/build?lang=en"))


def test_yaml_of_the_workshop_is_readable(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    body = console.get(f"/console/w/{workshop_id}/workshop.yaml").get_data(as_text=True)
    loaded = yaml.safe_load(body)
    assert "null" not in body and loaded["stages"][0]["key"] == "vision"
