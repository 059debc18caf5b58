"""Who may do what with a workshop (or a plan): roles and the actions they allow.

Pure rules; ``services.access`` looks up a person's role and applies them.

- ``read``: the run sheet, results, exports, the moderation lists (viewer and up)
- ``run``: run the room: open/close/reveal/hide, paper ballots, moderation, join cards,
  edits (facilitator and up)
- ``manage``: members, erase, delete (owner only)
"""

from __future__ import annotations

#: from least to most rights; each role can do everything the ones before it can
ROLES = ("viewer", "facilitator", "owner")
ACTIONS = {"read": "viewer", "run": "facilitator", "manage": "owner"}
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def allows(role: str | None, action: str) -> bool:
    """Whether ``role`` (None: not a member) may do ``action``."""
    if role not in _RANK:
        return False
    return _RANK[role] >= _RANK[ACTIONS[action]]


def is_role(value: object) -> bool:
    return isinstance(value, str) and value in _RANK
