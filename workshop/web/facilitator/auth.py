"""Console sign-in: the session holds an API token, so logout revokes sockets too."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from ...models import User
from ...services import accounts
from ...services.sessions import LANGUAGE, SESSION_TOKEN

__all__ = ["LANGUAGE", "SESSION_TOKEN", "current_user", "login_required", "sign_in", "sign_out"]

F = TypeVar("F", bound=Callable[..., Any])


def current_user() -> User | None:
    if "user" not in g:
        g.user = accounts.user_for_token(session.get(SESSION_TOKEN))
    user: User | None = g.user
    return user


def sign_in(username: str, password: str) -> User | None:
    user = accounts.authenticate(username, password)
    if user is None:
        return None
    raw, _record = accounts.issue_api_token(user)
    lang = session.get(LANGUAGE)
    session.clear()  # a fresh session on sign-in: no fixation
    if lang:
        session[LANGUAGE] = lang  # the language chosen on this browser stays
    session[SESSION_TOKEN] = raw
    session.permanent = True
    g.user = user
    return user


def sign_out() -> None:
    token = session.pop(SESSION_TOKEN, None)
    if token and accounts.user_for_token(token) is not None:
        accounts.revoke_token(token)
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
