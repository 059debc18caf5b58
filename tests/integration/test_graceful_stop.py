"""A server process stopped with SIGTERM (a deploy, `systemctl restart`) mid-burst.

It must stop taking connections, answer every ballot already sent to it, and only then
close its sockets; what it acknowledged is stored, once. Its Engine.IO session ids name
it (nginx routes a session's polls by them).
"""

from __future__ import annotations

import asyncio
import signal
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.factories import workshop_object
from tests.phones import connect, disconnect, join_phones, run_apart
from tests.servers import Server, base_env, http, run_cli

pytestmark = [pytest.mark.slow]

PASSWORD = "a long test password 42"


def _workshop(tmp_path: Path) -> tuple[Server, str, dict[str, Any]]:
    env = base_env(tmp_path / "instance", f"sqlite:///{tmp_path / 'stop.db'}")
    run_cli(env, "user", "add", "anong", "--password-stdin", stdin=PASSWORD + "\n")
    server = Server(env).start()
    status, body = http("POST", f"{server.url}/api/v1/auth/token",
                        {"username": "anong", "password": PASSWORD})
    assert status == 201, body
    token = body["token"]
    status, created = http("POST", f"{server.url}/api/v1/workshops", workshop_object(), token)
    assert status == 201, created
    status, _ = http("POST", f"{server.url}/api/v1/workshops/{created['id']}/stages/vision/open", token=token)
    assert status == 200
    return server, token, created


def test_sigterm_answers_every_ballot_in_flight_then_closes(tmp_path: Path) -> None:
    server, token, created = _workshop(tmp_path)
    try:
        outcome = run_apart(_burst_then_sigterm(server, created["code"]))
    finally:
        server.stop()
    assert server.proc is not None and server.proc.returncode == 0, server.log.read_text()
    # every ballot sent before the stop was answered, and answered ok
    assert outcome["unanswered"] == 0, outcome
    assert outcome["refused"] == 0, outcome
    assert outcome["sessions"] == {f"p{server.port}"}
    # what was acknowledged is what is stored, once (a new process reads the same database)
    again = Server(server.env).start()
    try:
        status, results = http("GET", f"{again.url}/api/v1/workshops/{created['id']}/results", token=token)
    finally:
        again.stop()
    assert status == 200
    vision = next(s for s in results["stages"] if s["key"] == "vision")
    assert vision["ballots"] == outcome["acked"] == 40
    log = server.log.read_text()
    assert "stopped gracefully" in log
    assert "Traceback" not in log


async def _burst_then_sigterm(server: Server, code: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http_session:
        phones = await join_phones(server.url, code, 40, "resident", http_session)
        await connect(server.url, phones, http_session)
        for phone in phones:
            phone.sio.reconnection = False  # the process is going away for good
        sessions = {phone.process for phone in phones}
        calls = [asyncio.ensure_future(phone.sio.call(
            "ballot", {"stage": "vision", "choices": {"items": [f"v{1 + i % 3}"]}, "ballot_id": f"b{i}"},
            timeout=30)) for i, phone in enumerate(phones)]
        await asyncio.sleep(0)  # the emits are written
        assert server.proc is not None
        server.proc.send_signal(signal.SIGTERM)
        answers = await asyncio.gather(*calls, return_exceptions=True)
        # once stopping, it takes no new connection
        refused_new = False
        try:
            async with http_session.get(f"{server.url}/healthz", timeout=aiohttp.ClientTimeout(total=3)):
                pass
        except (aiohttp.ClientError, TimeoutError):
            refused_new = True
        await asyncio.get_running_loop().run_in_executor(None, server.proc.wait, 60)
        await disconnect(phones)
    return {
        "acked": sum(1 for a in answers if isinstance(a, dict) and a.get("ok")),
        "refused": sum(1 for a in answers if isinstance(a, dict) and not a.get("ok")),
        "unanswered": sum(1 for a in answers if not isinstance(a, dict)),
        "sessions": sessions,
        "refused_new": refused_new,
    }


def test_sessions_name_their_process_and_the_log_keeps_no_secret(tmp_path: Path) -> None:
    server, _token, created = _workshop(tmp_path)
    server.stop()
    again = Server(server.env).start()  # its banner lists the workshop
    try:
        key = created["projector_url"].rsplit("/", 1)[1]
        with urllib.request.urlopen(f"{again.url}/healthz", timeout=10) as health:
            assert health.status == 200 and health.headers["X-Message-Queue"] == "none"
        with urllib.request.urlopen(f"{again.url}/projector/{key}", timeout=10) as page:
            assert page.status == 200
    finally:
        again.stop()
    log = again.log.read_text()
    assert created["join_url"] in log  # the banner lists join links ...
    assert key not in log  # ... and no projector key
    assert "/setup/" not in log  # no one-time setup link in a log (stdout is not a terminal)


def test_access_log_lines_carry_no_secret() -> None:
    from workshop.cli import redact

    line = ('127.0.0.1 - - [05/Dec/2026 10:00:00] "GET /projector/Zq9xK2?lang=th HTTP/1.1" 200 '
            '"GET /j/K7M2QX?t=CARD123&lang=en" /setup/tok3n '
            '/socket.io/?EIO=4&transport=polling&sid=p5001-abc')
    clean = redact(line)
    for secret in ("Zq9xK2", "CARD123", "tok3n", "p5001-abc"):
        assert secret not in clean
    assert "/j/K7M2QX?t=…&lang=en" in clean  # the join code is public: it is on the projector
