"""What the projector shows: the facilitator's choice of screen, and the automatic one.

The one place that says which screens exist, what ``auto`` shows and in which
order "next" and "previous" step through them. Pure: plain values in, plain
values out.

A choice is ``(screen, stage)``: ``stage`` is a stage key for the ``stage``
screen and None for every other screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

AUTO, WELCOME, STAGE, COMMENTS, IDEAS, PARTICIPATION = (
    "auto", "welcome", "stage", "comments", "ideas", "participation")
#: every screen the facilitator can put up; ``auto`` follows the stages by itself
SCREENS = (AUTO, WELCOME, STAGE, COMMENTS, IDEAS, PARTICIPATION)
#: moves rather than screens: the one after or before the one on screen
STEPS = {"next": 1, "previous": -1}


class ScreenError(ValueError):
    """A screen choice that cannot be made; ``code`` as the API answers it."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class StageView:
    """What the screen rules need to know of a stage."""

    key: str
    state: str
    closed_at: datetime | None = None


def choose(screen: object, stage: object, stage_keys: Sequence[str]) -> tuple[str, str | None]:
    """A valid choice from what a facilitator sent, or ScreenError."""
    if not isinstance(screen, str) or screen not in SCREENS:
        raise ScreenError(f"screen: must be one of {', '.join(SCREENS)}")
    if screen != STAGE:
        if stage is not None:
            raise ScreenError("stage: only the 'stage' screen takes a stage")
        return screen, None
    if not isinstance(stage, str) or not stage:
        raise ScreenError("stage: the 'stage' screen needs a stage key")
    if stage not in stage_keys:
        raise ScreenError(f"stage: no stage '{stage}' in this workshop", code="unknown_stage")
    return STAGE, stage


def auto_stage(stages: Sequence[StageView]) -> str | None:
    """The stage ``auto`` shows: the last open one in the workshop's order; with none
    open, the one closed most recently; with none closed, none (the welcome)."""
    open_ = [s for s in stages if s.state == "open"]
    if open_:
        return open_[-1].key
    closed = [s for s in stages if s.state == "closed"]
    if not closed:
        return None
    # most recent close; stages closed at the same moment (or never stamped) by file order
    latest = max(range(len(closed)), key=lambda i: (closed[i].closed_at is not None,
                                                    closed[i].closed_at or datetime.min, i))
    return closed[latest].key


def sequence(stage_keys: Sequence[str], *, comments: bool = True,
             ideas: bool = True) -> list[tuple[str, str | None]]:
    """The screens in the order "next" steps through them: the welcome, each stage,
    then the comments wall, approved ideas (when the workshop takes them) and participation."""
    order: list[tuple[str, str | None]] = [(WELCOME, None)]
    order += [(STAGE, key) for key in stage_keys]
    if comments:
        order.append((COMMENTS, None))
    if ideas:
        order.append((IDEAS, None))
    order.append((PARTICIPATION, None))
    return order


def shown(choice: tuple[str, str | None], stages: Sequence[StageView]) -> tuple[str, str | None]:
    """What the projector has on screen for a choice: ``auto`` resolved to a stage or the welcome."""
    screen, stage = choice
    if screen != AUTO:
        return screen, stage
    key = auto_stage(stages)
    return (STAGE, key) if key is not None else (WELCOME, None)


def step(choice: tuple[str, str | None], stages: Sequence[StageView], direction: int, *,
         comments: bool = True, ideas: bool = True) -> tuple[str, str | None]:
    """The screen after (``direction`` 1) or before (-1) the one on screen; it stays at the ends."""
    if direction not in (1, -1):
        raise ScreenError("direction: must be 1 (next) or -1 (previous)")
    keys = [s.key for s in stages]
    order = sequence(keys, comments=comments, ideas=ideas)
    full = sequence(keys)
    current = shown(choice, stages)
    position = full.index(current) if current in full else 0
    index = position + direction
    while 0 <= index < len(full):
        if full[index] in order:
            return full[index]
        index += direction
    # at an end: stay (on the nearest screen this workshop has)
    if current in order:
        return current
    return order[0] if direction == -1 else order[-1]
