"""Voting outside the hall (issue 15.1): stages open and close at their scheduled times.

The scheduler's check (realtime.schedule.check) is called directly with the time
it should believe, so no test waits on the wall clock.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import make_app
from tests.factories import Api, workshop_object
from workshop.realtime import schedule

NOW = datetime.now(UTC).replace(microsecond=0)


def bangkok(moment: datetime) -> str:
    """A naive time as a workshop file in Thailand writes it (UTC+7)."""
    return (moment + timedelta(hours=7)).replace(tzinfo=None).isoformat()


def scheduled(**windows: tuple[datetime | None, datetime | None]) -> dict[str, Any]:
    obj = workshop_object()
    for stage in obj["stages"]:
        if stage["key"] in windows:
            opens, closes = windows[stage["key"]]
            if opens:
                stage["opens_at"] = bangkok(opens)
            if closes:
                stage["closes_at"] = bangkok(closes)
    return obj


def states(api: Api, wid: int) -> dict[str, str]:
    return {s["key"]: s["state"] for s in api.get(f"/api/v1/workshops/{wid}").get_json()["stages"]}


def test_a_stage_in_its_window_is_opened_then_closed_when_the_window_ends(api: Api, app: Any) -> None:
    wid = api.create_workshop(scheduled(vision=(NOW - timedelta(hours=1), NOW + timedelta(hours=2)),
                                        goals=(NOW + timedelta(hours=1), None)))["id"]
    stage = next(s for s in api.get(f"/api/v1/workshops/{wid}").get_json()["stages"] if s["key"] == "vision")
    assert stage["opens_at"] == bangkok(NOW - timedelta(hours=1))  # kept as the file said it
    browser, _token = api.join(api.get(f"/api/v1/workshops/{wid}").get_json()["code"])
    phone = api.socket(browser)
    phone.get_received()
    revision = api.get(f"/api/v1/workshops/{wid}").get_json()["revision"]

    assert schedule.check(app, NOW) == [(wid, "vision", "open")]
    assert states(api, wid) == {"vision": "open", "goals": "draft", "projects": "draft", "words": "draft"}
    announced = [e["args"][0] for e in phone.get_received() if e["name"] == "state"]
    assert any(s["key"] == "vision" and s["state"] == "open" for s in announced[-1]["stages"])
    assert schedule.check(app, NOW + timedelta(seconds=5)) == []  # once only
    assert api.get(f"/api/v1/workshops/{wid}").get_json()["revision"] == revision + 1

    # residents vote from home in the window
    ack = phone.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": "b1"},
                     callback=True)
    assert ack["ok"] is True, ack

    # an hour later goals opens too; two hours later vision closes
    assert schedule.check(app, NOW + timedelta(hours=1)) == [(wid, "goals", "open")]
    assert schedule.check(app, NOW + timedelta(hours=2)) == [(wid, "vision", "close")]
    assert states(api, wid)["vision"] == "closed"
    assert schedule.check(app, NOW + timedelta(days=30)) == []  # goals has no end; vision stays closed
    assert states(api, wid) == {"vision": "closed", "goals": "open", "projects": "draft", "words": "draft"}


def test_the_facilitator_s_live_actions_win_over_the_schedule(api: Api, app: Any) -> None:
    wid = api.create_workshop(scheduled(vision=(NOW - timedelta(hours=3), NOW - timedelta(hours=1)),
                                        goals=(NOW - timedelta(hours=1), NOW + timedelta(hours=1))))["id"]
    # vision's window is over: never opened by the schedule; opened live in the hall now, it stays open
    assert schedule.check(app, NOW) == [(wid, "goals", "open")]
    api.stage(wid, "vision", "open")
    api.stage(wid, "goals", "close")  # closed in the hall during its window: stays closed
    assert schedule.check(app, NOW + timedelta(minutes=1)) == []
    assert states(api, wid)["vision"] == "open" and states(api, wid)["goals"] == "closed"


def test_a_restarted_server_opens_a_stage_whose_window_began_while_it_was_down(
    api: Api, database_url: str, tmp_path: Path
) -> None:
    window = (NOW - timedelta(minutes=30), NOW + timedelta(hours=1))
    wid = api.create_workshop(scheduled(projects=window))["id"]
    # two processes on the same database: the first check opens it, the second finds nothing to do
    first = make_app(database_url, tmp_path / "one")
    second = make_app(database_url, tmp_path / "two")
    assert schedule.check(first) == [(wid, "projects", "open")]  # the real clock
    assert schedule.check(second) == []
    assert states(api, wid)["projects"] == "open"


def test_a_stage_read_open_by_two_processes_changes_once(api: Api, app: Any, monkeypatch: Any) -> None:
    """Both processes decide to open it; the conditional UPDATE lets only the first one do it."""
    from workshop.services import stages

    wid = api.create_workshop(scheduled(vision=(NOW - timedelta(hours=1), None)))["id"]
    real = stages.run_schedule
    nested: list[Any] = []
    revision = api.get(f"/api/v1/workshops/{wid}").get_json()["revision"]

    def racing_transition(state: str, action: str, *, stage_key: str) -> str:
        if not nested:  # the other process changes the stage between our read and our write
            nested.append(None)
            nested[0] = real(NOW)
        return original(state, action, stage_key=stage_key)

    original = stages.lifecycle.transition
    monkeypatch.setattr(stages.lifecycle, "transition", racing_transition)
    assert schedule.check(app, NOW) == []  # ours found it changed already
    assert nested == [[(wid, "vision", "open")]]
    assert states(api, wid)["vision"] == "open"
    assert api.get(f"/api/v1/workshops/{wid}").get_json()["revision"] == revision + 1


def test_an_unscheduled_workshop_is_left_alone_and_bad_windows_are_refused(api: Api, app: Any) -> None:
    wid = api.create_workshop()["id"]
    assert schedule.check(app, NOW) == []
    assert set(states(api, wid).values()) == {"draft"}
    obj = scheduled(vision=(NOW, NOW - timedelta(hours=1)))
    refused = api.post("/api/v1/workshops", obj)
    assert refused.status_code == 422, refused.get_json()
    problem = {"loc": "stages[0].closes_at", "message": "must be after opens_at"}
    assert problem in refused.get_json()["error"]["details"]


# -- the channel of every ballot (hall, online, paper, kiosk) ----------------------------


def vote(phone: Any, stage: str, choices: dict[str, Any], ballot_id: str) -> None:
    ack = phone.emit("ballot", {"stage": stage, "choices": choices, "ballot_id": ballot_id}, callback=True)
    assert ack["ok"] is True, ack


def test_every_ballot_records_its_channel_in_results_and_exports(api: Api, app: Any) -> None:
    import csv
    import io
    import json
    import zipfile

    wid = api.create_workshop(scheduled(vision=(NOW - timedelta(hours=1), NOW + timedelta(hours=1))))["id"]
    code = api.get(f"/api/v1/workshops/{wid}").get_json()["code"]
    phones = [api.socket(api.join(code)[0]) for _ in range(3)]
    assert schedule.check(app, NOW) == [(wid, "vision", "open")]
    vote(phones[0], "vision", {"items": ["v1"]}, "a")  # from home, in the window
    vote(phones[1], "vision", {"items": ["v2"]}, "b")
    api.stage(wid, "goals", "open")  # live in the hall
    vote(phones[2], "goals", {"dots": {"g1": 2}}, "c")
    paper = api.post(f"/api/v1/workshops/{wid}/stages/vision/paper",
                     {"group": "resident", "ballots": [{"items": ["v3"]}]})
    assert paper.status_code == 201, paper.get_json()

    entries = {s["key"]: s for s in api.results(wid)["stages"]}
    assert entries["vision"]["by_channel"] == {"hall": 0, "online": 2, "paper": 1, "kiosk": 0}
    assert entries["goals"]["by_channel"] == {"hall": 1, "online": 0, "paper": 0, "kiosk": 0}
    assert entries["vision"]["ballots"] == 3 and entries["vision"]["paper_ballots"] == 1  # as before

    # the window closes; the facilitator opens it again live in the hall: a new ballot is a hall one
    assert schedule.check(app, NOW + timedelta(hours=1)) == [(wid, "vision", "close")]
    api.stage(wid, "vision", "open")
    vote(phones[2], "vision", {"items": ["v1"]}, "d")
    entries = {s["key"]: s for s in api.results(wid)["stages"]}
    assert entries["vision"]["by_channel"] == {"hall": 1, "online": 2, "paper": 1, "kiosk": 0}

    dump = json.loads(api.get(f"/api/v1/workshops/{wid}/export", query_string={"format": "json"}).data)
    assert sorted(b["channel"] for b in dump["ballots"]) == ["hall", "hall", "online", "online", "paper"]
    archive = zipfile.ZipFile(io.BytesIO(
        api.get(f"/api/v1/workshops/{wid}/export", query_string={"format": "csv"}).data))
    name = next(n for n in archive.namelist() if n.endswith("ballots.csv"))
    rows = list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
    assert {(r["stage"], r["source"], r["channel"]) for r in rows} == {
        ("vision", "phone", "online"), ("vision", "paper", "paper"), ("vision", "phone", "hall"),
        ("goals", "phone", "hall")}


def test_the_console_shows_the_window_and_the_counts_by_channel(app: Any) -> None:
    import re

    from tests.integration.test_console import create, make_user, sign_in, text

    client = app.test_client()
    assert sign_in(client, make_user(app)).status_code == 302
    opens, closes = NOW - timedelta(days=2), NOW - timedelta(days=1)  # dates shown, not only times
    workshop_id, _code = create(app, scheduled(vision=(opens, closes)))
    with app.app_context():
        from workshop.services import ballots, stages

        stages.open_stage(workshop_id, "vision")
        ballots.cast_paper_ballots(workshop_id, "vision", "resident", [{"items": ["v1"]}])

    def plain(body: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))

    sheet = plain(text(client.get(f"/console/w/{workshop_id}?lang=en")))
    assert "Voting from home" in sheet and " to " in sheet
    sheet_th = plain(text(client.get(f"/console/w/{workshop_id}?lang=th")))
    assert "ลงคะแนนจากบ้าน" in sheet_th and " ถึง " in sheet_th
    results = plain(text(client.get(f"/console/w/{workshop_id}/results?lang=en")))
    assert "In the hall 0" in results and "Online, from home 0" in results and "Paper 1" in results
    results_th = plain(text(client.get(f"/console/w/{workshop_id}/results?lang=th")))
    at = results_th.find("ในห้อง")
    assert "ในห้องประชุม 0" in results_th and "ออนไลน์จากบ้าน 0" in results_th, results_th[at - 200:at + 200]


def test_the_plan_draft_and_the_docx_say_where_each_stage_s_votes_were_cast(
        api: Api, app: Any, tmp_path: Path) -> None:
    """Per stage, only the channels that occurred, in the PDF (pdftotext) and the DOCX (python-docx)."""
    import docx
    from sqlalchemy import select, update

    from tests.integration.test_docx_export import body_text
    from tests.integration.test_exports import export, flat, need_poppler, pdf_text
    from workshop.extensions import db
    from workshop.models import Ballot, BallotReceipt

    need_poppler()
    wid = api.create_workshop(scheduled(vision=(NOW - timedelta(hours=1), NOW + timedelta(hours=1))))["id"]
    code = api.get(f"/api/v1/workshops/{wid}").get_json()["code"]
    phones = [api.socket(api.join(code)[0]) for _ in range(4)]
    assert schedule.check(app, NOW) == [(wid, "vision", "open")]
    vote(phones[0], "vision", {"items": ["v1"]}, "a")  # online, from home
    vote(phones[1], "vision", {"items": ["v2"]}, "b")
    assert schedule.check(app, NOW + timedelta(hours=1)) == [(wid, "vision", "close")]
    api.stage(wid, "vision", "open")
    vote(phones[2], "vision", {"items": ["v1"]}, "c")  # in the hall
    vote(phones[3], "vision", {"items": ["v3"]}, "d")
    paper = api.post(f"/api/v1/workshops/{wid}/stages/vision/paper",
                     {"group": "resident", "ballots": [{"items": ["v3"]}]})
    assert paper.status_code == 201, paper.get_json()
    api.stage(wid, "goals", "open")
    vote(phones[0], "goals", {"dots": {"g1": 2}}, "e")
    with app.app_context():  # one hall ballot was a kiosk one (the kiosk flow has its own tests)
        fourth = select(BallotReceipt.participant_id).where(BallotReceipt.ballot_id == "d").scalar_subquery()
        db.session.execute(update(Ballot).where(Ballot.participant_id == fourth).values(channel="kiosk"))
        db.session.commit()

    vision_en = "5 ballots (1 in the hall, 2 online, 1 on paper, 1 at the kiosk)"
    goals_en = "1 ballots (1 in the hall)"
    text = flat(pdf_text(export(api, wid, "pdf", lang="en").data, tmp_path))
    assert flat(vision_en) in text and flat(goals_en) in text, text[:3000]
    assert "online" not in text.split(flat(goals_en))[1][:40]  # goals names the hall only
    text_th = flat(pdf_text(export(api, wid, "pdf", lang="th").data, tmp_path))
    assert flat("(ในห้องประชุม 1, ออนไลน์ 2, กระดาษ 1, ตู้ช่วยลงคะแนน 1)") in text_th
    assert flat("(ในห้องประชุม 1)") in text_th

    document = docx.Document(io.BytesIO(export(api, wid, "docx", lang="en").data))
    body = body_text(document)
    assert vision_en in body and goals_en in body, body[:3000]
    assert "0 online" not in body and "0 on paper" not in body
