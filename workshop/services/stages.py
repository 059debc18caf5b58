"""Stage lifecycle: open, close, reveal, hide (rules in domain.lifecycle)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, or_, select, update

from ..domain import lifecycle, schedule
from ..models import Stage, Workshop
from ..models._types import utcnow
from ..storage import db
from .errors import Conflict
from .notify import notifier
from .workshops import definition_of, definition_unchanged, get_stage, get_workshop, stage_spec_of


def _apply(workshop_id: int, key: str, change: Callable[[Stage], None]) -> tuple[Workshop, Stage]:
    workshop = get_workshop(workshop_id)
    stage = get_stage(workshop, key)
    try:
        change(stage)
    except lifecycle.TransitionError as exc:
        db.session.rollback()
        raise Conflict(str(exc), code="conflict") from exc
    before = workshop.revision
    workshop.revision = before + 1
    db.session.commit()
    definition_unchanged(workshop_id, before, before + 1)
    notifier().state_changed(workshop.id)
    notifier().results_changed(workshop.id, stage.key)
    return workshop, stage


def open_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.state = lifecycle.transition(stage.state, "open", stage_key=stage.key)
        stage.opened_at = utcnow()
        stage.opened_by = "hall"  # its phone ballots are cast in the hall

    return _apply(workshop_id, key, change)


def close_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.state = lifecycle.transition(stage.state, "close", stage_key=stage.key)
        stage.closed_at = utcnow()

    return _apply(workshop_id, key, change)


def reveal_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.revealed = lifecycle.reveal(stage_spec_of(stage).show_results, stage.key)

    return _apply(workshop_id, key, change)


def hide_stage(workshop_id: int, key: str) -> tuple[Workshop, Stage]:
    def change(stage: Stage) -> None:
        stage.revealed = lifecycle.hide(stage_spec_of(stage).show_results, stage.key)

    return _apply(workshop_id, key, change)


ACTIONS: dict[str, Callable[[int, str], tuple[Workshop, Stage]]] = {
    "open": open_stage,
    "close": close_stage,
    "reveal": reveal_stage,
    "hide": hide_stage,
}


def run_schedule(now: datetime | None = None) -> list[tuple[int, str, str]]:
    """Open and close the stages whose voting window (``opens_at`` / ``closes_at``) says so.

    Called every few seconds by each process (realtime.schedule) and once at start.
    Each change is a conditional UPDATE on the state read, so two processes running
    it at the same moment change a stage once and announce it once; a restart
    opens a stage whose window is now. Returns ``(workshop_id, stage_key, action)``.
    """
    now = now or utcnow()
    # Only stages with a window are read (the database looks into their stored form, so a
    # workshop without one costs nothing); the window itself comes from the typed definition.
    windowed = or_(*(Stage.config[name].as_string().is_not(None) for name in schedule.FIELDS))
    rows = db.session.execute(
        select(Stage, Workshop)
        .join(Workshop, Stage.workshop_id == Workshop.id)
        .where(Workshop.erased_at.is_(None), windowed)
    ).all()
    due: list[tuple[int, int, str, str, str]] = []  # stage id, workshop id, key, state, action
    for stage, workshop in rows:
        definition = definition_of(workshop)
        spec = definition.stage(stage.key)
        assert spec is not None  # the definition is read from these very rows
        action = schedule.due_action(
            stage.state,
            opens_at=schedule.moment(spec.opens_at, definition.timezone),
            closes_at=schedule.moment(spec.closes_at, definition.timezone),
            opened_at=stage.opened_at,
            closed_at=stage.closed_at,
            now=now,
        )
        if action is not None:
            due.append((stage.id, stage.workshop_id, stage.key, stage.state, action))
    done: list[tuple[int, str, str]] = []
    for stage_id, workshop_id, key, state, action in due:
        target = lifecycle.transition(state, action, stage_key=key)
        stamp: dict[str, object] = (
            {"opened_at": now, "opened_by": "schedule"} if action == "open" else {"closed_at": now})
        # an UPDATE's result is a CursorResult (its rowcount tells whether this process was first)
        result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
            update(Stage)
            .where(Stage.id == stage_id, Stage.state == state)
            .values(state=target, **stamp)
            .execution_options(synchronize_session=False)
        )
        changed = result.rowcount
        if not changed:
            db.session.rollback()  # another process was first
            continue
        db.session.execute(
            update(Workshop)
            .where(Workshop.id == workshop_id)
            .values(revision=Workshop.revision + 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        done.append((workshop_id, key, action))
    db.session.expire_all()
    for workshop_id, key, _action in done:
        notifier().state_changed(workshop_id)
        notifier().results_changed(workshop_id, key)
    return done
