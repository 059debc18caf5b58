"""The run sheet's projector controls: put a screen up, or step to the next or previous one.

Each button is a small form (CSRF, works without JavaScript) posting to
``/console/w/<id>/screen``; console.js sends the same forms with fetch (and
for the keyboard shortcuts) and is answered in JSON instead of a redirect.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from ...domain import screens as rules
from ...models import Workshop
from ...services import participants, screens, workshops
from ...services.errors import Invalid, NotFound
from . import bp, present
from .auth import login_required

#: the screens other than a stage, as the run sheet names them
SCREEN_LABELS = {
    rules.AUTO: _l("Automatic"),
    rules.WELCOME: _l("Welcome and join"),
    rules.COMMENTS: _l("Comments"),
    rules.IDEAS: _l("Approved ideas"),
    rules.PARTICIPATION: _l("Participation"),
}
SCREEN_HINTS = {
    rules.AUTO: _l("follows the stages: the open one, else the one closed last"),
    rules.WELCOME: _l("QR code and join code, large"),
    rules.COMMENTS: _l("published comments, newest first"),
    rules.IDEAS: _l("ideas you approved"),
    rules.PARTICIPATION: _l("who joined, by group"),
}


def screen_label(workshop: Workshop, screen: str, stage: str | None) -> str:
    """A screen as the console names it: "Stage 2: Vision" or "Comments"."""
    if screen == rules.STAGE and stage is not None:
        for found in workshop.stages:
            if found.key == stage:
                title = present.text(workshop, workshops.stage_spec_of(found).title) or stage
                return _("Stage %(n)d: %(title)s", n=found.position + 1, title=title)
        return stage
    return str(SCREEN_LABELS.get(screen, screen))


def run_sheet_context(workshop: Workshop) -> dict[str, Any]:
    """What the run sheet's projector card needs."""
    chosen = screens.screen_of(workshop)
    shows = chosen["shows"]
    return {
        "screen": chosen,
        "screen_buttons": [(key, SCREEN_LABELS[key], SCREEN_HINTS[key])
                           for key in (rules.WELCOME, rules.COMMENTS, rules.IDEAS, rules.PARTICIPATION,
                                       rules.AUTO)],
        "screen_now": screen_label(workshop, shows["screen"], shows["stage"]),
    }


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post("/console/w/<int:workshop_id>/screen")
@login_required
def choose_screen(workshop_id: int) -> Response | tuple[Response, int]:
    workshop = workshops.get_workshop(workshop_id)
    screen = request.form.get("screen", "")
    stage = request.form.get("stage") or None
    try:
        chosen = screens.choose_screen(workshop.id, screen, stage)
    except (Invalid, NotFound):
        message = _("That screen cannot be shown. Reload the page and choose again.")
        if _wants_json():
            return jsonify({"ok": False, "message": message}), 422
        flash(message, "error")
        return redirect(url_for(".workshop", workshop_id=workshop.id, _anchor="projector"))
    shows = chosen["shows"]
    label = screen_label(workshop, shows["screen"], shows["stage"])
    message = _("The projector now shows: %(screen)s.", screen=label)
    if _wants_json():
        return jsonify({"ok": True, **chosen, "label": label, "message": message})
    flash(message, "success")
    anchor = f"stage-{shows['stage']}" if chosen["screen"] == rules.STAGE and stage else "projector"
    return redirect(url_for(".workshop", workshop_id=workshop.id, _anchor=anchor))


@bp.post("/console/w/<int:workshop_id>/join/<any(pause, resume):action>")
@login_required
def pause_joining(workshop_id: int, action: str) -> Response:
    """The run sheet's pause button (issue 14.4): stop new phones joining, or let them again."""
    workshop = participants.set_join_paused(workshop_id, action == "pause")
    if workshop.join_paused:
        flash(_("Joining is paused: new phones are refused; phones already joined keep voting."), "success")
    else:
        flash(_("Joining is open again."), "success")
    return redirect(url_for(".workshop", workshop_id=workshop.id, _anchor="people-heading"))
