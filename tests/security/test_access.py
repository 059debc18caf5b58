"""Access: origins, credentials and workshops stay apart (live server)."""

from __future__ import annotations

import time

import pytest
import socketio
import websocket

from tests.security.conftest import Live, Phone

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1.evil.example"])
def test_foreign_origin_handshake_is_refused(live: Live, origin: str) -> None:
    created = live.workshop()
    token = live.join(created["code"])
    ws_url = live.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(ws_url, origin=origin, timeout=5)
    assert refused.value.status_code == 400
    with pytest.raises(socketio.exceptions.ConnectionError):  # the long-polling fallback too
        Phone(live.url, {"participant": token}, headers={"Origin": origin}, transports=["polling"])
    # the page's own origin gets through the same raw handshake
    websocket.create_connection(ws_url, origin=live.url, timeout=5).close()


def test_same_origin_and_no_origin_are_accepted(live: Live) -> None:
    created = live.workshop()
    token = live.join(created["code"])
    assert live.phone({"participant": token}).client.connected  # websocket-client sends our origin
    assert live.phone({"participant": token}, transports=["polling"]).client.connected  # no Origin


def test_one_workshops_credentials_reach_nothing_of_another(live: Live) -> None:
    one, two = live.workshop(), live.workshop()
    for created in (one, two):
        live.api("POST", f"/api/v1/workshops/{created['id']}/stages/vision/open")
    resident_one = live.phone({"participant": live.join(one["code"])})
    projector_one = live.phone({"projector": one["projector_url"].rsplit("/", 1)[1]})
    resident_two = live.phone({"participant": live.join(two["code"])})
    projector_one.events.clear()
    assert resident_two.call("ballot", {"stage": "vision", "choices": {"items": ["v2"]}})["ok"]
    time.sleep(1.0)
    assert [e for e, d in projector_one.events if e == "results"] == []  # nothing of workshop two
    sync = resident_one.call("sync", {})
    assert sync["workshop"]["id"] == one["id"] and sync["ballots"] == {}
    # a participant token is no facilitator token
    from tests.servers import http

    token_one = live.join(one["code"])
    assert http("GET", f"{live.url}/api/v1/workshops/{two['id']}/results", token=token_one)[0] == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        Phone(live.url, {"facilitator": token_one, "workshop": one["id"]})
