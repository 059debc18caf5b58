"""Join cards (``tokens.pdf``): A4 sheets of 2 x 4 cut-out cards, one per join token.

Each card carries its QR code (the join URL with ``?t=CODE``), the code to
type, the group it joins, the workshop's title and how to use it, in the
workshop's language. Used cards are printed too (so a lost sheet can be
printed again), marked as used.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from markupsafe import Markup

from ..domain.formats import long_date
from ..domain.text import localize
from ..services import participants, workshops
from ..services.errors import Conflict, Invalid
from ..services.qr import qr_svg
from ..storage import db
from .data import report_language

CARDS_PER_SHEET = 8  # 2 columns x 4 rows of 105 x 74.25 mm


def card_context(workshop_id: int, group: str | None = None, lang: str | None = None) -> dict[str, Any]:
    workshop = workshops.get_workshop(workshop_id)
    definition = workshops.definition_of(workshop)
    language = report_language(definition, lang)
    languages = definition.languages
    labels = {g.key: localize(g.label, language, languages) or g.key for g in definition.groups}
    if group is not None and group not in labels:
        raise Invalid(f"group: must be one of {', '.join(labels)}")
    tokens = [t for t in participants.join_tokens(workshop_id) if group is None or t.group_key == group]
    if not tokens:
        raise Conflict(
            "this workshop has no join cards yet: create them with "
            f"POST /api/v1/workshops/{workshop_id}/tokens",
            code="no_tokens",
        )
    base = workshops.join_url(workshop)
    title = localize(definition.title, language, languages)
    order = list(labels)
    tokens.sort(key=lambda t: (order.index(t.group_key) if t.group_key in order else len(order), t.id))
    cards = []
    for token in tokens:
        url = f"{base}?t={token.code}"
        cards.append(
            {
                "code": token.code,
                "group": labels.get(token.group_key, token.group_key),
                "url": url,
                "used": token.used_at is not None,
                # our own SVG: path data from the qrcode library, label escaped by qr_svg
                "qr": Markup(qr_svg(url, title=token.code)),  # noqa: S704
            }
        )
    # Each group starts a new sheet, so that the cards of a group can be handed out together.
    sheets: list[list[dict[str, Any]]] = []
    for card in cards:
        if not sheets or len(sheets[-1]) == CARDS_PER_SHEET or sheets[-1][-1]["group"] != card["group"]:
            sheets.append([])
        card["column"], card["row"] = len(sheets[-1]) % 2, len(sheets[-1]) // 2
        sheets[-1].append(card)
    return {
        "lang": language,
        "title": title,
        "join_url": base,
        "sheets": sheets,
        "count": len(cards),
        "city": localize(definition.city, language, languages),
        "date": definition.date,
        "date_text": long_date(definition.date, language) if definition.date else "",
    }


def cards_pdf(workshop_id: int, group: str | None = None, lang: str | None = None) -> tuple[bytes, str, str]:
    from .pdf import html_to_pdf, render_template_in

    context = card_context(workshop_id, group, lang)
    db.session.rollback()  # plain data now: no transaction held while the cards render
    html = render_template_in(context["lang"], "export/cards.html", c=context)
    when = str(context["date"] or date.today().isoformat())[:10]
    suffix = f"-{group}" if group else ""
    return html_to_pdf(html), "application/pdf", f"ruamkit-{workshop_id}-{when}-join-cards{suffix}.pdf"
