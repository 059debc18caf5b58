"""Exports (contract section 3): plan draft PDF, CSV zip, JSON, join cards; API, console and CLI.

Workshops come from sessions/*.yaml and tests.factories.workshop_object through
the API; residents join and vote over Socket.IO, paper ballots come through
the API, comments are approved through the API. PDFs are read back with
poppler-utils (pdftotext, pdffonts, pdfinfo): missing tools skip locally and
fail under CI=true.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import pytest

from tests.conftest import require
from tests.factories import SESSIONS, Api, session_file, workshop_object
from tests.servers import Listener, redirect_to

ROOT = Path(__file__).resolve().parent.parent.parent
W = "/api/v1/workshops"
HYPERLINK = '=HYPERLINK("http://evil.example/x","click me")'


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


def need_poppler() -> None:
    missing = [tool for tool in ("pdftotext", "pdffonts", "pdfinfo") if shutil.which(tool) is None]
    require(not missing, f"poppler-utils are missing ({', '.join(missing)})")


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout


def pdf_fonts(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


def pdf_pages(data: bytes, tmp_path: Path) -> int:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def export(api: Api, wid: int, fmt: str, **params: str) -> Any:
    response = api.get(f"{W}/{wid}/export", query_string={"format": fmt, **params})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


# -- building workshops ---------------------------------------------------------------


def create_from_file(api: Api, name: str) -> dict[str, Any]:
    response = api.post(W, data=(SESSIONS / name).read_bytes(), content_type="application/yaml")
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def ballot(sock: Any, stage: str, choices: Any) -> None:
    ack = sock.emit("ballot", {"stage": stage, "choices": choices}, callback=True)
    assert ack["ok"], ack


def comment(sock: Any, stage: str, item: str | None, text: str) -> int:
    ack = sock.emit("comment", {"stage": stage, "item": item, "text": text}, callback=True)
    assert ack["ok"], ack
    return int(ack["id"])


def approve(api: Api, comment_id: int) -> None:
    response = api.post(f"/api/v1/comments/{comment_id}/approve")
    assert response.status_code == 200, response.get_json()


#: Ranong vision statements, ranked v3 > v1 > v2 > v4 by the ballots below
RANONG_VISION_ORDER = ["v3", "v1", "v2", "v4"]
APPROVED_TH = "อยากให้ดูแลป่าชายเลนจริงจัง ไม่ใช่แค่ปลูกแล้วทิ้ง"
PENDING_TH = "ความเห็นนี้ยังไม่ได้รับการอนุมัติ"


def feed_ranong(api: Api) -> dict[str, Any]:
    """The Thai sample with 12 residents in four groups, paper ballots and moderated comments."""
    created = create_from_file(api, "ranong-livable-city.yaml")
    wid = created["id"]
    for key in ("dream", "vision", "goals", "projects", "budget"):
        api.stage(wid, key, "open")
    groups = ["resident"] * 4 + ["government"] * 3 + ["private"] * 3 + ["civil"] * 2
    vision = [["v3", "v1"]] * 7 + [["v3", "v2"]] * 3 + [["v3", "v4"]] + [["v1"]]
    words = ["สะอาด น่าอยู่", "ปลอดภัย", "สีเขียว"]
    ids: dict[str, int] = {}
    for n, group in enumerate(groups):
        browser, _token = api.join(created["code"], group)
        sock = api.socket(browser)
        ballot(sock, "dream", {"words": words[: 1 + n % 3]})
        ballot(sock, "vision", {"items": vision[n]})
        ballot(sock, "goals", {"dots": {"g1": 3, "g4": 2} if n % 2 else {"g1": 2, "g2": 2, "g6": 1}})
        ballot(
            sock,
            "projects",
            {
                "scores": {
                    "p1": {"importance": 5, "feasibility": 4},
                    "p2": {"importance": 4, "feasibility": 5},
                    "p7": {"importance": 5 if group == "civil" else 2, "feasibility": 3},
                    "p10": {"importance": 3, "feasibility": 5 if n % 2 else 4},
                }
            },
        )
        ballot(sock, "budget", {"budget": {"b6": 1_900_000, "b1": 2_400_000}})  # within their costs
        if n == 0:
            ids["approved"] = comment(sock, "vision", "v3", APPROVED_TH)
            ids["pending"] = comment(sock, "vision", "v1", PENDING_TH)
            ids["formula"] = comment(sock, "projects", "p1", HYPERLINK)
        sock.disconnect()
    response = api.post(
        f"{W}/{wid}/stages/vision/paper",
        {"group": "youth", "ballots": [{"items": ["v3"]}, {"items": ["v2", "v4"]}]},
    )
    assert response.status_code == 201, response.get_json()
    approve(api, ids["approved"])
    approve(api, ids["formula"])
    for key in ("dream", "vision", "goals", "projects", "budget"):
        api.stage(wid, key, "close")
    return {**created, "comments": ids}


def feed_factory(api: Api, **overrides: Any) -> dict[str, Any]:
    """tests.factories.workshop_object with phone and paper ballots and a formula-like comment."""
    created = api.create_workshop(workshop_object(**overrides))
    wid = created["id"]
    for key in ("vision", "goals", "projects", "words"):
        api.stage(wid, key, "open")
    for n, group in enumerate(["resident", "resident", "government", "civil"]):
        browser, _token = api.join(created["code"], group)
        sock = api.socket(browser)
        ballot(sock, "vision", {"items": ["v2", "v1"] if n % 2 else ["v2"]})
        ballot(sock, "goals", {"dots": {"g3": 3, "g1": 2}})
        ballot(
            sock, "projects", {"scores": {"p1": {"importance": 5, "feasibility": 3}, "p2": {"importance": 2}}}
        )
        ballot(sock, "words", {"words": ["สะอาด", "green"]})
        if n == 0:
            approve(api, comment(sock, "vision", "v2", HYPERLINK))
            approve(api, comment(sock, "vision", None, "@SUM(A1:A9)"))
        sock.disconnect()
    response = api.post(
        f"{W}/{wid}/stages/goals/paper",
        {"group": "civil", "ballots": [{"dots": {"g2": 1}}, {"dots": {"g3": 2, "g2": 2}}]},
    )
    assert response.status_code == 201, response.get_json()
    return created


# -- the plan draft -------------------------------------------------------------------


def test_thai_plan_draft(api: Api, tmp_path: Path) -> None:
    need_poppler()
    ranong = feed_ranong(api)
    response = export(api, ranong["id"], "pdf")
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert re.search(r'filename="ruamkit-\d+-2026-12-05-plan-draft-th\.pdf"', disposition)
    data = response.data
    text = pdf_text(data, tmp_path)
    flat_text = flat(text)
    definition = session_file("ranong-livable-city.yaml")
    assert flat(definition["title"]) in flat_text
    assert "5 ธันวาคม 2569" in text  # Buddhist era
    assert "สารบัญ" in text and "ภาคผนวก" in text
    # vision statements in rank order, inside the vision chapter
    vision = {i["key"]: i["title"] for i in definition["stages"][1]["items"]}
    chapter = flat_text[flat_text.index(flat("ข้อความวิสัยทัศน์")) :]  # the vision table's heading
    positions = [chapter.index(flat(vision[key].split()[0])) for key in RANONG_VISION_ORDER]
    assert positions == sorted(positions)
    # the approved comment is there, the pending one is not; formula text is printed as text
    assert flat(APPROVED_TH) in flat_text
    assert flat(PENDING_TH) not in flat_text
    assert flat(HYPERLINK) in flat_text
    # projects by horizon, with their goal, budget and SDG targets
    for label in ("ระยะสั้น", "ระยะกลาง", "ระยะยาว", "ความสำคัญ", "ความเป็นไปได้", "45,000,000 บาท", "SDG 11.5"):
        assert flat(label) in flat_text, label
    # Thai typeset right: Sarabun only, and SARA AM / tone marks extracted in order
    fonts = pdf_fonts(data, tmp_path)
    assert fonts and all("Sarabun" in name for name in fonts), fonts
    for word in ("น้ำท่วม", "ซ้ำ", "ผู้สูงอายุ", "ชุมชน", "พื้นที่"):
        assert word in text, word
    assert pdf_pages(data, tmp_path) >= 5


def test_thai_lines_break_between_words(api: Api, tmp_path: Path) -> None:
    """Every line that ends inside a long Thai description ends at a word boundary.

    A boundary of pythainlp's segmentation, or one inside a compound it keeps
    whole whose two parts are both dictionary words (ฤดู|ฝน in ฤดูฝน).
    """
    need_poppler()
    from pythainlp.corpus import thai_words
    from pythainlp.tokenize import word_tokenize

    dictionary = thai_words()

    created = create_from_file(api, "ranong-livable-city.yaml")
    text = pdf_text(export(api, created["id"], "pdf").data, tmp_path)
    descriptions = [
        item["description"]
        for stage in session_file("ranong-livable-city.yaml")["stages"]
        for item in stage.get("items", [])
        if len(item.get("description") or "") > 60
    ]
    checked = 0
    for description in descriptions:
        bounds, at = {0, len(description)}, 0
        for token in word_tokenize(description, engine="newmm", keep_whitespace=True):
            at += len(token)
            bounds.add(at)
        for line in (raw.strip() for raw in text.splitlines()):
            if len(line) < 8 or line not in description:
                continue
            end = description.index(line) + len(line)
            if end < len(description):
                before = max(b for b in bounds if b < end)
                after = min(b for b in bounds if b > end)
                compound = description[before:end] in dictionary and description[end:after] in dictionary
                assert end in bounds or compound, (line, description[end : end + 10])
                checked += 1
    assert checked >= 3


def test_english_plan_draft(api: Api, tmp_path: Path) -> None:
    need_poppler()
    created = create_from_file(api, "community-park-en.yaml")
    wid = created["id"]
    for key in ("today", "purpose"):
        api.stage(wid, key, "open")
    picks = ["play"] * 4 + ["nature"] * 3 + ["exercise"] * 2 + ["gather"]
    groups = ["neighbour", "business", "school"]
    for n, pick in enumerate(picks):
        browser, _token = api.join(created["code"], groups[n % 3])
        sock = api.socket(browser)
        ballot(sock, "purpose", {"item": pick})
        ballot(sock, "today", {"words": ["dark", "muddy"] if n % 2 else ["green"]})
        if n == 0:
            comment(
                sock, "purpose", "play", "A fenced play area away from the road, please."
            )  # moderation: post
        sock.disconnect()
    data = export(api, wid, "pdf").data
    text = pdf_text(data, tmp_path)
    assert "Wang Riverside Park redesign" in text
    assert "17 October 2026" in text and "Contents" in text
    titles = {i["key"]: i["title"] for i in session_file("community-park-en.yaml")["stages"][1]["items"]}
    chapter = flat(text)[flat(text).index("Statement") :]  # the vision table's heading
    positions = [chapter.index(flat(titles[key])) for key in ("play", "nature", "exercise", "gather")]
    assert positions == sorted(positions)
    assert "A fenced play area away from the road, please." in text
    fonts = pdf_fonts(data, tmp_path)
    assert fonts and all("Sarabun" in name for name in fonts), fonts


def test_report_language_defaults_to_the_workshop_and_lang_overrides_it(api: Api, tmp_path: Path) -> None:
    need_poppler()
    created = feed_factory(api)
    thai = pdf_text(export(api, created["id"], "pdf").data, tmp_path)
    assert "แผนพัฒนาเมืองทดสอบ" in thai and "สารบัญ" in thai and "วิสัยทัศน์ 2" in thai
    response = export(api, created["id"], "pdf", lang="en")
    assert response.headers["Content-Disposition"].endswith('-plan-draft-en.pdf"')
    english = pdf_text(response.data, tmp_path)
    assert "Test city plan" in english and "Contents" in english and "Vision 2" in english
    assert "5 December 2026" in english


def test_resident_markup_is_printed_as_text_and_fetches_nothing(api: Api, tmp_path: Path) -> None:
    need_poppler()
    with listener() as (port, received):
        img = '<img src="file:///etc/passwd">'
        link = f'<link rel=stylesheet href="http://127.0.0.1:{port}/x.css">'
        obj = workshop_object(title=f"Plan {img}", city=link)
        obj["stages"][0]["items"][0]["title"] = link
        obj["stages"][0]["items"][0]["description"] = '<script>alert(1)</script><svg onload="x">'
        created = api.create_workshop(obj)
        api.stage(created["id"], "vision", "open")
        browser, _token = api.join(created["code"], "resident")
        sock = api.socket(browser)
        approve(api, comment(sock, "vision", "v1", f"{img} {link}"))
        ballot(sock, "vision", {"items": ["v1"]})
        data = export(api, created["id"], "pdf", lang="en").data
        assert received() is None
    text = pdf_text(data, tmp_path)
    assert img in text
    assert link in text
    assert "<script>alert(1)</script>" in text
    assert "root:" not in text


# -- CSV and JSON ---------------------------------------------------------------------


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    raw = archive.read(name)
    assert raw.startswith(b"\xef\xbb\xbf"), f"{name} has no UTF-8 byte order mark"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_zip(api: Api) -> None:
    created = feed_factory(api)
    wid = created["id"]
    response = export(api, wid, "csv")
    assert response.mimetype == "application/zip"
    assert re.search(r'filename="ruamkit-\d+-2026-12-05-data\.zip"', response.headers["Content-Disposition"])
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "ballots.csv",
        "comments.csv",
        "ideas.csv",
        "paper_batches.csv",
        "participants_by_group.csv",
        "results.csv",
        "word_merges.csv",
    ]
    dump = json.loads(export(api, wid, "json").data)
    rows = read_csv(archive, "ballots.csv")
    assert list(rows[0]) == [
        "stage",
        "method",
        "ballot_id",
        "source",
        "channel",
        "group",
        "item",
        "item_title",
        "criterion",
        "position",
        "value",
        "version",
        "time",
    ]
    # one row per choice of every current ballot
    expected = {
        "approval": lambda c: len(c["items"]),
        "dots": lambda c: len(c["dots"]),
        "score": lambda c: sum(len(s) for s in c["scores"].values()),
        "words": lambda c: len(c["words"]),
    }
    per_ballot: dict[str, int] = {}
    for row in rows:
        per_ballot[row["ballot_id"]] = per_ballot.get(row["ballot_id"], 0) + 1
    assert per_ballot == {str(b["id"]): expected[b["method"]](b["choices"]) for b in dump["ballots"]}
    assert {(r["stage"], r["source"]) for r in rows if r["source"] == "paper"} == {("goals", "paper")}
    assert {(r["item"], r["criterion"], r["value"]) for r in rows if r["stage"] == "projects"} == {
        ("p1", "importance", "5"),
        ("p1", "feasibility", "3"),
        ("p2", "importance", "2"),
    }
    assert {r["value"] for r in rows if r["stage"] == "words"} == {"สะอาด", "green"}
    assert {r["item_title"] for r in rows if r["stage"] == "vision"} == {"วิสัยทัศน์ 1", "วิสัยทัศน์ 2"}
    # comments: formula-like text is neutralised with a leading quote
    comments = read_csv(archive, "comments.csv")
    assert sorted(c["text"] for c in comments) == sorted(["'" + HYPERLINK, "'@SUM(A1:A9)"])
    assert {c["status"] for c in comments} == {"published"}
    groups = {r["group"]: r for r in read_csv(archive, "participants_by_group.csv")}
    assert (groups["resident"]["participants"], groups["civil"]["paper_ballots"]) == ("2", "2")
    assert groups["resident"]["label"] == "ประชาชน"
    results = read_csv(archive, "results.csv")
    assert [r["item"] for r in results if r["stage"] == "vision"] == ["v2", "v1", "v3"]
    read_csv(archive, "ideas.csv")


def test_json_matches_the_results_api_and_keeps_participants_anonymous(api: Api) -> None:
    created = feed_factory(api)
    wid = created["id"]
    response = export(api, wid, "json")
    assert response.mimetype == "application/json"
    dump = json.loads(response.data)
    assert dump["results"] == api.results(wid)
    described = api.get(f"{W}/{wid}").get_json()
    assert dump["definition"]["title"] == described["title"]
    assert [s["key"] for s in dump["definition"]["stages"]] == [s["key"] for s in described["stages"]]
    assert len(dump["ballots"]) == sum(entry["ballots"] for entry in dump["results"]["stages"])
    assert {b["source"] for b in dump["ballots"]} == {"phone", "paper"}
    assert len(dump["comments"]) == 2 and dump["ideas"] == []
    assert dump["participants"] == api.results(wid)["participants"]
    assert "projector_url" not in dump["workshop"]

    def keys(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            for key, inner in value.items():
                yield key
                yield from keys(inner)
        elif isinstance(value, list):
            for inner in value:
                yield from keys(inner)

    found = set(keys(dump))
    assert not {k for k in found if "token" in k or "hash" in k or k == "participant_id"}
    assert described["projector_url"].rsplit("/", 1)[1] not in response.get_data(as_text=True)


# -- the API around the exports ---------------------------------------------------------


@pytest.mark.parametrize("query", [{}, {"format": "odt"}, {"format": "pdf", "lang": "fr"}])
def test_bad_format_or_language_is_a_422_json_error(api: Api, query: dict[str, str]) -> None:
    created = api.create_workshop()
    response = api.get(f"{W}/{created['id']}/export", query_string=query)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


def test_exports_need_a_facilitator_and_a_workshop(api: Api) -> None:
    created = api.create_workshop()
    anonymous = api.app.test_client()
    for path in (f"{W}/{created['id']}/export?format=json", f"{W}/{created['id']}/tokens.pdf"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
    assert api.get(f"{W}/999999/export?format=csv").status_code == 404
    assert api.get(f"{W}/999999/tokens.pdf").status_code == 404


def test_console_session_can_download(api: Api) -> None:
    from workshop.services.accounts import reference_of
    from workshop.web.facilitator.auth import SESSION_REFERENCE

    created = api.create_workshop()
    browser = api.app.test_client()
    with browser.session_transaction() as session:
        session[SESSION_REFERENCE] = reference_of(api.token)
    response = browser.get(f"{W}/{created['id']}/export?format=json")
    assert response.status_code == 200
    assert json.loads(response.data)["workshop"]["id"] == created["id"]


def test_download_buttons_partial_links_the_four_exports(api: Api) -> None:
    from flask import render_template_string

    with api.app.test_request_context("/console"):
        html = render_template_string(
            "{% with workshop_id=7, join_cards=true %}"
            '{% include "export/_download_buttons.html" %}{% endwith %}'
        )
    for fmt in ("pdf", "docx", "csv", "json"):
        assert f"/api/v1/workshops/7/export?format={fmt}" in html
    assert "/api/v1/workshops/7/tokens.pdf" in html


def test_openapi_documents_the_exports(api: Api) -> None:
    paths = api.get("/api/v1/openapi.json").get_json()["paths"]
    export_doc = paths["/api/v1/workshops/{workshop_id}/export"]["get"]
    assert set(export_doc["responses"]["200"]["content"]) == {
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
        "application/json",
    }
    assert (
        "application/pdf"
        in paths["/api/v1/workshops/{workshop_id}/tokens.pdf"]["get"]["responses"]["200"]["content"]
    )


# -- join cards -------------------------------------------------------------------------


def test_join_cards(api: Api, tmp_path: Path) -> None:
    need_poppler()
    created = api.create_workshop(workshop_object(join="tokens"))
    wid = created["id"]
    assert api.get(f"{W}/{wid}/tokens.pdf").status_code == 409
    codes: dict[str, list[str]] = {}
    for group, count in (("resident", 10), ("civil", 3)):
        response = api.post(f"{W}/{wid}/tokens", {"group": group, "count": count})
        assert response.status_code == 201
        codes[group] = [t["token"] for t in response.get_json()["tokens"]]
    response = api.get(f"{W}/{wid}/tokens.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "join-cards" in response.headers["Content-Disposition"]
    text = pdf_text(response.data, tmp_path)
    for code in codes["resident"] + codes["civil"]:
        assert text.count(code) == 2, code  # printed big, and inside the address under the QR code
    assert "แผนพัฒนาเมืองทดสอบ" in text and "ประชาชน" in text and "ภาคประชาสังคม" in text
    assert "สแกนคิวอาร์โค้ด" in text  # instructions in the workshop's language
    assert pdf_pages(response.data, tmp_path) == 3  # 8 + 2 residents, then the civil society sheet
    assert all("Sarabun" in name for name in pdf_fonts(response.data, tmp_path))
    civil = api.get(f"{W}/{wid}/tokens.pdf", query_string={"group": "civil", "lang": "en"})
    civil_text = pdf_text(civil.data, tmp_path)
    assert sorted(c for c in codes["resident"] + codes["civil"] if c in civil_text) == sorted(codes["civil"])
    assert "Scan the QR code" in civil_text and pdf_pages(civil.data, tmp_path) == 1
    assert api.get(f"{W}/{wid}/tokens.pdf", query_string={"group": "nobody"}).status_code == 422


def test_join_card_qr_codes_carry_the_join_url_and_token(api: Api) -> None:
    from workshop.export.cards import card_context

    created = api.create_workshop(workshop_object(join="tokens"))
    response = api.post(f"{W}/{created['id']}/tokens", {"group": "government", "count": 1})
    token = response.get_json()["tokens"][0]
    with api.app.app_context():
        card = card_context(created["id"])["sheets"][0][0]
    assert card["url"] == token["join_url"] == f"{created['join_url']}?t={token['token']}"
    assert card["qr"].startswith("<svg") and "<script" not in card["qr"]


# -- the URL fetcher --------------------------------------------------------------------


@contextmanager
def listener() -> Iterator[tuple[int, Any]]:
    """A local TCP port; ``received()`` gives the first bytes a client sent, or None (0.5 s wait)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)

    def received() -> bytes | None:
        try:
            conn, _addr = server.accept()
        except TimeoutError:
            return None
        with conn:
            conn.settimeout(0.5)
            try:
                return conn.recv(1024) or b"(connected)"
            except TimeoutError:
                return b"(connected)"

    try:
        yield server.getsockname()[1], received
    finally:
        server.close()


