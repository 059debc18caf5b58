"""The projector's screen: what the facilitator put up (rules in domain.screens).

The choice is stored on the workshop, so a projector that reloads, or one
connected to another server process, shows it too; every change is announced
(`screen` to projectors and consoles) through the notifier.
"""

from __future__ import annotations

from typing import Any

from ..domain import screens
from ..models import Workshop
from ..storage import db
from .errors import Invalid, NotFound
from .notify import notifier
from .workshops import definition_of, get_workshop


def _stage_views(workshop: Workshop) -> list[screens.StageView]:
    return [screens.StageView(s.key, s.state, s.closed_at) for s in workshop.stages]


def _walls(workshop: Workshop) -> dict[str, bool]:
    """Whether the comments and ideas walls belong in next/previous for this workshop."""
    stages = definition_of(workshop).stages
    return {"comments": any(s.allow_comments for s in stages),
            "ideas": any(s.allow_ideas for s in stages)}


def screen_of(workshop: Workshop) -> dict[str, Any]:
    """``{"screen", "stage", "shows"}``: the choice, and what it puts on screen now
    (``shows`` resolves ``auto`` to a stage or the welcome)."""
    choice: tuple[str, str | None] = (workshop.screen or screens.AUTO, workshop.screen_stage)
    if choice[0] == screens.STAGE and choice[1] not in {s.key for s in workshop.stages}:
        choice = (screens.AUTO, None)  # its stage was edited out of the workshop: follow the stages
    shows, stage = screens.shown(choice, _stage_views(workshop))
    return {"screen": choice[0], "stage": choice[1], "shows": {"screen": shows, "stage": stage}}


def projector_screen(workshop: Workshop) -> dict[str, Any]:
    """What projectors (and consoles) are told: :func:`screen_of`, and whether joining is
    paused (the projector then takes its QR code and join code off the screen)."""
    return {**screen_of(workshop), "join_paused": bool(workshop.join_paused)}


def _store(workshop: Workshop, choice: tuple[str, str | None]) -> dict[str, Any]:
    workshop.screen, workshop.screen_stage = choice
    db.session.commit()
    notifier().screen_changed(workshop.id)
    return screen_of(workshop)


def choose_screen(workshop_id: int, screen: object, stage: object = None) -> dict[str, Any]:
    """Put ``screen`` (and for the ``stage`` screen, ``stage``) on the projector;
    ``next`` or ``previous`` step from the one on screen."""
    if isinstance(screen, str) and screen in screens.STEPS and stage is None:
        return step_screen(workshop_id, screens.STEPS[screen])
    workshop = get_workshop(workshop_id)
    try:
        choice = screens.choose(screen, stage, [s.key for s in workshop.stages])
    except screens.ScreenError as exc:
        if exc.code == "unknown_stage":
            raise NotFound(exc.message, code="unknown_stage") from exc
        raise Invalid(exc.message) from exc
    return _store(workshop, choice)


def step_screen(workshop_id: int, direction: int) -> dict[str, Any]:
    """The next (1) or previous (-1) screen, from what is on screen now."""
    workshop = get_workshop(workshop_id)
    try:
        choice = screens.step((workshop.screen, workshop.screen_stage), _stage_views(workshop),
                              direction, **_walls(workshop))
    except screens.ScreenError as exc:
        raise Invalid(exc.message) from exc
    return _store(workshop, choice)
