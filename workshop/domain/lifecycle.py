"""Stage lifecycle (draft -> open <-> closed) and whether results are shown.

The one place that says which transitions are allowed. A stage opens from
``draft`` or ``closed`` (reopening) and closes only from ``open``. Whether
its results are shown follows the stage's ``show_results`` policy unless the
facilitator overrode it with reveal or hide.
"""

from __future__ import annotations

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
#: Stage states, in lifecycle order.
STATES = (DRAFT, OPEN, CLOSED)
#: Results policies of the workshop file (``show_results``).
POLICIES = ("live", "after_close", "never")

#: action -> (states it may start from, resulting state)
_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({DRAFT, CLOSED}), OPEN),
    "close": (frozenset({OPEN}), CLOSED),
}
ACTIONS = tuple(_TRANSITIONS)


class TransitionError(Exception):
    """A lifecycle or visibility action not allowed in the stage's current state."""

    code: str = "conflict"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        #: English and safe to show, e.g. "stage 'vision' is already open".
        self.message = message


def transition(state: str, action: str, *, stage_key: str) -> str:
    """The state after ``action`` (``open`` or ``close``) on a stage in ``state``.

    Raises ``TransitionError`` when the action is not allowed from ``state``
    and ValueError for an unknown state or action (a programming error).
    """
    if state not in STATES:
        raise ValueError(f"unknown stage state {state!r}")
    if action not in _TRANSITIONS:
        raise ValueError(f"unknown stage action {action!r}")
    sources, target = _TRANSITIONS[action]
    if state not in sources:
        if state == target:
            raise TransitionError(f"stage {stage_key!r} is already {target}")
        raise TransitionError(f"stage {stage_key!r} is not open")
    return target


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise ValueError(f"unknown results policy {policy!r}")


def results_visible(policy: str, state: str, revealed: bool | None) -> bool:
    """Whether residents see a stage's results now.

    ``never`` hides them always; otherwise a facilitator override (``revealed``
    not None) wins; else ``live`` shows them once the stage has opened and
    ``after_close`` once it is closed.
    """
    _check_policy(policy)
    if state not in STATES:
        raise ValueError(f"unknown stage state {state!r}")
    if policy == "never":
        return False
    if revealed is not None:
        return revealed
    if policy == "live":
        return state != DRAFT
    return state == CLOSED


def reveal(policy: str, stage_key: str) -> bool:
    """The override after the facilitator reveals results (True); refused for ``never``."""
    _check_policy(policy)
    if policy == "never":
        raise TransitionError(f"results of stage {stage_key!r} are never shown")
    return True


def hide(policy: str, stage_key: str) -> bool:
    """The override after the facilitator hides results (False); always allowed."""
    _check_policy(policy)
    return False
