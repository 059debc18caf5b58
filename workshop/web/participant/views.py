"""Resident pages: join a workshop by code or printed card, then take part.

``/j/<code>`` is both doors: a browser that already joined this workshop (its
session cookie remembers the participant token) gets the live room, any other
browser the join form. Joining is a plain POST form with a CSRF token, so it
works without JavaScript; voting itself goes over Socket.IO (static/js/resident.js).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy import select

from ...domain.text import localize
from ...extensions import db
from ...models import JoinToken, Participant, Workshop
from ...services import ballots, content, participants, results, workshops
from ...services.errors import NotFound, ServiceError
from ...services.payloads import resident_results, resident_workshop
from ...services.sessions import (
    end_kiosk,
    forget_participant,
    kiosk_since,
    kiosk_workshop,
    remember_participant,
    remembered_token,
)
from ..i18n import SUPPORTED_LANGUAGES, current_language
from . import bp
from .units import unit_strings

#: language codes -> their own name, for language switches and the join form
LANGUAGE_NAMES = {"th": "ไทย", "en": "English"}


# -- helpers shared with the projector ------------------------------------------


@cache
def _asset_version(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


def asset_url(filename: str) -> str:
    """A static URL carrying a hash of the file, so a new release is never served stale."""
    static = Path(current_app.static_folder or "")
    try:
        version = _asset_version(str(static / filename))
    except OSError:
        version = "0"
    return url_for("static", filename=filename, v=version)


def page_context() -> dict[str, Any]:
    return {"asset_url": asset_url, "language_names": LANGUAGE_NAMES}


@bp.context_processor
def _context() -> dict[str, Any]:
    return page_context()


def not_found_page(message: str | None = None) -> tuple[str, int]:
    return render_template(
        "participant/message.html", status=404, heading=_("Page not found"),
        message=message or _("Check the address, or scan the QR code again."),
    ), 404


def text_of(workshop: Workshop, text: Any) -> str:
    """A workshop text in the page's language."""
    return localize(text, current_language(), workshops.definition_of(workshop).languages)


def group_label(workshop: Workshop, key: str | None) -> str:
    for group in workshops.definition_of(workshop).groups:
        if group.key == key:
            return text_of(workshop, group.label)
    return key or ""


# -- the resident's own state --------------------------------------------------


def _workshop_or_none(code: str) -> Workshop | None:
    try:
        return workshops.workshop_by_code(code)
    except NotFound:
        return None


def _current_participant(workshop: Workshop) -> Participant | None:
    found = participants.participant_by_token(remembered_token(session, workshop.id))
    return found if found is not None and found.workshop_id == workshop.id else None


def _is_kiosk(workshop: Workshop) -> bool:
    """Whether this browser is a helper kiosk of this workshop (web/facilitator/kiosk.py),
    not stopped since it was started."""
    return (kiosk_workshop(session) == workshop.id
            and participants.kiosk_active(workshop, kiosk_since(session)))


def _stopped_kiosk_page(workshop: Workshop) -> tuple[str, int] | None:  # a page, not an error: 200
    """A kiosk of this workshop that a facilitator has stopped leaves kiosk mode here: it forgets
    the resident seated at it and says so (their ballots stay counted); None otherwise."""
    if kiosk_workshop(session) != workshop.id or _is_kiosk(workshop):
        return None
    end_kiosk(session)
    g.workshop_language = workshops.definition_of(workshop).language
    return render_template(
        "participant/message.html", heading=_("This helper kiosk has been stopped"),
        message=_("A facilitator has stopped voting on this device. Votes already sent are counted. "
                  "Please give the tablet back to the staff."),
    ), 200


def _card(workshop: Workshop, token: str) -> JoinToken | None:
    return db.session.scalar(select(JoinToken).where(
        JoinToken.workshop_id == workshop.id, JoinToken.code == token.strip().upper()))


def snapshot(workshop: Workshop, participant: Participant) -> dict[str, Any]:
    """What `sync` acknowledges, so the page can draw itself before the socket is up."""
    shown = results.workshop_results(workshop.id, participant.language, visible_only=True, live=True)
    comments, more = content.published_comments(workshop.id)
    return {
        "workshop": resident_workshop(workshop),
        "participant": {"group": participant.group_key, "language": participant.language},
        "ballots": ballots.ballots_of(participant),
        "results": resident_results(shown["stages"]),
        # published comments, newest first, as `sync` has them (a reload or a late join sees them)
        "comments": [content.comment_dict(c) for c in comments],
        "comments_more": more,
    }


def join_errors() -> dict[str, str]:
    """Service error codes -> what a resident reads."""
    return {
        "token_required": _("This workshop is joined with a printed card. "
                            "Scan the QR code on your card."),
        "bad_token": _("This card does not belong to this workshop. "
                       "Check that you scanned the right card, or ask a facilitator."),
        "token_used": _("This card has already been used. If it was you, open the page on the "
                        "phone you used first; otherwise ask a facilitator for a new card."),
        "join_paused": _("Joining is paused by the facilitator; ask them."),
        "invalid": _("Choose your group, then press Join."),
        "not_found": _("No workshop has this code."),
    }


