"""Facilitator accounts: passwords, API tokens, the first-start setup link."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ApiToken, SetupToken, User
from ..models._types import utcnow
from ..storage import db
from .errors import Conflict, Invalid, NotFound, Unauthorized
from .notify import notifier
from .security import new_token, token_hash

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = 8
MAX_PASSWORD = 256
#: a hash to compare against when the user does not exist (same work, no timing leak)
_DUMMY_HASH = generate_password_hash("not-a-password")


def create_user(username: str, password: str) -> User:
    if not USERNAME.match(username or ""):
        raise Invalid("username: 2-64 letters, digits or . _ @ -")
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise Invalid(f"password: must be {MIN_PASSWORD}-{MAX_PASSWORD} characters")
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' exists already")
    user = User(username=username, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.execute(delete(SetupToken))  # an account exists: the setup link is spent
    db.session.commit()
    return user


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def authenticate(username: object, password: object) -> User | None:
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def issue_api_token(user: User) -> tuple[str, ApiToken]:
    raw = new_token(32)
    days = int(current_app.config.get("API_TOKEN_DAYS", 30))
    record = ApiToken(user_id=user.id, token_hash=token_hash(raw),
                      expires_at=utcnow() + timedelta(days=days))
    db.session.add(record)
    db.session.commit()
    return raw, record


def user_for_token(raw: object) -> User | None:
    if not isinstance(raw, str) or not raw or len(raw) > 128:
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    return db.session.get(User, record.user_id)


def token_is_valid(token_id: int) -> bool:
    record = db.session.get(ApiToken, token_id)
    return bool(record and record.revoked_at is None and record.expires_at > utcnow())


def valid_tokens(raws: set[str]) -> set[str]:
    """Which of these raw tokens are still valid (not revoked, not expired): one query."""
    by_hash = {token_hash(raw): raw for raw in raws if isinstance(raw, str) and raw}
    if not by_hash:
        return set()
    rows = db.session.scalars(
        select(ApiToken.token_hash).where(
            ApiToken.token_hash.in_(list(by_hash)),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
        )
    )
    return {by_hash[found] for found in rows}


def revoke_token(raw: str) -> None:
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    if record is None:
        raise NotFound("token not found")
    record.revoked_at = utcnow()
    db.session.commit()
    notifier().signed_out(raw)  # its open sockets lose what they receive, too


def login_with_password(username: object, password: object) -> tuple[str, ApiToken]:
    user = authenticate(username, password)
    if user is None:
        raise Unauthorized("wrong username or password")
    return issue_api_token(user)


def new_setup_token() -> str | None:
    """On a start with no account: a fresh one-time setup token (older ones are void)."""
    if has_users():
        return None
    raw = new_token(24)
    db.session.execute(delete(SetupToken))
    db.session.add(SetupToken(token_hash=token_hash(raw)))
    db.session.commit()
    return raw


def setup_token_valid(raw: object) -> bool:
    if not isinstance(raw, str) or has_users():
        return False
    return db.session.scalar(
        select(SetupToken).where(SetupToken.token_hash == token_hash(raw))) is not None


def complete_setup(raw: object, username: str, password: str) -> User:
    if not setup_token_valid(raw):
        raise Unauthorized("this setup link has been used or is no longer valid")
    return create_user(username, password)
