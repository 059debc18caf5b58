"""One server process among several: its name in session ids, a graceful stop, and its share.

Behind nginx (deploy/install.sh), N processes share PostgreSQL and Redis:

* **Session ids name their process.** Every Engine.IO session id starts with ``p<port>-``,
  so nginx sends a long-poll or the WebSocket upgrade of a session exactly to the process
  that holds it, whatever happened to the others meanwhile (a cookie or a hash would send a
  session to a process that has just come back and does not know it: "Invalid session").
* **Graceful stop.** On SIGTERM the process stops taking connections (nginx sends new ones
  to the others), finishes and acknowledges every event already received (ballots
  included), then closes its sockets; the phones reconnect through nginx to a live process.
* **Balance.** When a process comes back after a restart, nginx (``least_conn``) gives it
  the new connections; and every ``BALANCE_INTERVAL`` seconds each process posts its socket
  count to Redis, and a process well above the average asks a few of its sockets to
  reconnect, so the load evens out over a minute or two without a stampede.
"""

from __future__ import annotations

import logging
import math
import random
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask

from ..extensions import socketio

log = logging.getLogger(__name__)

KEY = "ruamkit.process"
#: a stop closes the sockets once no event has run for this long (seconds)
QUIET = 0.5


@dataclass
class ProcessState:
    """What this process knows of itself (one per app)."""

    node: str = ""
    draining: bool = False
    in_flight: int = 0
    #: time.monotonic() when the last socket event finished
    last_finished: float = 0.0
    #: whether the last balance check found this process well above the others
    above: bool = False
    #: limits how many sockets are identified at once (connect_gate)
    gate: Any = None


def state(app: Flask) -> ProcessState:
    found = app.extensions.get(KEY)
    if found is None:
        found = app.extensions[KEY] = ProcessState()
    return found


def name_sessions(app: Flask, port: int) -> str:
    """Engine.IO session ids of this process start with ``p<port>-`` (see nginx's sid map)."""
    node = f"p{port}"
    state(app).node = node
    eio = socketio.server.eio if socketio.server is not None else None
    if eio is not None:
        original = eio.generate_id
        eio.generate_id = lambda: f"{node}-{original()}"
    return node


def connect_gate(app: Flask) -> Any:
    """At most CONNECT_CONCURRENCY sockets being identified at once (a semaphore per app)."""
    me = state(app)
    if me.gate is None:  # threading is gevent's under `run.py serve` (monkey-patched)
        me.gate = threading.BoundedSemaphore(int(app.config.get("CONNECT_CONCURRENCY", 8)))
    return me.gate


class InFlight:
    """Counts socket events being handled, so a stop can wait for them (a context manager)."""

    __slots__ = ("_state",)

    def __init__(self, app: Flask) -> None:
        self._state = state(app)

    def __enter__(self) -> None:
        self._state.in_flight += 1

    def __exit__(self, *_exc: object) -> None:
        self._state.in_flight -= 1
        self._state.last_finished = time.monotonic()


def _engine_sessions() -> list[str]:
    server = socketio.server
    if server is None:
        return []
    return list(server.eio.sockets)


def _close_sessions(sids: list[str]) -> None:
    """Drop these Engine.IO sessions as a lost connection: the clients reconnect by themselves.

    No CLOSE packet is sent: a client told "closed by the server" (or a Socket.IO
    "disconnect") takes it as final and does not come back; a connection that simply ends
    is retried at once, through nginx, to a live process.
    """
    server = socketio.server
    if server is None:
        return
    eio = server.eio
    for sid in sids:
        socket = eio.sockets.pop(sid, None)
        if socket is None:
            continue
        try:
            socket.close(wait=False, abort=True, reason=eio.reason.TRANSPORT_CLOSE)
        except Exception:  # already closing
            log.debug("session %s was already closing", sid)


def drain(app: Flask, wsgi_server: Any, *, timeout: float) -> dict[str, int]:
    """Stop gracefully: no new connections, events in flight answered, then sockets closed.

    Returns what was done, for the log. Runs in a greenlet of the process being stopped.
    """
    me = state(app)
    me.draining = True
    wsgi_server.stop_accepting()
    try:  # refuse at once rather than queueing in the kernel's backlog
        wsgi_server.socket.close()
    except Exception:
        log.debug("listening socket already closed")
    deadline = time.monotonic() + timeout
    waited_for = me.in_flight
    # until no event has been running for a moment: what phones sent before the stop and is
    # still in the sockets' buffers gets read, handled and acknowledged too
    while time.monotonic() < deadline and (me.in_flight > 0 or time.monotonic() - me.last_finished < QUIET):
        time.sleep(0.02)
    # acknowledgements are written by the handlers' greenlets: let them reach the wire
    time.sleep(0.2)
    sessions = _engine_sessions()
    _close_sessions(sessions)
    time.sleep(0.3)
    return {"events_waited_for": waited_for, "events_unfinished": max(me.in_flight, 0),
            "sockets_closed": len(sessions)}


