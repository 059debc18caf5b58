"""Facilitator accounts: passwords, API tokens, the first-start setup link, and what
admins do with accounts (invite by a one-time link, disable, enable, reset).

The first account made (setup link, or ``run.py user add`` on an empty database) is an
admin and owns every workshop loaded before it. Passwords follow ``domain.passwords``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, delete, func, select, update

from ..adapters.passwords import check_password, hash_password
from ..domain import passwords
from ..models import AccountLink, ApiToken, SetupToken, User
from ..models._types import utcnow
from ..storage import db
from . import access
from .errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from .notify import notifier
from .security import new_token, token_hash

USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
MIN_PASSWORD = passwords.MIN_LENGTH
MAX_PASSWORD = passwords.MAX_LENGTH
#: how long an invitation or reset link works
LINK_DAYS = 7
#: the stored hash of an account with no password yet (invited, or reset): matches nothing
NO_PASSWORD = "!"  # noqa: S105 - a marker no hash can equal, not a password
#: a hash to compare against when the user does not exist (same work, no timing leak)
_DUMMY_HASH = hash_password("not-a-password")
#: a token's reference is its sha256 hex (ApiToken.token_hash): 64 characters
REFERENCE_LENGTH = 64


def _hash(password: str) -> str:
    return hash_password(password)  # scrypt, off the event loop


def _matches(stored: str, password: str) -> bool:
    if stored == NO_PASSWORD:
        check_password(_DUMMY_HASH, password)  # same work as a real account
        return False
    return check_password(stored, password)


def check_password_rule(password: object, username: str) -> str:
    """The password if ``domain.passwords`` accepts it; else Invalid ``weak_password``
    with each problem as ``{"code", ...params}`` in ``details``."""
    if not isinstance(password, str):
        raise Invalid("password: must be a string", code="weak_password",
                      details=[{"code": "too_short", "min_length": passwords.MIN_LENGTH}])
    found = passwords.problems(password, username)
    if found:
        raise Invalid("; ".join(p.english for p in found), code="weak_password",
                      details=[{"code": p.code, **p.params} for p in found])
    return password


def _check_username(username: object) -> str:
    if not isinstance(username, str) or not USERNAME.match(username):
        raise Invalid("username: 2-64 letters, digits or . _ @ -", code="bad_username")
    if db.session.scalar(select(User).where(User.username == username)) is not None:
        raise Conflict(f"user '{username}' exists already", code="username_taken")
    return username


def create_user(username: str, password: str, *, is_admin: bool = False) -> User:
    """A new account with its password. The first account is an admin and adopts every
    workshop that has no member yet (loaded from the command line before it)."""
    username = _check_username(username)
    check_password_rule(password, username)
    first = not has_users()
    user = User(username=username, password_hash=_hash(password), is_admin=is_admin or first)
    db.session.add(user)
    db.session.execute(delete(SetupToken))  # an account exists: the setup link is spent
    db.session.flush()
    if first:
        access.adopt_orphans(user)
    db.session.commit()
    return user


def has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def first_admin() -> User | None:
    """The oldest active admin: owner of workshops loaded without an account (``run.py load``)."""
    return db.session.scalar(select(User).where(User.is_admin.is_(True), User.disabled_at.is_(None))
                             .order_by(User.id).limit(1))


def authenticate(username: object, password: object) -> User | None:
    """The account, if the password is right and the account is not disabled."""
    if not isinstance(username, str) or not isinstance(password, str):
        return None
    user = db.session.scalar(select(User).where(User.username == username))
    # the read ends before the ~90 ms hash: on SQLite every transaction begins IMMEDIATE (the
    # write lock), and a sign-in flood with made-up names held every ballot's write behind it
    db.session.commit()
    if user is None:
        check_password(_DUMMY_HASH, password)
        return None
    if not _matches(user.password_hash, password) or user.disabled_at is not None:
        return None
    return user


def issue_api_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token for a signed-in account (console or API); notes the sign-in."""
    raw = new_token(32)
    days = int(current_app.config.get("API_TOKEN_DAYS", 30))
    record = ApiToken(user_id=user.id, token_hash=token_hash(raw),
                      expires_at=utcnow() + timedelta(days=days))
    db.session.add(record)
    user.last_sign_in_at = utcnow()
    db.session.commit()
    return raw, record


def reference_of(raw: str) -> str:
    """The reference of a bearer token: what is stored, and what sessions and sockets keep."""
    return token_hash(raw)


def user_for_token(raw: object) -> User | None:
    """The account behind a valid token: not revoked, not expired, account not disabled."""
    if not isinstance(raw, str) or not raw or len(raw) > 128:
        return None
    return user_for_reference(token_hash(raw))


def user_for_reference(reference: object) -> User | None:
    """The same, from a token's reference (its stored hash): what a console session and a
    facilitator socket keep, so neither holds the bearer token itself."""
    if not isinstance(reference, str) or len(reference) != REFERENCE_LENGTH:
        return None
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == reference))
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    user = db.session.get(User, record.user_id)
    return user if user is not None and user.disabled_at is None else None


def valid_references(references: set[str]) -> set[str]:
    """Which of these token references are still valid (not revoked, not expired, account
    not disabled): one query."""
    wanted = [r for r in references if isinstance(r, str) and len(r) == REFERENCE_LENGTH]
    if not wanted:
        return set()
    rows = db.session.scalars(
        select(ApiToken.token_hash).join(User, User.id == ApiToken.user_id).where(
            ApiToken.token_hash.in_(wanted),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
            User.disabled_at.is_(None),
        )
    )
    return set(rows)


