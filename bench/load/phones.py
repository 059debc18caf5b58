"""A generator process: many simulated phones on one asyncio loop.

Each phone is a python-socketio ``AsyncClient`` over WebSocket only, sharing one
aiohttp session (no cookies, no connection limit) with the other phones of its
process. The harness drives the process through a ``multiprocessing`` pipe:

    -> ("join", {...})          join (POST /api/v1/join) then connect, on a schedule
    <- ("joined", {...})
    -> ("plan", [ballots])      this process's ballots of the next phase
    -> ("steady", {...})        or: a soak's steady phase, its ballots made here as they go
    -> ("go", t_start)          the stage is open: vote at t_start + each offset
    <- ("voted", {...})         one record per ballot sent (a soak: a compact summary)
    -> ("stop", None)           disconnect every phone and exit
    <- ("stopped", {...})

With ``reconnect`` (the deploy scenario), a phone whose socket ends connects again as the
page's socket.io client does (first attempt after 0.5-1.5 s, then twice as long, at most
5 s, randomised) and re-sends a ballot that was not acknowledged, with the same
``ballot_id``; its record's time then runs from the first send to the acknowledgement.
Each outage (socket ended -> connected again) is reported with the phase.

Times are ``time.monotonic()``: one clock for every process of the machine (Linux
CLOCK_MONOTONIC), so the harness compares them across processes.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import gc
import logging
import random
import resource
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .ballots import compact_id, random_choices, set_bit

#: every await on the network is bounded
JOIN_TIMEOUT = 30.0
CONNECT_TIMEOUT = 30.0
ACK_TIMEOUT = 30.0


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return want


@dataclass
class Phone:
    index: int  # global phone number
    url: str
    group: str
    token: str | None = None
    sio: Any = None
    state_times: list[float] = field(default_factory=list)  # `state` events of the phase
    disconnected: int = 0
    ballots: list[tuple[Any, ...]] = field(default_factory=list)
    #: set while the socket is connected (reconnect mode)
    up: asyncio.Event = field(default_factory=asyncio.Event)
    #: set when the current socket ends (a new one for each connection)
    down: asyncio.Event = field(default_factory=asyncio.Event)
    #: [socket ended, connected again (None while it is not)] for each outage
    outages: list[list[float | None]] = field(default_factory=list)

    @property
    def process(self) -> str:
        """The server process holding the socket: its Engine.IO id's prefix (``p5001``)."""
        sid = getattr(getattr(self.sio, "eio", None), "sid", None) or ""
        return sid.split("-", 1)[0] if self.up.is_set() else ""


