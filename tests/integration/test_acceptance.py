"""The foundation's acceptance test: each sample workshop file through the API,
mixed paper ballots in several groups (and a phone ballot), and results that
match numbers computed by hand, exactly, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import SESSIONS, Api, items_by_key, stage_entry

approx = pytest.approx


def load(api: Api, name: str) -> dict[str, Any]:
    response = api.post(
        "/api/v1/workshops", data=(SESSIONS / name).read_bytes(), content_type="application/yaml"
    )
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def paper(api: Api, wid: int, stage: str, group: str, ballots: list[dict[str, Any]]) -> None:
    response = api.post(f"/api/v1/workshops/{wid}/stages/{stage}/paper", {"group": group, "ballots": ballots})
    assert response.status_code == 201, response.get_json()


def summary(entry: dict[str, Any]) -> list[tuple[str, int, Any, Any]]:
    return [(i["key"], i["rank"], i["value"], i["score"]) for i in entry["items"]]


def test_every_sample_file_loads_through_the_api(api: Api) -> None:
    names = sorted(p.name for p in Path(SESSIONS).glob("*.yaml"))
    assert len(names) >= 3
    for name in names:
        created = load(api, name)
        workshop = api.get(f"/api/v1/workshops/{created['id']}").get_json()
        assert workshop["stages"] and all(s["state"] == "draft" for s in workshop["stages"])


def test_ranong_thai_plan(api: Api) -> None:
    created = load(api, "ranong-livable-city.yaml")
    wid = created["id"]
    for stage in ("dream", "vision", "goals", "projects", "budget"):
        api.stage(wid, stage, "open")

    # vision: approval, max 2. Seven paper ballots and one phone ballot.
    paper(
        api, wid, "vision", "resident", [{"items": ["v1", "v2"]}, {"items": ["v1"]}, {"items": ["v1", "v3"]}]
    )
    paper(
        api,
        wid,
        "vision",
        "government",
        [{"items": ["v2"]}, {"items": ["v2", "v4"]}, {"items": ["v1", "v2"]}],
    )
    paper(api, wid, "vision", "civil", [{"items": ["v3"]}])
    browser, _ = api.join(created["code"], "government")
    ack = api.socket(browser).emit("ballot", {"stage": "vision", "choices": {"items": ["v4"]}}, callback=True)
    assert ack == {"ok": True, "version": 1}

    # goals: dots 5, max 3 per item
    paper(api, wid, "goals", "resident", [{"dots": {"g1": 3, "g2": 2}}, {"dots": {"g1": 2, "g3": 3}}])
    paper(api, wid, "goals", "private", [{"dots": {"g4": 1}}, {"dots": {"g1": 1, "g2": 1, "g3": 1}}])
    # projects: score, importance x2, feasibility x1, scale 1-5
    paper(
        api,
        wid,
        "projects",
        "resident",
        [
            {"scores": {"p1": {"importance": 5, "feasibility": 4}}},
            {"scores": {"p1": {"importance": 4}}},
            {"scores": {"p2": {"importance": 3, "feasibility": 3}}},
        ],
    )
    paper(
        api,
        wid,
        "projects",
        "government",
        [{"scores": {"p1": {"importance": 2, "feasibility": 2}, "p2": {"feasibility": 5}}}],
    )
    # budget: 10,000,000 baht
    paper(
        api,
        wid,
        "budget",
        "youth",
        [{"budget": {"b1": 6_000_000, "b2": 4_000_000}}, {"budget": {"b1": 10_000_000}}],
    )
    paper(api, wid, "budget", "resident", [{"budget": {"b3": 2_500_000}}])
    # dream: words, each answer one entry as typed (contract 1.1), one count per ballot
    paper(
        api,
        wid,
        "dream",
        "resident",
        [{"words": ["สะอาด", "ปลอดภัย"]}, {"words": ["เมืองสะอาด"]}, {"words": ["green", "Green"]}],
    )
    paper(api, wid, "dream", "academic", [{"words": ["สะอาด"]}])

    results = api.results(wid)
    assert results["participants"] == {
        "total": 1,
        "by_group": {"resident": 0, "government": 1, "private": 0, "civil": 0, "academic": 0, "youth": 0},
        "assisted": 0,
    }

    vision = stage_entry(results, "vision")
    assert (vision["ballots"], vision["paper_ballots"], vision["state"]) == (8, 7, "open")
    # v1: res 3 + gov 1 = 4; v2: res 1 + gov 3 = 4; v3: res 1 + civil 1 = 2; v4: gov 1 + phone 1 = 2; of 8
    assert summary(vision) == [
        ("v1", 1, 4, approx(50.0)),
        ("v2", 1, 4, approx(50.0)),
        ("v3", 3, 2, approx(25.0)),
        ("v4", 3, 2, approx(25.0)),
    ]
    v = items_by_key(vision)
    # resident 3 ballots; government 4 (3 paper + phone); civil 1
    assert v["v1"]["by_group"] == {
        "resident": {"ballots": 3, "value": 3, "score": approx(100.0)},
        "government": {"ballots": 4, "value": 1, "score": approx(25.0)},
        "civil": {"ballots": 1, "value": 0, "score": approx(0.0)},
    }
    # spread over groups with >= 3 ballots (resident, government); civil has 1
    assert v["v1"]["spread"] == approx(75.0)  # 100 - 25
    assert v["v2"]["spread"] == approx(75.0 - 100 / 3)  # gov 3/4 = 75, res 1/3 = 33.3
    assert v["v3"]["spread"] == approx(100 / 3)  # res 1/3, gov 0
    assert v["v4"]["spread"] == approx(50.0)  # gov 2/4, res 0

    goals = stage_entry(results, "goals")
    # 14 dots: g1 3+2+1 = 6, g3 3+1 = 4, g2 2+1 = 3, g4 1
    assert summary(goals) == [
        ("g1", 1, 6, approx(600 / 14)),
        ("g3", 2, 4, approx(400 / 14)),
        ("g2", 3, 3, approx(300 / 14)),
        ("g4", 4, 1, approx(100 / 14)),
        ("g5", 5, 0, approx(0.0)),
        ("g6", 5, 0, approx(0.0)),
    ]
    g = items_by_key(goals)
    assert g["g1"]["by_group"] == {
        "private": {"ballots": 2, "value": 1, "score": approx(25.0)},
        "resident": {"ballots": 2, "value": 5, "score": approx(50.0)},
    }
    assert g["g1"]["spread"] is None  # no group has 3 ballots

    projects = stage_entry(results, "projects")
    # p1: importance mean (5+4+2)/3, feasibility (4+2)/2 = 3 -> (2*11/3 + 3)/3 = 31/9; score (31/9-1)/4*100
    # p2: importance 3, feasibility (3+5)/2 = 4 -> (2*3 + 4)/3 = 10/3; score (10/3-1)/4*100
    top = summary(projects)
    assert top[:2] == [
        ("p1", 1, approx(31 / 9), approx(2200 / 36)),
        ("p2", 2, approx(10 / 3), approx(700 / 12)),
    ]
    assert {(key, rank, value, score) for key, rank, value, score in top[2:]} == {
        (f"p{i}", 3, None, None) for i in range(3, 11)
    }
    p = items_by_key(projects)
    assert p["p1"]["criteria"] == {"importance": approx(11 / 3), "feasibility": approx(3.0)}
    assert p["p1"]["by_group"]["resident"] == {
        "ballots": 3,
        "value": approx(13 / 3),
        "score": approx(250 / 3),
    }
    assert p["p2"]["by_group"]["government"] == {"ballots": 1, "value": approx(5.0), "score": approx(100.0)}

    budget = stage_entry(results, "budget")
    # 22,500,000 given: b1 16M, b2 4M, b3 2.5M
    assert summary(budget)[:3] == [
        ("b1", 1, 16_000_000, approx(1600 / 22.5)),
        ("b2", 2, 4_000_000, approx(400 / 22.5)),
        ("b3", 3, 2_500_000, approx(250 / 22.5)),
    ]
    assert [i["value"] for i in budget["items"][3:]] == [0, 0, 0]

    dream = stage_entry(results, "dream")
    # 4 ballots: สะอาด in 2, the rest in 1 each ("green"/"Green" count once in their ballot;
    # "เมืองสะอาด" is one entry, not เมือง + สะอาด)
    assert summary(dream) == [
        ("สะอาด", 1, 2, approx(50.0)),
        ("green", 2, 1, approx(25.0)),
        ("ปลอดภัย", 2, 1, approx(25.0)),
        ("เมืองสะอาด", 2, 1, approx(25.0)),
    ]
    assert items_by_key(dream)["สะอาด"]["title"] == "สะอาด"


def test_khonkaen_bilingual(api: Api) -> None:
    wid = load(api, "khonkaen-bilingual.yaml")["id"]
    for stage in ("vision", "goals", "projects"):
        api.stage(wid, stage, "open")
    paper(api, wid, "vision", "resident", [{"item": "v1"}, {"item": "v1"}, {"item": "v2"}])
    paper(api, wid, "vision", "partner", [{"item": "v3"}] * 3)
    paper(api, wid, "vision", "government", [{"item": "v1"}])
    paper(
        api,
        wid,
        "goals",
        "academic",
        [{"order": ["green", "mobility"]}, {"order": ["mobility", "green", "health"]}],
    )
    paper(api, wid, "goals", "civil", [{"order": ["health"]}])
    paper(
        api, wid, "projects", "private", [{"items": ["feeder-bus", "smart-stops"]}, {"items": ["lake-loop"]}]
    )

    results = api.results(wid)
    vision = stage_entry(results, "vision")
    # 7 ballots: v1 3, v3 3, v2 1
    assert summary(vision) == [
        ("v1", 1, 3, approx(300 / 7)),
        ("v3", 1, 3, approx(300 / 7)),
        ("v2", 3, 1, approx(100 / 7)),
    ]
    v = items_by_key(vision)
    # groups with >= 3 ballots: partner (v3 100%), resident (v1 2/3, v2 1/3)
    assert (v["v1"]["spread"], v["v2"]["spread"], v["v3"]["spread"]) == (
        approx(200 / 3),
        approx(100 / 3),
        approx(100.0),
    )
    assert v["v1"]["by_group"]["government"] == {"ballots": 1, "value": 1, "score": approx(100.0)}

    goals = stage_entry(results, "goals")
    # Borda with N = 5: [green, mobility] -> 5, 4; [mobility, green, health] -> 5, 4, 3; [health] -> 5
    # mobility 9, green 9, health 8 of 3 x 5 = 15
    assert summary(goals) == [
        ("mobility", 1, 9, approx(60.0)),
        ("green", 1, 9, approx(60.0)),
        ("health", 3, 8, approx(800 / 15)),
        ("digital", 4, 0, approx(0.0)),
        ("economy", 4, 0, approx(0.0)),
    ]
    en_titles = [i["title"] for i in stage_entry(api.results(wid, lang="en"), "goals")["items"]]
    th_titles = [i["title"] for i in goals["items"]]
    assert en_titles != th_titles and all(t.isascii() for t in en_titles)

    projects = stage_entry(results, "projects")
    assert summary(projects)[:3] == [
        ("feeder-bus", 1, 1, approx(50.0)),
        ("smart-stops", 1, 1, approx(50.0)),
        ("lake-loop", 1, 1, approx(50.0)),
    ]
    assert {i["rank"] for i in projects["items"][3:]} == {4}


def test_community_park_english(api: Api) -> None:
    wid = load(api, "community-park-en.yaml")["id"]
    for stage in ("today", "purpose", "features", "phasing"):
        api.stage(wid, stage, "open")
    paper(api, wid, "today", "neighbour", [{"words": ["dark", "Flooded"]}, {"words": ["flooded"]}])
    paper(api, wid, "today", "school", [{"words": ["Dark park"]}])
    paper(api, wid, "purpose", "neighbour", [{"item": "nature"}, {"item": "nature"}, {"item": "play"}])
    paper(api, wid, "purpose", "business", [{"item": "gather"}])
    paper(api, wid, "features", "visitor", [{"dots": {"lighting": 4, "toilets": 4, "bins": 2}}])
    paper(api, wid, "features", "school", [{"dots": {"playground": 4, "lighting": 3, "trees": 3}}])
    paper(
        api,
        wid,
        "phasing",
        "neighbour",
        [{"order": ["phase-safety", "phase-green", "phase-play", "phase-plaza"]}, {"order": ["phase-green"]}],
    )

    results = api.results(wid)
    # 3 ballots: flooded in 2 (case ignored), dark in 1, "Dark park" one entry in 1
    today = stage_entry(results, "today")
    assert summary(today) == [
        ("flooded", 1, 2, approx(200 / 3)),
        ("dark", 2, 1, approx(100 / 3)),
        ("dark park", 2, 1, approx(100 / 3)),
    ]
    assert items_by_key(today)["flooded"]["title"] == "Flooded"  # as first typed on a tie
    assert summary(stage_entry(results, "purpose")) == [
        ("nature", 1, 2, approx(50.0)),
        ("play", 2, 1, approx(25.0)),
        ("gather", 2, 1, approx(25.0)),
        ("exercise", 4, 0, approx(0.0)),
    ]
    # 20 dots: lighting 7, playground 4, toilets 4, trees 3, bins 2
    assert summary(stage_entry(results, "features"))[:5] == [
        ("lighting", 1, 7, approx(35.0)),
        ("playground", 2, 4, approx(20.0)),
        ("toilets", 2, 4, approx(20.0)),
        ("trees", 4, 3, approx(15.0)),
        ("bins", 5, 2, approx(10.0)),
    ]
    # N = 4: full order 4, 3, 2, 1; partial [green] 4; of 2 x 4 = 8
    assert summary(stage_entry(results, "phasing")) == [
        ("phase-green", 1, 7, approx(87.5)),
        ("phase-safety", 2, 4, approx(50.0)),
        ("phase-play", 3, 2, approx(25.0)),
        ("phase-plaza", 4, 1, approx(12.5)),
    ]
