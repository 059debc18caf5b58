"""A real server process per test (SQLite or PostgreSQL), for trust tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.conftest import _truncate_postgres, require
from tests.factories import workshop_object
from tests.servers import Server, base_env, http, run_cli

PASSWORD = "correct horse battery"


class Phone:
    """A python-socketio client that keeps what it receives."""

    def __init__(self, url: str, auth: dict[str, Any], **connect: Any) -> None:
        self.events: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._keep)
        connect.setdefault("transports", ["websocket"])
        self.client.connect(url, auth=auth, wait_timeout=10, **connect)

    def _keep(self, event: str, data: Any = None) -> None:
        with self.lock:
            self.events.append((event, data))

    def call(self, event: str, data: Any, timeout: float = 15) -> Any:
        return self.client.call(event, data, timeout=timeout)

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


class Live:
    """A running server with a facilitator token and a workshop factory."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.url = server.url
        self.token = token
        self.phones: list[Phone] = []

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return http(method, f"{self.url}{path}", body, self.token)

    def workshop(self, **overrides: Any) -> dict[str, Any]:
        status, created = self.api("POST", "/api/v1/workshops", workshop_object(**overrides))
        assert status == 201, created
        return dict(created)

    def join(self, code: str, group: str = "resident") -> str:
        status, body = http("POST", f"{self.url}/api/v1/join", {"code": code, "group": group})
        assert status == 201, body
        return str(body["participant"])

    def phone(self, auth: dict[str, Any], **connect: Any) -> Phone:
        phone = Phone(self.url, auth, **connect)
        self.phones.append(phone)
        return phone

    def results(self, wid: int) -> dict[str, Any]:
        status, body = self.api("GET", f"/api/v1/workshops/{wid}/results")
        assert status == 200
        return dict(body)

    def restart(self, *, kill: bool = True) -> None:
        for phone in self.phones:
            phone.close()
        self.phones.clear()
        if kill:
            self.server.kill()
        else:
            self.server.stop()
        self.server = Server(self.server.env, self.server.port).start()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path: Path, postgres_database: str | None) -> Iterator[Live]:
    if request.param == "postgres":
        require(postgres_database is not None, "PostgreSQL is not reachable")
        assert postgres_database is not None
        _truncate_postgres(postgres_database)
        url = postgres_database
    else:
        url = f"sqlite:///{tmp_path / 'live.db'}"
    env = base_env(tmp_path / "instance", url)
    if request.node.get_closest_marker("no_rate_limits"):
        env["WORKSHOP_RATE_LIMITS"] = "0"
    for marker in request.node.iter_markers("server_env"):
        env.update(marker.kwargs)
    run_cli(env, "user", "add", "anong", "--password-stdin", stdin=PASSWORD + "\n")
    server = Server(env).start()
    live = Live(server, "")
    status, body = live.api("POST", "/api/v1/auth/token", {"username": "anong", "password": PASSWORD})
    assert status == 201
    live.token = body["token"]
    try:
        yield live
    finally:
        for phone in live.phones:
            phone.close()
        live.server.stop()


def wait_until(predicate: Any, timeout: float = 10.0, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False
