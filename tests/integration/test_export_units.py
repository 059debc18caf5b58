"""CSV times in the workshop's time zone, scores to 4 decimals; paper batches and merges exported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from tests.factories import Api, workshop_object
from tests.integration.test_exports import export, read_csv

W = "/api/v1/workshops"


def _archive(api: Api, wid: int) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(export(api, wid, "csv").data))


def _feed(api: Api, obj: dict[str, Any]) -> int:
    wid = api.create_workshop(obj)["id"]
    api.stage(wid, "vision", "open")
    for group in ("resident", "civil", "private"):  # 3 ballots: v1 1/3 = 33.33333...
        item = f"v{len(group) % 3 + 1}"
        api.post(f"{W}/{wid}/stages/vision/paper", {"group": group, "ballots": [{"items": [item]}]})
    return wid


def test_csv_times_in_bangkok_by_default_and_scores_rounded(api: Api) -> None:
    wid = _feed(api, workshop_object())
    archive = _archive(api, wid)
    ballots = read_csv(archive, "ballots.csv")
    assert ballots and all(row["time"].endswith("+07:00") for row in ballots)
    batches = read_csv(archive, "paper_batches.csv")
    assert len(batches) == 3 and all(b["time"].endswith("+07:00") for b in batches)
    scores = [row["score"] for row in read_csv(archive, "results.csv") if row["stage"] == "vision"]
    assert "33.3333" in scores and all(len(s.split(".")[-1]) <= 4 for s in scores if s)


def test_csv_times_in_the_workshop_time_zone(api: Api) -> None:
    wid = _feed(api, workshop_object(timezone="Europe/London"))
    assert api.get(f"{W}/{wid}").get_json()["timezone"] == "Europe/London"
    ballots = read_csv(_archive(api, wid), "ballots.csv")
    assert all(row["time"].endswith("+00:00") for row in ballots)  # December: GMT


def test_a_bad_time_zone_is_refused(api: Api) -> None:
    response = api.post(W, workshop_object(timezone="Mars/Olympus"))
    assert response.status_code == 422
    assert "timezone" in response.get_json()["error"]["message"]


def test_plan_draft_in_peoples_units(api: Api, tmp_path: Path) -> None:
    from tests.integration.test_exports import need_poppler, pdf_text
    from tests.integration.test_units_api import budget_workshop

    need_poppler()
    wid = api.create_workshop(budget_workshop())["id"]
    api.stage(wid, "money", "open")
    api.stage(wid, "order", "open")
    api.post(f"{W}/{wid}/stages/money/paper", {"group": "resident", "ballots": [
        {"budget": {"a": 600, "b": 300, "c": 100}}, {"budget": {"a": 400, "b": 300, "d": 300}}]})
    api.post(f"{W}/{wid}/stages/order/paper",
             {"group": "civil", "ballots": [{"order": ["y", "x"]}, {"order": ["x"]}]})
    english = " ".join(pdf_text(export(api, wid, "pdf", lang="en").data, tmp_path).split())
    assert "Funded line" in english and "100 baht left" in english
    assert "Not funded" in english and "50.0% of the pot" in english
    assert "average place 1.5" in english
    thai = " ".join(pdf_text(export(api, wid, "pdf", lang="th").data, tmp_path).split())
    assert "ไม่ได้รับงบ" in thai and "เส้นการจัดสรรงบ" in thai


def test_word_draft_in_peoples_units(api: Api) -> None:
    import docx

    from tests.integration.test_docx_export import body_text
    from tests.integration.test_units_api import budget_workshop

    wid = api.create_workshop(budget_workshop())["id"]
    api.stage(wid, "money", "open")
    api.stage(wid, "order", "open")
    api.post(f"{W}/{wid}/stages/money/paper", {"group": "resident", "ballots": [
        {"budget": {"a": 600, "b": 300, "c": 100}}, {"budget": {"a": 400, "b": 300, "d": 300}}]})
    api.post(f"{W}/{wid}/stages/order/paper",
             {"group": "civil", "ballots": [{"order": ["y", "x"]}, {"order": ["x"]}]})
    english = " ".join(body_text(docx.Document(io.BytesIO(export(api, wid, "docx", lang="en").data))).split())
    # the same units as the PDF: baht on average and share of the pot, funded or not, average place
    assert "Funded line" in english and "100 baht left" in english
    assert "Not funded" in english and "50.0% of the pot" in english
    assert "average place 1.5" in english
    thai = " ".join(body_text(docx.Document(io.BytesIO(export(api, wid, "docx", lang="th").data))).split())
    assert "ไม่ได้รับงบ" in thai and "เส้นการจัดสรรงบ" in thai
