"""Socket.IO events (contract section 4): parse -> call a service -> acknowledge."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from ..adapters import ratelimit
from ..domain import inbound
from ..extensions import db, socketio
from ..services import ballots, content, participants, results, screens, workshops
from ..services.errors import ServiceError, database_unreachable
from ..services.payloads import public_workshop, resident_results, resident_stage, resident_workshop
from . import process, rooms, signout
from .identity import Identity, connections, identify, seat_token_hash, seats, still_valid

log = logging.getLogger(__name__)


def ok(**body: Any) -> dict[str, Any]:
    return {"ok": True, **body}


def refused(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


#: connect and disconnect: through Flask-SocketIO, in a request context (cookies, Origin)
HANDLERS: dict[str, Callable[..., Any]] = {}
#: event name -> handler(sid, data[, connections, limits]): bound straight to the python-socketio
#: server (``register`` gives it this app's connections and socket limits, found once)
EVENTS: dict[str, Callable[..., dict[str, Any]]] = {}


def register(app: Flask) -> None:
    """Bind every handler to this app's Socket.IO server.

    Events after connect need the app (database, settings), not the HTTP request
    the socket began with: they run in an app context of their own, which costs a
    tenth of the request context Flask-SocketIO would rebuild for every event.
    """
    for name, handler in HANDLERS.items():
        socketio.on_event(name, handler)
    server = socketio.server
    assert server is not None, "socketio.init_app first"
    server.handlers["/"]["connect"] = _seat_check(app, server.handlers["/"]["connect"])
    for name, handler in EVENTS.items():
        server.on(name, _in_app_context(app, handler))


def _in_app_context(app: Flask, handler: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    in_flight = process.InFlight(app)  # a graceful stop waits for these
    limits = ratelimit.SocketLimits(app)
    sockets = connections(app)

    def run(sid: str, data: Any = None, *_more: Any) -> dict[str, Any]:
        with in_flight, app.app_context():
            return handler(sid, data, sockets, limits)

    return run


def event(name: str, *, participants_only: bool = True) -> Callable[..., Any]:
    """Declare a handler that always acknowledges, whatever happens inside."""

    def decorate(fn: Callable[[Identity, dict[str, Any]], dict[str, Any]]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def handler(sid: str, data: Any = None, sockets: dict[str, Identity] | None = None,
                    limits: ratelimit.SocketLimits | None = None) -> dict[str, Any]:
            identity = (connections() if sockets is None else sockets).get(sid)
            if identity is None or not still_valid(identity):
                return refused("not_allowed", "this connection is not signed in")
            if participants_only and identity.kind != "participant":
                return refused("not_allowed", f"only residents send '{name}'")
            if not isinstance(data, dict):
                return refused("invalid", "the event data must be an object")
            found = inbound.problem(data)  # once, at the boundary (issue 14)
            if found is not None:
                return refused("invalid", found.message)
            rate_key = (identity.kind, identity.participant_id or sid)
            if not (ratelimit.socket_allowed(name, rate_key) if limits is None
                    else limits.allowed(name, rate_key)):
                return refused("rate_limited", "too many requests: wait a moment and try again")
            try:
                return fn(identity, data)
            except ServiceError as exc:
                return refused(exc.code, exc.message)
            except Exception as exc:
                if database_unreachable(exc):
                    log.error("socket event %s: the database is out of reach (%s)", name, exc)
                    return refused("unavailable", "the server cannot store this right now; "
                                   "it was not saved: send it again in a moment")
                log.exception("socket event %s failed", name)
                return refused("server_error", "the server could not handle this; try again")

        EVENTS[name] = handler
        return handler

    return decorate


#: sockets one participant may hold open at once in a process (a phone, a tablet, a
#: reconnecting tab or two); the next is refused (issue 14: 500 sockets on one token)
SOCKETS_PER_PARTICIPANT = 5


#: refusals over the cap a resident token gets answered at once (a phone's tabs reconnecting,
#: a page reloaded): 10, then 1 a second; beyond that each refusal is answered after
#: REFUSAL_DELAY seconds, so a script retrying at once costs the loop a handshake a second per
#: connection it holds open, not hundreds a second (issue 14: 500 connections on one token)
REFUSALS = ratelimit.Rate(burst=10, per_second=1.0)
REFUSAL_DELAY = 1.0


def _hold(seconds: float) -> None:
    """Wait before answering a refusal (gevent's sleep under ``run.py serve``: only this
    connection waits)."""
    time.sleep(seconds)


def _seat_check(app: Flask, connect: Callable[..., Any]) -> Callable[..., Any]:
    """Flask-SocketIO's connect handler behind a check of the resident token's seats (the token
    sent in ``auth``, or else the one the signed session cookie remembers): a token already
    holding SOCKETS_PER_PARTICIPANT sockets here is refused at once, before the request
    context, the connect gate and the database (a sha256 and a dict lookup, and for a cookie
    its signature check); past its allowance of refusals (REFUSALS), after REFUSAL_DELAY."""
    held = seats(app)
    refusals = ratelimit.RateLimiter(REFUSALS, time.monotonic, max_keys=10_000)

    def checked(sid: str, *args: Any) -> Any:
        # the token in auth, or else the one the session cookie remembers (issue 14)
        token_hash = seat_token_hash(app, args[0] if args else None,
                                     args[1] if len(args) > 1 else None)
        if token_hash is not None and held.held(token_hash) >= SOCKETS_PER_PARTICIPANT:
            if not refusals.allow(token_hash):
                _hold(REFUSAL_DELAY)
            raise ConnectionRefusedError("too_many_connections")
        return connect(sid, *args)

    return checked


def on_connect(auth: Any = None) -> None:
    if process.state(current_app._get_current_object()).draining:  # type: ignore[attr-defined]
        raise ConnectionRefusedError("this server process is stopping: connect again")
    # a wave of reconnections (a process died, its phones all come here) queues at this gate
    # instead of emptying the database pool: each one holds a connection only while identified
    with process.connect_gate(current_app._get_current_object()):  # type: ignore[attr-defined]
        identity = identify(auth)
        db.session.remove()
    if identity is None:
        raise ConnectionRefusedError("unauthorized")
    if identity.kind == "participant":  # the same check as _seat_check, for a cookie's token too
        if seats().held(identity.token_hash) >= SOCKETS_PER_PARTICIPANT:
            raise ConnectionRefusedError("too_many_connections")
        seats().take(identity.token_hash, request.sid)  # type: ignore[attr-defined]
    connections()[request.sid] = identity  # type: ignore[attr-defined]
    join_room(rooms.everyone(identity.workshop_id))
    if identity.kind == "participant":
        join_room(rooms.residents(identity.workshop_id))
        if identity.assisted:
            join_room(rooms.kiosks(identity.workshop_id))
    else:
        join_room(rooms.watchers(identity.workshop_id))
    if identity.kind == "facilitator":
        join_room(rooms.facilitators(identity.workshop_id))
        signout.watch(current_app._get_current_object())  # type: ignore[attr-defined]


def on_disconnect(*_args: Any) -> None:
    identity = connections().pop(request.sid, None)  # type: ignore[attr-defined]
    if identity is not None and identity.kind == "participant":
        seats().leave(identity.token_hash, request.sid)  # type: ignore[attr-defined]


HANDLERS["connect"] = on_connect
HANDLERS["disconnect"] = on_disconnect


def _participant(identity: Identity) -> Any:
    found = participants.participant_by_id(identity.participant_id)
    if found is None or found.token_hash != identity.token_hash:
        raise ServiceError("this phone's participation has ended", code="not_allowed")
    return found


@event("ballot")
def on_ballot(identity: Identity, data: dict[str, Any]) -> dict[str, Any]:
    _stage, version = ballots.cast_ballot(identity, data.get("stage"), data.get("choices"),
                                          data.get("ballot_id"))
    return ok(version=version)


@event("comment")
def on_comment(identity: Identity, data: dict[str, Any]) -> dict[str, Any]:
    comment = content.add_comment(_participant(identity), data.get("stage"), data.get("item"),
                                  data.get("text"))
    return ok(id=comment.id, status=comment.status)


@event("idea")
def on_idea(identity: Identity, data: dict[str, Any]) -> dict[str, Any]:
    idea = content.add_idea(_participant(identity), data.get("stage"), data.get("title"),
                            data.get("description"))
    return ok(id=idea.id, status=idea.status)


@event("sync", participants_only=False)
def on_sync(identity: Identity, _data: dict[str, Any]) -> dict[str, Any]:
    workshop = workshops.get_workshop(identity.workshop_id)
    body: dict[str, Any] = {}
    if identity.kind == "participant":
        # bounded whatever the workshop's size: folded stages come with `stage` (payloads)
        participant = _participant(identity)
        body["workshop"] = resident_workshop(workshop)
        body["participant"] = {"group": participant.group_key, "language": participant.language}
        body["ballots"] = ballots.ballots_of(participant)
        shown = results.workshop_results(workshop.id, participant.language, visible_only=True,
                                         live=True)
        body["results"] = resident_results(shown["stages"])
    else:
        body["workshop"] = public_workshop(workshop)
        body["ballots"] = {}
        shown = results.workshop_results(workshop.id, live=True)
        body["participants"] = shown["participants"]
        body["screen"] = screens.projector_screen(workshop)
        body["ideas"] = [content.idea_dict(i) for i in content.approved_ideas(workshop.id)]
        body["results"] = {entry["key"]: entry for entry in shown["stages"]}
    comments, more = content.published_comments(workshop.id)
    body["comments"] = [content.comment_dict(c) for c in comments]
    body["comments_more"] = more
    return ok(**body)


@event("stage")
def on_stage(identity: Identity, data: dict[str, Any]) -> dict[str, Any]:
    """A stage that `sync` sent folded, in full, when the resident opens it:
    ``{"stage": KEY}`` -> ``{"stage": {... "items"}, "results": ENTRY or null}``."""
    participant = _participant(identity)
    workshop = workshops.get_workshop(identity.workshop_id)
    body = resident_stage(workshop, data.get("stage"))
    stage = next(s for s in workshop.stages if s.key == body["key"])
    entry = results.live_entry(workshop, stage, participant.language) if workshops.stage_visible(stage) \
        else None
    return ok(stage=body, results=entry)


@event("comments", participants_only=False)
def on_comments(identity: Identity, data: dict[str, Any]) -> dict[str, Any]:
    """Older published comments ("more"): ``{"before": ID}`` -> ``{"comments", "more"}``."""
    if identity.kind == "participant":
        _participant(identity)
    comments, more = content.published_comments(identity.workshop_id, data.get("before"))
    return ok(comments=[content.comment_dict(c) for c in comments], more=more)
