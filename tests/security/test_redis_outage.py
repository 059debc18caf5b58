"""Redis stopped for 30 s under two server processes: ballots are still stored and
acknowledged, and projectors catch up once it returns (no reload, no new ballot).

Runs its own redis-server on a free port, so the machine's Redis is untouched.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import _truncate_postgres, require
from tests.factories import stage_entry, workshop_object
from tests.security.conftest import PASSWORD, Phone, wait_until
from tests.servers import Server, base_env, free_port, http, run_cli

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
OUTAGE = 30.0


class RedisProcess:
    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1)
        assert wait_until(lambda: _ping(client), timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _ping(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False


@pytest.fixture
def cluster(tmp_path: Path, postgres_database: str | None) -> Iterator[dict[str, Any]]:
    require(postgres_database is not None, "PostgreSQL is not reachable")
    require(shutil.which("redis-server") is not None, "redis-server is not installed")
    assert postgres_database is not None
    _truncate_postgres(postgres_database)
    redis_server = RedisProcess(free_port(), tmp_path)
    redis_server.start()
    env = base_env(
        tmp_path / "instance",
        postgres_database,
        WORKSHOP_MESSAGE_QUEUE=f"redis://127.0.0.1:{redis_server.port}/0",
        WORKSHOP_MESSAGE_QUEUE_CHANNEL=f"outage-{uuid.uuid4().hex[:8]}",
        WORKSHOP_RATE_LIMITS="0",
    )
    run_cli(env, "user", "add", "anong", "--password-stdin", stdin=PASSWORD + "\n")
    servers = [Server(env).start(), Server(env).start()]
    phones: list[Phone] = []
    status, body = http(
        "POST", f"{servers[0].url}/api/v1/auth/token", {"username": "anong", "password": PASSWORD}
    )
    assert status == 201
    try:
        yield {
            "a": servers[0],
            "b": servers[1],
            "redis": redis_server,
            "token": body["token"],
            "phones": phones,
        }
    finally:
        for phone in phones:
            phone.close()
        for server in servers:
            server.stop()
        redis_server.stop()


def test_redis_outage_loses_nothing_and_projectors_catch_up(cluster: dict[str, Any]) -> None:
    a, b, token = cluster["a"], cluster["b"], cluster["token"]
    status, created = http("POST", f"{a.url}/api/v1/workshops", workshop_object(), token)
    assert status == 201
    wid = created["id"]
    http("POST", f"{a.url}/api/v1/workshops/{wid}/stages/vision/open", token=token)
    projector = Phone(b.url, {"projector": created["projector_url"].rsplit("/", 1)[1]})
    cluster["phones"].append(projector)

    # Residents on A only: a process always delivers its own broadcasts to its own
    # sockets, so only the queue (or its healing) can bring A's news to B.
    residents = []
    for _ in range(6):
        status, joined = http("POST", f"{a.url}/api/v1/join", {"code": created["code"], "group": "civil"})
        assert status == 201
        phone = Phone(a.url, {"participant": joined["participant"]})
        cluster["phones"].append(phone)
        residents.append(phone)
    assert residents[0].call("ballot", {"stage": "vision", "choices": {"items": ["v1"]}})["ok"]
    assert wait_until(lambda: _latest(projector, wid) == 1, timeout=10)

    cluster["redis"].stop()  # Redis down for 30 s
    started = time.monotonic()
    acks = []
    for i, phone in enumerate(residents):
        acks.append(
            phone.call(
                "ballot",
                {"stage": "vision", "choices": {"items": [f"v{1 + i % 3}"]}, "ballot_id": uuid.uuid4().hex},
            )
        )
    assert all(ack["ok"] for ack in acks), acks  # stored and acknowledged without Redis
    status, results = http("GET", f"{b.url}/api/v1/workshops/{wid}/results", token=token)
    assert stage_entry(results, "vision")["ballots"] == 6  # in the database, seen by either process
    # each process knows, and says so (the console shows a warning from the same state)
    assert wait_until(lambda: _queue_state(b.url) == "down", timeout=10)
    time.sleep(max(0.0, OUTAGE - (time.monotonic() - started)))
    cluster["redis"].start()  # back, on the same port

    # no new ballot: the projector on B catches up by itself
    assert wait_until(lambda: _latest(projector, wid) == 6, timeout=20), projector.events[-3:]
    assert wait_until(lambda: _queue_state(b.url) == "ok", timeout=10)


def _queue_state(base: str) -> str:
    import urllib.request

    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as response:
        return str(response.headers["X-Message-Queue"])


def _latest(phone: Phone, wid: int) -> int | None:
    with phone.lock:
        found = [d for e, d in phone.events if e == "results" and d.get("key") == "vision"]
    return found[-1]["ballots"] if found else None
