"""The honest phones and the attacks of the abuse benchmark (issue 14), one coroutine each.

Every attack takes the run's `Room` and the seconds it may last, stops by itself within
them (plus bounded waits for answers), and returns what happened to it as a dict of
plain figures. All traffic goes to the server on 127.0.0.1; the sign-in flood also uses
other loopback source addresses (127.0.0.2-9), as an attacker with several addresses.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import shutil
import string
import subprocess
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import socketio

from bench.load.stats import percentiles

ANSWER_CHARS = 40  # domain.methods.MAX_WORD_LENGTH: the longest answer a words ballot takes
DEEP = "[" * 5000 + "]" * 5000


@dataclass
class Room:
    """The server under attack, as the attacks see it."""

    url: str
    code: str
    workshop_id: int
    token: str  # the facilitator's API token

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def join(session: aiohttp.ClientSession, url: str, code: str, group: str = "resident") -> str:
    async with session.post(f"{url}/api/v1/join", json={"code": code, "group": group}) as resp:
        body = await resp.json()
        return str(body["participant"])


async def connect(url: str, token: str) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"participant": token}, transports=["websocket"], wait_timeout=20)
    return client


def timings(values: list[float]) -> dict[str, Any]:
    return percentiles(values)


# -- honest phones -----------------------------------------------------------------------

@dataclass
class Honest:
    """Phones voting steadily: `rate` ballots a second in all, round-robin, each acknowledged."""

    phones: list[socketio.AsyncClient]
    rate: float
    stage: str = "vision"
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _words: itertools.count[int] = field(default_factory=itertools.count)

    def choices(self) -> dict[str, Any]:
        if self.stage == "cloud":  # a resident's answers: a few short entries, many of them shared
            return {"words": [f"ideas {random.randrange(3000)}" for _ in range(random.randint(1, 3))]}
        return {"items": random.sample(["v1", "v2", "v3", "v4", "v5"], random.randint(1, 2))}

    async def _one(self, phone: socketio.AsyncClient) -> None:
        t0 = time.monotonic()
        try:
            ack = await phone.call("ballot", {"stage": self.stage, "choices": self.choices(),
                                              "ballot_id": uuid.uuid4().hex}, timeout=30)
        except Exception as exc:  # timeouts and disconnects are reported, not raised
            self.errors.append(type(exc).__name__)
            return
        if ack and ack.get("ok"):
            self.latencies.append((time.monotonic() - t0) * 1000)
        else:
            self.errors.append((ack or {}).get("error", {}).get("code", "no ack"))

    async def run(self, seconds: float, until: asyncio.Event | None = None) -> None:
        """For `seconds`, or (with `until`) until it is set, at most `seconds` then."""

        async def one(n: int) -> None:
            await self._one(self.phones[n % len(self.phones)])

        await paced(one, self.rate, seconds, until)

    def summary(self) -> dict[str, Any]:
        got = percentiles(self.latencies)
        return {"acked": got["n"], "errors": len(self.errors), "error_kinds": dict(Counter(self.errors)),
                "p50_ms": got["p50"], "p95_ms": got["p95"], "p99_ms": got["p99"], "max_ms": got["max"]}


class Watcher:
    """A phone that only watches: counts the bytes of every event it receives (as JSON text
    in UTF-8, the payload of its WebSocket frames)."""

    def __init__(self, client: socketio.AsyncClient) -> None:
        self.client = client
        self.bytes = 0
        self.messages = 0
        self.largest = 0

        async def any_event(event: str, *args: Any) -> None:
            size = len(json.dumps([event, *args], separators=(",", ":"), ensure_ascii=False).encode())
            self.bytes += size
            self.messages += 1
            self.largest = max(self.largest, size)

        client.on("*", any_event)

    def reset(self) -> None:
        self.bytes = self.messages = self.largest = 0


# -- 1. the word-cloud re-sender ------------------------------------------------------------

async def words_resender(room: Room, seconds: float, token: str) -> dict[str, Any]:
    """One phone re-sending words ballots of 10 new 40-character answers, within its
    allowance (2 ballots a second), each waiting for its answer."""
    client = await connect(room.url, token)
    answers = (f"{n:08d}" + "".join(random.choices(string.ascii_lowercase, k=ANSWER_CHARS - 8))
               for n in itertools.count())
    tally: Counter[str] = Counter()
    one_at_a_time = asyncio.Lock()
    sent = 0

    async def one(_n: int) -> None:
        nonlocal sent
        async with one_at_a_time:
            ack = await client.call("ballot", {"stage": "cloud", "choices": {"words": [
                next(answers) for _ in range(10)]}, "ballot_id": uuid.uuid4().hex}, timeout=30)
        sent += 1
        tally["ok" if ack and ack.get("ok") else (ack or {}).get("error", {}).get("code", "none")] += 1

    try:
        await paced(one, 1.9, seconds)
    finally:
        await client.disconnect()
    return {"ballots_sent": sent, "answers_sent": sent * 10, "answers": dict(tally)}


# -- 2. the sign-in flood --------------------------------------------------------------------

async def signin_flood(room: Room, seconds: float, rate: float = 10.0, addresses: int = 8) -> dict[str, Any]:
    """`rate` sign-ins a second over /api/v1/auth/token, each with a made-up user name, spread
    over `addresses` loopback source addresses (each has its own per-address allowance)."""
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(f"127.0.0.{2 + a}", 0)))
                for a in range(addresses)]
    statuses: Counter[str] = Counter()
    took: list[float] = []

    async def one(n: int) -> None:
        t0 = time.monotonic()
        body = {"username": f"nobody-{uuid.uuid4().hex[:12]}", "password": uuid.uuid4().hex}
        try:
            async with sessions[n % addresses].post(f"{room.url}/api/v1/auth/token", json=body,
                                                    timeout=aiohttp.ClientTimeout(total=30)) as resp:
                await resp.read()
                statuses[str(resp.status)] += 1
        except Exception as exc:
            statuses[type(exc).__name__] += 1
        took.append((time.monotonic() - t0) * 1000)

    try:
        await paced(one, rate, seconds)
    finally:
        for s in sessions:
            await s.close()
    return {"requests": sum(statuses.values()), "rate": rate, "addresses": addresses,
            "statuses": dict(statuses), "answer_ms": timings(took)}


async def paced(one: Callable[[int], Coroutine[Any, Any, None]], rate: float, seconds: float,
                until: asyncio.Event | None = None) -> None:
    """The one send loop of every sender here: start `one(n)` `rate` times a second for
    `seconds` (or until `until` is set), then wait (bounded) for them all to finish."""
    start = time.monotonic()
    pending: set[asyncio.Task[None]] = set()
    n = 0
    while (elapsed := time.monotonic() - start) < seconds and not (until and until.is_set()):
        while n < int(elapsed * rate):
            task = asyncio.create_task(one(n))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.sleep(0.005)
    if pending:
        await asyncio.wait(pending, timeout=35)


# -- 3. the max-size export -------------------------------------------------------------------

async def max_size_export(room: Room, seconds: float, workshop_id: int, done: asyncio.Event,
                          limit: float = 240.0) -> dict[str, Any]:
    """A facilitator asks for the PDF plan draft of a workshop at the file limits; while it
    renders, a second export (JSON) is asked every 0.5 s until one is refused. `done` is
    set when the first has its answer (the honest phases last as long), at most `limit` s."""
    out: dict[str, Any] = {}
    base = f"{room.url}/api/v1/workshops/{workshop_id}/export"
    timeout = aiohttp.ClientTimeout(total=limit)
    async with aiohttp.ClientSession(headers=room.auth, timeout=timeout) as session:

        async def first() -> None:
            t0 = time.monotonic()
            try:
                async with session.get(base, params={"format": "pdf"}) as resp:
                    body = await resp.read()
                    out.update(status=resp.status, bytes=len(body), pdf=body.startswith(b"%PDF"))
                    if body.startswith(b"%PDF"):
                        out["pages"] = pdf_pages(body)
            except Exception as exc:
                out["status"] = type(exc).__name__
            out["seconds"] = round(time.monotonic() - t0, 1)
            done.set()

        task = asyncio.create_task(first())
        second: dict[str, Any] = {}
        deadline = time.monotonic() + min(limit, max(seconds, 20.0))
        while not done.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            async with session.get(base, params={"format": "json"}) as resp:
                body = await resp.read()
                second = {"status": resp.status, "retry_after": resp.headers.get("Retry-After")}
                if resp.status != 200:
                    with contextlib.suppress(ValueError):
                        second["code"] = json.loads(body)["error"]["code"]
                    break
        await asyncio.wait({task}, timeout=limit)
    out["second_export"] = second
    return out


def pdf_pages(content: bytes) -> int | None:
    """Pages of a PDF by poppler's pdfinfo (None without it)."""
    if shutil.which("pdfinfo") is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, timeout=60).stdout
    return next((int(line.split()[-1]) for line in info.splitlines() if line.startswith("Pages:")), None)


