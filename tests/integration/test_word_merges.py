"""Words stages: an answer is one entry; facilitator merges (API, projector, exports)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from tests.factories import Api, stage_entry
from tests.openapi_check import validate_response

W = "/api/v1/workshops"


def _words(entry: dict[str, Any]) -> dict[str, tuple[str, int, float | None]]:
    return {i["key"]: (i["title"], i["value"], i["score"]) for i in entry["items"]}


def test_entries_as_typed_merged_and_unmerged(api: Api) -> None:
    created = api.create_workshop()
    wid = created["id"]
    projector = api.socket(auth={"projector": created["projector_url"].rsplit("/", 1)[1]})
    api.stage(wid, "words", "open")
    ballots = [{"words": ["สีเขียว", "Green City"]}, {"words": ["เมือง สีเขียว", "green  city"]},
               {"words": ["เมือง สีเขียว", "สีเขียว"]}, {"words": ["café", "PM2.5"]}]
    sent = api.post(f"{W}/{wid}/stages/words/paper", {"group": "resident", "ballots": ballots})
    assert sent.status_code == 201
    words = _words(stage_entry(api.results(wid), "words"))
    assert words["สีเขียว"] == ("สีเขียว", 2, 50.0)  # never split into สี + เขียว
    assert words["green city"] == ("Green City", 2, 50.0)  # case ignored, shown as typed first
    assert words["เมือง สีเขียว"][1] == 2
    assert words["café"][1] == 1 and words["pm2.5"] == ("PM2.5", 1, 25.0)

    merges = f"{W}/{wid}/stages/words/merges"
    projector.get_received()
    made = api.post(merges, {"from": ["เมือง  สีเขียว"], "into": "สีเขียว"})
    assert made.status_code == 201
    merge = made.get_json()
    validate_response(merge, "/api/v1/workshops/{workshop_id}/stages/{key}/merges", "post", 201)
    assert merge["from"] == ["เมือง สีเขียว"] and merge["into"] == "สีเขียว" and merge["undone"] is False
    words = _words(stage_entry(api.results(wid), "words"))
    assert "เมือง สีเขียว" not in words
    assert words["สีเขียว"] == ("สีเขียว", 3, 75.0)  # ballot 3 gave both: counts once
    pushed = [e["args"][0] for e in projector.get_received() if e["name"] == "results"]
    assert pushed and _words(pushed[-1])["สีเขียว"][1] == 3  # the projector follows at once

    listed = api.get(merges).get_json()
    validate_response(listed, "/api/v1/workshops/{workshop_id}/stages/{key}/merges", "get", 200)
    assert [m["id"] for m in listed] == [merge["id"]]

    export = json.loads(api.get(f"{W}/{wid}/export?format=json").data)
    exported = _words(next(s for s in export["results"]["stages"] if s["key"] == "words"))
    assert exported["สีเขียว"][1] == 3 and "เมือง สีเขียว" not in exported
    assert export["word_merges"][0]["into"] == "สีเขียว"
    csv_zip = zipfile.ZipFile(io.BytesIO(api.get(f"{W}/{wid}/export?format=csv").data))
    assert "word_merges.csv" in csv_zip.namelist()

    undone = api.delete(f"{merges}/{merge['id']}")
    assert undone.status_code == 200 and undone.get_json()["undone"] is True
    words = _words(stage_entry(api.results(wid), "words"))
    assert words["สีเขียว"][1] == 2 and words["เมือง สีเขียว"][1] == 2
    assert api.get(merges).get_json()[0]["undone"] is True  # the record stays


def test_merge_errors(api: Api) -> None:
    wid = api.create_workshop()["id"]
    merges = f"{W}/{wid}/stages/words/merges"
    assert api.post(merges, {"from": [], "into": "x"}).status_code == 422
    assert api.post(merges, {"from": ["x"], "into": "  "}).status_code == 422
    assert api.post(merges, {"from": ["X"], "into": "x"}).status_code == 422  # the same entry
    assert api.post(f"{W}/{wid}/stages/vision/merges", {"from": ["a"], "into": "b"}).status_code == 409
    assert api.delete(f"{merges}/999999").status_code == 404
    assert Api(api.app).post(merges, {"from": ["a"], "into": "b"}).status_code == 401
