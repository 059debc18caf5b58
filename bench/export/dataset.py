"""A big, realistic workshop built fast: services for the workshop, bulk SQL for the crowd.

``build(items=60, participants=2000, comments=1000)`` creates a Thai LSFC-style
workshop (vision, goals, projects by horizon, a budget split) whose stages
hold ``items`` items in all, then inserts the participants, their ballots
(valid, normalized choices, as the services would store them), paper
ballots, comments (most published) and ideas with a few multi-row INSERTs.
Deterministic for a given seed. Needs an app context.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from workshop.extensions import db
from workshop.models import Ballot, Comment, Idea, Participant
from workshop.services import content, stages, workshops

GROUPS = [
    ("resident", "ประชาชน", 52),
    ("government", "หน่วยงานรัฐ", 12),
    ("private", "ภาคเอกชน", 11),
    ("civil", "ภาคประชาสังคม", 10),
    ("academic", "สถาบันการศึกษา", 6),
    ("youth", "เยาวชน", 9),
]
VISIONS = [
    "ระนองเมืองแห่งสุขภาพ น้ำแร่ร้อนและธรรมชาติ น่าอยู่สำหรับคนทุกวัย",
    "ประตูสู่อันดามัน เมืองการค้าชายแดนและโลจิสติกส์ที่เติบโตอย่างยั่งยืน",
    "เมืองสีเขียวริมป่าชายเลน อยู่ร่วมกับธรรมชาติและรับมือฝนแปดแดดสี่ได้",
    "เมืองอัจฉริยะที่มีคนเป็นศูนย์กลาง บริการทั่วถึงและเท่าเทียม",
    "เมืองเรียนรู้ตลอดชีวิต เยาวชนมีโอกาสและกลับมาทำงานที่บ้านเกิด",
    "เมืองวัฒนธรรมพหุชาติพันธุ์ที่ทุกคนเป็นเจ้าของร่วมกัน",
]
GOALS = [
    "เมืองปลอดภัยจากน้ำท่วมและภัยพิบัติ",
    "การท่องเที่ยวเชิงสุขภาพและธรรมชาติ",
    "สังคมสูงวัยที่มีคุณภาพ",
    "สิ่งแวดล้อมสะอาดและป่าชายเลนสมบูรณ์",
    "เศรษฐกิจชายแดนและงานที่มีคุณค่า",
    "เมืองอัจฉริยะและการมีส่วนร่วม",
    "การเดินทางที่ปลอดภัยและทั่วถึง",
    "การศึกษาและทักษะแห่งอนาคต",
]
PROJECTS = [
    ("ปรับปรุงท่อระบายน้ำและสร้างบ่อหน่วงน้ำ", "จุดน้ำท่วมขังเกิน 30 นาทีหลังฝนตกหนัก ลดลงเหลือไม่เกิน 3 จุด"),
    ("ระบบเตือนภัยน้ำท่วมและดินถล่มด้วยเซนเซอร์", "เวลาแจ้งเตือนล่วงหน้าไม่น้อยกว่า 2 ชั่วโมง"),
    ("ศูนย์สุขภาพและสปาชุมชนบ่อน้ำร้อน", "ผู้ใช้บริการต่อปีเพิ่มขึ้นร้อยละ 20"),
    ("ระบบบำบัดน้ำเสียรวมของเมือง", "ร้อยละของน้ำเสียชุมชนที่ผ่านการบำบัด"),
    ("ศูนย์ดูแลผู้สูงอายุกลางวันในชุมชน", "ผู้สูงอายุติดบ้านได้รับการเยี่ยมบ้านเดือนละครั้ง ร้อยละ 90"),
    ("ทางเท้าและป้ายรถโดยสารที่ทุกคนใช้ได้", "ทางเท้าที่ได้มาตรฐานอารยสถาปัตย์ 5 กิโลเมตร"),
    ("ฟื้นฟูป่าชายเลนร่วมกับชุมชน", "พื้นที่ป่าชายเลนที่ฟื้นฟูแล้ว 300 ไร่"),
    ("คัดแยกขยะต้นทางและโรงปุ๋ยหมักชุมชน", "ขยะที่ส่งไปกำจัดต่อวันลดลงร้อยละ 25"),
    ("ศูนย์พัฒนาทักษะแรงงานด้านโลจิสติกส์", "ผู้ผ่านการอบรมได้งานภายใน 6 เดือน ร้อยละ 70"),
    ("แอปพลิเคชันแจ้งเหตุและข้อมูลเปิดของเมือง", "เรื่องร้องเรียนที่ปิดงานภายใน 7 วัน ร้อยละ 80"),
]
ZONES = ["เขตเมืองเก่า", "ตำบลบางริ้น", "ตำบลเขานิเวศน์", "ริมคลองหาดส้มแป้น", "ย่านตลาดสด"]
COMMENTS = [
    "เห็นด้วยมาก ควรเริ่มทำก่อนหน้าฝนปีหน้า",
    "ซอยบ้านผมน้ำท่วมทุกปี ฝนตกหนักครึ่งชั่วโมงก็ท่วมแล้ว อยากให้เทศบาลมาดูพื้นที่จริง",
    "งบประมาณสูงเกินไป ควรแบ่งทำเป็นระยะ",
    "ขอให้มีการรับฟังความคิดเห็นของชุมชนริมคลองก่อนออกแบบ",
    "ผู้สูงอายุในชุมชนเข้าถึงบริการยาก ควรมีรถรับส่ง",
    "ควรให้เยาวชนมีส่วนร่วมในการดูแลโครงการหลังสร้างเสร็จ",
    "โครงการนี้ดีแต่ต้องมีงบดูแลรักษาทุกปีด้วย ไม่อย่างนั้นจะทรุดโทรมเร็ว",
    "อยากให้เปิดข้อมูลความคืบหน้าให้ประชาชนติดตามได้ทางออนไลน์",
]


def definition(items: int = 60) -> dict[str, Any]:
    """A valid workshop object with ``items`` items over four stages."""
    n_vision, n_goals, n_budget = 6, 8, 6
    n_projects = max(1, items - n_vision - n_goals - n_budget)
    horizons = ["short", "medium", "long"]
    projects = []
    for i in range(n_projects):
        title, indicator = PROJECTS[i % len(PROJECTS)]
        projects.append(
            {
                "key": f"p{i + 1}",
                "title": f"{title} {ZONES[i // len(PROJECTS) % len(ZONES)]}",
                "description": "โครงการนำร่องที่ชุมชน ภาคเอกชน และเทศบาลร่วมกันออกแบบ ดำเนินการ และติดตามผล",
                "goal": f"g{i % n_goals + 1}",
                "horizon": horizons[i % 3],
                "budget": 1_500_000 + (i * 1_750_000) % 40_000_000,
                "sdgs": [["11.5", "13.1"], ["3.8", "10.2"], ["6.3", "14.1"], ["8.5", "4.4"]][i % 4],
                "indicator": indicator,
            }
        )
    return {
        "title": "แผนพัฒนาเมืองในอนาคตให้น่าอยู่อย่างยั่งยืน (ชุดทดสอบขนาดใหญ่)",
        "city": "เทศบาลเมืองระนอง จังหวัดระนอง",
        "date": "2026-12-05",
        "languages": ["th"],
        "join": "open",
        "groups": [{"key": key, "label": label} for key, label, _ in GROUPS],
        "stages": [
            {
                "key": "vision",
                "kind": "vision",
                "title": "วิสัยทัศน์เมืองระนอง",
                "method": "approval",
                "max_choices": 2,
                "items": [{"key": f"v{i + 1}", "title": t} for i, t in enumerate(VISIONS[:n_vision])],
            },
            {
                "key": "goals",
                "kind": "goals",
                "title": "เป้าหมายการพัฒนาเมือง",
                "method": "dots",
                "dots": 5,
                "max_per_item": 3,
                "items": [{"key": f"g{i + 1}", "title": t} for i, t in enumerate(GOALS[:n_goals])],
            },
            {
                "key": "projects",
                "kind": "projects",
                "title": "แผนงานโครงการ",
                "method": "score",
                "criteria": [
                    {"key": "importance", "label": "ความสำคัญ", "weight": 2},
                    {"key": "feasibility", "label": "ความเป็นไปได้", "weight": 1},
                ],
                "scale": {"min": 1, "max": 5},
                "allow_ideas": True,
                "items": projects,
            },
            {
                "key": "budget",
                "kind": "projects",
                "title": "งบประมาณแบบมีส่วนร่วม",
                "method": "budget",
                "budget": 10_000_000,
                "items": [
                    {"key": f"b{i + 1}", "title": f"โครงการชุมชนขนาดเล็ก {i + 1}", "budget": 2_000_000}
                    for i in range(n_budget)
                ],
            },
        ],
    }


def _choices(method: str, spec: dict[str, Any], rnd: random.Random, bias: int) -> dict[str, Any]:
    keys = [item["key"] for item in spec["items"]]
    if method == "approval":
        return {"items": rnd.sample(keys, rnd.randint(1, spec.get("max_choices") or len(keys)))}
    if method == "dots":
        dots: dict[str, int] = {}
        left = spec["dots"]
        while left:
            key = keys[min(len(keys) - 1, int(rnd.expovariate(0.35)) + bias) % len(keys)]
            if dots.get(key, 0) < spec["max_per_item"]:
                dots[key] = dots.get(key, 0) + 1
                left -= 1
        return {"dots": dots}
    if method == "score":
        scores = {}
        for key in rnd.sample(keys, min(len(keys), 12)):
            i = keys.index(key)
            importance = round(rnd.gauss(4.2 - (i % 7) * 0.35 + (0.8 if (i + bias) % 5 == 0 else 0), 0.8))
            feasibility = round(rnd.gauss(4.4 - (i % 5) * 0.5, 0.8))
            scores[key] = {
                "importance": max(1, min(5, importance)),
                "feasibility": max(1, min(5, feasibility)),
            }
        return {"scores": scores}
    chosen = rnd.sample(keys, rnd.randint(1, 3))
    return {"budget": {key: spec["budget"] // len(chosen) // 100_000 * 100_000 for key in chosen}}


def build(
    items: int = 60,
    participants: int = 2000,
    comments: int = 1000,
    *,
    seed: int = 2569,
    paper: int = 120,
    ideas: int = 12,
) -> int:
    """Create the workshop and its crowd; returns the workshop id."""
    rnd = random.Random(seed)
    approved = ideas // 4  # approved ideas become items too: ``items`` counts them
    workshop = workshops.create_workshop(workshops.parse_definition(definition(items - approved)))
    wid = workshop.id
    for stage in workshop.stages:
        stages.ACTIONS["open"](wid, stage.key)
    start = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)
    group_keys = [g for g, _, _ in GROUPS]
    weights = [w for _, _, w in GROUPS]
    people = [
        {
            "workshop_id": wid,
            "token_hash": f"{wid:04d}{i:060d}",
            "language": "th",
            "group_key": rnd.choices(group_keys, weights)[0],
            "created_at": start + timedelta(seconds=i),
        }
        for i in range(participants)
    ]
    session = db.session()
    session.execute(insert(Participant), people)
    rows = session.execute(
        select(Participant.id, Participant.group_key)
        .where(Participant.workshop_id == wid)
        .order_by(Participant.id)
    ).all()

    ballots = []
    workshop = workshops.get_workshop(wid)
    for stage in workshop.stages:
        spec = workshops.stage_spec(stage).to_json()
        for pid, group in rows:
            if rnd.random() < 0.1:
                continue
            when = start + timedelta(minutes=30 + stage.position * 25, seconds=rnd.randint(0, 900))
            ballots.append(
                {
                    "stage_id": stage.id,
                    "participant_id": pid,
                    "group_key": group,
                    "choices": _choices(spec["method"], spec, rnd, group_keys.index(group)),
                    "source": "phone",
                    "version": 1 + int(rnd.random() < 0.1),
                    "created_at": when,
                    "updated_at": when,
                }
            )
        for _ in range(paper):
            when = start + timedelta(minutes=60 + stage.position * 25)
            ballots.append(
                {
                    "stage_id": stage.id,
                    "participant_id": None,
                    "group_key": "resident",
                    "choices": _choices(spec["method"], spec, rnd, 0),
                    "source": "paper",
                    "version": 1,
                    "created_at": when,
                    "updated_at": when,
                }
            )
    for chunk in range(0, len(ballots), 2000):
        session.execute(insert(Ballot), ballots[chunk : chunk + 2000])

    targets = [(stage.key, item.key) for stage in workshop.stages for item in stage.items]
    notes = []
    for i in range(comments):
        stage_key, item_key = rnd.choice(targets)
        pid, group = rnd.choice(rows)
        status = rnd.choices(["published", "pending", "rejected"], [70, 20, 10])[0]
        notes.append(
            {
                "workshop_id": wid,
                "stage_key": stage_key,
                "item_key": item_key if rnd.random() < 0.85 else None,
                "participant_id": pid,
                "group_key": group,
                "text": f"{rnd.choice(COMMENTS)} ({i + 1})",
                "status": status,
                "created_at": start + timedelta(seconds=3000 + i),
            }
        )
    session.execute(insert(Comment), notes)
    proposals = [
        {
            "workshop_id": wid,
            "stage_key": "projects",
            "participant_id": rows[i][0],
            "group_key": rows[i][1],
            "title": f"ข้อเสนอโครงการจากชุมชน {i + 1}",
            "description": "ขอให้พิจารณาเพิ่มเติมในแผน",
            "status": "pending",
            "created_at": start + timedelta(seconds=4000 + i),
        }
        for i in range(ideas)
    ]
    session.execute(insert(Idea), proposals)
    session.commit()
    for idea in content.list_ideas(wid)[:approved]:
        content.moderate_idea(idea.id, True)
    return wid