def test_fetcher_serves_files_under_static() -> None:
    from workshop.export.pdf import STATIC, StaticFilesFetcher

    fetcher = StaticFilesFetcher()
    css = fetcher.fetch((STATIC / "css" / "export.css").as_uri())
    assert css.content_type == "text/css" and b"@page" in css.read()
    font = fetcher.fetch((STATIC / "fonts" / "sarabun-thai-400.ttf").as_uri())
    assert font.read()[:4] == b"\x00\x01\x00\x00"


def test_fetcher_refuses_everything_else(tmp_path: Path) -> None:
    from workshop.export.pdf import STATIC, FetchRefused, StaticFilesFetcher

    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("p {}")
    (root / "escape.css").symlink_to(outside)
    fetcher = StaticFilesFetcher(root)
    assert fetcher.fetch((root / "ok.css").as_uri()).read() == b"p {}"
    refused = [
        "file:///etc/passwd",
        f"file://{root}/../secret.txt",
        f"file://{root}/%2e%2e/secret.txt",
        (root / "escape.css").as_uri(),
        f"file://{root}",
        "file://example.org/etc/passwd",
        "data:text/css,p{}",
        "ftp://127.0.0.1/x",
        f"{(STATIC / 'css' / 'export.css').as_uri()}",  # another root's files are outside this one
    ]
    for url in refused:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    with listener() as (port, received):
        for url in (f"http://127.0.0.1:{port}/x.css", f"https://127.0.0.1:{port}/x.css"):
            with pytest.raises(FetchRefused):
                fetcher.fetch(url)
        assert received() is None


