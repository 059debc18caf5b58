"""Many phones on one asyncio loop (python-socketio AsyncClient over WebSocket), for tests
that need hundreds of real sockets: joining, voting with retries, and where each one is.

Every wait is bounded. A phone whose connection ends is connected again by
``reconnect_lost`` (as the page's socket.io client does by itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp
import socketio

T = TypeVar("T")


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on a thread of its own: the browser tests' Playwright (sync API)
    keeps an event loop running on the main thread for the whole session, where
    ``asyncio.run`` refuses to start another."""
    outcome: dict[str, Any] = {}

    def main() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=main, name="phones")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


@dataclass
class Phone:
    token: str
    sio: Any = None
    #: ballot_id -> acknowledgement, for every ballot acknowledged ok
    acked: dict[str, Any] = field(default_factory=dict)
    #: the choices of the last ballot acknowledged (what the results must count)
    last_choices: Any = None
    #: where and how it connects (set by connect), to connect again
    base: str = ""
    http: Any = None

    @property
    def process(self) -> str:
        """The server process holding this phone's socket (its Engine.IO id's prefix)."""
        sid = getattr(self.sio.eio, "sid", None) or ""
        return sid.split("-", 1)[0] if self.sio.connected else ""


async def join_phones(base: str, code: str, count: int, group: str,
                      http: aiohttp.ClientSession) -> list[Phone]:
    phones = []
    for _ in range(count):
        async with http.post(f"{base}/api/v1/join", json={"code": code, "group": group},
                             headers={"Origin": base}) as response:
            body = await response.json()
            assert response.status == 201, body
            phones.append(Phone(body["participant"]))
    return phones


async def connect(base: str, phones: list[Phone], http: aiohttp.ClientSession, batch: int = 100) -> None:
    """Connect every phone not connected (a new client each: the test decides when to retry)."""
    async def one(phone: Phone) -> None:
        phone.base, phone.http = base, http
        for attempt in range(10):
            if phone.sio is not None:
                with contextlib.suppress(Exception):
                    await phone.sio.disconnect()
            phone.sio = socketio.AsyncClient(http_session=http, reconnection=False)
            try:
                await phone.sio.connect(base, auth={"participant": phone.token}, transports=["websocket"],
                                        wait_timeout=30)
                return
            except socketio.exceptions.ConnectionError:
                await asyncio.sleep(0.5 + random.random() * attempt)
        raise AssertionError("a phone could not connect in 10 attempts")

    todo = [p for p in phones if p.sio is None or not p.sio.connected]
    for start in range(0, len(todo), batch):
        await asyncio.gather(*(one(p) for p in todo[start:start + batch]))


async def vote(phone: Phone, stage: str, choices: Any, *, attempts: int = 40) -> Any:
    """Send one ballot until it is acknowledged (the same ballot_id on every retry)."""
    ballot_id = uuid.uuid4().hex
    last: Any = None
    for _ in range(attempts):
        if not phone.sio.connected:  # its connection ended: the page connects again
            await asyncio.sleep(0.25)
            with contextlib.suppress(AssertionError):
                await connect(phone.base, [phone], phone.http)
            continue
        try:
            last = await phone.sio.call(
                "ballot", {"stage": stage, "choices": choices, "ballot_id": ballot_id}, timeout=10)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                socketio.exceptions.DisconnectedError):
            await asyncio.sleep(0.25)
            continue
        if last and last.get("ok"):
            phone.acked[ballot_id] = last
            phone.last_choices = choices
            return last
        await asyncio.sleep(0.25)
    raise AssertionError(f"ballot never acknowledged: {last}")


async def reconnect_lost(base: str, phones: list[Phone], http: aiohttp.ClientSession) -> int:
    """What a phone's page does when its connection ends: connect again (in waves, as the
    browsers' randomised back-off spreads them). Returns how many had to."""
    await asyncio.sleep(0.5)
    lost = [p for p in phones if not p.sio.connected]
    await connect(base, lost, http, batch=50)
    return len(lost)


async def disconnect(phones: list[Phone]) -> None:
    async def one(phone: Phone) -> None:
        if phone.sio is not None:
            phone.sio.reconnection = False
            await phone.sio.disconnect()

    await asyncio.gather(*(one(p) for p in phones), return_exceptions=True)