def revoke_token(raw: str) -> None:
    revoke_reference(token_hash(raw))


def revoke_reference(reference: str) -> None:
    """Revoke one token (by its reference) and cut the sockets opened with it."""
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == reference))
    if record is None:
        raise NotFound("token not found")
    record.revoked_at = utcnow()
    db.session.commit()
    notifier().signed_out(reference)  # its open sockets lose what they receive, too


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


# ---------------------------------------------------------------------------
# A facilitator's own account


def change_password(user: User, old: object, new: object, *, keep_reference: str | None = None) -> None:
    """Change one's own password (the old one first). Every other token of the account is
    revoked, so a stolen session ends with it; ``keep_reference`` (this session's token
    reference, see ``reference_of``) stays."""
    if not isinstance(old, str) or not _matches(user.password_hash, old):
        raise Unauthorized("the current password is not correct", code="wrong_password")
    user.password_hash = _hash(check_password_rule(new, user.username))
    _revoke_all(user, except_hash=keep_reference or None)


def sign_out_everywhere(user: User) -> int:
    """Revoke every API token of the account and cut its sockets at once; how many tokens."""
    return _revoke_all(user)


def _revoke_all(user: User, *, except_hash: str | None = None) -> int:
    query = update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if except_hash is not None:
        query = query.where(ApiToken.token_hash != except_hash)
    result: CursorResult[Any] = db.session.execute(query.values(revoked_at=utcnow()))  # type: ignore[assignment]
    count = result.rowcount
    db.session.commit()
    if except_hash is None:
        notifier().account_signed_out(user.id)
    return int(count or 0)


# ---------------------------------------------------------------------------
# What admins do: invite, reset, disable, enable


def _require_admin(actor: User | None) -> User:
    if actor is None or actor.disabled_at is not None:
        raise Unauthorized("sign in first")
    if not actor.is_admin:
        raise Forbidden("only an admin manages accounts", code="admin_only")
    return actor


def list_accounts(actor: User | None) -> list[User]:
    _require_admin(actor)
    return list(db.session.scalars(select(User).order_by(User.username)))


def get_account(actor: User | None, user_id: int) -> User:
    _require_admin(actor)
    found = db.session.get(User, user_id)
    if found is None:
        raise NotFound(f"account {user_id} not found")
    return found


def _new_link(actor: User, user: User, purpose: str) -> str:
    raw = new_token(32)
    db.session.execute(delete(AccountLink).where(AccountLink.user_id == user.id))  # older links die
    db.session.add(AccountLink(user_id=user.id, token_hash=token_hash(raw), purpose=purpose,
                               expires_at=utcnow() + timedelta(days=LINK_DAYS), created_by=actor.id))
    return raw


def invite(actor: User | None, username: object, *, is_admin: bool = False) -> tuple[User, str]:
    """A new account with no password yet, and the one-time link (raw) on which its owner
    chooses one."""
    admin = _require_admin(actor)
    name = _check_username(username)
    user = User(username=name, password_hash=NO_PASSWORD, is_admin=bool(is_admin))
    db.session.add(user)
    db.session.flush()
    raw = _new_link(admin, user, "invite")
    db.session.commit()
    return user, raw


def reset(actor: User | None, user_id: int) -> str:
    """The account's password stops working at once, its tokens and sockets end, and a new
    one-time link lets its owner choose another."""
    admin = _require_admin(actor)
    user = get_account(admin, user_id)
    user.password_hash = NO_PASSWORD
    raw = _new_link(admin, user, "reset")
    _revoke_all(user)
    return raw


def set_disabled(actor: User | None, user_id: int, disabled: bool) -> User:
    """Disable (it cannot sign in; its tokens stop working and its sockets are cut at once)
    or enable an account. An admin cannot disable their own account."""
    admin = _require_admin(actor)
    user = get_account(admin, user_id)
    if disabled and user.id == admin.id:
        raise Conflict("you cannot disable your own account", code="self_disable")
    if disabled and user.disabled_at is None:
        user.disabled_at = utcnow()
        db.session.execute(delete(AccountLink).where(AccountLink.user_id == user.id))
        _revoke_all(user)
    elif not disabled:
        user.disabled_at = None
        db.session.commit()
    return user


def link_url(raw: str) -> str:
    """The one-time link to give the account's owner (the console's /invite/ page)."""
    from .workshops import public_url

    return f"{public_url()}/invite/{raw}"


def link_account(raw: object) -> User | None:
    """The account a one-time link is for, while the link is valid."""
    if not isinstance(raw, str) or not raw or len(raw) > 128:
        return None
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == token_hash(raw)))
    if link is None or link.expires_at <= utcnow():
        return None
    user = db.session.get(User, link.user_id)
    return user if user is not None and user.disabled_at is None else None


def link_purpose(raw: str) -> str | None:
    link = db.session.scalar(select(AccountLink).where(AccountLink.token_hash == token_hash(raw)))
    return link.purpose if link is not None else None


def use_link(raw: object, password: object) -> User:
    """Set the account's password through its one-time link; the link is spent."""
    user = link_account(raw)
    if user is None:
        raise Unauthorized("this link has been used or is no longer valid", code="link_invalid")
    user.password_hash = _hash(check_password_rule(password, user.username))
    db.session.execute(delete(AccountLink).where(AccountLink.user_id == user.id))
    db.session.commit()
    return user
