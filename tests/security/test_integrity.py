"""Integrity: no ballot counted twice, whatever the client does; the database
itself enforces one current ballot per participant and stage."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from tests.factories import stage_entry
from tests.security.conftest import Live

pytestmark = pytest.mark.slow

SOCKETS_PER_PARTICIPANT = 5  # realtime.handlers: a sixth socket of one participant is refused


@pytest.mark.no_rate_limits
def test_fifty_parallel_copies_of_one_ballot_store_one(live: Live) -> None:
    created = live.workshop()
    wid = created["id"]
    assert live.api("POST", f"/api/v1/workshops/{wid}/stages/vision/open")[0] == 200
    token = live.join(created["code"], "civil")
    # one phone's five sockets (the most a participant may hold), ten sends each, all at once
    sockets = [live.phone({"participant": token}) for _ in range(SOCKETS_PER_PARTICIPANT)]
    phones = [sockets[i % len(sockets)] for i in range(50)]
    barrier = threading.Barrier(len(phones))

    def send(phone: Any) -> Any:
        barrier.wait(timeout=30)
        return phone.call(
            "ballot", {"stage": "vision", "choices": {"items": ["v1", "v3"]}, "ballot_id": "same-ballot-id"}
        )

    with ThreadPoolExecutor(len(phones)) as pool:
        acks = list(pool.map(send, phones))
    assert acks == [{"ok": True, "version": 1}] * 50
    entry = stage_entry(live.results(wid), "vision")
    assert entry["ballots"] == 1
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 1, "v2": 0, "v3": 1}


def test_fifty_parallel_different_ballots_of_one_phone_keep_one_current(live: Live) -> None:
    created = live.workshop()
    wid = created["id"]
    live.api("POST", f"/api/v1/workshops/{wid}/stages/vision/open")
    token = live.join(created["code"])
    sockets = [live.phone({"participant": token}) for _ in range(SOCKETS_PER_PARTICIPANT)]
    phones = [sockets[i % len(sockets)] for i in range(25)]
    barrier = threading.Barrier(len(phones))

    def send(i: int) -> Any:
        barrier.wait(timeout=30)
        return phones[i].call(
            "ballot", {"stage": "vision", "choices": {"items": [f"v{1 + i % 3}"]}, "ballot_id": f"b{i}"}
        )

    with ThreadPoolExecutor(len(phones)) as pool:
        acks = list(pool.map(send, range(len(phones))))
    versions = sorted(a["version"] for a in acks if a["ok"])
    limited = [a for a in acks if not a["ok"]]
    assert all(a["error"]["code"] == "rate_limited" for a in limited)
    assert versions == list(range(1, len(versions) + 1))  # each replacement got its own version
    entry = stage_entry(live.results(wid), "vision")
    assert entry["ballots"] == 1 and sum(i["value"] for i in entry["items"]) == 1


def test_database_refuses_a_second_current_ballot(live: Live) -> None:
    """Not only the code: the unique constraint itself (uq_ballot_stage_participant)."""
    created = live.workshop()
    live.api("POST", f"/api/v1/workshops/{created['id']}/stages/vision/open")
    phone = live.phone({"participant": live.join(created["code"])})
    assert phone.call("ballot", {"stage": "vision", "choices": {"items": ["v1"]}})["ok"]
    url = live.server.env["WORKSHOP_DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT stage_id, participant_id, group_key FROM ballots")).one()
            with pytest.raises(IntegrityError):
                conn.execute(
                    text(
                        "INSERT INTO ballots (stage_id, participant_id, group_key, choices, source, version, "
                        "created_at, updated_at) VALUES (:s, :p, :g, '{}', 'phone', 1, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"s": row[0], "p": row[1], "g": row[2]},
                )
            conn.rollback()
            receipt = {"p": row[1], "s": row[0]}
            conn.execute(
                text(
                    "INSERT INTO ballot_receipts (participant_id, stage_id, ballot_id, version, "
                    "created_at) VALUES (:p, :s, 'r1', 1, CURRENT_TIMESTAMP)"
                ),
                receipt,
            )
            with pytest.raises(IntegrityError):
                conn.execute(
                    text(
                        "INSERT INTO ballot_receipts (participant_id, stage_id, ballot_id, version, "
                        "created_at) VALUES (:p, :s, 'r1', 2, CURRENT_TIMESTAMP)"
                    ),
                    receipt,
                )
    finally:
        engine.dispose()
