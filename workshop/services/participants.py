"""Joining a workshop, by code (open) or by a printed single-use card (tokens)."""

from __future__ import annotations

from sqlalchemy import func, select, update

from ..models import JoinToken, Participant, Workshop
from ..models._types import utcnow
from ..storage import db
from .errors import Conflict, Forbidden, Invalid, TooLarge
from .notify import notifier
from .security import new_code, new_token, token_hash
from .workshops import definition_of, get_workshop, workshop_by_code

MAX_TOKENS_PER_REQUEST = 2000


def _language(workshop: Workshop, language: object) -> str:
    languages = definition_of(workshop).languages
    return language if isinstance(language, str) and language in languages else languages[0]


def _join_language(workshop: Workshop, language: object) -> str:
    """On join, ``language`` is absent (the workshop's first) or one of its languages (else 422)."""
    languages = definition_of(workshop).languages
    if language is None:
        return languages[0]
    if not isinstance(language, str) or language not in languages:
        raise Invalid(f"language: must be one of {', '.join(languages)}")
    return language


def join(code: object, group: object = None, token: object = None,
         language: object = None, *, assisted: bool = False) -> tuple[Participant, str]:
    """Create a participant; returns it and its secret token (given to the phone once).

    ``assisted``: joined at a helper kiosk in the hall; every kiosk resident is a new one."""
    if not isinstance(code, str) or not code.strip():
        raise Invalid("code: required")
    workshop = workshop_by_code(code)
    if workshop.join_paused:
        raise Conflict("joining is paused by the facilitator", code="join_paused")
    definition = definition_of(workshop)
    groups = definition.group_keys
    wanted_language = _join_language(workshop, language)
    session = db.session()
    card: JoinToken | None = None
    if definition.uses_cards:
        if not isinstance(token, str) or not token.strip():
            raise Forbidden("this workshop is joined with a printed card: scan its QR code",
                            code="token_required")
        card = session.scalar(select(JoinToken).where(
            JoinToken.workshop_id == workshop.id, JoinToken.code == token.strip().upper()))
        if card is None:
            raise Forbidden("this card does not belong to this workshop", code="bad_token")
        group = card.group_key
    elif not isinstance(group, str) or group not in groups:
        raise Invalid(f"group: must be one of {', '.join(groups)}")
    raw = new_token(24)
    participant = Participant(workshop_id=workshop.id, token_hash=token_hash(raw),
                              group_key=group, language=wanted_language,
                              assisted=assisted)
    session.add(participant)
    session.flush()
    if card is not None:
        # Single use, enforced by the UPDATE's condition even under concurrency.
        used = session.execute(
            update(JoinToken).where(JoinToken.id == card.id, JoinToken.used_at.is_(None))
            .values(used_at=utcnow(), participant_id=participant.id)
        )
        if used.rowcount != 1:  # type: ignore[attr-defined]
            session.rollback()
            raise Conflict("this card has already been used", code="token_used")
    session.commit()
    notifier().participants_changed(workshop.id)
    return participant, raw


def set_join_paused(workshop_id: int, paused: bool) -> Workshop:
    """Pause or resume joining: while paused, join refuses new phones (409 join_paused);
    phones that already joined keep taking part."""
    workshop = get_workshop(workshop_id)
    workshop.join_paused = paused
    db.session.commit()
    notifier().screen_changed(workshop.id)  # the projector stops inviting people to scan
    return workshop


def stop_kiosks(workshop_id: int) -> Workshop:
    """Stop the workshop's helper kiosks: every kiosk started before now leaves kiosk mode (the web
    pages check :func:`kiosk_active`), and the residents who joined at a kiosk can vote no
    further (their tokens are voided, their ballots stay counted). A kiosk can be started again."""
    workshop = get_workshop(workshop_id)
    session = db.session()
    workshop.kiosks_stopped_at = utcnow()
    seated = list(session.scalars(select(Participant.id).where(
        Participant.workshop_id == workshop_id, Participant.assisted.is_(True))))
    for pid in seated:  # a fresh random hash each: nobody holds the token for it
        session.execute(update(Participant).where(Participant.id == pid).values(
            token_hash=token_hash(f"kiosk-stopped:{new_token(24)}")))
    workshop.revision += 1  # ballot writers check their voters again
    session.commit()
    notifier().kiosks_stopped(workshop_id)
    return workshop


def kiosk_active(workshop: Workshop, since: float) -> bool:
    """Whether a kiosk started at ``since`` (a Unix time) still serves ``workshop``."""
    stopped = workshop.kiosks_stopped_at
    return stopped is None or since > stopped.timestamp()


def participant_by_token(raw: object) -> Participant | None:
    if not isinstance(raw, str) or not raw or len(raw) > 128:
        return None
    return db.session.scalar(select(Participant).where(Participant.token_hash == token_hash(raw)))


def set_language(participant: Participant, language: object) -> None:
    workshop = get_workshop(participant.workshop_id)
    participant.language = _language(workshop, language)
    db.session.commit()


def create_join_tokens(workshop_id: int, group: object, count: object) -> list[JoinToken]:
    workshop = get_workshop(workshop_id)
    if not definition_of(workshop).uses_cards:
        raise Conflict("this workshop is joined with its code: printed cards are for join: tokens",
                       code="join_open")
    groups = definition_of(workshop).group_keys
    if not isinstance(group, str) or group not in groups:
        raise Invalid(f"group: must be one of {', '.join(groups)}")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise Invalid("count: must be a whole number of at least 1")
    if count > MAX_TOKENS_PER_REQUEST:
        raise TooLarge(f"count: at most {MAX_TOKENS_PER_REQUEST} cards in one request")
    existing = set(db.session.scalars(select(JoinToken.code)))
    cards: list[JoinToken] = []
    while len(cards) < count:
        code = new_code(8)
        if code not in existing:
            existing.add(code)
            cards.append(JoinToken(workshop_id=workshop.id, code=code, group_key=group))
    db.session.add_all(cards)
    db.session.commit()
    return cards


def join_tokens(workshop_id: int) -> list[JoinToken]:
    get_workshop(workshop_id)
    return list(db.session.scalars(
        select(JoinToken).where(JoinToken.workshop_id == workshop_id).order_by(JoinToken.id)))


def join_token_counts(workshop_id: int) -> dict[str, dict[str, int]]:
    """Cards made and cards used, per group key (groups without cards are left out)."""
    get_workshop(workshop_id)
    rows = db.session.execute(
        select(JoinToken.group_key, func.count(), func.count(JoinToken.used_at))
        .where(JoinToken.workshop_id == workshop_id).group_by(JoinToken.group_key))
    return {group: {"cards": cards, "used": used} for group, cards, used in rows}


def participant_by_id(participant_id: int | None) -> Participant | None:
    return db.session.get(Participant, participant_id) if participant_id is not None else None
