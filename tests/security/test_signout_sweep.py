"""A token revoked through another server process: this process's sockets of it go too.

Two real server processes share one database and no message queue, so process A
is never told that the token was revoked through process B. Its sweep (every
WORKSHOP_SIGNOUT_SWEEP seconds) finds out and disconnects the socket; a
colleague's socket on A stays. Without the sweep the socket would live on and
keep receiving results and moderation counts.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import PASSWORD, Live, Phone, wait_until
from tests.servers import Server, http

pytestmark = pytest.mark.slow


def test_a_token_revoked_through_another_process_loses_its_sockets(live: Live) -> None:
    created = live.workshop()
    status, other = live.api("POST", "/api/v1/auth/token", {"username": "anong", "password": PASSWORD})
    assert status == 201
    mine = live.phone({"facilitator": live.token, "workshop": created["id"]})
    colleague = live.phone({"facilitator": other["token"], "workshop": created["id"]})
    assert mine.client.connected and colleague.client.connected

    second = Server(live.server.env).start()  # process B: same database, its own sockets
    try:
        status, _ = http("DELETE", f"{second.url}/api/v1/auth/token", token=live.token)
        assert status == 204
        assert wait_until(lambda: not mine.client.connected, timeout=15), "the sweep did not disconnect it"
        assert colleague.client.connected
        with pytest.raises(Exception):  # noqa: B017 (refused at connect: any of socketio's errors)
            Phone(live.url, {"facilitator": live.token, "workshop": created["id"]})
    finally:
        second.stop()
