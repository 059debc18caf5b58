"""Accounts and memberships as use cases (services.accounts, services.access), and the
migration that brought them to databases made before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from tests.factories import PASSWORD, workshop_object
from workshop.services import access, accounts, workshops
from workshop.services.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized


def new_workshop(user_id: int | None = None) -> int:
    return workshops.create_workshop(workshops.parse_definition(workshop_object()), user_id=user_id).id


def test_the_first_account_is_an_admin_and_adopts_workshops_loaded_before_it(app: Any) -> None:
    with app.app_context():
        orphan = new_workshop()  # `run.py load` on an empty database
        first = accounts.create_user("anong", PASSWORD)
        second = accounts.create_user("somchai", PASSWORD)
        assert first.is_admin and not second.is_admin
        assert access.role_of(first, "workshop", orphan) == "owner"
        assert access.role_of(second, "workshop", orphan) is None
        # later loads without an account go to the first admin
        assert access.role_of(first, "workshop", new_workshop()) == "owner"
        assert accounts.create_user("admin2", PASSWORD, is_admin=True).is_admin


def test_the_maker_owns_and_others_get_not_found(app: Any) -> None:
    with app.app_context():
        accounts.create_user("admin", PASSWORD)
        maker = accounts.create_user("maker", PASSWORD)
        other = accounts.create_user("other", PASSWORD)
        wid = new_workshop(maker.id)
        assert access.workshop_for(maker, wid, "manage").id == wid
        for action in ("read", "run", "manage"):
            with pytest.raises(NotFound):
                access.workshop_for(other, wid, action)
        with pytest.raises(NotFound):
            access.workshop_for(maker, wid + 1000, "read")
        assert [w.id for w in access.workshops_of(maker)] == [wid]
        assert access.workshops_of(other) == []


def test_members_roles_and_the_last_owner(app: Any) -> None:
    with app.app_context():
        owner = accounts.create_user("owner", PASSWORD)
        colleague = accounts.create_user("colleague", PASSWORD)
        wid = new_workshop(owner.id)
        access.add_member(owner, "workshop", wid, "colleague", "viewer")
        assert access.require(colleague, "workshop", wid, "read") == "viewer"
        with pytest.raises(Forbidden):
            access.require(colleague, "workshop", wid, "run")
        with pytest.raises(Forbidden):  # a viewer does not manage members
            access.add_member(colleague, "workshop", wid, "owner", "viewer")
        with pytest.raises(Conflict):
            access.add_member(owner, "workshop", wid, "colleague", "owner")
        with pytest.raises(Invalid):
            access.add_member(owner, "workshop", wid, "nobody", "viewer")
        with pytest.raises(Invalid):
            access.add_member(owner, "workshop", wid, "colleague", "admin")
        access.set_role(owner, "workshop", wid, colleague.id, "facilitator")
        assert access.require(colleague, "workshop", wid, "run") == "facilitator"
        with pytest.raises(Conflict) as last:
            access.remove_member(owner, "workshop", wid, owner.id)
        assert last.value.code == "last_owner"
        with pytest.raises(Conflict):
            access.set_role(owner, "workshop", wid, owner.id, "viewer")
        access.set_role(owner, "workshop", wid, colleague.id, "owner")
        access.remove_member(colleague, "workshop", wid, owner.id)  # two owners: one may go
        assert [(m.username, m.role) for m in access.members("workshop", wid)] == [("colleague", "owner")]
        with pytest.raises(NotFound):
            access.workshop_for(owner, wid)


def test_disabled_accounts_cannot_sign_in_and_their_tokens_stop(app: Any) -> None:
    with app.app_context():
        admin = accounts.create_user("admin", PASSWORD)
        user = accounts.create_user("somchai", PASSWORD)
        raw, _record = accounts.login_with_password("somchai", PASSWORD)
        wid = new_workshop(user.id)
        with pytest.raises(Forbidden):  # only admins
            accounts.set_disabled(user, admin.id, True)
        accounts.set_disabled(admin, user.id, True)
        assert accounts.user_for_token(raw) is None
        assert accounts.valid_references({accounts.reference_of(raw)}) == set()
        assert accounts.authenticate("somchai", PASSWORD) is None
        assert access.role_of(user, "workshop", wid) is None
        with pytest.raises(Conflict):
            accounts.set_disabled(admin, admin.id, True)
        accounts.set_disabled(admin, user.id, False)
        assert accounts.authenticate("somchai", PASSWORD) is not None
        assert accounts.user_for_token(raw) is None  # revoked when disabled, not brought back


def test_invitation_link_sets_a_password_once(app: Any) -> None:
    with app.app_context():
        admin = accounts.create_user("admin", PASSWORD)
        user, link = accounts.invite(admin, "newcomer")
        assert accounts.authenticate("newcomer", "") is None
        assert accounts.link_account(link).id == user.id
        with pytest.raises(Invalid) as weak:
            accounts.use_link(link, "password123")
        assert weak.value.code == "weak_password"
        assert weak.value.details == [{"code": "too_common"}]
        accounts.use_link(link, "a long new password")
        assert accounts.authenticate("newcomer", "a long new password") is not None
        with pytest.raises(Unauthorized):
            accounts.use_link(link, "another long password")
        with pytest.raises(Forbidden):
            accounts.invite(user, "someone")


def test_reset_stops_the_old_password_and_gives_a_new_link(app: Any) -> None:
    with app.app_context():
        admin = accounts.create_user("admin", PASSWORD)
        user = accounts.create_user("somchai", PASSWORD)
        raw, _record = accounts.login_with_password("somchai", PASSWORD)
        link = accounts.reset(admin, user.id)
        assert accounts.authenticate("somchai", PASSWORD) is None
        assert accounts.user_for_token(raw) is None
        accounts.use_link(link, "brand new secret words")
        assert accounts.authenticate("somchai", "brand new secret words") is not None


def test_change_password_and_sign_out_everywhere(app: Any) -> None:
    with app.app_context():
        user = accounts.create_user("somchai", PASSWORD)
        here, _ = accounts.login_with_password("somchai", PASSWORD)
        there, _ = accounts.login_with_password("somchai", PASSWORD)
        with pytest.raises(Unauthorized):
            accounts.change_password(user, "wrong old one", "brand new secret words")
        with pytest.raises(Invalid) as weak:
            accounts.change_password(user, PASSWORD, "somchai")
        assert [d["code"] for d in weak.value.details] == ["too_short", "same_as_username"]
        with pytest.raises(Invalid):
            accounts.change_password(user, PASSWORD, "qwertyuiop")
        accounts.change_password(user, PASSWORD, "brand new secret words",
                                 keep_reference=accounts.reference_of(here))
        assert accounts.user_for_token(here) is not None
        assert accounts.user_for_token(there) is None  # other sessions end with the old password
        assert accounts.authenticate("somchai", "brand new secret words") is not None
        assert accounts.sign_out_everywhere(user) == 1
        assert accounts.user_for_token(here) is None


def test_create_user_applies_the_password_rule(app: Any) -> None:
    with app.app_context():
        for weak in ("password", "short", "1234567890", "anong.k2569"):
            with pytest.raises(Invalid):
                accounts.create_user("anong.k2569", weak)
        assert not accounts.has_users()


def test_migration_gives_existing_workshops_an_owner(tmp_path: Path) -> None:
    from workshop.storage.database import make_engine
    from workshop.storage.migrations import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = alembic_config(str(engine.url))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        now = "2026-11-30 10:00:00.000000"
        for uid, name in ((1, "first"), (2, "second")):
            conn.execute(text("INSERT INTO users (id, username, password_hash, created_at) "
                              "VALUES (:id, :name, 'x', :now)"), {"id": uid, "name": name, "now": now})
        for wid, creator in ((1, 2), (2, None), (3, 1)):
            conn.execute(text("INSERT INTO workshops (id, code, projector_key, definition, created_by, "
                              "created_at, revision) VALUES (:id, :code, :key, '{}', :by, :now, 0)"),
                         {"id": wid, "code": f"C{wid}", "key": f"k{wid}", "by": creator, "now": now})
        conn.execute(text("INSERT INTO api_tokens (user_id, token_hash, created_at, expires_at) "
                          "VALUES (2, 'h', :now, '2099-01-01 00:00:00.000000')"), {"now": now})
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 1  # nothing cascaded
        assert conn.execute(text("SELECT created_by FROM workshops WHERE id = 1")).scalar() == 2
        admins = conn.execute(text("SELECT username FROM users WHERE is_admin")).scalars().all()
        owners = conn.execute(text("SELECT workshop_id, user_id, role FROM workshop_members "
                                   "ORDER BY workshop_id")).all()
    engine.dispose()
    assert admins == ["first"]
    assert [tuple(row) for row in owners] == [(1, 2, "owner"), (2, 1, "owner"), (3, 1, "owner")]


def test_run_py_user_add_admin_and_the_password_rule(app: Any, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from workshop import cli

    with app.app_context():
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert cli.user_add("first", True) == 0
        assert "created admin account 'first'" in capsys.readouterr().out
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert cli.user_add("second", True) == 0
        assert "created facilitator account 'second'" in capsys.readouterr().out
        monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
        assert cli.user_add("third", True, admin=True) == 0
        assert "created admin account 'third'" in capsys.readouterr().out
        monkeypatch.setattr("sys.stdin", io.StringIO("password\n"))
        with pytest.raises(Invalid) as weak:
            cli.user_add("fourth", True)
        assert "at least 10 characters" in weak.value.message


def test_a_sign_in_holds_no_transaction_while_it_hashes(app: Any, monkeypatch: Any) -> None:
    """On SQLite every transaction begins IMMEDIATE (the write lock): a sign-in that kept its
    read open while the hash ran (~90 ms, in the hashing pool) held every ballot's write
    behind it, so made-up user names at 5 a second lifted honest phones' ack p50 from
    3 ms to 10 s (bench/abuse, `signin`). The hash now runs with no transaction open."""
    from workshop.storage import db

    during: list[bool] = []
    real = accounts.check_password

    def watched(stored: str, password: str) -> bool:
        during.append(db.session().in_transaction())
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password", watched)
    with app.app_context():
        accounts.create_user("anong", PASSWORD)
        assert accounts.authenticate("nobody", PASSWORD) is None  # a made-up name: the dummy hash
        assert accounts.authenticate("anong", "not the password") is None
        user = accounts.authenticate("anong", PASSWORD)
        assert user is not None and user.username == "anong"
        assert accounts.login_with_password("anong", PASSWORD)[0]  # the token is issued after it
    assert during == [False, False, False, False]
