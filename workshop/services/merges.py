"""Merges of words entries: a facilitator counts some entries as another.

A merge is recorded (who, when), applies to results, the projector and every
export from then on, and can be undone (the record stays, marked undone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..domain.methods import MAX_WORD_LENGTH
from ..domain.words import entry_key, tidy
from ..models import Stage, User, WordMerge
from ..models._types import utcnow
from ..storage import db
from .errors import Conflict, Invalid, NotFound
from .notify import notifier
from .workshops import definition_of, get_stage, get_workshop, stage_spec_of

#: entries one merge may take
MAX_MERGE_SOURCES = 100
#: longest entry a merge may name or merge into, in characters
MAX_ENTRY_CHARS = MAX_WORD_LENGTH * 4


def _words_stage(workshop_id: int, stage_key: str) -> tuple[int, Stage]:
    workshop = get_workshop(workshop_id)
    stage = get_stage(workshop, stage_key)
    if stage_spec_of(stage).method != "words":
        raise Conflict(f"stage '{stage.key}' is not a words stage: only words entries can be merged",
                       code="not_words")
    return workshop.id, stage


def _entry(raw: object, where: str) -> tuple[str, str]:
    if not isinstance(raw, str) or not tidy(raw):
        raise Invalid(f"{where}: must be a non-empty string")
    shown = tidy(raw)
    if len(shown) > MAX_ENTRY_CHARS:
        raise Invalid(f"{where}: at most {MAX_ENTRY_CHARS} characters")
    return entry_key(shown), shown


def active_merges(stage_id: int) -> list[tuple[list[str], str, str]]:
    """(entries, into, into as typed) of a stage's merges not undone, in the order made."""
    rows = db.session.execute(
        select(WordMerge.sources, WordMerge.target, WordMerge.target_label)
        .where(WordMerge.stage_id == stage_id, WordMerge.undone_at.is_(None))
        .order_by(WordMerge.id)
    ).all()
    return [(list(sources), target, label) for sources, target, label in rows]


def merge_dict(merge: WordMerge, stage_key: str, names: dict[int, str] | None = None) -> dict[str, Any]:
    if names is None:
        names = _usernames([merge])
    return {
        "id": merge.id,
        "stage": stage_key,
        "from": list(merge.sources),
        "into": merge.target,
        "into_label": merge.target_label,
        "created_at": merge.created_at.isoformat(),
        "created_by": names.get(merge.created_by) if merge.created_by is not None else None,
        "undone": merge.undone_at is not None,
        "undone_at": merge.undone_at.isoformat() if merge.undone_at else None,
        "undone_by": names.get(merge.undone_by) if merge.undone_by is not None else None,
    }


def _usernames(merges: list[WordMerge]) -> dict[int, str]:
    ids = {m.created_by for m in merges} | {m.undone_by for m in merges}
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all()
    return {int(uid): str(name) for uid, name in rows}


def merge_entries(workshop_id: int, stage_key: str, sources: object, into: object, *,
                  user_id: int | None = None) -> dict[str, Any]:
    """Count the entries ``sources`` as ``into`` from now on; the merge as a dict."""
    workshop_id, stage = _words_stage(workshop_id, stage_key)
    target, label = _entry(into, "into")
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources:
        raise Invalid("from: must be a non-empty list of entries")
    if len(sources) > MAX_MERGE_SOURCES:
        raise Invalid(f"from: at most {MAX_MERGE_SOURCES} entries in one merge")
    keys: list[str] = []
    for index, raw in enumerate(sources):
        key, _shown = _entry(raw, f"from[{index}]")
        if key != target and key not in keys:
            keys.append(key)
    if not keys:
        raise Invalid("from: give at least one entry other than the one merged into")
    merge = WordMerge(stage_id=stage.id, sources=keys, target=target, target_label=label,
                      created_by=user_id, created_at=utcnow())
    db.session.add(merge)
    db.session.commit()
    notifier().results_changed(workshop_id, stage.key)
    return merge_dict(merge, stage.key)


def list_merges(workshop_id: int, stage_key: str, *, include_undone: bool = True) -> list[dict[str, Any]]:
    """A stage's merges in the order made (undone ones marked, unless left out)."""
    _workshop_id, stage = _words_stage(workshop_id, stage_key)
    query = select(WordMerge).where(WordMerge.stage_id == stage.id).order_by(WordMerge.id)
    if not include_undone:
        query = query.where(WordMerge.undone_at.is_(None))
    merges = list(db.session.scalars(query).all())
    names = _usernames(merges)
    return [merge_dict(m, stage.key, names) for m in merges]


def workshop_merges(workshop_id: int) -> list[dict[str, Any]]:
    """Every merge of every words stage of a workshop (for the exports)."""
    workshop = get_workshop(workshop_id)
    words = {spec.key for spec in definition_of(workshop).stages if spec.method == "words"}
    keys = {s.id: s.key for s in workshop.stages if s.key in words}
    if not keys:
        return []
    merges = list(db.session.scalars(
        select(WordMerge).where(WordMerge.stage_id.in_(keys)).order_by(WordMerge.id)).all())
    names = _usernames(merges)
    return [merge_dict(m, keys[m.stage_id], names) for m in merges]


def undo_merge(workshop_id: int, stage_key: str, merge_id: int, *,
               user_id: int | None = None) -> dict[str, Any]:
    """Undo a merge: its entries count as themselves again. Undoing twice changes nothing."""
    workshop_id, stage = _words_stage(workshop_id, stage_key)
    merge = db.session.get(WordMerge, merge_id)
    if merge is None or merge.stage_id != stage.id:
        raise NotFound(f"no merge {merge_id} in stage '{stage.key}'")
    if merge.undone_at is None:
        merge.undone_at = utcnow()
        merge.undone_by = user_id
        db.session.commit()
        notifier().results_changed(workshop_id, stage.key)
    return merge_dict(merge, stage.key)