def test_rendering_hostile_html_reads_no_file_and_opens_no_connection() -> None:
    from workshop.export.pdf import STATIC, StaticFilesFetcher, html_to_pdf

    served: list[str] = []

    class Spy(StaticFilesFetcher):
        def resolve(self, url: str) -> Path:
            path = super().resolve(url)
            served.append(str(path))
            return path

    with listener() as (port, received):
        html = f"""<html><head><link rel="stylesheet" href="css/export.css">
        <link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">
        <style>@import url("http://127.0.0.1:{port}/i.css");
        body {{ background: url(../../../etc/passwd) }}</style>
        </head><body><p>x</p><img src="file:///etc/passwd"><img src="../../../../etc/passwd">
        <img src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E">
        <svg><image href="http://127.0.0.1:{port}/i.png" width="9" height="9"/></svg></body></html>"""
        pdf = html_to_pdf(html, fetcher=Spy())
        assert received() is None
    assert pdf.startswith(b"%PDF")
    assert served and all(path.startswith(str(STATIC)) for path in served)


# -- the default wiring: the real entry points, no fetcher passed ----------------------------


class Watch:
    """Files opened for reading and sockets connected in this process, and the fetcher's refusals.

    A Python audit hook sees every ``open()`` and ``socket.connect`` made from
    Python, which is how any WeasyPrint URL fetcher reads a file or reaches a
    server (fontconfig and pango read their own configuration in C, unseen,
    and never a URL). Compiled modules imported meanwhile (``.pyc``) are not
    counted, nor folders opened (WeasyPrint deletes its temporary font folder).
    Refusals are the ``refused to load`` warnings of workshop.export.pdf.
    """

    active: ClassVar[list[Watch]] = []
    hooked: ClassVar[bool] = False

    def __init__(self) -> None:
        self.reads: list[str] = []
        self.connects: list[Any] = []
        self.refused: list[str] = []

    @classmethod
    def audit(cls, event: str, args: tuple[Any, ...]) -> None:
        if not cls.active or event not in ("open", "socket.connect"):
            return
        if event == "socket.connect":
            for watch in cls.active:
                watch.connects.append(args[1])
            return
        path, mode, flags = args
        if isinstance(path, int):  # an fd already open
            return
        writing_only = (flags & os.O_ACCMODE) == os.O_WRONLY  # os.open gives flags, open() a mode too
        reading = ("r" in mode or "+" in mode) if isinstance(mode, str) else not writing_only
        name = os.fsdecode(path)
        if reading and not name.endswith(".pyc") and not os.path.isdir(name):
            for watch in cls.active:
                watch.reads.append(os.path.realpath(name))

    def outside_static(self) -> list[str]:
        from workshop.export.pdf import STATIC

        return [path for path in self.reads if not Path(path).is_relative_to(STATIC)]

    def __enter__(self) -> Watch:
        if not Watch.hooked:
            sys.addaudithook(Watch.audit)  # hooks stay for the process; inert while nothing is watched
            Watch.hooked = True
        outer = self

        class Refusals(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                outer.refused.append(record.getMessage())

        self.handler = Refusals(logging.WARNING)
        logging.getLogger("workshop.export.pdf").addHandler(self.handler)
        Watch.active.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        Watch.active.remove(self)
        logging.getLogger("workshop.export.pdf").removeHandler(self.handler)


#: files the hostile documents name; ../workshop/config.py is this repository's, next to static/
SECRETS = ("/etc/passwd", "/etc/hostname", str(ROOT / "workshop" / "config.py"))


def hostile_html(server: str) -> tuple[str, list[str]]:
    """A document loading from ``server`` and outside static/ in every way it can; and its URLs.

    Relative URLs resolve against static/ (the renderer's base URL); the
    data: stylesheet imports from ``server`` and the data: SVG draws an image
    from it, so a fetcher honouring data: would show up at the listener too.
    """
    urls = {
        "link": f"{server}/link.css",
        "import": f"{server}/import.css",
        "import-file": "file:///etc/passwd",
        "import-data": f"data:text/css,@import url({server}/via-data.css);",
        "font": f"{server}/font.ttf",
        "font-file": "file:///etc/hostname",
        "background": f"{server}/background.png",
        "background-file": "file:///etc/hostname",
        "up-etc": "../../../etc/passwd",
        "up-config": "../workshop/config.py",
        "up-up-config": "../../workshop/config.py",
        "list": f"{server}/list.png",
        "content": f"{server}/content.png",
        "img": f"{server}/img.png",
        "img-file": "file:///etc/passwd",
        "img-config": "css/../../workshop/config.py",
        "img-data": ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'%3E"
                     f"%3Cimage href='{server}/in-data-svg.png' width='9' height='9'/%3E%3C/svg%3E"),
        "object": f"{server}/object.png",
        "embed": f"{server}/embed.png",
        "svg-image": f"{server}/svg-image.png",
        "attachment": f"{server}/attachment.txt",
        "attachment-file": "file:///etc/passwd",
    }
    u = urls
    html = f"""<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="css/export.css">
<link rel="stylesheet" href="{u['link']}">
<style>
@import url("{u['import']}");
@import "{u['import-file']}";
@import url("{u['import-data']}");
@font-face {{ font-family: Hostile; src: url({u['font']}) }}
@font-face {{ font-family: Hostile2; src: url({u['font-file']}) }}
body {{ background: url({u['background']}) }}
.a {{ font-family: Hostile; background-image: url({u['background-file']}) }}
.b {{ font-family: Hostile2; background-image: url({u['up-etc']}) }}
.c {{ background-image: url({u['up-config']}); list-style-image: url({u['list']}) }}
.d {{ border-image-source: url({u['up-up-config']}); border: 4px solid; }}
.e::before {{ content: url({u['content']}) }}
</style></head><body>
<p class="a">a</p><p class="b">b</p><ul class="c"><li>c</li></ul><p class="d">d</p><p class="e">e</p>
<p>ไทย Thai</p>
<img src="{u['img']}"><img src="{u['img-file']}"><img src="{u['img-config']}"><img src="{u['img-data']}">
<object data="{u['object']}"></object><embed src="{u['embed']}">
<svg width="9" height="9"><image href="{u['svg-image']}" width="9" height="9"/></svg>
<a rel="attachment" href="{u['attachment']}">x</a><a rel="attachment" href="{u['attachment-file']}">y</a>
</body></html>"""
    return html, list(urls.values())


