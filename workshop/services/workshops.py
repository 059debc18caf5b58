"""Workshops: create from a workshop object or file, look up, describe."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..adapters.offloop import off_loop
from ..domain.definition import StageDefinition, WorkshopDefinition, stage_from_json
from ..domain.lifecycle import results_visible
from ..domain.workshop_file import DefinitionError, parse_workshop
from ..models import Item, Participant, Stage, Workshop
from ..storage import db
from .errors import Invalid, NotFound
from .security import new_code, new_token


def public_url() -> str:
    """Base URL for QR codes and printed links (WORKSHOP_PUBLIC_URL or the LAN address)."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured)
    from ..config import lan_address

    return f"http://{lan_address()}:{current_app.config.get('PORT', 5000)}"


def join_url(workshop: Workshop) -> str:
    return f"{public_url()}/j/{workshop.code}"


def projector_url(workshop: Workshop) -> str:
    return f"{public_url()}/projector/{workshop.projector_key}"


def definition_error(exc: DefinitionError) -> Invalid:
    return Invalid(str(exc).splitlines()[0] if exc.problems else str(exc), details=exc.errors,
                   problems=exc.problems)


def parse_definition(data: object) -> WorkshopDefinition:
    """A workshop object checked here. pydantic holds the GIL while it checks, so a pool
    thread would only make the loop wait for the GIL at every turn (the abuse bench's
    back-to-back bodies: honest p95 176 ms off the loop, against 82 ms on it): large request
    bodies are checked in a worker process instead (services.bodies), and a hopeless body is
    cut short (workshop_file.CONSIDERED_ERRORS)."""
    try:
        return parse_workshop(data)
    except DefinitionError as exc:
        raise definition_error(exc) from exc


def parse_definition_text(text: str | bytes, filename: str = "", *, ours: bool = False) -> WorkshopDefinition:
    """A workshop file (YAML or JSON) read and checked off the event loop: a large one in a
    checking worker process (services.bodies: pydantic's check holds the GIL), a small one on
    a pool thread (the YAML reader is Python, which hands the GIL back every switch interval).
    ``ours``: one of the sample files shipped with RuamKit, read on the thread whatever its size
    (they are small, and never wait for a worker)."""
    from .bodies import check_text, workshop_text

    checked = None if ours else workshop_text(text, filename)
    return checked if checked is not None else off_loop(check_text, text, filename)


def create_workshop(definition: WorkshopDefinition, *, user_id: int | None = None) -> Workshop:
    """Create a workshop from a validated definition; all or nothing.

    Its maker (``user_id``) owns it; made without an account (``run.py load``, the demo),
    it is owned by the first admin, or, on a database with no account yet, by the first
    account made (services.accounts.create_user).
    """
    from . import access
    from .accounts import first_admin

    header = definition.stored_header()
    if user_id is None:
        admin = first_admin()
        owner = admin.id if admin is not None else None
    else:
        owner = user_id
    for _attempt in range(10):
        workshop = Workshop(
            code=new_code(), projector_key=new_token(24), definition=header, created_by=user_id
        )
        for position, stage_def in enumerate(definition.stages):
            stage = Stage(
                key=stage_def.key,
                position=position,
                config=WorkshopDefinition.stored_stage(stage_def),
            )
            stage.items = [
                Item(key=item.key, position=i, data=item.to_json(), origin="definition")
                for i, item in enumerate(stage_def.items)
            ]
            workshop.stages.append(stage)
        session = db.session()
        session.add(workshop)
        try:
            if owner is not None:
                session.flush()
                access.make_owner("workshop", workshop.id, owner)
            session.commit()
            return workshop
        except IntegrityError:  # a join code collision: draw another
            session.rollback()
    raise RuntimeError("could not draw a free join code")


def get_workshop(workshop_id: int) -> Workshop:
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise NotFound(f"workshop {workshop_id} not found")
    return workshop


def workshop_by_code(code: str) -> Workshop:
    found = db.session.scalar(select(Workshop).where(Workshop.code == code.strip().upper()))
    if found is None:
        raise NotFound("no workshop has this code")
    return found


def workshop_by_projector_key(key: str) -> Workshop | None:
    return db.session.scalar(select(Workshop).where(Workshop.projector_key == key))


def list_workshops() -> list[Workshop]:
    return list(db.session.scalars(select(Workshop).order_by(Workshop.id.desc())))


def get_stage(workshop: Workshop, key: str) -> Stage:
    for stage in workshop.stages:
        if stage.key == key:
            return stage
    raise NotFound(f"stage '{key}' not found in workshop {workshop.id}")