class Generator:
    def __init__(self, conn: Any, wid: int) -> None:
        self.conn = conn
        self.wid = wid
        self.phones: dict[int, Phone] = {}
        self.http: Any = None
        self.inbox: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.loop_lag: array.array[float] = array.array("d")
        self._lag_on = False
        #: collections, longest and total pause (s) while measuring: a soak's half hour of
        #: collections kept as three numbers, not a list
        self.gc_pauses = [0, 0.0, 0.0]
        self._gc_t = 0.0
        gc.callbacks.append(self._gc)
        self.reconnect = False
        self.stopping = False
        self.resent = 0
        self.deadline = time.monotonic() + 3600
        self.rng = random.Random(wid)

    def _gc(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_t = time.perf_counter()
        elif self._lag_on:
            pause = time.perf_counter() - self._gc_t
            self.gc_pauses[0] += 1
            self.gc_pauses[1] = max(self.gc_pauses[1], pause)
            self.gc_pauses[2] += pause

    # -- pipe ---------------------------------------------------------------
    def _readable(self) -> None:
        try:
            msg = self.conn.recv()
        except EOFError:
            msg = ("stop", None)
        self.inbox.put_nowait(msg)

    async def _ticker(self) -> None:
        """Event-loop lag: how late a 50 ms sleep wakes up (generator saturation)."""
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.05)
            if self._lag_on:
                self.loop_lag.append(time.monotonic() - t - 0.05)

    async def run(self) -> None:
        import aiohttp

        loop = asyncio.get_running_loop()
        loop.add_reader(self.conn.fileno(), self._readable)
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, force_close=False),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=JOIN_TIMEOUT),
        )
        ticker = asyncio.create_task(self._ticker())
        plan: list[tuple[Any, ...]] | dict[str, Any] = []
        deadline = time.monotonic() + 3600  # until the harness sets the run's deadline
        try:
            while True:
                try:
                    kind, body = await asyncio.wait_for(self.inbox.get(),
                                                        max(0.0, deadline - time.monotonic()))
                except TimeoutError:
                    break  # the harness is gone or stuck: stop by ourselves
                if kind == "join":
                    deadline = self.deadline = body.get("deadline", deadline)
                    self.reconnect = bool(body.get("reconnect"))
                    self.conn.send(("joined", await self.join(body)))
                elif kind in ("plan", "steady"):
                    plan = body
                    for phone in self.phones.values():
                        phone.state_times.clear()
                elif kind == "go":
                    voted = (await self.vote_steady(plan, body) if isinstance(plan, dict)
                             else await self.vote(plan, body))
                    self.conn.send(("voted", voted))
                elif kind == "stop":
                    break
        finally:
            ticker.cancel()
            await self.disconnect_all()
            await self.http.close()
            loop.remove_reader(self.conn.fileno())
        self.conn.send(("stopped", {"disconnects": sum(p.disconnected for p in self.phones.values())}))

    # -- joining ------------------------------------------------------------
    async def join(self, body: dict[str, Any]) -> dict[str, Any]:
        t0: float = body["t0"]
        code: str = body["code"]
        tasks = [asyncio.create_task(self._join_one(p, code, t0 + offset))
                 for p, offset in ((Phone(i, url, group), off) for i, url, group, off in body["phones"])]
        self._lag_on = True
        results = await asyncio.gather(*tasks)
        self._lag_on = False
        out: dict[str, Any] = {"join_ms": [], "connect_ms": [], "join_errors": [], "connect_errors": [],
                               "tokens": {}, "connected": []}
        for phone, (join_ms, connect_ms, error) in results:
            if error is None:
                self.phones[phone.index] = phone
                out["tokens"][phone.index] = phone.token
                out["connected"].append(phone.index)
                out["join_ms"].append(join_ms)
                out["connect_ms"].append(connect_ms)
            elif error[0] == "join":
                out["join_errors"].append(error[1])
            else:
                out["connect_errors"].append(error[1])
                out["tokens"][phone.index] = phone.token  # joined: counts as a participant
        out["loop_lag"] = self._take_lag()
        out["gc"] = self._take_gc()
        # The phones' objects live until the end: keep the collector from scanning them again
        # and again during the phases (a full collection over 1,000 clients takes ~0.5 s).
        gc.collect()
        gc.freeze()
        return out

    async def _join_one(self, phone: Phone, code: str, at: float) -> tuple[Phone, tuple[Any, ...]]:
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        t = time.monotonic()
        try:
            async with self.http.post(f"{phone.url}/api/v1/join",
                                      json={"code": code, "group": phone.group}) as resp:
                body = await resp.json(content_type=None)
                if resp.status != 201:
                    return phone, (0, 0, ("join", f"HTTP {resp.status}: {str(body)[:200]}"))
            phone.token = body["participant"]
        except Exception as exc:
            return phone, (0, 0, ("join", f"{type(exc).__name__}: {exc}"[:200]))
        t1 = time.monotonic()
        error = await self._connect(phone)
        if error is not None:
            return phone, (0, 0, ("connect", error))
        return phone, ((t1 - t) * 1000, (time.monotonic() - t1) * 1000, None)

    async def _connect(self, phone: Phone) -> str | None:
        """A new socket for the phone (WebSocket only); None once connected, else the error."""
        import socketio

        sio = socketio.AsyncClient(reconnection=False, http_session=self.http, handle_sigint=False,
                                   request_timeout=CONNECT_TIMEOUT)

        @sio.on("state")
        def _state(_data: Any) -> None:
            if len(phone.state_times) < 32:
                phone.state_times.append(time.monotonic())

        @sio.event
        def disconnect(*_args: Any) -> None:
            if phone.sio is not sio or not phone.up.is_set():
                return  # a client that never connected, or one already replaced
            phone.disconnected += 1
            phone.up.clear()
            phone.down.set()
            if self.reconnect and not self.stopping:
                phone.outages.append([time.monotonic(), None])
                asyncio.get_running_loop().create_task(self._reconnect(phone))

        try:
            await asyncio.wait_for(
                sio.connect(phone.url, auth={"participant": phone.token}, transports=["websocket"],
                            wait_timeout=CONNECT_TIMEOUT),
                CONNECT_TIMEOUT + 5)
        except Exception as exc:
            with contextlib.suppress(Exception):
                await sio.disconnect()
            return f"{type(exc).__name__}: {exc}"[:200]
        phone.sio = sio
        phone.down = asyncio.Event()
        phone.up.set()
        return None

    async def _reconnect(self, phone: Phone) -> None:
        """What the page's socket.io client does when its socket ends: try again, backing off."""
        attempt = 0
        while not self.stopping and time.monotonic() < self.deadline:
            delay = min(1.0 * 2 ** attempt, 5.0)
            await asyncio.sleep(delay * self.rng.uniform(0.5, 1.5))
            attempt += 1
            if self.stopping:
                return
            if await self._connect(phone) is None:
                phone.outages[-1][1] = time.monotonic()
                return

    # -- voting -------------------------------------------------------------
    async def vote(self, plan: list[tuple[Any, ...]], times: tuple[float, float]) -> dict[str, Any]:
        """plan: (phone, offset, stage, choices, ballot_id, mode), mode normal|retry|duplicate.

        times: (when the harness asked to open the stage, when it was open = t_start).
        """
        t_asked, t_start = times
        by_phone: dict[int, list[tuple[Any, ...]]] = {}
        for entry in plan:
            by_phone.setdefault(entry[0], []).append(entry)
        records: list[tuple[Any, ...]] = []
        self._lag_on = True
        await asyncio.gather(*(self._phone_votes(i, sorted(b, key=lambda e: e[1]), t_start, records)
                               for i, b in by_phone.items()))
        self._lag_on = False
        out: dict[str, Any] = {}
        if self.reconnect:
            # phones whose socket ended after their last ballot are still coming back: wait (bounded)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*(p.up.wait() for p in self.phones.values())),
                                       2 * CONNECT_TIMEOUT)
            out["outages"] = [(t_down, t_up) for p in self.phones.values() for t_down, t_up in p.outages
                              if t_down is not None and t_down >= t_asked]
            out["processes"] = dict(Counter(p.process for p in self.phones.values()))
            out["resent"], self.resent = self.resent, 0
        # the first `state` each phone got after the opening was asked for
        states = [min(t for t in p.state_times if t >= t_asked) for p in self.phones.values()
                  if any(t >= t_asked for t in p.state_times)]
        return {"records": records, "state_at": states, "loop_lag": self._take_lag(), "gc": self._take_gc(),
                "phones": len(self.phones),
                "disconnects": sum(p.disconnected for p in self.phones.values()), **out}

    async def _phone_votes(self, index: int, ballots: list[tuple[Any, ...]], t_start: float,
                           records: list[tuple[Any, ...]]) -> None:
        phone = self.phones.get(index)
        for _i, offset, stage, choices, ballot_id, mode in ballots:
            t_sched = t_start + offset
            await asyncio.sleep(max(0.0, t_sched - time.monotonic()))
            data = {"stage": stage, "choices": choices, "ballot_id": ballot_id}
            if phone is None or phone.sio is None or (not self.reconnect and not phone.sio.connected):
                records.append((index, stage, ballot_id, "normal", t_sched, None, None, False, None,
                                "not_connected"))
                continue
            if mode == "duplicate":
                copies = await asyncio.gather(self._send(phone, data), self._send(phone, data))
            else:
                copies = [await self._send(phone, data)]
                if mode == "retry":
                    copies.append(await self._send(phone, data))
            for n, (t_send, t_ack, ok, version, code) in enumerate(copies):
                kind = "normal" if n == 0 else ("retry" if mode == "retry" else "duplicate")
                records.append((index, stage, ballot_id, kind, t_sched, t_send, t_ack, ok, version, code))

    async def _send(self, phone: Phone, data: dict[str, Any]) -> tuple[Any, ...]:
        t_send = time.monotonic()
        if self.reconnect:
            return await self._send_until_acked(phone, data, t_send)
        try:
            ack = await phone.sio.call("ballot", data, timeout=ACK_TIMEOUT)
        except Exception as exc:  # socketio.exceptions.TimeoutError, BadNamespaceError, ...
            return t_send, None, False, None, f"client:{type(exc).__name__}"
        return self._outcome(t_send, ack)

    async def _send_until_acked(self, phone: Phone, data: dict[str, Any], t_send: float) -> tuple[Any, ...]:
        """Send; if the socket ends before the acknowledgement, wait for the phone to connect
        again and send the same ballot again (within ACK_TIMEOUT of the first send)."""
        deadline = t_send + ACK_TIMEOUT
        sends = 0
        while (remaining := deadline - time.monotonic()) > 0:
            if not phone.up.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(phone.up.wait(), remaining)
                continue
            sio, down = phone.sio, phone.down
            sends += 1
            if sends > 1:
                self.resent += 1
            call = asyncio.ensure_future(sio.call("ballot", data, timeout=remaining))
            ended = asyncio.ensure_future(down.wait())
            await asyncio.wait({call, ended}, return_when=asyncio.FIRST_COMPLETED)
            ended.cancel()
            if not call.done():
                call.cancel()  # the socket ended first: this acknowledgement will never come
                continue
            try:
                ack = call.result()
            except Exception as exc:  # TimeoutError, or the socket ended under the call
                if phone.sio is sio and phone.up.is_set():
                    return t_send, None, False, None, f"client:{type(exc).__name__}"
                continue
            return self._outcome(t_send, ack)
        return t_send, None, False, None, "client:TimeoutError" if sends else "not_connected"

    # -- a soak: ballots made as they go, acknowledgements kept compact -----------------
    async def vote_steady(self, spec: dict[str, Any], times: tuple[float, float]) -> dict[str, Any]:
        """A steady phase whose ballots are made here, one at a time, on schedule.

        spec: rate (this process's ballots/s), duration, offset (s, staggers the processes),
        phones (this process's voters), stages (key -> definition), seed, prefix (of the
        compact ballot ids), retry_fraction, duplicate_fraction, seen ([phone, stage] pairs
        that voted in an earlier phase). What comes back is bounded by phones x stages plus
        12 bytes per acknowledgement (:class:`Compact`), whatever the duration.
        """
        _t_asked, t_start = times
        rng = random.Random(spec["seed"])
        phones: list[int] = spec["phones"]
        stages: dict[str, Any] = spec["stages"]
        keys = sorted(stages)
        seen = {(int(p), str(s)) for p, s in spec.get("seen", [])}
        total = int(spec["rate"] * spec["duration"])
        tally = Compact(total)
        locks: dict[int, asyncio.Lock] = {}
        running: set[asyncio.Task[None]] = set()
        dup, retry = spec["duplicate_fraction"], spec["retry_fraction"]
        self._lag_on = True
        for seq in range(total if phones else 0):
            t_sched = t_start + spec["offset"] + seq / spec["rate"]
            await asyncio.sleep(max(0.0, t_sched - time.monotonic()))
            index, key = rng.choice(phones), rng.choice(keys)
            r = rng.random()
            mode = "duplicate" if r < dup else ("retry" if r < dup + retry else "normal")
            first = (index, key) not in seen
            seen.add((index, key))
            task = asyncio.create_task(self._steady_one(
                tally, locks.setdefault(index, asyncio.Lock()), index, key,
                random_choices(stages[key], rng), compact_id(spec["prefix"], self.wid, seq), seq, mode,
                t_sched, first))
            running.add(task)
            task.add_done_callback(running.discard)
        if running:  # each is bounded by ACK_TIMEOUT per copy
            await asyncio.wait(set(running), timeout=4 * ACK_TIMEOUT)
        self._lag_on = False
        states = [min(t for t in p.state_times if t >= _t_asked) for p in self.phones.values()
                  if any(t >= _t_asked for t in p.state_times)]
        return {"records": [], "compact": tally.summary(), "state_at": states, "loop_lag": self._take_lag(),
                "gc": self._take_gc(), "phones": len(self.phones),
                "disconnects": sum(p.disconnected for p in self.phones.values())}

    async def _steady_one(self, tally: Compact, lock: asyncio.Lock, index: int, stage: str,
                          choices: dict[str, Any], ballot_id: str, seq: int, mode: str, t_sched: float,
                          first: bool) -> None:
        async with lock:  # a phone waits for its acknowledgement before its next ballot
            phone = self.phones.get(index)
            data = {"stage": stage, "choices": choices, "ballot_id": ballot_id}
            if phone is None or phone.sio is None or not phone.sio.connected:
                tally.add(index, stage, ballot_id, choices, seq, mode, t_sched,
                          [(None, None, False, None, "not_connected")], first)
                return
            if mode == "duplicate":
                copies = list(await asyncio.gather(self._send(phone, data), self._send(phone, data)))
            else:
                copies = [await self._send(phone, data)]
                if mode == "retry":
                    copies.append(await self._send(phone, data))
            tally.add(index, stage, ballot_id, choices, seq, mode, t_sched, copies, first)

    @staticmethod
    def _outcome(t_send: float, ack: Any) -> tuple[Any, ...]:
        t_ack = time.monotonic()
        if isinstance(ack, dict) and ack.get("ok") is True:
            return t_send, t_ack, True, ack.get("version"), None
        code = (ack or {}).get("error", {}).get("code") if isinstance(ack, dict) else "bad_ack"
        return t_send, t_ack, False, None, str(code)

    def _take_lag(self) -> array.array[float]:
        lag, self.loop_lag = self.loop_lag, array.array("d")
        return lag

    def _take_gc(self) -> dict[str, float]:
        (count, longest, total), self.gc_pauses = self.gc_pauses, [0, 0.0, 0.0]
        return {"collections": count, "max_ms": round(longest * 1000, 1), "total_ms": round(total * 1000, 1)}

    async def disconnect_all(self) -> None:
        self.stopping = True

        async def one(phone: Phone) -> None:
            if phone.sio is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(phone.sio.disconnect(), 5)

        await asyncio.gather(*(one(p) for p in self.phones.values()))


