"""Scale-out: two server processes sharing PostgreSQL and a Redis message queue.

A ballot cast through process A reaches a projector connected to process B, a
stage closed through B refuses ballots on A, and the results stay correct.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.conftest import _truncate_postgres, require
from tests.factories import SESSIONS, stage_entry
from tests.servers import Server, base_env, http, run_cli

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


class Recorder:
    """A python-socketio client that keeps what it receives."""

    def __init__(self, url: str, auth: dict[str, Any]) -> None:
        self.events: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._keep)
        self.client.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)

    def _keep(self, event: str, data: Any = None) -> None:
        with self.lock:
            self.events.append((event, data))

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for event, data in self.events:
                    if predicate(event, data):
                        return data
            time.sleep(0.05)
        raise AssertionError(f"nothing matched within {timeout} s; got {[e for e, _ in self.events]}")

    def call(self, event: str, data: Any) -> Any:
        return self.client.call(event, data, timeout=10)


@pytest.fixture
def cluster(tmp_path: Path, postgres_database: str | None) -> Iterator[dict[str, Any]]:
    require(postgres_database is not None, "PostgreSQL is not reachable")
    require(redis_available(), f"Redis is not reachable at {REDIS_URL}")
    assert postgres_database is not None
    _truncate_postgres(postgres_database)
    env = base_env(tmp_path, postgres_database, WORKSHOP_MESSAGE_QUEUE=REDIS_URL,
                   WORKSHOP_MESSAGE_QUEUE_CHANNEL=f"ruamkit-test-{uuid.uuid4().hex[:8]}")
    run_cli(env, "user", "add", "anong", "--password-stdin", stdin="correct horse battery\n")
    servers = [Server(env), Server(env)]
    clients: list[Recorder] = []
    try:
        for server in servers:
            server.start()
        status, body = http("POST", f"{servers[0].url}/api/v1/auth/token",
                            {"username": "anong", "password": "correct horse battery"})
        assert status == 201, body
        yield {"a": servers[0], "b": servers[1], "token": body["token"], "clients": clients}
    finally:
        for client in clients:
            client.client.disconnect()
        for server in servers:
            server.stop()


def test_ballot_through_a_reaches_projector_on_b(cluster: dict[str, Any]) -> None:
    a, b, token = cluster["a"], cluster["b"], cluster["token"]
    status, created = http("POST", f"{a.url}/api/v1/workshops",
                           (SESSIONS / "community-park-en.yaml").read_bytes(), token,
                           content_type="application/yaml")
    assert status == 201, created
    wid, key = created["id"], created["projector_url"].rsplit("/", 1)[1]
    projector = Recorder(b.url, {"projector": key})
    cluster["clients"].append(projector)

    status, _ = http("POST", f"{a.url}/api/v1/workshops/{wid}/stages/purpose/open", token=token)
    assert status == 200
    # `state` broadcast by A reaches the projector on B
    projector.wait_for(lambda e, d: e == "state" and d["stages"][1]["state"] == "open")

    residents = []
    for group, choice in (("neighbour", "nature"), ("school", "play"), ("neighbour", "nature")):
        status, joined = http("POST", f"{a.url}/api/v1/join", {"code": created["code"], "group": group})
        assert status == 201
        resident = Recorder(a.url, {"participant": joined["participant"]})
        cluster["clients"].append(resident)
        residents.append(resident)
        ack = resident.call("ballot", {"stage": "purpose", "choices": {"item": choice},
                                       "ballot_id": uuid.uuid4().hex})
        assert ack == {"ok": True, "version": 1}

    final = projector.wait_for(lambda e, d: e == "results" and d["key"] == "purpose" and d["ballots"] == 3)
    assert [(i["key"], i["value"]) for i in final["items"][:2]] == [("nature", 2), ("play", 1)]
    counts = projector.wait_for(lambda e, d: e == "participants" and d["total"] == 3)
    assert counts["by_group"] == {"neighbour": 2, "business": 0, "school": 1, "visitor": 0}

    # close through B: a resident connected to A is told, and refused
    status, _ = http("POST", f"{b.url}/api/v1/workshops/{wid}/stages/purpose/close", token=token)
    assert status == 200
    residents[0].wait_for(lambda e, d: e == "state" and d["stages"][1]["state"] == "closed")
    refused = residents[0].call("ballot", {"stage": "purpose", "choices": {"item": "play"}})
    assert refused["error"]["code"] == "stage_closed"

    status, results = http("GET", f"{b.url}/api/v1/workshops/{wid}/results", token=token)
    assert status == 200
    purpose = stage_entry(results, "purpose")
    assert purpose["ballots"] == 3 and purpose["items"][0]["value"] == 2


def test_sign_in_limits_hold_across_processes(cluster: dict[str, Any]) -> None:
    """Guesses spread over two processes count together (the limits are kept in Redis):
    alone, neither process would have seen more than half of them."""
    from workshop.adapters.ratelimit import HTTP_RATES

    a, b = cluster["a"], cluster["b"]
    allowance = HTTP_RATES["login"].burst  # the fixture's own sign-in through A was the first
    statuses = [
        http("POST", f"{server.url}/api/v1/auth/token", {"username": "anong", "password": f"guess {i}"})[0]
        for i, server in zip(range(allowance - 1), [a, b] * allowance)
    ]
    assert statuses == [401] * (allowance - 1)
    status, body = http("POST", f"{b.url}/api/v1/auth/token", {"username": "anong", "password": "guess"})
    assert status == 429 and body["error"]["code"] == "rate_limited"
    status, _ = http("POST", f"{a.url}/api/v1/auth/token", {"username": "somchai", "password": "guess"})
    assert status == 401  # another user name is not locked out
