"""Many phones on one asyncio loop (python-socketio AsyncClient over WebSocket), for tests
that need hundreds of real sockets: joining, voting with retries, and where each one is.

Every wait is bounded; each phone reconnects by itself when its server goes away.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import socketio


@dataclass
class Phone:
    token: str
    sio: Any = None
    #: ballot_id -> acknowledgement, for every ballot acknowledged ok
    acked: dict[str, Any] = field(default_factory=dict)
    #: the choices of the last ballot acknowledged (what the results must count)
    last_choices: Any = None

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
    async def one(phone: Phone) -> None:
        phone.sio = socketio.AsyncClient(http_session=http, reconnection=True,
                                         reconnection_delay=0.5, reconnection_delay_max=2)
        await phone.sio.connect(base, auth={"participant": phone.token}, transports=["websocket"],
                                wait_timeout=30)

    for start in range(0, len(phones), batch):
        await asyncio.gather(*(one(p) for p in phones[start:start + batch]))


async def vote(phone: Phone, stage: str, choices: Any, *, attempts: int = 40) -> Any:
    """Send one ballot until it is acknowledged (the same ballot_id on every retry)."""
    ballot_id = uuid.uuid4().hex
    last: Any = None
    for _ in range(attempts):
        if not phone.sio.connected:
            await asyncio.sleep(0.25)
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


async def wait_connected(phones: list[Phone], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if all(p.sio.connected for p in phones):
            return
        await asyncio.sleep(0.2)
    missing = sum(1 for p in phones if not p.sio.connected)
    raise AssertionError(f"{missing} of {len(phones)} phones did not reconnect in {timeout} s")


async def disconnect(phones: list[Phone]) -> None:
    async def one(phone: Phone) -> None:
        if phone.sio is not None:
            phone.sio.reconnection = False
            await phone.sio.disconnect()

    await asyncio.gather(*(one(p) for p in phones), return_exceptions=True)
