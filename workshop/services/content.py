"""Comments and ideas from residents, and their moderation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..domain.definition import Item as ItemDefinition
from ..models import Comment, Idea, Item, Participant
from ..models._types import utcnow
from ..storage import db
from .ballots import _find_stage
from .errors import BallotRefused, Conflict, Invalid, NotFound
from .notify import notifier
from .workshops import definition_of, get_workshop, stage_spec_of

MAX_COMMENT = 1000
MAX_IDEA_TITLE = 200
MAX_IDEA_DESCRIPTION = 2000
STATUSES = {"comment": ("pending", "published", "rejected"), "idea": ("pending", "approved", "rejected")}
#: comments (and, apart, ideas) waiting for moderation in one workshop at most: beyond it a
#: resident's next one is refused `rate_limited` until the facilitators catch up (issue 14:
#: 1,000 comments from 200 phones in 4 s made a moderation page of 1,000 forms)
PENDING_CAP = 200
#: entries moderated by one bulk action at most
BULK_MOST = PENDING_CAP


def _queue_has_room(model: Any, workshop_id: int) -> None:
    waiting = db.session.scalar(select(func.count()).select_from(model).where(
        model.workshop_id == workshop_id, model.status == "pending")) or 0
    if waiting >= PENDING_CAP:
        raise BallotRefused("the facilitators have many entries to read: try again in a few minutes",
                            code="rate_limited")


def _text(value: object, field: str, limit: int, *, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise BallotRefused(f"{field}: must be text")
    cleaned = value.strip()
    if required and not cleaned:
        raise BallotRefused(f"{field}: must not be empty")
    if len(cleaned) > limit:
        raise BallotRefused(f"{field}: must be at most {limit} characters")
    return cleaned or None


def add_comment(participant: Participant, stage_key: object, item_key: object,
                text: object) -> Comment:
    workshop = get_workshop(participant.workshop_id)
    stage = _find_stage(workshop, stage_key)
    if not stage_spec_of(stage).allow_comments:
        raise BallotRefused(f"stage '{stage.key}' takes no comments", code="not_allowed")
    if item_key is not None and (not isinstance(item_key, str)
                                 or item_key not in {i.key for i in stage.items}):
        raise BallotRefused(f"unknown item {item_key!r}")
    body = _text(text, "text", MAX_COMMENT)
    moderated = definition_of(workshop).moderation == "pre"
    if moderated:
        _queue_has_room(Comment, workshop.id)
    comment = Comment(workshop_id=workshop.id, stage_key=stage.key, item_key=item_key,
                      participant_id=participant.id, group_key=participant.group_key,
                      text=body, status="pending" if moderated else "published")
    db.session.add(comment)
    db.session.commit()
    if comment.status == "pending":  # the row first, then the counts that include it
        notifier().pending_added(workshop.id, "comment", comment.id)
    notifier().moderation_changed(workshop.id)
    if comment.status == "published":
        notifier().comment_published(workshop.id, comment.id)
    return comment


def add_idea(participant: Participant, stage_key: object, title: object,
             description: object = None) -> Idea:
    workshop = get_workshop(participant.workshop_id)
    stage = _find_stage(workshop, stage_key)
    if not stage_spec_of(stage).allow_ideas:
        raise BallotRefused(f"stage '{stage.key}' takes no ideas", code="not_allowed")
    _queue_has_room(Idea, workshop.id)
    idea = Idea(workshop_id=workshop.id, stage_key=stage.key, participant_id=participant.id,
                group_key=participant.group_key, title=_text(title, "title", MAX_IDEA_TITLE),
                description=_text(description, "description", MAX_IDEA_DESCRIPTION, required=False))
    db.session.add(idea)
    db.session.commit()
    notifier().pending_added(workshop.id, "idea", idea.id)
    notifier().moderation_changed(workshop.id)
    return idea


def _status(kind: str, status: object) -> str | None:
    if status is None or status == "":
        return None
    if status not in STATUSES[kind]:
        raise Invalid(f"status: must be one of {', '.join(STATUSES[kind])}")
    return str(status)


def list_comments(workshop_id: int, status: object = None) -> list[Comment]:
    get_workshop(workshop_id)
    query = select(Comment).where(Comment.workshop_id == workshop_id).order_by(Comment.id)
    if (wanted := _status("comment", status)) is not None:
        query = query.where(Comment.status == wanted)
    return list(db.session.scalars(query))


def list_ideas(workshop_id: int, status: object = None) -> list[Idea]:
    get_workshop(workshop_id)
    query = select(Idea).where(Idea.workshop_id == workshop_id).order_by(Idea.id)
    if (wanted := _status("idea", status)) is not None:
        query = query.where(Idea.status == wanted)
    return list(db.session.scalars(query))


#: published comments a page gets at once (sync), and per "more"
COMMENTS_PAGE = 50


def published_comments(workshop_id: int, before: object = None,
                       limit: int = COMMENTS_PAGE) -> tuple[list[Comment], bool]:
    """Published comments, newest first, older than comment id ``before`` if given;
    and whether there are more after these."""
    if before is not None and (isinstance(before, bool) or not isinstance(before, int) or before < 1):
        raise Invalid("before: must be a comment id")
    query = (select(Comment).where(Comment.workshop_id == workshop_id, Comment.status == "published")
             .order_by(Comment.id.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(Comment.id < before)
    found = list(db.session.scalars(query))
    return found[:limit], len(found) > limit


def approved_ideas(workshop_id: int, limit: int = COMMENTS_PAGE) -> list[Idea]:
    """Approved ideas (items now), newest first."""
    return list(db.session.scalars(
        select(Idea).where(Idea.workshop_id == workshop_id, Idea.status == "approved")
        .order_by(Idea.id.desc()).limit(limit)))


def pending_counts(workshop_id: int) -> dict[str, int]:
    counts = {}
    for name, model in (("comments", Comment), ("ideas", Idea)):
        counts[name] = db.session.scalar(select(func.count()).select_from(model).where(
            model.workshop_id == workshop_id, model.status == "pending")) or 0
    return counts


def moderate_comment(comment_id: int, approve: bool, *, workshop_id: int | None = None) -> Comment:
    """Publish or reject a comment (of ``workshop_id`` only, when given)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or (workshop_id is not None and comment.workshop_id != workshop_id):
        raise NotFound(f"comment {comment_id} not found")
    comment.status = "published" if approve else "rejected"
    comment.moderated_at = utcnow()
    db.session.commit()
    notifier().moderation_changed(comment.workshop_id)
    if approve:
        notifier().comment_published(comment.workshop_id, comment.id)
    return comment