# -- views ---------------------------------------------------------------------


@bp.get("/j")
@bp.get("/j/")
def enter_code() -> Any:
    """Type the code shown on the projector (for phones that cannot scan)."""
    code = "".join(request.args.get("code", "").split()).upper()
    if code:
        if _workshop_or_none(code) is None:
            return render_template("participant/enter_code.html", code=code,
                                   error=_("No workshop has this code. Check it and try again.")), 404
        return redirect(url_for(".room", code=code))
    return render_template("participant/enter_code.html", code="", error=None)


@bp.get("/j/<code>")
def room(code: str) -> Any:
    workshop = _workshop_or_none(code)
    if workshop is None:
        return not_found_page(_("No workshop has this code. Check the code on the screen "
                                "or scan the QR code again."))
    stopped = _stopped_kiosk_page(workshop)
    if stopped is not None:
        return stopped
    participant = _current_participant(workshop)
    if participant is not None:
        return _room_page(workshop, participant)
    g.workshop_language = workshops.definition_of(workshop).language
    return _join_page(workshop, token=request.args.get("t", ""))


@bp.post("/j/<code>")
def join(code: str) -> Any:
    workshop = _workshop_or_none(code)
    if workshop is None:
        return not_found_page()
    stopped = _stopped_kiosk_page(workshop)
    if stopped is not None:
        return stopped
    if _current_participant(workshop) is not None:  # a second tap, or a reloaded POST
        return redirect(url_for(".room", code=workshop.code), 303)
    language = request.form.get("language")  # the page's language: the workshop's or none
    language = language if language in workshops.definition_of(workshop).languages else None
    g.workshop_language = workshops.definition_of(workshop).language
    try:
        participant, raw = participants.join(
            workshop.code, request.form.get("group"), request.form.get("t") or None, language,
            assisted=_is_kiosk(workshop))
    except ServiceError as exc:
        message = join_errors().get(exc.code, exc.message)
        return _join_page(workshop, token=request.form.get("t", ""), error=message,
                          chosen=request.form.get("group")), exc.status
    remember_participant(session, participant.workshop_id, raw)
    session["lang"] = participant.language
    return redirect(url_for(".room", code=workshop.code), 303)


@bp.post("/j/<code>/next")
def kiosk_next(code: str) -> Any:
    """The kiosk's "Finished: next person" button: it forgets the resident who just voted (their ballots
    stay counted) and shows a fresh join page, so the next resident can neither read nor
    change them. Outside a kiosk it does nothing but go back to the room."""
    workshop = _workshop_or_none(code)
    if workshop is None:
        return not_found_page()
    stopped = _stopped_kiosk_page(workshop)
    if stopped is not None:
        return stopped
    if _is_kiosk(workshop):
        forget_participant(session, workshop.id)
    return redirect(url_for(".room", code=workshop.code), 303)


@bp.errorhandler(CSRFError)
def _csrf_failed(_exc: CSRFError) -> Any:
    """An expired page or a phone that blocks cookies: say so, and offer a fresh form."""
    code = (request.view_args or {}).get("code", "")
    workshop = _workshop_or_none(code) if code else None
    if workshop is None:
        return not_found_page()
    g.workshop_language = workshops.definition_of(workshop).language
    message = _("This page had expired, so you have not joined yet. Please press Join again. "
                "If this keeps happening, allow cookies for this site.")
    return _join_page(workshop, token=request.form.get("t", ""), error=message,
                      chosen=request.form.get("group")), 400


def _join_page(workshop: Workshop, *, token: str = "", error: str | None = None,
               chosen: str | None = None) -> str:
    by_card = workshops.definition_of(workshop).uses_cards
    card_group = None
    if by_card and token.strip() and error is None:
        card = _card(workshop, token)
        if card is None:
            error = join_errors()["bad_token"]
        elif card.used_at is not None:
            error = join_errors()["token_used"]
        else:
            card_group = group_label(workshop, card.group_key)
    if by_card and not token.strip() and error is None:
        error = join_errors()["token_required"]
    if workshop.join_paused and error is None:
        error = join_errors()["join_paused"]
    return render_template(
        "participant/join.html",
        workshop=workshop, title=text_of(workshop, workshops.definition_of(workshop).title),
        city=text_of(workshop, workshops.definition_of(workshop).city),
        date=workshops.definition_of(workshop).date,
        groups=[{"key": gr.key, "label": text_of(workshop, gr.label)}
                for gr in workshops.definition_of(workshop).groups],
        languages=workshops.definition_of(workshop).languages,
        by_card=by_card, token=token.strip(), card_group=card_group,
        error=error, chosen=chosen, kiosk=_is_kiosk(workshop),
    )