#: what the listener hears when WeasyPrint's own fetcher renders hostile_html (the control)
HOSTILE_REQUESTS = sorted(
    f"GET /{name} HTTP/1.1"
    for name in ("link.css", "import.css", "via-data.css", "font.ttf", "background.png", "list.png",
                 "content.png", "img.png", "in-data-svg.png", "object.png", "embed.png", "svg-image.png",
                 "attachment.txt")
)


def assert_fetched_nothing(watch: Watch, listener: Any, urls: list[str]) -> None:
    assert listener.wait_for(1, seconds=0.5) == []
    assert watch.connects == []
    assert watch.outside_static() == []
    refused = "\n".join(watch.refused)
    for url in urls:
        if url.startswith(("http:", "file:", "data:")):
            assert url[:60] in refused, f"{url} was not refused by StaticFilesFetcher"
    for secret in SECRETS:
        assert f"'{secret}' is outside" in refused


def test_html_to_pdf_without_a_fetcher_fetches_nothing_from_hostile_html() -> None:
    """The renderer's default wiring: every hostile URL tried, refused, 0 requests, 0 files read."""
    from workshop.export.pdf import STATIC, html_to_pdf

    html_to_pdf("<p>warm-up: modules imported and fonts found before the watch</p>")
    with Listener() as listener:
        html, urls = hostile_html(listener.url)
        with Watch() as watch:
            pdf = html_to_pdf(html)
        assert_fetched_nothing(watch, listener, urls)
    assert pdf.startswith(b"%PDF")
    # the fetcher still serves static/: the stylesheet and both Sarabun families were read
    assert str(STATIC / "css" / "export.css") in watch.reads
    assert {Path(p).name for p in watch.reads} >= {"sarabun-thai-400.ttf", "sarabun-latin-400.ttf"}
    print(f"\nhostile_html: {len(urls)} URLs in the page, {len(watch.refused)} fetches tried and refused, "
          f"listener hits {len(listener.hits)}, files read outside static/ {len(watch.outside_static())}")


