"""The password rule (domain.passwords) and the role table (domain.access)."""

from __future__ import annotations

import pytest

from workshop.domain import access, passwords


def codes(password: str, username: str = "") -> list[str]:
    return [p.code for p in passwords.problems(password, username)]


def test_the_list_holds_ten_thousand_common_passwords() -> None:
    common = passwords.common_passwords()
    assert len(common) == 10_000
    for known in ("password", "123456", "qwerty", "iloveyou", "1234567890", "qwertyuiop", "password123"):
        assert known in common


@pytest.mark.parametrize("password", ["password", "short", "", "123456789"])
def test_shorter_than_ten_is_refused(password: str) -> None:
    assert "too_short" in codes(password)
    [problem] = [p for p in passwords.problems(password) if p.code == "too_short"]
    assert problem.params == {"min_length": 10}
    assert "at least 10 characters" in problem.english


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "Password123", "  QWERTYUIOP ",
                                      "iloveyou12", "1q2w3e4r5t"])
def test_common_passwords_of_ten_or_more_are_refused_whatever_their_case(password: str) -> None:
    assert codes(password) == ["too_common"]


def test_the_user_name_is_refused_as_password() -> None:
    assert codes("somchai.k2569", "Somchai.K2569") == ["same_as_username"]
    assert codes("somchai.k2569", "anong") == []


def test_good_passwords_pass_and_the_bounds_are_inclusive() -> None:
    assert codes("correct horse battery") == []
    assert codes("สวนสาธารณะริมน้ำ") == []  # Thai counts by characters
    assert codes("x" * 9 + "y") == []
    assert codes("ab" * 128) == []
    assert codes("ab" * 128 + "c") == ["too_long"]


def test_several_problems_at_once() -> None:
    assert codes("password", "password") == ["too_short", "too_common", "same_as_username"]


ROLES = [None, "viewer", "facilitator", "owner", "admin"]
EXPECTED = {
    "read": {"viewer", "facilitator", "owner"},
    "run": {"facilitator", "owner"},
    "manage": {"owner"},
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_what_each_role_may_do(role: str | None, action: str) -> None:
    assert access.allows(role, action) is (role in EXPECTED[action])
