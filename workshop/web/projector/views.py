"""The projector page: join QR, who joined, the current question and its live results.

``/projector/<projector_key>`` speaks the workshop's default language unless
``?lang=`` asks for another; it never stores that choice in the browser, so a
facilitator's laptop keeps its own console language. Live updates come over
Socket.IO (static/js/projector.js) with ``auth: {projector: KEY}``.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from ...services import content, qr, results, screens, workshops
from ...services.payloads import public_workshop
from ..i18n import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from ..participant.units import unit_strings
from ..participant.views import not_found_page, page_context, text_of
from . import bp


@bp.context_processor
def _context() -> dict[str, Any]:
    return page_context()


@bp.get("/projector/<key>")
def show(key: str) -> Any:
    workshop = workshops.workshop_by_projector_key(key)
    wanted = request.args.get("lang")
    if workshop is None:
        with force_locale(wanted if wanted in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE):
            return not_found_page(_("This projector link is not valid. Copy it again from the "
                                    "facilitator console."))
    lang = wanted if wanted in SUPPORTED_LANGUAGES else workshops.definition_of(workshop).language
    by_card = workshops.definition_of(workshop).uses_cards
    with force_locale(lang):
        join_url = workshops.join_url(workshop)
        counts = results.workshop_results(workshop.id, lang, live=True)
        comments, _more = content.published_comments(workshop.id)
        return render_template(
            "projector/show.html",
            workshop=workshop, title=text_of(workshop, workshops.definition_of(workshop).title),
            city=text_of(workshop, workshops.definition_of(workshop).city),
            join_url=join_url, by_card=by_card,
            join_url_short=join_url.split("://", 1)[-1],
            qr=Markup(qr.qr_svg(join_url, title=_("QR code to join: %(url)s", url=join_url))),  # noqa: S704 - SVG made by the qrcode library, its title escaped by qr_svg
            boot={"key": key, "lang": lang, "workshop": public_workshop(workshop),
                  "participants": counts["participants"],
                  "results": {entry["key"]: entry for entry in counts["stages"]},
                  # the chosen screen: a projector that reloads comes back to it
                  "screen": screens.projector_screen(workshop),
                  "comments": [content.comment_dict(c) for c in comments],
                  "ideas": [content.idea_dict(i) for i in content.approved_ideas(workshop.id)]},
            strings=projector_strings(by_card),
        )


def projector_strings(by_card: bool = False) -> dict[str, str]:
    """Everything static/js/projector.js says, in the page's language."""
    return {
        "waiting": _("Welcome!"),
        "waiting_hint": _("Scan the QR code on your printed card with your phone's camera, "
                          "and vote when the first question opens.") if by_card else
        _("Scan the QR code with your phone's camera, choose your group, "
          "and vote when the first question opens."),
        "comments": _("Comments"),
        "ideas": _("Ideas from residents"),
        "no_comments": _("No comments yet. Write yours on your phone, under any question."),
        "no_ideas": _("No ideas approved yet."),
        "page": _("{n} of {total}"),
        "general": _("On the whole question"),
        "open": _("Voting open"),
        "closed": _("Voting closed"),
        "ballots": _("Votes: {n}"),
        "out_of": _("scores out of 100"),
        "top_n": _("top {n} of {total}"),
        "hidden": _("Results will be shown when the facilitator reveals them."),
        "never": _("The results of this question are not shown on the screen."),
        "no_votes": _("No votes yet."),
        # a stage's votes by channel (results' by_channel), each shown when it occurred
        "ch_hall": _("In the hall: {n}"),
        "ch_online": _("Online: {n}"),
        "ch_paper": _("On paper: {n}"),
        "ch_kiosk": _("At the kiosk: {n}"),
        "offline": _("Reconnecting…"),
        **unit_strings(),
    }