def stage_spec(stage: Stage) -> StageDefinition:
    """The stage as the domain sees it: its definition with its current items (ideas included)."""
    return stage_from_json({**stage.config, "items": [item.data for item in stage.items]})


def stage_spec_at(stage_id: int, revision: int, identity: str, stage: Stage | None = None) -> StageDefinition:
    """``stage_spec`` kept per workshop revision, for the hot paths (ballots, live results).

    Every state change, item change or erasure bumps the workshop's revision, so a
    cached spec is never used out of date. ``identity``: the workshop's projector key
    (random, never changed), since SQLite gives a deleted newest row's id to the next
    one: a stage id may come back in another workshop at the same revision.
    ``stage``: the row if the caller holds it fresh; otherwise it is read again.
    """
    specs: dict[int, tuple[tuple[int, str], StageDefinition]]
    specs = current_app.extensions.setdefault("ruamkit.stage_specs", {})
    cached = specs.get(stage_id)
    if cached is not None and cached[0] == (revision, identity):
        return cached[1]
    if stage is None:
        stage = db.session.get(Stage, stage_id)
        assert stage is not None
        db.session.refresh(stage)
    spec = stage_spec(stage)
    if len(specs) > 1000:
        specs.clear()
    specs[stage_id] = ((revision, identity), spec)
    return spec


def stage_visible(stage: Stage) -> bool:
    return results_visible(stage_spec_of(stage).show_results, stage.state, stage.revealed)


def stage_spec_of(stage: Stage) -> StageDefinition:
    """The stage's definition from its workshop's (cached) definition."""
    found = definition_of(stage.workshop).stage(stage.key)
    assert found is not None
    return found


def definition_of(workshop: Workshop) -> WorkshopDefinition:
    """The workshop's typed definition (approved ideas included as items).

    Kept per workshop revision (every change of items bumps it), so pages and
    sockets do not check the stored JSON again on every request; with the projector
    key (random, never changed), since a workshop made after the newest one was
    deleted gets its id on SQLite and may reach the same revision.
    """
    cache: dict[int, tuple[tuple[int, str], WorkshopDefinition]]
    cache = current_app.extensions.setdefault("ruamkit.definitions", {})
    stamp = (workshop.revision, workshop.projector_key)
    cached = cache.get(workshop.id)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    definition = WorkshopDefinition.from_stored(
        workshop.definition,
        [(stage.config, [item.data for item in stage.items]) for stage in workshop.stages],
    )
    if len(cache) > 200:
        cache.clear()
    cache[workshop.id] = (stamp, definition)
    return definition


def definition_unchanged(workshop_id: int, before: int, after: int) -> None:
    """The workshop's revision went from ``before`` to ``after`` by a change that leaves
    its definition as it was (a stage opened, closed, shown or hidden): the definition kept
    for ``before`` stays valid, so the next reader does not validate it all again (a workshop
    at the file limits took 0.2-0.4 s on the event loop for each stage action)."""
    cache: dict[int, tuple[tuple[int, str], WorkshopDefinition]]
    cache = current_app.extensions.get("ruamkit.definitions", {})
    cached = cache.get(workshop_id)
    if cached is not None and cached[0][0] == before:
        cache[workshop_id] = ((after, cached[0][1]), cached[1])


def describe(workshop: Workshop) -> dict[str, Any]:
    """The API's view: the workshop object plus ids, URLs and each stage's state."""
    body = definition_of(workshop).to_json()
    for stage_body, stage in zip(body["stages"], workshop.stages, strict=True):
        stage_body["state"] = stage.state
        stage_body["results_shown"] = stage_visible(stage)
    return {
        "id": workshop.id,
        "code": workshop.code,
        "join_url": join_url(workshop),
        "projector_url": projector_url(workshop),
        "created_at": workshop.created_at.isoformat(),
        "revision": workshop.revision,
        "erased_at": workshop.erased_at.isoformat() if workshop.erased_at else None,
        **body,
    }


def participant_counts(workshop: Workshop) -> dict[str, Any]:
    rows = db.session.execute(
        select(Participant.group_key, func.count())
        .where(Participant.workshop_id == workshop.id)
        .group_by(Participant.group_key)
    ).all()
    by_group = dict.fromkeys(definition_of(workshop).group_keys, 0)
    for group, count in rows:
        by_group[group] = count
    assisted = db.session.scalar(select(func.count()).select_from(Participant).where(
        Participant.workshop_id == workshop.id, Participant.assisted.is_(True))) or 0
    # ``assisted``: of the total, residents who joined at a helper kiosk in the hall
    return {"total": sum(by_group.values()), "by_group": by_group, "assisted": assisted}
