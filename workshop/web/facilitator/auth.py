"""Console sign-in: the session holds a reference to an API token (never the token), so
logout revokes sockets too."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from ...models import User
from ...services import accounts
from ...services.sessions import LANGUAGE, SESSION_REFERENCE, facilitator_reference

__all__ = ["LANGUAGE", "SESSION_REFERENCE", "current_user", "login_required", "sign_in", "sign_out"]

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    if "user" not in g:
        g.user = accounts.user_for_reference(facilitator_reference(session))
    user: User | None = g.user
    return user


def sign_in(username: str, password: str) -> User | None:
    user = accounts.authenticate(username, password)
    if user is None:
        return None
    _raw, record = accounts.issue_api_token(user)  # the bearer token itself is not kept
    lang = session.get(LANGUAGE)
    session.clear()  # a fresh session on sign-in: no fixation
    if lang:
        session[LANGUAGE] = lang  # the language chosen on this browser stays
    session[SESSION_REFERENCE] = record.token_hash
    session.permanent = True
    g.user = user
    return user


def sign_out() -> None:
    reference = facilitator_reference(session)
    if reference and accounts.user_for_reference(reference) is not None:
        accounts.revoke_reference(reference)
    lang = session.get(LANGUAGE)
    session.clear()
    if lang:
        session[LANGUAGE] = lang
    g.user = None


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            here = request.full_path if request.query_string else request.path
            return redirect(url_for("facilitator.login", next=here))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
