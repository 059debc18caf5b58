"""The one place that decides who may see and do what in a workshop (or a plan).

Every API route, console page and facilitator socket asks here:

    workshop = access.workshop_for(user, workshop_id, "read" | "run" | "manage")

A person who is not a member gets ``NotFound`` (404), exactly as for a workshop
that does not exist, so workshop ids do not leak; a member whose role does not
allow the action gets ``Forbidden`` (403). Admins manage accounts, not workshops:
an admin who is not a member gets 404 too. The roles and what they allow are
``domain.access``.

Memberships are kept per kind of thing: ``workshop`` (``WorkshopMember``) here;
another kind (a plan) registers its own table of the same shape
(``<thing>_id``, ``user_id``, ``role``) with :func:`register_kind` and then uses the
same calls with its kind: ``access.require(user, "plan", plan_id, "run")``,
``access.add_member(user, "plan", plan_id, "colleague", "viewer")``, ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select

from ..domain.access import ROLES, allows, is_role
from ..models import Comment, Idea, User, Workshop, WorkshopMember
from ..storage import db
from .errors import Conflict, Forbidden, Invalid, NotFound


@dataclass(frozen=True)
class Kind:
    """A kind of thing people are members of: its membership table and its own table."""

    member: Any  # the mapped class: <x>_id, user_id, role, created_at
    object_column: Any  # e.g. WorkshopMember.workshop_id
    target: Any  # e.g. Workshop


KINDS: dict[str, Kind] = {}


def register_kind(name: str, member: Any, object_column: Any, target: Any) -> None:
    KINDS[name] = Kind(member, object_column, target)


register_kind("workshop", WorkshopMember, WorkshopMember.workshop_id, Workshop)


def _kind(kind: str) -> Kind:
    return KINDS[kind]


def _active(user: User | None) -> bool:
    return user is not None and user.disabled_at is None


def role_of(user: User | None, kind: str, object_id: int) -> str | None:
    """The user's role in this thing, or None (not a member, disabled, or no user)."""
    if not _active(user):
        return None
    assert user is not None
    k = _kind(kind)
    role: str | None = db.session.scalar(
        select(k.member.role).where(k.object_column == object_id, k.member.user_id == user.id))
    return role


def require(user: User | None, kind: str, object_id: int, action: str) -> str:
    """The user's role if it allows ``action``; NotFound for non-members, Forbidden otherwise."""
    role = role_of(user, kind, object_id)
    if role is None or db.session.get(_kind(kind).target, object_id) is None:
        raise NotFound(f"{kind} {object_id} not found")
    if not allows(role, action):
        raise Forbidden(f"your role in this {kind} ({role}) does not allow this",
                        details={"role": role, "action": action})
    return role


def workshop_for(user: User | None, workshop_id: int, action: str = "read") -> Workshop:
    """The workshop, if this user may do ``action`` in it (else NotFound / Forbidden)."""
    require(user, "workshop", workshop_id, action)
    workshop = db.session.get(Workshop, workshop_id)
    assert workshop is not None
    return workshop


#: what residents write, reached by its own id (moderation): checked through its workshop
ENTRIES: dict[str, type[Comment] | type[Idea]] = {"comment": Comment, "idea": Idea}


def require_entry(user: User | None, entry: str, entry_id: int, action: str) -> int:
    """The workshop id of a comment or an idea, if this user may do ``action`` there
    (NotFound for non-members, as for an entry that does not exist)."""
    model = ENTRIES[entry]
    workshop_id: int | None = db.session.scalar(select(model.workshop_id).where(model.id == entry_id))
    if workshop_id is None:
        raise NotFound(f"{entry} {entry_id} not found")
    require(user, "workshop", workshop_id, action)
    return workshop_id


def ids_of(user: User | None, kind: str) -> dict[int, str]:
    """{object id: role} of everything of this kind the user is a member of."""
    if not _active(user):
        return {}
    assert user is not None
    k = _kind(kind)
    return {object_id: role for object_id, role in db.session.execute(
        select(k.object_column, k.member.role).where(k.member.user_id == user.id))}


