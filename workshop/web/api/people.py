"""People: a workshop's members, one's own account, and what admins do with accounts.

    GET    /api/v1/workshops/{id}/members             (any member)
    POST   /api/v1/workshops/{id}/members             {"username", "role"} (owner)
    PUT    /api/v1/workshops/{id}/members/{user_id}   {"role"} (owner)
    DELETE /api/v1/workshops/{id}/members/{user_id}   (owner; never the last owner)
    GET    /api/v1/auth/me
    POST   /api/v1/auth/password                      {"current_password", "new_password"}
    POST   /api/v1/auth/signout-all
    GET    /api/v1/accounts                           (admins)
    POST   /api/v1/accounts                           {"username", "is_admin"?} (admins): an invitation link
    POST   /api/v1/accounts/{user_id}/<disable|enable|reset>  (admins)
"""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from ...models import User
from ...services import access, accounts
from . import bp
from .routes import PREFIX, allowed, bearer_token, created, facilitator_required, json_body


def _member(member: access.Member) -> dict[str, Any]:
    return {"user_id": member.user_id, "username": member.username, "role": member.role,
            "disabled": member.disabled}


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/members")
@facilitator_required
@allowed("read")
def list_members(workshop_id: int) -> Response:
    return jsonify([_member(m) for m in access.members("workshop", workshop_id)])


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/members")
@facilitator_required
def add_member(workshop_id: int) -> tuple[Response, int]:
    data = json_body()
    member = access.add_member(g.user, "workshop", workshop_id, data.get("username"), data.get("role"))
    return created(_member(member))


@bp.put(f"{PREFIX}/workshops/<int:workshop_id>/members/<int:user_id>")
@facilitator_required
def set_member_role(workshop_id: int, user_id: int) -> Response:
    data = json_body()
    return jsonify(_member(access.set_role(g.user, "workshop", workshop_id, user_id, data.get("role"))))


@bp.delete(f"{PREFIX}/workshops/<int:workshop_id>/members/<int:user_id>")
@facilitator_required
def remove_member(workshop_id: int, user_id: int) -> tuple[str, int]:
    access.remove_member(g.user, "workshop", workshop_id, user_id)
    return "", 204


# ---------------------------------------------------------------------------
# One's own account


def account_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "disabled": user.disabled_at is not None,
        "created_at": user.created_at.isoformat(),
        "last_sign_in_at": user.last_sign_in_at.isoformat() if user.last_sign_in_at else None,
        "has_password": user.password_hash != accounts.NO_PASSWORD,
    }


@bp.get(f"{PREFIX}/auth/me")
@facilitator_required
def me() -> Response:
    return jsonify(account_dict(g.user))


@bp.post(f"{PREFIX}/auth/password")
@facilitator_required
def change_password() -> tuple[str, int]:
    data = json_body()
    token = bearer_token()  # facilitator_required: present and valid
    accounts.change_password(g.user, data.get("current_password"), data.get("new_password"),
                             keep_reference=accounts.reference_of(token) if token else None)
    return "", 204


@bp.post(f"{PREFIX}/auth/signout-all")
@facilitator_required
def sign_out_everywhere() -> tuple[str, int]:
    accounts.sign_out_everywhere(g.user)
    return "", 204


# ---------------------------------------------------------------------------
# Admins


@bp.get(f"{PREFIX}/accounts")
@facilitator_required
def list_accounts() -> Response:
    return jsonify([account_dict(u) for u in accounts.list_accounts(g.user)])


@bp.post(f"{PREFIX}/accounts")
@facilitator_required
def invite() -> tuple[Response, int]:
    data = json_body()
    user, raw = accounts.invite(g.user, data.get("username"), is_admin=data.get("is_admin") is True)
    return created({"account": account_dict(user), "link": accounts.link_url(raw)})


@bp.post(f"{PREFIX}/accounts/<int:user_id>/<any(disable, enable):action>")
@facilitator_required
def disable(user_id: int, action: str) -> Response:
    return jsonify(account_dict(accounts.set_disabled(g.user, user_id, action == "disable")))


@bp.post(f"{PREFIX}/accounts/<int:user_id>/reset")
@facilitator_required
def reset(user_id: int) -> Response:
    raw = accounts.reset(g.user, user_id)
    return jsonify({"account": account_dict(accounts.get_account(g.user, user_id)),
                    "link": accounts.link_url(raw)})