# -- 4. the quadratic body -----------------------------------------------------------------

def unknown_fields_body(count: int) -> bytes:
    """A small valid workshop plus `count` unknown fields (16,000: about 200 KB)."""
    doc: dict[str, Any] = {"title": "Abuse", "languages": ["th"], "groups": [
        {"key": "resident", "label": "Residents"}], "stages": [
        {"key": "s1", "kind": "vision", "title": "S", "method": "approval",
         "items": [{"key": "a", "title": "A"}]}]}
    doc.update({f"x{n:05d}": 1 for n in range(count)})
    return json.dumps(doc).encode()


async def unknown_fields_posts(room: Room, seconds: float, count: int = 16000) -> dict[str, Any]:
    """A facilitator POSTs the body to /api/v1/workshops back to back (one at a time)."""
    body = unknown_fields_body(count)
    statuses: Counter[str] = Counter()
    took: list[float] = []
    headers = {**room.auth, "Content-Type": "application/json"}
    start = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        while time.monotonic() - start < seconds:
            t0 = time.monotonic()
            async with session.post(f"{room.url}/api/v1/workshops", data=body, headers=headers) as resp:
                await resp.read()
                statuses[str(resp.status)] += 1
            took.append((time.monotonic() - t0) * 1000)
    return {"fields": count, "body_kb": round(len(body) / 1024), "statuses": dict(statuses),
            "answer_ms": timings(took)}