class Compact:
    """A soak phase's acknowledgements in bounded memory: per acknowledged copy its send
    time and latency (12 bytes), one bit per acknowledged ballot, counts, the current
    ballot of each (phone, stage), and full records only for each pair's first ballot
    (the projector lag needs them)."""

    def __init__(self, total: int) -> None:
        self.t_send: array.array[float] = array.array("d")
        self.latency_ms: array.array[float] = array.array("f")
        self.schedule_lag_ms: array.array[float] = array.array("f")
        self.acked_bits = bytearray((total + 7) // 8)
        self.sent = self.copies = self.acked = self.timeouts = 0
        self.errors: Counter[str] = Counter()
        self.mismatch = {"retry": 0, "duplicate": 0}
        #: (phone, stage) -> (version, ballot_id, choices, time of its last acknowledgement)
        self.current: dict[tuple[int, str], tuple[int, str, Any, float]] = {}
        self.first_records: list[tuple[Any, ...]] = []
        self.t_first_send: float | None = None
        self.t_last_ack: float | None = None

    def add(self, phone: int, stage: str, ballot_id: str, choices: Any, seq: int, mode: str,
            t_sched: float, copies: list[tuple[Any, ...]], first: bool) -> None:
        """One ballot's copies: (t_send, t_ack, ok, version, code) each, the first the original."""
        self.sent += 1
        self.copies += len(copies) - 1
        first_version = None
        for n, (t_send, t_ack, ok, version, code) in enumerate(copies):
            kind = "normal" if n == 0 else ("retry" if mode == "retry" else "duplicate")
            if first:
                self.first_records.append((phone, stage, ballot_id, kind, t_sched, t_send, t_ack, ok,
                                           version, code))
            if n == 0 and t_send is not None:
                self.schedule_lag_ms.append((t_send - t_sched) * 1000)
                self.t_first_send = t_send if self.t_first_send is None else min(self.t_first_send, t_send)
            if not ok:
                self.errors[str(code)] += 1
                if code and str(code).startswith("client:"):
                    self.timeouts += 1
                continue
            self.t_send.append(t_send)
            self.latency_ms.append((t_ack - t_send) * 1000)
            self.t_last_ack = t_ack if self.t_last_ack is None else max(self.t_last_ack, t_ack)
            if n == 0:
                self.acked += 1
            if first_version is None:
                first_version = version
                set_bit(self.acked_bits, seq)
            elif version != first_version:
                self.mismatch[kind] += 1
            now = self.current.get((phone, stage))
            if now is None or version > now[0] or (version == now[0] and t_ack > now[3]):
                self.current[(phone, stage)] = (version, ballot_id, choices, t_ack)

    def summary(self) -> dict[str, Any]:
        return {"t_send": self.t_send.tobytes(), "latency_ms": self.latency_ms.tobytes(),
                "schedule_lag_ms": self.schedule_lag_ms.tobytes(), "acked_bits": bytes(self.acked_bits),
                "sent": self.sent, "copies": self.copies, "acked": self.acked, "timeouts": self.timeouts,
                "errors": dict(self.errors), "mismatch": dict(self.mismatch),
                "current": [(p, s, *v) for (p, s), v in self.current.items()],
                "first_records": self.first_records, "t_first_send": self.t_first_send,
                "t_last_ack": self.t_last_ack}


def worker_main(conn: Any, wid: int) -> None:
    """Entry point of a generator process (multiprocessing, spawn)."""
    raise_nofile()
    logging.basicConfig(level=logging.ERROR)
    # a phone whose connection drops is counted by the harness; no log line per phone
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    asyncio.run(Generator(conn, wid).run())
