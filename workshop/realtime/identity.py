"""Who is on the other end of a socket, decided once at connect."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, session
from itsdangerous import BadSignature
from werkzeug.http import parse_cookie

from ..models import Participant
from ..services import access, accounts, participants, workshops
from ..services.errors import ServiceError
from ..services.security import token_hash
from ..services.sessions import facilitator_reference, remembered_token, remembered_tokens

CONNECTIONS_KEY = "ruamkit.connections"
SEATS_KEY = "ruamkit.seats"
#: longer than any token issued (services.accounts.user_for_token refuses longer ones too)
MAX_TOKEN = 128


@dataclass(frozen=True)
class Identity:
    kind: str  # participant | facilitator | projector
    workshop_id: int
    participant_id: int | None = None
    #: the reference of the facilitator's bearer token (services.accounts.reference_of; the
    #: token itself is not kept), re-checked on every event (logout revokes it)
    token_ref: str | None = None
    #: the facilitator's account and role in the workshop (services.access), checked again
    #: on every event and by the sweep (signout.py)
    user_id: int | None = None
    role: str | None = None
    #: a resident's stakeholder group (it never changes)
    group_key: str = ""
    #: the resident's token hash, checked again with every ballot (erasure voids it)
    token_hash: str = ""
    #: the resident joined at the hall's helper kiosk (their ballots' channel is kiosk)
    assisted: bool = False
    #: time.time() when the socket connected (the balance check moves settled sockets only)
    connected_at: float = field(default_factory=time.time)

    @property
    def id(self) -> int:
        """The participant's id: a resident's Identity is a services.ballots.Voter."""
        assert self.participant_id is not None, "only a resident casts ballots"
        return self.participant_id


def _resident(found: Participant | None) -> Identity | None:
    if found is None:
        return None
    return Identity("participant", found.workshop_id, found.id, group_key=found.group_key,
                    token_hash=found.token_hash, assisted=found.assisted)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def identify(auth: Any) -> Identity | None:
    """From the connect `auth` object, or else the browser's session cookie."""
    auth = auth if isinstance(auth, dict) else {}
    workshop_id = _int(auth.get("workshop"))
    if "participant" in auth:
        return _resident(participants.participant_by_token(auth["participant"]))
    if "facilitator" in auth:
        raw = auth["facilitator"]
        valid = isinstance(raw, str) and 0 < len(raw) <= MAX_TOKEN
        return _facilitator(accounts.reference_of(raw) if valid else None, workshop_id)
    if "projector" in auth:
        key = auth["projector"]
        workshop = workshops.workshop_by_projector_key(key) if isinstance(key, str) else None
        return Identity("projector", workshop.id) if workshop else None
    # A browser relying on its cookie: the console says role "facilitator".
    if auth.get("role") == "facilitator":
        return _facilitator(facilitator_reference(session), workshop_id)
    if workshop_id is not None:
        token = remembered_token(session, workshop_id)
    else:
        known = remembered_tokens(session)
        token = next(iter(known.values())) if len(known) == 1 else None
    return _resident(participants.participant_by_token(token))


def _facilitator(reference: str | None, workshop_id: int | None) -> Identity | None:
    """A member of the workshop (any role: a viewer's console is live too), or None."""
    user = accounts.user_for_reference(reference) if workshop_id is not None else None
    if user is None or workshop_id is None:
        return None
    try:
        role = access.require(user, "workshop", workshop_id, "read")
    except ServiceError:
        return None
    return Identity("facilitator", workshop_id, token_ref=reference, user_id=user.id, role=role)


def still_valid(identity: Identity) -> bool:
    if identity.kind == "facilitator":
        user = accounts.user_for_reference(identity.token_ref)
        return user is not None and access.role_of(user, "workshop", identity.workshop_id) == identity.role
    return True


def connections(app: Flask | None = None) -> dict[str, Identity]:
    """sid -> who connected, for this app; a socket lives in one process, so a dict is enough."""
    found: dict[str, Identity] = (app or current_app).extensions.setdefault(CONNECTIONS_KEY, {})
    return found


class Seats:
    """The sockets each resident token holds open in this process: token hash -> sids.

    Kept beside :func:`connections` so that a socket over the cap is refused before any
    work (no database query, no request context): 500 connections with one token cost the
    loop a query each, every one of them a write-lock transaction on SQLite (issue 14).
    A sid counts while :func:`connections` still holds it, so an entry cannot outlive its
    socket whichever way the socket went.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.by_token: dict[str, set[str]] = {}

    def held(self, token_hash: str) -> int:
        sids = self.by_token.get(token_hash)
        if not sids:
            return 0
        live = connections(self.app)
        gone = {sid for sid in sids if sid not in live}
        sids -= gone
        if not sids:
            del self.by_token[token_hash]
        return len(sids)

    def take(self, token_hash: str, sid: str) -> None:
        self.by_token.setdefault(token_hash, set()).add(sid)

    def leave(self, token_hash: str, sid: str) -> None:
        sids = self.by_token.get(token_hash)
        if sids is not None:
            sids.discard(sid)
            if not sids:
                del self.by_token[token_hash]


def seats(app: Flask | None = None) -> Seats:
    """This app's :class:`Seats`."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found: Seats | None = app.extensions.get(SEATS_KEY)
    if found is None:
        found = app.extensions[SEATS_KEY] = Seats(app)
    return found


def resident_token_hash(auth: Any) -> str | None:
    """The hash of the resident token a connect ``auth`` carries, if it carries one."""
    if not isinstance(auth, dict):
        return None
    raw = auth.get("participant")
    if not isinstance(raw, str) or not raw or len(raw) > MAX_TOKEN:
        return None
    return token_hash(raw)


def seat_token_hash(app: Flask, environ: Any, auth: Any) -> str | None:
    """The hash of the resident token :func:`identify` would try for this connect: the one
    ``auth`` carries, or else the one the browser's signed session cookie remembers (for
    ``auth.workshop``, or the only one it remembers). Read from the WSGI environ with the
    app's own session interface (signature and age checked as for a request), without a
    request context or the database, so a socket over the cap is refused from memory
    whether it sends its token or relies on the cookie (issue 14)."""
    auth = auth if isinstance(auth, dict) else {}
    if "participant" in auth:
        return resident_token_hash(auth)
    if "facilitator" in auth or "projector" in auth or auth.get("role") == "facilitator":
        return None
    remembered = _cookie_session(app, environ)
    if not remembered:
        return None
    workshop_id = _int(auth.get("workshop"))
    if workshop_id is not None:
        raw = remembered_token(remembered, workshop_id)
    else:
        known = remembered_tokens(remembered)
        raw = next(iter(known.values())) if len(known) == 1 else None
    if raw is None or not raw or len(raw) > MAX_TOKEN:
        return None
    return token_hash(raw)


def _cookie_session(app: Flask, environ: Any) -> dict[str, Any] | None:
    """The signed session cookie's content, as Flask's SecureCookieSessionInterface opens it
    (its serializer, salt, key fallbacks and max age), or None if absent or not valid."""
    if not isinstance(environ, dict) or not environ.get("HTTP_COOKIE"):
        return None
    interface = app.session_interface
    get_serializer = getattr(interface, "get_signing_serializer", None)
    serializer = get_serializer(app) if get_serializer is not None else None
    if serializer is None:
        return None
    value = parse_cookie(environ).get(interface.get_cookie_name(app))
    if not value:
        return None
    try:
        data = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()))
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None
