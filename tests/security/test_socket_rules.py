"""Abuse and access rules of the socket events, with Flask-SocketIO's test client.

Each test would fail if its rule were removed: the limiter for comments or ideas,
the size limit of an idea's fields, the rooms that keep facilitators' events
from residents, the workshop a socket belongs to.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api
from workshop.services.content import MAX_IDEA_DESCRIPTION, MAX_IDEA_TITLE


def pushed(sock: Any) -> list[tuple[str, Any]]:
    """What the server pushed to a socket since last asked: (event, data)."""
    return [(e["name"], e["args"][0] if e["args"] else None) for e in sock.get_received()]


@pytest.fixture
def room(api: Api) -> dict[str, Any]:
    """Vision (results live) and goals (ideas, results after close) open; two residents."""
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    api.stage(created["id"], "goals", "open")
    phones = [api.socket(api.join(created["code"], group)[0]) for group in ("resident", "civil")]
    assert all(p.is_connected() for p in phones)
    return {**created, "phones": phones}


def comment(sock: Any, text: str) -> dict[str, Any]:
    ack: dict[str, Any] = sock.emit("comment", {"stage": "vision", "text": text}, callback=True)
    return ack


def idea(sock: Any, title: str, description: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"stage": "goals", "title": title}
    if description is not None:
        data["description"] = description
    ack: dict[str, Any] = sock.emit("idea", data, callback=True)
    return ack


# -- rate limits per resident -------------------------------------------------------


def test_comments_are_rate_limited_per_resident(api: Api, room: dict[str, Any]) -> None:
    """5 comments at once, then one every 5 s: the 6th at once is refused, another phone is not."""
    mine, neighbour = room["phones"]
    acks = [comment(mine, f"ความเห็นที่ {n}") for n in range(6)]
    assert [a["ok"] for a in acks] == [True] * 5 + [False]
    assert acks[5]["error"]["code"] == "rate_limited"
    assert comment(neighbour, "ของฉันเอง")["ok"] is True
    stored = api.get(f"/api/v1/workshops/{room['id']}/comments?status=pending").get_json()
    assert len(stored) == 6  # five and the neighbour's; the refused one stored nothing


def test_ideas_are_rate_limited_per_resident(api: Api, room: dict[str, Any]) -> None:
    mine, neighbour = room["phones"]
    acks = [idea(mine, f"ไอเดีย {n}") for n in range(6)]
    assert [a["ok"] for a in acks] == [True] * 5 + [False]
    assert acks[5]["error"]["code"] == "rate_limited"
    assert idea(neighbour, "ตลาดน้ำ")["ok"] is True
    assert len(api.get(f"/api/v1/workshops/{room['id']}/ideas?status=pending").get_json()) == 6


# -- size limits of an idea ------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "description", "ok"),
    [
        ("ก" * MAX_IDEA_TITLE, "ข" * MAX_IDEA_DESCRIPTION, True),
        ("ก" * (MAX_IDEA_TITLE + 1), None, False),
        ("สวน", "ข" * (MAX_IDEA_DESCRIPTION + 1), False),
        ("   ", None, False),
    ],
)
def test_idea_fields_have_size_limits(api: Api, room: dict[str, Any], title: str, description: str | None,
                                      ok: bool) -> None:
    ack = idea(room["phones"][0], title, description)
    assert ack["ok"] is ok, ack
    if not ok:
        assert ack["error"]["code"] == "invalid"
    stored = api.get(f"/api/v1/workshops/{room['id']}/ideas?status=pending").get_json()
    assert len(stored) == (1 if ok else 0)


# -- what residents never receive ----------------------------------------------------


def test_residents_never_receive_facilitators_events(api: Api, room: dict[str, Any]) -> None:
    """Counts, moderation queues and results of hidden stages go to facilitators and
    projectors only; residents get `state`, published comments and shown results."""
    resident, neighbour = room["phones"]
    facilitator = api.socket(auth={"facilitator": api.token, "workshop": room["id"]})
    api.join(room["code"], "government")  # one more joins: `participants`
    assert resident.emit("ballot", {"stage": "goals", "choices": {"dots": {"g1": 2}}},
                         callback=True)["ok"]  # goals: results after close
    assert resident.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}},
                         callback=True)["ok"]  # vision: results live
    comment(neighbour, "รอการตรวจ")
    idea(neighbour, "ไอเดียใหม่")

    staff = {name for name, _ in pushed(facilitator)}
    assert {"participants", "moderation", "moderation_item", "results"} <= staff
    for phone in (resident, neighbour):
        got = pushed(phone)
        names = {name for name, _ in got}
        assert not names & {"participants", "moderation", "moderation_item"}, names
        shown = {data["key"] for name, data in got if name == "results"}
        assert shown == {"vision"}, shown  # never goals, whose results are not shown yet


def test_a_socket_gets_nothing_of_another_workshop(api: Api) -> None:
    """State changes, results, published comments and counts of workshop two never reach
    the resident, projector or facilitator sockets of workshop one."""
    from tests.factories import workshop_object

    one = api.create_workshop()
    two = api.create_workshop(workshop_object(moderation="post"))
    key_one = one["projector_url"].rsplit("/", 1)[1]
    watchers = [
        api.socket(api.join(one["code"])[0]),
        api.socket(auth={"projector": key_one}),
        api.socket(auth={"facilitator": api.token, "workshop": one["id"]}),
    ]
    assert all(w.is_connected() for w in watchers)
    for w in watchers:
        w.get_received()
    api.stage(two["id"], "vision", "open")
    voter = api.socket(api.join(two["code"])[0])
    assert voter.emit("ballot", {"stage": "vision", "choices": {"items": ["v2"]}}, callback=True)["ok"]
    assert comment(voter, "workshop two")["status"] == "published"
    assert idea(voter, "idea of two")["ok"] is True
    api.stage(two["id"], "vision", "close")
    assert pushed(voter)  # workshop two's own sockets did hear all that
    for w in watchers:
        assert pushed(w) == []
