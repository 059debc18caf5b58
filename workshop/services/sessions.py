"""What a browser's signed session cookie remembers, read by pages and sockets alike.

A phone remembers which participant it is: the cookie maps workshop id ->
participant token, so one phone can take part in several workshops; reloading
the page never makes a second participant. A console browser remembers a reference
to its facilitator's API token (the token's stored hash), never the bearer token
itself: the cookie is signed, not encrypted, so whoever reads a leaked cookie value
learns no token the API would accept. Logout, "sign out everywhere", disabling the
account and a password change revoke the token behind the reference, and with it the
console session and its sockets.

A helper kiosk (a hall tablet a facilitator started from the console) remembers the
workshop it serves; it holds at most the participant of the resident at it now, and
forgets that one when the resident presses "Finished: next person".
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping
from typing import Any

from flask.sessions import SessionMixin

KEY = "participants"
MAX_REMEMBERED = 20
#: session key of the reference to the facilitator's API token (services.accounts.reference_of);
#: the key of version 1.x held the raw token and is no longer read (such a browser signs in again)
SESSION_REFERENCE = "facilitator_ref"
#: session key of the language chosen with ?lang= (web.i18n.select_locale)
LANGUAGE = "lang"
#: session key of the workshop id a helper kiosk serves
KIOSK = "kiosk"
#: session key of when it became a kiosk (a Unix time): stopping a workshop's kiosks ends those
#: started before (services.participants.stop_kiosks)
KIOSK_SINCE = "kiosk_since"


def remember_participant(session: SessionMixin, workshop_id: int, token: str) -> None:
    known = dict(session.get(KEY) or {})
    known[str(workshop_id)] = token
    while len(known) > MAX_REMEMBERED:
        known.pop(next(iter(known)))
    session[KEY] = known
    session.permanent = True


def remembered_token(session: MutableMapping[str, Any], workshop_id: int | str) -> str | None:
    token = (session.get(KEY) or {}).get(str(workshop_id))
    return token if isinstance(token, str) else None


def remembered_tokens(session: MutableMapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in (session.get(KEY) or {}).items() if isinstance(v, str)}


def facilitator_reference(session: MutableMapping[str, Any]) -> str | None:
    reference = session.get(SESSION_REFERENCE)
    return reference if isinstance(reference, str) else None


def forget_participant(session: SessionMixin, workshop_id: int | str) -> None:
    """This browser is no longer that workshop's participant (its ballots stay counted)."""
    known = dict(session.get(KEY) or {})
    if known.pop(str(workshop_id), None) is not None:
        session[KEY] = known


def start_kiosk(session: SessionMixin, workshop_id: int) -> None:
    """Make this (signed-out) browser a helper kiosk of one workshop, holding no participant."""
    session.pop(KEY, None)
    session[KIOSK] = workshop_id
    session[KIOSK_SINCE] = time.time()
    session.permanent = True


def end_kiosk(session: SessionMixin) -> None:
    """This browser is a kiosk no more, and forgets the resident seated at it."""
    workshop_id = session.pop(KIOSK, None)
    session.pop(KIOSK_SINCE, None)
    if workshop_id is not None:
        forget_participant(session, workshop_id)


def kiosk_workshop(session: MutableMapping[str, Any]) -> int | None:
    value = session.get(KIOSK)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def kiosk_since(session: MutableMapping[str, Any]) -> float:
    """When this browser became a kiosk (0 for a kiosk of an earlier version, which kept no time)."""
    value = session.get(KIOSK_SINCE)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
