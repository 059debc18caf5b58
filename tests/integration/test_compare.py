"""Combined results of a plan over the API and in the console: the same question in two forums."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api
from tests.integration.test_carry import console_of, feed_forum, forum
from tests.integration.test_exports import ballot


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


def test_two_forums_combined_over_every_ballot(api: Api) -> None:
    a = api.create_workshop(forum())
    b = api.create_workshop({**forum(), "title": "ประชาคมชุมชนเขานิเวศน์"})
    feed_forum(api, a["id"], a["code"])  # 5 ballots: flood 5, waste 3, light 3
    api.stage(b["id"], "needs", "open")
    for items in (["waste"], ["waste", "park"], ["waste"]):  # 3 ballots: waste 3, park 1
        browser, _token = api.join(b["code"], "government")
        sock = api.socket(browser)
        ballot(sock, "needs", {"items": items})
        sock.disconnect()
    plan = api.post("/api/v1/plans", {"title": "แผน", "period": "2570-2574", "workshops": [a["id"], b["id"]]})
    plan_id = plan.get_json()["id"]
    body = api.get(f"/api/v1/plans/{plan_id}/results").get_json()
    (question,) = body["questions"]
    assert question["key"] == "needs" and question["combined"] is True and question["ballots"] == 8
    items = {i["key"]: i for i in question["items"]}
    assert items["waste"]["score"] == pytest.approx(6 / 8 * 100) and items["waste"]["rank"] == 1
    assert items["flood"]["score"] == pytest.approx(5 / 8 * 100)
    assert items["flood"]["by_workshop"][str(a["id"])]["score"] == 100.0
    assert items["flood"]["by_workshop"][str(b["id"])]["score"] == 0.0
    assert items["flood"]["workshop_spread"] == 100.0 and items["flood"]["flagged"] is True
    assert items["waste"]["by_group"]["government"]["ballots"] == 3
    # the approved idea is an item of forum A only: none in B
    idea = next(i for i in question["items"] if i["title"] == "ทางเท้าสำหรับผู้สูงอายุ")
    assert idea["by_workshop"][str(b["id"])] is None
    page = console_of(api).get(f"/console/plans/{plan_id}/compare?lang=th")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ผลรวมของทุกเวที" in html and "ประชาคมชุมชนเขานิเวศน์" in html and "75.0" in html
    assert "แยกตามกลุ่มผู้มีส่วนได้ส่วนเสีย" in html
    other = Api.signed_in(api.app)
    assert other.get(f"/api/v1/plans/{plan_id}/results").status_code == 404


def test_the_same_title_in_two_forums_is_one_row_in_the_page_the_api_and_the_exports(api: Api) -> None:
    """Forum B typed forum A's need "น้ำท่วมขัง" under another key: one row everywhere, its
    ballots added up, each forum's own score beside it, and where it came from."""
    import csv
    import io
    import zipfile

    import docx

    from tests.integration.test_docx_export import body_text

    a = api.create_workshop(forum())
    spec = forum()
    spec["title"] = "ประชาคมชุมชนเขานิเวศน์"
    spec["stages"][0]["items"] = [
        {"key": "flooding", "title": "น้ำท่วมขัง "},  # the same title, spacing aside
        {"key": "road", "title": "ถนนชำรุด"},
    ]
    b = api.create_workshop(spec)
    feed_forum(api, a["id"], a["code"])  # 5 ballots: flood 5, waste 3, light 3
    api.stage(b["id"], "needs", "open")
    for items in (["flooding"], ["flooding", "road"], ["road"]):
        browser, _token = api.join(b["code"], "government")
        sock = api.socket(browser)
        ballot(sock, "needs", {"items": items})
        sock.disconnect()
    plan = api.post("/api/v1/plans", {"title": "แผน", "period": "2570-2574", "workshops": [a["id"], b["id"]]})
    plan_id = plan.get_json()["id"]
    # the API: one row, 5 + 2 of 8 ballots, where it came from
    (question,) = api.get(f"/api/v1/plans/{plan_id}/results").get_json()["questions"]
    floods = [i for i in question["items"] if i["title"].strip() == "น้ำท่วมขัง"]
    assert len(floods) == 1
    flood = floods[0]
    assert flood["key"] == "flood" and flood["value"] == 7 and flood["score"] == pytest.approx(7 / 8 * 100)
    assert flood["sources"] == [
        {"workshop": a["id"], "key": "flood"},
        {"workshop": b["id"], "key": "flooding"},
    ]
    assert flood["by_workshop"][str(b["id"])]["score"] == pytest.approx(2 / 3 * 100)
    # the page, in Thai and English: the title once per table, and the note
    browser = console_of(api)
    for lang, note in (
        ("th", "นับรวมเป็นรายการเดียว: ชื่อเดียวกันใน ประชาคมชุมชนบางริ้น, ประชาคมชุมชนเขานิเวศน์"),
        ("en", "Counted as one: the same title in ประชาคมชุมชนบางริ้น, ประชาคมชุมชนเขานิเวศน์"),
    ):
        html = browser.get(f"/console/plans/{plan_id}/compare?lang={lang}").get_data(as_text=True)
        assert note in html, lang
        assert html.count('<th scope="row">น้ำท่วมขัง') == 2  # the combined table and the groups' table
    # the open-data CSV: one row per workshop, each with that workshop's own key
    archive = zipfile.ZipFile(io.BytesIO(api.get(f"/api/v1/plans/{plan_id}/export?format=zip").data))
    rows = list(csv.DictReader(io.StringIO(archive.read("combined_results.csv").decode("utf-8-sig"))))
    mine = [r for r in rows if r["item"] == "flood"]
    assert [(r["workshop_id"], r["workshop_item"]) for r in mine] == [
        (str(a["id"]), "flood"),
        (str(b["id"]), "flooding"),
    ]
    assert not [r for r in rows if r["item"] == "flooding"]
    # the plan draft (DOCX): one row, with the same note
    text = body_text(docx.Document(io.BytesIO(api.get(f"/api/v1/plans/{plan_id}/export?format=docx").data)))
    joined = "น้ำท่วมขัง (นับรวมเป็นรายการเดียว: ชื่อเดียวกันใน ประชาคมชุมชนบางริ้น, ประชาคมชุมชนเขานิเวศน์)"
    assert text.count(joined) == 1