def install_sigterm(app: Flask, wsgi_server_getter: Any) -> None:
    """On SIGTERM (and SIGINT), drain then stop the WSGI server (gevent only)."""
    import gevent

    def stop() -> None:
        server = wsgi_server_getter()
        if server is None or state(app).draining:
            return
        done = drain(app, server, timeout=float(app.config.get("DRAIN_TIMEOUT", 10)))
        log.warning("stopped gracefully: %(events_waited_for)d events finished, "
                    "%(events_unfinished)d unfinished, %(sockets_closed)d sockets closed", done)
        server.close()

    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, lambda: gevent.spawn(stop))


# --- balance across processes ---------------------------------------------------------------

def sockets_to_move(mine: int, others: list[int]) -> int:
    """How many sockets this process should ask to reconnect elsewhere now.

    Only a process clearly above the average of all processes moves any (more than 20%
    and at least 10 sockets above it), and only a quarter of its excess at a time, at most
    200: repeated every interval, the load converges without a stampede of reconnections.
    """
    if not others:
        return 0
    mean = (mine + sum(others)) / (len(others) + 1)
    excess = mine - mean
    if excess < 10 or mine <= mean * 1.2:
        return 0
    return min(200, math.ceil(excess / 4))


def _load_key(channel: str, node: str) -> str:
    return f"{channel}:load:{node}"


def _movable_sessions(app: Flask, settled_since: float) -> list[str]:
    """Engine.IO ids of residents' sockets connected before ``settled_since`` (projectors and
    facilitators stay where they are: a projector that blinks is seen by the whole hall)."""
    from .identity import connections

    server = socketio.server
    if server is None:
        return []
    found = []
    for sid, identity in list(connections(app).items()):
        if identity.kind != "participant" or identity.connected_at > settled_since:
            continue
        eio_sid = server.manager.eio_sid_from_sid(sid, "/")
        if eio_sid is not None:
            found.append(eio_sid)
    return found


def balance_once(app: Flask, client: Any) -> int:
    """Post this process's socket count and move a share of sockets if it is far above the rest.

    Acts only when it was above the others at the previous check too (not in the middle of
    a wave of phones joining), and moves only residents' sockets that have been connected
    for a whole interval.
    """
    me = state(app)
    if me.draining or not me.node:
        return 0
    channel = app.config["MESSAGE_QUEUE_CHANNEL"]
    interval = float(app.config.get("BALANCE_INTERVAL", 10))
    count_now = len(_engine_sessions())
    client.set(_load_key(channel, me.node), count_now, ex=max(3, int(interval * 3)))
    others = []
    for key in client.scan_iter(match=_load_key(channel, "*"), count=100):
        name = key.decode() if isinstance(key, bytes) else str(key)
        if name != _load_key(channel, me.node):
            value = client.get(key)
            if value is not None:
                others.append(int(value))
    wanted = sockets_to_move(count_now, others)
    was_above, me.above = me.above, wanted > 0
    if not (wanted and was_above):
        return 0
    movable = _movable_sessions(app, time.time() - interval)
    moved = random.sample(movable, min(wanted, len(movable)))
    _close_sessions(moved)
    if moved:
        log.info("balance: %d of %d sockets asked to reconnect (others: %s)", len(moved), count_now, others)
    return len(moved)


def start_balancer(app: Flask) -> None:
    """Every BALANCE_INTERVAL seconds (with a message queue only)."""
    url = app.config.get("MESSAGE_QUEUE")
    interval = float(app.config.get("BALANCE_INTERVAL", 0) or 0)
    if not url or interval <= 0:
        return
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def loop() -> None:
        while not state(app).draining:
            socketio.sleep(interval * random.uniform(0.8, 1.2))
            try:
                balance_once(app, client)
            except Exception as exc:  # Redis away: try again next time
                log.debug("balance check skipped: %s", exc)

    socketio.start_background_task(loop)


# --- the message queue, as the console shows it ---------------------------------------------

def queue_health_changed(app: Flask, healthy: bool) -> None:
    """Tell this process's facilitator sockets (locally: the queue itself may be down)."""
    from .identity import connections

    server = socketio.server
    if server is None:
        return
    for sid, identity in list(connections(app).items()):
        if identity.kind == "facilitator":
            server.emit("queue", {"ok": healthy}, to=sid, ignore_queue=True)