def _room_page(workshop: Workshop, participant: Participant) -> str:
    wanted = request.args.get("lang")
    if wanted in SUPPORTED_LANGUAGES and wanted != participant.language:
        participants.set_language(participant, wanted)
    g.workshop_language = participant.language
    return render_template(
        "participant/room.html",
        workshop=workshop, title=text_of(workshop, workshops.definition_of(workshop).title),
        group=group_label(workshop, participant.group_key),
        boot={"workshop_id": workshop.id, "lang": current_language(),
              "snapshot": snapshot(workshop, participant)},
        strings=resident_strings(), kiosk=_is_kiosk(workshop),
    )


def resident_strings() -> dict[str, str]:
    """Everything static/js/resident.js says, in the page's language."""
    return {
        "connecting": _("Connecting…"),
        "online": _("Online"),
        "offline": _("Offline. Your vote will be sent when you are back online."),
        "refused": _("This phone is no longer signed in to the workshop. Reload the page to join again."),
        "waiting": _("Nothing to vote on yet. The next question will appear here when the "
                     "facilitator opens it."),
        "open": _("Voting open"),
        "closed": _("Voting closed"),
        "closed_note": _("Voting is closed. This is the vote you gave."),
        "closed_none": _("Voting is closed. You did not vote on this question."),
        "choose_one": _("Choose one."),
        "choose_up_to": _("Choose up to {n}."),
        "choose_any": _("Choose as many as you agree with."),
        "chosen": _("Chosen: {n} of {max}"),
        "dots_hint": _("You have {n} dots. Put up to {m} on one item."),
        "dots_left": _("Dots left: {n}"),
        "add_dot": _("Add a dot to {item}"),
        "remove_dot": _("Remove a dot from {item}"),
        "dots_on": _("Dots on {item}: {n}"),
        "rank_hint": _("Add items to your ranking and put them in order, most important first. "
                       "You may rank only some of them."),
        "my_ranking": _("My ranking"),
        "not_ranked": _("Not ranked"),
        "rank_empty": _("Nothing ranked yet. Add items from the list below."),
        "add_rank": _("Add to my ranking"),
        "remove": _("Remove"),
        "move_up": _("Move up"),
        "move_down": _("Move down"),
        "position": _("{item}: position {n}"),
        "removed": _("{item} removed from your ranking"),
        "score_hint": _("Score each item from {min} (lowest) to {max} (highest). You may skip items."),
        "clear": _("Clear"),
        "cleared": _("Scores cleared"),
        "budget_hint": _("Share {total} among the items. You do not have to spend it all."),
        "remaining": _("Remaining: {amount}"),
        "over": _("Over the budget by {amount}"),
        "cost": _("Estimated cost: {amount}"),
        "full_cost": _("Give the full cost"),
        "baht": _("{amount} baht"),
        "words_hint": _("Write up to {n} words or short phrases."),
        "word_n": _("Word {n}"),
        "submit": _("Send my vote"),
        "update": _("Update my vote"),
        "saved_button": _("Vote saved"),
        "sending": _("Sending…"),
        "saved": _("Your vote is saved (version {v})."),
        "queued": _("You are offline. Your vote will be sent when you are back online."),
        "retrying": _("No answer yet. Trying again…"),
        "no_answer": _("The server did not answer. Check the Wi-Fi and press the button again."),
        "unsent": _("You changed your vote. Press the button to send it."),
        "empty": _("Make a choice first."),
        "err_stage_closed": _("Voting on this question is closed. Your vote was not counted."),
        "err_rate_limited": _("Too many tries at once. Wait a moment and try again."),
        "err_invalid": _("Your vote was not accepted: {reason}"),
        "err_other": _("Your vote could not be saved: {reason}"),
        "results": _("Results"),
        "ballots": _("Ballots: {n}"),
        "out_of": _("scores out of 100"),
        "refused_left": _("Not taken: only {amount} left."),
        "refused_cost": _("Not taken: at most its cost, {amount}."),
        **unit_strings(),
        "rank_n": _("Rank {n}"),
        "no_results": _("No votes yet."),
        "comments": _("Comments"),
        "comment_label": _("Your comment"),
        "comment_about": _("About"),
        "whole_question": _("The whole question"),
        "send_comment": _("Send comment"),
        "comment_pending": _("Sent. It will be shown after a facilitator has read it."),
        "comment_published": _("Sent and published."),
        "others_said": _("What others said"),
        "more_comments": _("Show more comments"),
        "details": _("Details"),
        "d_cost": _("Cost"),
        "d_horizon": _("Time frame"),
        "d_goal": _("Goal"),
        "d_sdgs": _("SDG targets"),
        "d_indicator": _("Indicator"),
        "horizon_short": _("Short term"),
        "horizon_medium": _("Medium term"),
        "horizon_long": _("Long term"),
        "sdg": _("SDG {n}"),
        "winner": _("Top: {title}"),
        "idea": _("Suggest an idea"),
        "idea_title": _("Your idea, in a few words"),
        "idea_desc": _("More detail (optional)"),
        "send_idea": _("Send idea"),
        "idea_sent": _("Thank you. A facilitator will read your idea; approved ideas are added to the list."),
        "text_needed": _("Write something first."),
        "send_failed": _("Could not send: {reason}"),
    }
