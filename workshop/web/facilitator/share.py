"""Sharing a workshop beyond the hall: a message for LINE and a poster for notice boards.

Residents who are not in the room vote through the same join link. The run sheet links
here: a message ready to paste into LINE (in each of the workshop's languages), a link
that opens LINE's own share screen with it, and an A4 poster with the QR code to print.
Nothing is loaded from outside the server; only the "share to LINE" link leaves it, when
the facilitator follows it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ...domain import checklist
from ...domain.formats import long_date
from ...domain.text import localize
from ...models import Workshop
from ...services import qr, workshops
from . import bp, present
from .auth import login_required

#: LINE's share screen (opens the LINE app on a phone, LINE's web page elsewhere)
LINE_SHARE = "https://line.me/R/share?text="


def line_message(workshop: Workshop, lang: str) -> str:
    """The invitation as residents read it in LINE, in ``lang``."""
    definition = workshops.definition_of(workshop)
    langs = definition.languages
    title = localize(definition.title, lang, langs)
    city = localize(definition.city, lang, langs)
    groups = ", ".join(localize(g.label, lang, langs) for g in definition.groups)
    join_url = workshops.join_url(workshop)
    with force_locale(lang):
        lines = [title]
        if city:
            lines.append(city)
        if definition.date:
            lines.append(_("Date: %(date)s", date=long_date(definition.date, lang)))
        lines.append("")
        if definition.uses_cards:
            lines.append(_("Take part with the QR code of the card you were given, or open:"))
        else:
            lines.append(_("Give your views and vote from your phone, no app and no sign-up needed. Open:"))
        lines.append(join_url)
        if not definition.uses_cards:
            lines.append(_("Join code: %(code)s", code=workshop.code))
        lines.append(_("Choose your group (%(groups)s) and vote while the questions are open.",
                       groups=groups))
    return "\n".join(lines)


def _share_context(workshop: Workshop) -> dict[str, Any]:
    messages = []
    for lang in present.languages(workshop):
        text = line_message(workshop, lang)
        messages.append({"lang": lang, "text": text, "line_url": LINE_SHARE + quote(text, safe="")})
    join_url = workshops.join_url(workshop)
    # only when it matters: a link residents at home cannot open (this building's network only)
    reach = ""
    if checklist.is_loopback(join_url):
        reach = "loopback"
    elif checklist.is_local_only(join_url):
        reach = "local"
    return {"messages": messages, "reach": reach,
            "home_message": home_message(join_url) if reach == "local" else ""}


def home_message(join_url: str) -> str:
    """What the officer sends whoever installed RuamKit so residents can vote from home."""
    return _("To whoever installed RuamKit: we want residents to vote from home through a link sent on "
             "LINE, but RuamKit's address is %(url)s, which works only inside this building's network. "
             "Please make RuamKit reachable from the internet under the municipality's name (RuamKit's "
             "deploy/README.md: deploy/install.sh --public-url https://ruamkit.example.go.th) or, if it "
             "already is, set WORKSHOP_PUBLIC_URL to that address and restart RuamKit.", url=join_url)


@bp.get("/console/w/<int:workshop_id>/share")
@login_required
def share(workshop_id: int) -> str:
    from .views import _common  # the workshop frame every page of a workshop shares

    workshop = workshops.get_workshop(workshop_id)
    return render_template("facilitator/share.html", **_common(workshop), **_share_context(workshop))


@bp.get("/console/w/<int:workshop_id>/poster")
@login_required
def poster(workshop_id: int) -> str:
    workshop = workshops.get_workshop(workshop_id)
    langs = present.languages(workshop)
    lang = langs[0]
    definition = workshops.definition_of(workshop)
    join_url = workshops.join_url(workshop)
    with force_locale(lang):  # the poster speaks to residents, in the workshop's language
        return render_template(
            "facilitator/poster.html", workshop=workshop, lang=lang, join_url=join_url,
            title=localize(definition.title, lang, langs),
            city=localize(definition.city, lang, langs),
            date=long_date(definition.date, lang) if definition.date else "",
            uses_cards=definition.uses_cards,
            qr=qr.qr_svg(join_url, title=_("QR code to join the workshop: %(url)s", url=join_url)))
