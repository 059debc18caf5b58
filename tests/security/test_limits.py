"""Size limits on the wire (live server: the test client skips engine.io's checks)."""

from __future__ import annotations

import time

import pytest

from tests.factories import stage_entry
from tests.security.conftest import Live

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