def test_control_weasyprint_default_fetcher_does_fetch_the_same_html() -> None:
    """Proof that "0 requests, 0 files" means something: WeasyPrint's own URLFetcher
    (its default when no url_fetcher is given) hits the listener for each URL and reads
    the files; so does html_to_pdf if its default fetcher is swapped for that one."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    import workshop.export.pdf as pdf_module

    for render in ("weasyprint", "html_to_pdf with URLFetcher"):
        with Listener() as listener:
            html, _urls = hostile_html(listener.url)
            with Watch() as watch:
                if render == "weasyprint":
                    HTML(string=html, base_url=str(pdf_module.STATIC) + "/").write_pdf()
                else:
                    with pytest.MonkeyPatch.context() as patch:
                        patch.setattr(pdf_module, "StaticFilesFetcher", URLFetcher)
                        pdf_module.html_to_pdf(html)
            hits = listener.wait_for(len(HOSTILE_REQUESTS))
        assert sorted(hits) == HOSTILE_REQUESTS, render
        assert watch.connects, render
        assert set(SECRETS) <= set(watch.outside_static()), render


@pytest.mark.parametrize("which", ["plan draft", "join cards"])
def test_plan_draft_and_join_cards_render_with_the_static_fetcher(
    api: Api, which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both PDFs of the API go through html_to_pdf's default fetcher: their templates
    replaced by the hostile document, nothing is fetched either."""
    import workshop.export.pdf as pdf_module

    created = api.create_workshop(workshop_object(join="tokens"))
    wid = created["id"]
    api.post(f"{W}/{wid}/tokens", {"group": "government", "count": 1})
    with Listener() as listener:
        html, urls = hostile_html(listener.url)
        rendered: list[str] = []

        def hostile_template(lang: str, template: str, **context: Any) -> str:
            rendered.append(template)
            return html

        monkeypatch.setattr(pdf_module, "render_template_in", hostile_template)
        with Watch() as watch:
            if which == "plan draft":
                response = api.get(f"{W}/{wid}/export", query_string={"format": "pdf"})
            else:
                response = api.get(f"{W}/{wid}/tokens.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
        assert rendered == ["export/plan.html" if which == "plan draft" else "export/cards.html"]
        assert listener.wait_for(1, seconds=0.5) == []
        listener_port = int(listener.url.rsplit(":", 1)[1])
        assert [c for c in watch.connects if isinstance(c, tuple) and c[1] == listener_port] == []
        assert not set(SECRETS) & set(watch.reads)
        refused = "\n".join(watch.refused)
        assert all(url[:60] in refused for url in urls if url.startswith(("http:", "file:", "data:")))


def test_redirects_are_never_requested_so_never_followed() -> None:
    """Listeners answering 302 to file:///etc/passwd, to a file under static/ and to
    another listener: the renderer sends them no request; WeasyPrint's own fetcher
    (the control) asks each of them and follows the HTTP one."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from workshop.export.pdf import STATIC, html_to_pdf

    def page(*servers: Listener) -> str:
        links = "".join(f'<link rel="stylesheet" href="{s.url}/r.css"><img src="{s.url}/r.png">'
                        for s in servers)
        return f'<html><head><link rel="stylesheet" href="css/export.css">{links}</head><body>x</body></html>'

    for render in ("html_to_pdf", "control"):
        with Listener() as target, \
                Listener(answer=redirect_to("file:///etc/passwd")) as to_file, \
                Listener(answer=redirect_to((STATIC / "css" / "export.css").as_uri())) as to_static, \
                Listener(answer=redirect_to(f"{target.url}/followed.css")) as to_http:
            html = page(to_file, to_static, to_http)
            with Watch() as watch:
                if render == "html_to_pdf":
                    html_to_pdf(html)
                else:
                    HTML(string=html, base_url=str(STATIC) + "/", url_fetcher=URLFetcher()).write_pdf()
            if render == "html_to_pdf":
                for server in (to_file, to_static, to_http, target):
                    assert server.wait_for(1, seconds=0.5) == []
                assert watch.connects == [] and watch.outside_static() == []
                assert sum("scheme 'http' is not served" in line for line in watch.refused) == 6
            else:
                for server in (to_file, to_static, to_http):
                    assert sorted(server.wait_for(2)) == ["GET /r.css HTTP/1.1", "GET /r.png HTTP/1.1"]
                assert target.wait_for(2) == ["GET /followed.css HTTP/1.1"] * 2  # both redirects followed
                assert "/etc/passwd" not in watch.reads  # urllib itself refuses http -> file: redirects


# -- the command line -------------------------------------------------------------------


def test_cli_export_writes_the_files(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WORKSHOP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "WORKSHOP_INSTANCE": str(tmp_path / "instance"),
        "WORKSHOP_PUBLIC_URL": "http://ruamkit.test",
    }

    def run(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    loaded = run("load", str(SESSIONS / "ranong-livable-city.yaml"))
    wid = re.search(r"^id: (\d+)$", loaded, re.M).group(1)  # type: ignore[union-attr]
    outputs = {fmt: tmp_path / f"out.{fmt}" for fmt in ("pdf", "csv", "json")}
    for fmt, out in outputs.items():
        assert "wrote" in run("export", wid, "--format", fmt, "--out", str(out))
    assert outputs["pdf"].read_bytes().startswith(b"%PDF")
    assert zipfile.ZipFile(outputs["csv"]).read("results.csv").startswith(b"\xef\xbb\xbf")
    dump = json.loads(outputs["json"].read_text(encoding="utf-8"))
    assert dump["definition"]["title"] == session_file("ranong-livable-city.yaml")["title"]
    assert [s["key"] for s in dump["results"]["stages"]] == ["dream", "vision", "goals", "projects", "budget"]
    missing = subprocess.run(
        [sys.executable, "run.py", "export", "999", "--format", "json", "--out", str(tmp_path / "x.json")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_cli_load_says_a_yaml_mistake_in_the_terminals_language(tmp_path: Path) -> None:
    """`run.py load` of a broken file: the whole message in Thai under a Thai locale, in English
    otherwise (the place, what is wrong in plain words, the column); nothing is created."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("title: x\nstages:\n  - key: a\n   kind: vision\n", encoding="utf-8")
    said = {}
    for lang, locale in (("th", "th_TH.UTF-8"), ("en", "C.UTF-8")):
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")},
            "LANG": locale,
            "WORKSHOP_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
            "WORKSHOP_INSTANCE": str(tmp_path / "instance"),
        }
        result = subprocess.run([sys.executable, "run.py", "load", str(broken)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 1 and result.stdout == ""
        said[lang] = result.stderr
    assert said["th"].splitlines() == [
        "ผิดพลาด: ไฟล์เวทีมีจุดที่ต้องแก้ ยังไม่ได้สร้างเวที",
        "  บรรทัดที่ 4: บรรทัดนี้ย่อหน้าไม่ตรงกับบรรทัดด้านบน (ย่อหน้าด้วยเว้นวรรค) (คอลัมน์ที่ 4)",
    ]
    assert said["en"].splitlines() == [
        "error: the workshop file has mistakes; nothing was created",
        "  Line 4: this line's indentation does not match the lines above it (indent with spaces) (column 4)",
    ]