def memberships_of(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """{(user id, workshop id): role} for those of these pairs that are memberships: one query."""
    if not pairs:
        return {}
    user_ids = {user_id for user_id, _w in pairs}
    rows = db.session.execute(
        select(WorkshopMember.user_id, WorkshopMember.workshop_id, WorkshopMember.role)
        .where(WorkshopMember.user_id.in_(user_ids)))
    return {(u, w): role for u, w, role in rows if (u, w) in pairs}


def workshops_of(user: User | None) -> list[Workshop]:
    """The workshops this user is a member of, newest first."""
    ids = list(ids_of(user, "workshop"))
    if not ids:
        return []
    return list(db.session.scalars(
        select(Workshop).where(Workshop.id.in_(ids)).order_by(Workshop.id.desc())))


# ---------------------------------------------------------------------------
# Members


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    role: str
    disabled: bool


def members(kind: str, object_id: int) -> list[Member]:
    """Everyone with a role in this thing: owners first, then by name."""
    k = _kind(kind)
    rows = db.session.execute(
        select(User.id, User.username, k.member.role, User.disabled_at)
        .join(k.member, k.member.user_id == User.id)
        .where(k.object_column == object_id))
    found = [Member(uid, name, role, disabled is not None) for uid, name, role, disabled in rows]
    return sorted(found, key=lambda m: (-ROLES.index(m.role), m.username.casefold()))


def make_owner(kind: str, object_id: int, user_id: int) -> None:
    """The maker of a thing owns it (no check: called by the use case that creates it)."""
    k = _kind(kind)
    db.session.add(k.member(**{k.object_column.key: object_id}, user_id=user_id, role="owner"))


def _check_role(role: object) -> str:
    if not is_role(role):
        raise Invalid(f"role: must be one of {', '.join(ROLES)}", code="bad_role",
                      details={"roles": list(ROLES)})
    assert isinstance(role, str)
    return role


def _account(username: object) -> User:
    found = db.session.scalar(select(User).where(User.username == username)) \
        if isinstance(username, str) else None
    if found is None:
        raise Invalid(f"no account is called '{username}'", code="unknown_account")
    return found


def _row(kind: str, object_id: int, user_id: int) -> Any:
    k = _kind(kind)
    return db.session.scalar(
        select(k.member).where(k.object_column == object_id, k.member.user_id == user_id))


def _owners(kind: str, object_id: int) -> int:
    k = _kind(kind)
    return db.session.scalar(select(func.count()).select_from(k.member).where(
        k.object_column == object_id, k.member.role == "owner")) or 0


def add_member(actor: User | None, kind: str, object_id: int, username: object, role: object) -> Member:
    """An owner adds a colleague by account name (409 if already a member)."""
    require(actor, kind, object_id, "manage")
    role = _check_role(role)
    account = _account(username)
    if _row(kind, object_id, account.id) is not None:
        raise Conflict(f"'{account.username}' is a member already", code="already_member")
    k = _kind(kind)
    db.session.add(k.member(**{k.object_column.key: object_id}, user_id=account.id, role=role))
    db.session.commit()
    return Member(account.id, account.username, role, account.disabled_at is not None)


def set_role(actor: User | None, kind: str, object_id: int, user_id: int, role: object) -> Member:
    """An owner changes a member's role; the last owner stays an owner."""
    require(actor, kind, object_id, "manage")
    role = _check_role(role)
    row = _row(kind, object_id, user_id)
    if row is None:
        raise NotFound(f"account {user_id} is not a member", code="not_member")
    if row.role == "owner" and role != "owner" and _owners(kind, object_id) <= 1:
        raise Conflict("the last owner cannot be changed or removed", code="last_owner")
    row.role = role
    db.session.commit()
    _access_changed(kind, object_id, user_id)
    account = db.session.get(User, user_id)
    assert account is not None
    return Member(user_id, account.username, role, account.disabled_at is not None)


def remove_member(actor: User | None, kind: str, object_id: int, user_id: int) -> None:
    """An owner removes a member (themselves too), never the last owner."""
    require(actor, kind, object_id, "manage")
    row = _row(kind, object_id, user_id)
    if row is None:
        raise NotFound(f"account {user_id} is not a member", code="not_member")
    if row.role == "owner" and _owners(kind, object_id) <= 1:
        raise Conflict("the last owner cannot be changed or removed", code="last_owner")
    k = _kind(kind)
    db.session.execute(delete(k.member).where(k.object_column == object_id, k.member.user_id == user_id))
    db.session.commit()
    _access_changed(kind, object_id, user_id)


def _access_changed(kind: str, object_id: int, user_id: int) -> None:
    """A member's role changed or ended: their open sockets of this workshop are cut."""
    if kind == "workshop":
        from .notify import notifier

        notifier().access_changed(object_id, user_id)


def adopt_orphans(user: User) -> int:
    """Workshops nobody is a member of (loaded from the command line before any account)
    go to ``user``, the first account; how many."""
    k = _kind("workshop")
    orphans = list(db.session.scalars(
        select(Workshop.id).where(~select(k.member.id).where(k.object_column == Workshop.id).exists())))
    for workshop_id in orphans:
        make_owner("workshop", workshop_id, user.id)
    return len(orphans)
