"""People in the console: a workshop's members (the run sheet's People section), one's own
account (password, sign out everywhere), the admins' Accounts page, and the page behind an
invitation or reset link. Every rule is in services.access and services.accounts."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...models import Workshop
from ...services import access, accounts
from ...services.errors import Conflict, Invalid, NotFound, ServiceError, Unauthorized
from ...services.sessions import facilitator_reference
from . import bp
from .auth import current_user, login_required, sign_in, sign_out
from .forms import (
    ROLE_HINTS,
    ROLE_LABELS,
    ActionForm,
    InviteForm,
    LinkPasswordForm,
    MemberForm,
    PasswordChangeForm,
    RoleForm,
    password_messages,
)


def _member_error(exc: ServiceError, name: str = "") -> str:
    """A refused change of members, in the page's language (by the service's code)."""
    return {
        "unknown_account": _("No account is called “%(name)s”. Ask an admin to invite them first.",
                             name=name),
        "already_member": _("“%(name)s” is a member of this workshop already.", name=name),
        "last_owner": _("A workshop keeps at least one owner: make someone else an owner first."),
        "not_member": _("That account is not a member of this workshop."),
        "bad_role": _("Choose one of the roles."),
    }.get(exc.code, _("The change could not be made."))


def people_context(workshop: Workshop, member_form: MemberForm | None = None) -> dict[str, Any]:
    """What the run sheet's People section needs."""
    me = current_user()
    return {
        "members": access.members("workshop", workshop.id),
        "member_form": member_form or MemberForm(formdata=None),
        "role_labels": ROLE_LABELS,
        "role_hints": ROLE_HINTS,
        "role_form": RoleForm,
        "me_id": me.id if me else None,
    }


def _back(workshop_id: int) -> Response:
    return redirect(url_for(".workshop", workshop_id=workshop_id, _anchor="people"))


@bp.post("/console/w/<int:workshop_id>/members")
@login_required
def add_member(workshop_id: int) -> Response:
    form = MemberForm()
    name = (form.username.data or "").strip()
    if not form.validate_on_submit():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
        return _back(workshop_id)
    try:
        member = access.add_member(current_user(), "workshop", workshop_id, name, form.role.data)
    except (Invalid, Conflict) as exc:
        flash(_member_error(exc, name), "error")
    else:
        flash(_("“%(name)s” is now a member: %(role)s.", name=member.username,
                role=ROLE_LABELS[member.role]), "success")
    return _back(workshop_id)


@bp.post("/console/w/<int:workshop_id>/members/<int:user_id>/role")
@login_required
def change_member(workshop_id: int, user_id: int) -> Response:
    form = RoleForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the roles."), "error")
        return _back(workshop_id)
    try:
        member = access.set_role(current_user(), "workshop", workshop_id, user_id, form.role.data)
    except (Invalid, Conflict, NotFound) as exc:
        flash(_member_error(exc), "error")
    else:
        flash(_("“%(name)s” is now: %(role)s.", name=member.username, role=ROLE_LABELS[member.role]),
              "success")
    return _back(workshop_id)


@bp.post("/console/w/<int:workshop_id>/members/<int:user_id>/remove")
@login_required
def remove_member(workshop_id: int, user_id: int) -> Response:
    ActionForm()  # CSRFProtect has checked the token before the view runs
    me = current_user()
    try:
        access.remove_member(me, "workshop", workshop_id, user_id)
    except (Conflict, NotFound) as exc:
        flash(_member_error(exc), "error")
        return _back(workshop_id)
    if me is not None and me.id == user_id:
        flash(_("You have left the workshop."), "success")
        return redirect(url_for(".index"))
    flash(_("The member is removed from this workshop."), "success")
    return _back(workshop_id)


# ---------------------------------------------------------------------------
# My account


def _render_account(form: PasswordChangeForm, status: int = 200) -> tuple[str, int]:
    return render_template("facilitator/account.html", form=form, signout_form=ActionForm(),
                           user=current_user()), status


