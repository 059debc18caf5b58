"""The password rule, in one place: long enough, not common, not the user name.

``problems(password, username)`` returns what is wrong as codes with parameters
(an empty list for a good password); every front end says them in its language
(the console's catalog, the API's English ``message``, the command line).

The list of common passwords (``common_passwords.txt``, 10,000 lines, most common
first) is the first 10,000 of the 20,000 that Django ships as
``django/contrib/auth/common-passwords.txt.gz`` (Django 5.2.8 from PyPI, BSD-3-Clause;
compiled by Royce Williams from leaked password corpora, lowercased and deduplicated).
Comparison ignores case and surrounding spaces, as Django's does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

#: shorter passwords are refused (issue 14: at least 10)
MIN_LENGTH = 10
#: longer ones too: hashing a huge body costs the server, not the attacker
MAX_LENGTH = 256
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")

#: every code ``problems`` may return
CODES = ("too_short", "too_long", "too_common", "same_as_username")


@dataclass(frozen=True)
class Problem:
    code: str
    params: dict[str, int] = field(default_factory=dict)

    @property
    def english(self) -> str:
        return ENGLISH[self.code].format(**self.params)


ENGLISH = {
    "too_short": "the password must be at least {min_length} characters long",
    "too_long": "the password must be at most {max_length} characters long",
    "too_common": "this password is one of the most common ones: choose another",
    "same_as_username": "the password must not be the user name",
}


@cache
def common_passwords() -> frozenset[str]:
    with COMMON_FILE.open(encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _folded(text: str) -> str:
    return text.strip().casefold()


def problems(password: str, username: str = "") -> list[Problem]:
    """What is wrong with this password for this account; [] when nothing is."""
    found: list[Problem] = []
    if len(password) < MIN_LENGTH:
        found.append(Problem("too_short", {"min_length": MIN_LENGTH}))
    if len(password) > MAX_LENGTH:
        found.append(Problem("too_long", {"max_length": MAX_LENGTH}))
    if _folded(password) in common_passwords():
        found.append(Problem("too_common"))
    if username and _folded(password) == _folded(username):
        found.append(Problem("same_as_username"))
    return found
