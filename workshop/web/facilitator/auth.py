"""Console sign-in: the session holds an API token, so logout revokes sockets too."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from ...models import User
from ...services import accounts

F = TypeVar("F", bound=Callable[..., Any])
#: session key of the facilitator's bearer token (revoked on logout)
SESSION_TOKEN = "facilitator_token"


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
    session.clear()  # a fresh session on sign-in: no fixation
    session[SESSION_TOKEN] = raw
    session.permanent = True
    g.user = user
    return user


def sign_out() -> None:
    token = session.pop(SESSION_TOKEN, None)
    if token and accounts.user_for_token(token) is not None:
        accounts.revoke_token(token)
    session.clear()


def login_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return redirect(url_for("facilitator.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
