"""Start a helper kiosk: a hall tablet where residents without a phone vote one after another.

A member who may run the workshop presses "Start a kiosk on this device" on the run sheet
(a POST form with a CSRF token). The browser is signed out of the console first (its
token is revoked, so nobody at the kiosk reaches the console), then its session is marked
as the kiosk of this workshop and it goes to the resident join page. See
web/participant/views.py for what a kiosk does.

"Stop helper kiosks" on the run sheet ends every kiosk of the workshop started before it: the
tablets leave kiosk mode (the page of a seated resident is told at once over its socket and
goes back to the start), and nobody can vote on from them (services.participants.stop_kiosks).
"""

from __future__ import annotations

from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ...services import participants, workshops
from ...services.sessions import start_kiosk
from . import bp, present
from .auth import login_required, sign_out


@bp.post("/console/w/<int:workshop_id>/kiosk")
@login_required
def start_kiosk_here(workshop_id: int) -> Response | tuple[str, int]:
    # CSRFProtect checked the form's token; _workshop_access checked the "run" role.
    workshop = workshops.get_workshop(workshop_id)
    if present.uses_cards(workshop):
        from .views import _error_page

        return _error_page(409, _("This workshop takes no kiosk"),
                           _("Residents join it with printed single-use cards. A helper kiosk "
                             "is for workshops that residents join with the join code."))
    sign_out()
    start_kiosk(session, workshop.id)
    return redirect(url_for("participant.room", code=workshop.code), 303)


@bp.post("/console/w/<int:workshop_id>/kiosk/stop")
@login_required
def stop_kiosks(workshop_id: int) -> Response:
    # CSRFProtect checked the form's token; _workshop_access checked the "run" role.
    participants.stop_kiosks(workshop_id)
    flash(_("Helper kiosks stopped: the tablets left kiosk mode and can vote no more. "
            "Votes already sent are counted."), "success")
    return redirect(url_for(".workshop", workshop_id=workshop_id, _anchor="join-heading"), 303)
