"""PostgreSQL goes away under a running server, then comes back.

The server reaches PostgreSQL through a TCP relay that the test can cut (every open
connection closed, new ones refused) and restore. While it is cut, a ballot is refused
with the code `unavailable` (never acknowledged as stored); once it is back, the same
ballot is stored, and the results count exactly the acknowledged ballots.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import socketio

from tests.factories import workshop_object
from tests.servers import Server, base_env, http, run_cli, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PASSWORD = "outage test password 9"


class Relay:
    """127.0.0.1:port -> PostgreSQL, with a switch."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        self.up = True
        self.accepted = 0
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        listener.settimeout(0.1)  # a blocked accept() would outlive close(): poll the switch
        while self.up and listener is self.listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.up:
                client.close()
                return
            upstream = socket.create_connection(self.target, timeout=5)
            upstream.settimeout(None)
            with self.lock:
                self.pairs.append((client, upstream))
                self.accepted += 1
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Every connection closed, new ones refused (the port stops listening)."""
        self.up = False
        time.sleep(0.3)  # the accept loop has seen the switch
        self.listener.close()
        with self.lock:
            for a, b in self.pairs:
                for s in (a, b):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                    s.close()
            self.pairs.clear()

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.up = True
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def close(self) -> None:
        if self.up:
            self.cut()



def test_postgres_outage_refuses_ballots_with_unavailable_then_recovers(
        tmp_path: Path, empty_postgres_database: str) -> None:
    relay = Relay(("127.0.0.1", 5432))
    via_relay = empty_postgres_database.replace("127.0.0.1:5432", f"127.0.0.1:{relay.port}")
    assert via_relay != empty_postgres_database
    env = base_env(tmp_path / "instance", via_relay)
    run_cli(env, "user", "add", "anong", "--password-stdin", stdin=PASSWORD + "\n")
    server = Server(env).start()
    phones: list[Any] = []
    try:
        status, body = http("POST", f"{server.url}/api/v1/auth/token",
                            {"username": "anong", "password": PASSWORD})
        token = body["token"]
        status, created = http("POST", f"{server.url}/api/v1/workshops", workshop_object(), token)
        assert status == 201, created
        wid = created["id"]
        http("POST", f"{server.url}/api/v1/workshops/{wid}/stages/vision/open", token=token)
        for _ in range(2):
            status, joined = http("POST", f"{server.url}/api/v1/join",
                                  {"code": created["code"], "group": "civil"})
            assert status == 201
            phone = socketio.Client(reconnection=False)
            phone.connect(server.url, auth={"participant": joined["participant"]}, transports=["websocket"],
                          wait_timeout=10)
            phones.append(phone)

        first = phones[0].call("ballot", {"stage": "vision", "choices": {"items": ["v1"]},
                                          "ballot_id": "one"}, timeout=30)
        assert first == {"ok": True, "version": 1}

        assert relay.pairs, "the server reaches PostgreSQL through the relay"
        relay.cut()
        during = phones[1].call("ballot", {"stage": "vision", "choices": {"items": ["v2"]},
                                           "ballot_id": "two"}, timeout=60)
        assert during["ok"] is False, (during, server.log.read_text()[-3000:])
        assert during["error"]["code"] == "unavailable", during
        assert "not saved" in during["error"]["message"]

        relay.restore()
        answers: list[Any] = []

        def stored() -> bool:
            answers.append(phones[1].call("ballot", {"stage": "vision", "choices": {"items": ["v2"]},
                                                     "ballot_id": "two"}, timeout=30))
            return bool(answers[-1].get("ok"))

        wait_until(stored, 60, "the ballot stored once PostgreSQL is back")
        assert answers[-1] == {"ok": True, "version": 1}
        status, results = http("GET", f"{server.url}/api/v1/workshops/{wid}/results", token=token)
        assert status == 200
        vision = next(s for s in results["stages"] if s["key"] == "vision")
        assert vision["ballots"] == 2
        assert {i["key"]: i["value"] for i in vision["items"]} == {"v1": 1, "v2": 1, "v3": 0}
    finally:
        for phone in phones:
            phone.disconnect()
        server.stop()
        relay.close()
    assert "server_error" not in server.log.read_text()
