"""Faults: the server killed with SIGKILL in the middle of a burst, several times.

Every acknowledged ballot is in the database, nothing is counted twice, phones
reconnect and `sync` shows the truth.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import socketio

from tests.factories import stage_entry
from tests.security.conftest import Live

pytestmark = pytest.mark.slow
PHONES = 30
ROUNDS = 3


def burst(
    live: Live, tokens: list[str], round_no: int, acked: dict[str, tuple[str, int]], stop_after: float
) -> int:
    """Each phone votes repeatedly until the server dies; returns acknowledgements seen."""
    count = 0
    lock = threading.Lock()

    def vote(index: int, token: str) -> None:
        nonlocal count
        client = socketio.Client(reconnection=False)
        try:
            client.connect(live.url, auth={"participant": token}, transports=["websocket"], wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            return
        deadline = time.monotonic() + stop_after + 5
        n = 0
        while time.monotonic() < deadline and client.connected:
            item = f"v{1 + (index + n + round_no) % 3}"
            ballot_id = uuid.uuid4().hex
            try:
                ack = client.call(
                    "ballot",
                    {"stage": "vision", "choices": {"items": [item]}, "ballot_id": ballot_id},
                    timeout=3,
                )
            except (
                socketio.exceptions.TimeoutError,
                socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError,
            ):
                break
            if ack and ack.get("ok"):
                with lock:
                    acked[token] = (item, ack["version"])
                    count += 1
            n += 1
            time.sleep(0.02)
        if client.connected:
            client.disconnect()

    threads = [threading.Thread(target=vote, args=(i, t), daemon=True) for i, t in enumerate(tokens)]
    for thread in threads:
        thread.start()
    time.sleep(stop_after)
    live.server.kill()  # SIGKILL, mid-burst
    for thread in threads:
        thread.join(timeout=20)
    return count


@pytest.mark.no_rate_limits
def test_sigkill_mid_burst_loses_no_acknowledged_ballot(live: Live) -> None:
    created = live.workshop()
    wid = created["id"]
    assert live.api("POST", f"/api/v1/workshops/{wid}/stages/vision/open")[0] == 200
    tokens = [live.join(created["code"], ("resident", "civil")[i % 2]) for i in range(PHONES)]
    acked: dict[str, tuple[str, int]] = {}
    counts = []
    for round_no in range(ROUNDS):
        counts.append(burst(live, tokens, round_no, acked, stop_after=1.5))
        assert counts[-1] > 0
        live.restart(kill=False)  # the server was killed; start it again on the same database
    print(f"\nSIGKILL x{ROUNDS}, {PHONES} phones: acknowledgements per round {counts}")

    # every acknowledged ballot is there: sync on a fresh connection shows each phone's last ack
    for token, (item, version) in acked.items():
        phone = live.phone({"participant": token})
        mine = phone.call("sync", {})["ballots"]["vision"]
        assert mine["version"] >= version
        if mine["version"] == version:
            assert mine["choices"] == {"items": [item]}
        phone.close()
    # nothing counted twice: one current ballot per phone
    entry = stage_entry(live.results(wid), "vision")
    assert entry["ballots"] == len(acked)
    assert sum(i["value"] for i in entry["items"]) == len(acked)
