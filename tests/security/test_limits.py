"""Size limits on the wire (live server: the test client skips engine.io's checks)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.factories import stage_entry
from tests.security.conftest import Live, wait_until

pytestmark = pytest.mark.slow


def test_a_socket_message_over_64_kb_closes_that_socket_only(live: Live) -> None:
    created = live.workshop()
    live.api("POST", f"/api/v1/workshops/{created['id']}/stages/vision/open")
    flooder = live.phone({"participant": live.join(created["code"])})
    neighbour = live.phone({"participant": live.join(created["code"])})
    flooder.client.emit("comment", {"stage": "vision", "text": "x" * (70 * 1024)})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and flooder.client.connected:
        time.sleep(0.1)
    assert not flooder.client.connected  # engine.io closed it
    assert neighbour.call("ballot", {"stage": "vision", "choices": {"items": ["v1"]}})["ok"]
    assert stage_entry(live.results(created["id"]), "vision")["ballots"] == 1
    status, comments = live.api("GET", f"/api/v1/workshops/{created['id']}/comments")
    assert status == 200 and comments == []


def test_a_flooding_socket_is_refused_and_its_neighbours_are_served(live: Live) -> None:
    """One socket sends 1,000 ballots as fast as it can while four phones vote: the flood is
    refused `rate_limited` beyond its allowance and keeps its connection, every neighbour's
    ballot is acknowledged and counted. (How fast the neighbours are served under a flood
    is the abuse benchmark's job: bench/abuse.py, no timed assertion here.)"""
    import threading

    created = live.workshop()
    live.api("POST", f"/api/v1/workshops/{created['id']}/stages/vision/open")
    flooder = live.phone({"participant": live.join(created["code"])})
    neighbours = [live.phone({"participant": live.join(created["code"], group)})
                  for group in ("resident", "government", "private", "civil")]
    acks: list[Any] = []
    lock = threading.Lock()

    def keep(ack: Any = None) -> None:
        with lock:
            acks.append(ack)

    for n in range(1000):
        flooder.client.emit("ballot", {"stage": "vision", "choices": {"items": [f"v{1 + n % 3}"]},
                                       "ballot_id": f"flood-{n}"}, callback=keep)
    vote = {"stage": "vision", "choices": {"items": ["v2"]}}
    answers = [phone.call("ballot", vote) for phone in neighbours]
    assert all(a["ok"] for a in answers), answers
    assert wait_until(lambda: len(acks) == 1000, timeout=60), len(acks)
    refused = [a for a in acks if not a["ok"]]
    assert {a["error"]["code"] for a in refused} == {"rate_limited"}
    assert len(refused) >= 900  # a burst of 20, then 2 a second
    assert flooder.client.connected
    entry = stage_entry(live.results(created["id"]), "vision")
    assert entry["ballots"] == 5  # the flooder's one current ballot and the four neighbours'