@bp.route("/console/account", methods=["GET", "POST"])
@login_required
def account() -> Any:
    form = PasswordChangeForm()
    user = current_user()
    assert user is not None
    if not form.validate_on_submit():
        return _render_account(form, 422 if form.is_submitted() else 200)
    try:
        accounts.change_password(user, form.current.data, form.password.data,
                                 keep_reference=facilitator_reference(session))
    except Unauthorized:
        form.current.errors = [*form.current.errors, _("This is not your current password.")]
        return _render_account(form, 422)
    except Invalid as exc:
        form.password.errors = [*form.password.errors, *password_messages(exc.details or [])]
        return _render_account(form, 422)
    flash(_("Your password is changed. Your other sessions are signed out."), "success")
    return redirect(url_for(".account"))


@bp.post("/console/account/signout-all")
@login_required
def sign_out_everywhere() -> Response:
    user = current_user()
    assert user is not None
    accounts.sign_out_everywhere(user)
    sign_out()
    flash(_("You are signed out everywhere: on every browser and for every API token."), "success")
    return redirect(url_for(".login"))


# ---------------------------------------------------------------------------
# Accounts (admins)


def _admin() -> Any:
    user = current_user()
    if user is None or not user.is_admin:
        abort(404)  # the page does not exist for others
    return user


def _render_accounts(form: InviteForm | None = None, link: dict[str, Any] | None = None,
                     status: int = 200) -> tuple[str, int]:
    admin = _admin()
    return render_template("facilitator/accounts.html", users=accounts.list_accounts(admin),
                           form=form or InviteForm(formdata=None), action_form=ActionForm(),
                           link=link, me=admin, no_password=accounts.NO_PASSWORD), status


@bp.get("/console/accounts")
@login_required
def accounts_page() -> tuple[str, int]:
    return _render_accounts()


@bp.post("/console/accounts")
@login_required
def invite() -> tuple[str, int]:
    admin = _admin()
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_accounts(form, status=422)
    try:
        user, raw = accounts.invite(admin, form.username.data, is_admin=bool(form.is_admin.data))
    except (Invalid, Conflict):
        form.username.errors = [*form.username.errors, _("This account name is taken. Choose another.")]
        return _render_accounts(form, status=422)
    return _render_accounts(link={"purpose": "invite", "username": user.username,
                                  "url": accounts.link_url(raw), "days": accounts.LINK_DAYS}, status=201)


@bp.post("/console/accounts/<int:user_id>/<any(disable, enable, reset):action>")
@login_required
def account_action(user_id: int, action: str) -> Any:
    admin = _admin()
    ActionForm()
    try:
        if action == "reset":
            raw = accounts.reset(admin, user_id)
            user = accounts.get_account(admin, user_id)
            return _render_accounts(link={"purpose": "reset", "username": user.username,
                                          "url": accounts.link_url(raw), "days": accounts.LINK_DAYS})
        user = accounts.set_disabled(admin, user_id, action == "disable")
    except Conflict:
        flash(_("You cannot disable your own account."), "error")
    else:
        flash(_("“%(name)s” is disabled: it cannot sign in, and its sessions and tokens have stopped.",
                name=user.username) if action == "disable"
              else _("“%(name)s” can sign in again.", name=user.username), "success")
    return redirect(url_for(".accounts_page"))


# ---------------------------------------------------------------------------
# The page behind an invitation or reset link


@bp.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str) -> Any:
    user = accounts.link_account(token)
    if user is None:
        return render_template("facilitator/error.html", status=404,
                               title=_("This link cannot be used"),
                               message=_("It has been used already, has expired (links work for 7 days) "
                                         "or was replaced by a newer one. Ask an admin for a new link.")), 404
    form = LinkPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.use_link(token, form.password.data)
        except Invalid as exc:
            form.password.errors = [*form.password.errors, *password_messages(exc.details or [])]
        else:
            sign_in(user.username, form.password.data or "")
            flash(_("Your password is saved. Welcome to RuamKit."), "success")
            return redirect(url_for(".index"))
    page = render_template("facilitator/invite.html", form=form, username=user.username,
                           purpose=accounts.link_purpose(token))
    return page, 422 if form.errors else 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