# -- 5. half-sent requests --------------------------------------------------------------------

async def half_sent(room: Room, seconds: float, connections: int = 300, drip: float = 1.0) -> dict[str, Any]:
    """`connections` requests whose headers never end (one more header line every `drip`
    seconds), each opened again as soon as the server closes it, for `seconds`."""
    host, port = urlsplit(room.url).hostname or "127.0.0.1", urlsplit(room.url).port or 80
    held: list[float] = []
    answers: Counter[str] = Counter()
    opened = 0
    start = time.monotonic()

    async def one_slot() -> None:
        nonlocal opened
        while time.monotonic() - start < seconds:
            t0 = time.monotonic()
            try:
                reader, writer = await asyncio.open_connection(host, port)
            except OSError as exc:
                answers[type(exc).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            opened += 1
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            closed = False
            try:
                while time.monotonic() - start < seconds:
                    try:
                        got = await asyncio.wait_for(reader.read(256), timeout=drip)
                    except TimeoutError:
                        writer.write(b"X-Slow: 1\r\n")
                        await writer.drain()
                        continue
                    answers[got.split(b" ")[1].decode() if got.startswith(b"HTTP/") else "closed"] += 1
                    closed = True
                    break
            except OSError:
                answers["reset"] += 1
                closed = True
            finally:
                writer.close()
            if closed:
                held.append(time.monotonic() - t0)

    await asyncio.gather(*(one_slot() for _ in range(connections)))
    return {"connections": connections, "opened": opened, "closed_by_server": len(held),
            "answers": dict(answers), "held_s": {k: (None if v is None else round(v / 1000, 1))
                                                  for k, v in percentiles([h * 1000 for h in held]).items()
                                                  if k != "n"}}


# -- 6. many sockets for one participant ----------------------------------------------------

async def many_sockets(room: Room, seconds: float, token: str, attempts: int = 500,
                       at_once: int = 20) -> dict[str, Any]:
    """`attempts` socket connections with one participant token, `at_once` at a time; the
    accepted ones are kept open until the end."""
    kept: list[socketio.AsyncClient] = []
    refused = 0
    start = time.monotonic()
    gate = asyncio.Semaphore(at_once)

    async def one() -> None:
        nonlocal refused
        async with gate:
            if time.monotonic() - start > seconds:
                return
            client = socketio.AsyncClient(reconnection=False)
            try:
                await client.connect(room.url, auth={"participant": token}, transports=["websocket"],
                                     wait_timeout=10)
                kept.append(client)
            except Exception:
                refused += 1

    await asyncio.gather(*(one() for _ in range(attempts)))
    tried = len(kept) + refused
    await asyncio.sleep(max(0.0, start + seconds - time.monotonic()))
    still = sum(1 for c in kept if c.connected)
    for client in kept:
        with contextlib.suppress(Exception):
            await client.disconnect()
    return {"attempts": tried, "accepted": len(kept), "refused": refused, "connected_at_end": still}


# -- 7. deep JSON and huge integers ---------------------------------------------------------

SOCKET_PAYLOADS = [
    DEEP,
    '{"stage": "vision", "choices": ' + DEEP + "}",
    '{"stage": "vision", "choices": {"items": ["v1"]}, "ballot_id": ' + "9" * 4300 + "}",
    '{"stage": "vision", "choices": {"items": [' + "9" * 4301 + "]}}",
]
HTTP_PATHS = ("/api/v1/join", "/api/v1/auth/token", "/csp-report", "/api/v1/workshops")


async def deep_json(room: Room, seconds: float, token: str, rate: float = 10.0) -> dict[str, Any]:
    """One phone sends hand-written deep and huge-integer packets (`rate` a second, each
    waiting for its answer), and an HTTP client posts 5,000-deep bodies to the four JSON
    endpoints that gave 500 (`rate` a second)."""
    client = await connect(room.url, token)
    acks: Counter[str] = Counter()
    statuses: Counter[str] = Counter()

    async def packet(n: int) -> None:
        got: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def answered(*args: Any) -> None:
            if not got.done():
                got.set_result(args)

        ack_id = client._generate_ack_id("/", answered)
        await client.eio.send(f'2{ack_id}["ballot",{SOCKET_PAYLOADS[n % len(SOCKET_PAYLOADS)]}]')
        try:
            answer = (await asyncio.wait_for(got, timeout=10))[0]
            acks["ok" if answer.get("ok") else answer.get("error", {}).get("code", "?")] += 1
        except TimeoutError:
            acks["no answer"] += 1

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:

        async def post(n: int) -> None:
            path = HTTP_PATHS[n % len(HTTP_PATHS)]
            headers = {"Content-Type": "application/json"}
            if path.endswith("workshops"):
                headers.update(room.auth)
            async with session.post(f"{room.url}{path}", data=DEEP, headers=headers) as resp:
                await resp.read()
                statuses[str(resp.status)] += 1

        await asyncio.gather(paced(packet, rate, seconds), paced(post, rate, seconds))
    connected = client.connected
    await client.disconnect()
    return {"socket_packets": sum(acks.values()), "socket_answers": dict(acks),
            "http_bodies": sum(statuses.values()), "http_statuses": dict(statuses),
            "socket_still_connected": connected}


# -- 8. the ballot flood --------------------------------------------------------------------

async def ballot_flood(room: Room, seconds: float, token: str, rate: int = 1000) -> dict[str, Any]:
    """One socket firing `rate` ballots a second, never waiting for an answer."""
    client = await connect(room.url, token)
    tally: Counter[str] = Counter()

    def counted(ack: Any) -> None:
        tally["ok" if ack and ack.get("ok") else (ack or {}).get("error", {}).get("code", "none")] += 1

    sent = 0

    async def one(_n: int) -> None:
        nonlocal sent
        if client.connected:
            await client.emit("ballot", {"stage": "vision", "choices": {"items": ["v1"]}}, callback=counted)
            sent += 1

    await paced(one, rate, seconds)
    connected = client.connected
    await asyncio.sleep(2)
    await client.disconnect()
    return {"rate": rate, "sent": sent, "answers": dict(tally), "still_connected": connected}
