"""What a browser's signed session cookie remembers, read by pages and sockets alike.

A phone remembers which participant it is: the cookie maps workshop id ->
participant token, so one phone can take part in several workshops; reloading
the page never makes a second participant. A console browser remembers its
facilitator's API token (revoked on logout, so its sockets end too).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from flask.sessions import SessionMixin

KEY = "participants"
MAX_REMEMBERED = 20
#: session key of the facilitator's bearer token (revoked on logout)
SESSION_TOKEN = "facilitator_token"  # noqa: S105 - a session key, not a secret
#: session key of the language chosen with ?lang= (web.i18n.select_locale)
LANGUAGE = "lang"


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


def facilitator_token(session: MutableMapping[str, Any]) -> str | None:
    token = session.get(SESSION_TOKEN)
    return token if isinstance(token, str) else None