def moderate_idea(idea_id: int, approve: bool, *, workshop_id: int | None = None) -> Idea:
    """Approve (the idea becomes an item of its stage) or reject a pending idea."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or (workshop_id is not None and idea.workshop_id != workshop_id):
        raise NotFound(f"idea {idea_id} not found")
    if idea.status == "approved":
        if approve:
            return idea  # approving twice changes nothing
        raise Conflict("an approved idea is an item already; it cannot be rejected")
    if approve:
        workshop = get_workshop(idea.workshop_id)
        stage = _find_stage(workshop, idea.stage_key)
        key = f"idea-{idea.id}"
        # Checked by the same model as a file's items (an idea's limits are an item's).
        item = ItemDefinition(key=key, title=idea.title, description=idea.description).to_json()
        stage.items.append(Item(key=key, position=len(stage.items), data=item, origin="idea"))
        idea.item_key = key
        workshop.revision += 1
    idea.status = "approved" if approve else "rejected"
    idea.moderated_at = utcnow()
    db.session.commit()
    notifier().moderation_changed(idea.workshop_id)
    if approve:
        notifier().state_changed(idea.workshop_id, items_changed=True)  # a new item to show
    return idea


def moderate_selected(kind: str, ids: list[int], approve: bool, *, workshop_id: int) -> dict[str, int]:
    """Approve or reject the comments or ideas ``ids`` of one workshop (a console selection):
    each by the same rule as one at a time; an id of another workshop, or an approved idea
    to reject, is skipped. Returns ``{"done", "skipped"}``."""
    moderate = moderate_comment if kind == "comment" else moderate_idea
    done = skipped = 0
    for entry_id in dict.fromkeys(ids[:BULK_MOST]):
        try:
            moderate(entry_id, approve, workshop_id=workshop_id)
            done += 1
        except (NotFound, Conflict):
            db.session.rollback()
            skipped += 1
    return {"done": done, "skipped": skipped}


def comment_dict(comment: Comment) -> dict[str, Any]:
    return {"id": comment.id, "stage": comment.stage_key, "item": comment.item_key,
            "group": comment.group_key, "text": comment.text, "status": comment.status,
            "created_at": comment.created_at.isoformat()}


def idea_dict(idea: Idea) -> dict[str, Any]:
    return {"id": idea.id, "stage": idea.stage_key, "group": idea.group_key, "title": idea.title,
            "description": idea.description, "status": idea.status, "item": idea.item_key,
            "created_at": idea.created_at.isoformat()}
