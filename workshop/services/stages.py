"""Stage lifecycle: open, close, reveal, hide (rules in domain.lifecycle)."""

from __future__ import annotations

from collections.abc import Callable

from ..domain import lifecycle
from ..models import Stage, Workshop
from ..models._types import utcnow
from ..storage import db
from .errors import Conflict
from .notify import notifier
from .workshops import get_stage, get_workshop


def _apply(workshop_id: int, key: str, change: Callable[[Stage], None]) -> tuple[Workshop, Stage]:
    workshop = get_workshop(workshop_id)
    stage = get_stage(workshop, key)
    try:
        change(stage)
    except lifecycle.TransitionError as exc:
        db.session.rollback()
        raise Conflict(str(exc), code="conflict") from exc
    workshop.revision += 1
    db.session.commit()
    notifier().state_changed(workshop.id)
    notifier().results_changed(workshop.id, stage.key)
    return workshop, stage


def open_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.state = lifecycle.transition(stage.state, "open", stage_key=stage.key)
        stage.opened_at = utcnow()

    return _apply(workshop_id, key, change)


def close_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.state = lifecycle.transition(stage.state, "close", stage_key=stage.key)
        stage.closed_at = utcnow()

    return _apply(workshop_id, key, change)


def reveal_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.revealed = lifecycle.reveal(stage.config["show_results"], stage.key)

    return _apply(workshop_id, key, change)


def hide_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.revealed = lifecycle.hide(stage.config["show_results"], stage.key)

    return _apply(workshop_id, key, change)


ACTIONS: dict[str, Callable[[int, str], tuple[Workshop, Stage]]] = {
    "open": open_stage,
    "close": close_stage,
    "reveal": reveal_stage,
    "hide": hide_stage,
}
