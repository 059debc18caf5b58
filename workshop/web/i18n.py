"""Language choice and Thai/English formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, request, session
from flask_babel import get_locale

from ..domain.text import localize

SUPPORTED = ("th", "en")
THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def select_locale() -> str:
    """?lang= > the language chosen on this browser > the workshop's default > Accept-Language > th."""
    wanted = request.args.get("lang")
    if wanted in SUPPORTED:
        session["lang"] = wanted
        return wanted
    chosen = session.get("lang")
    if chosen in SUPPORTED:
        return str(chosen)
    default = g.get("workshop_language")
    if default in SUPPORTED:
        return str(default)
    return request.accept_languages.best_match(SUPPORTED) or "th"


def current_language() -> str:
    return str(get_locale() or "th")


def long_date(value: date | datetime | str | None, lang: str | None = None) -> str:
    """5 ธันวาคม 2569 (Buddhist era) in Thai; 5 December 2026 in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    lang = lang or current_language()
    if lang == "th":
        return f"{value.day} {THAI_MONTHS[value.month - 1]} {value.year + 543}"
    return f"{value.day} {EN_MONTHS[value.month - 1]} {value.year}"


def baht(value: float | int | None, lang: str | None = None) -> str:
    if value is None:
        return ""
    lang = lang or current_language()
    amount = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{amount} บาท" if lang == "th" else f"{amount} baht"


def init_app(app: Flask) -> None:
    @app.template_filter("tr")
    def _tr(text: Any, languages: list[str] | None = None) -> str:
        """A workshop text (string or {th, en}) in the page's language."""
        return localize(text, current_language(), languages or list(SUPPORTED))

    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(baht, "baht")

    @app.context_processor
    def _lang() -> dict[str, Any]:
        return {"lang": current_language(), "supported_languages": SUPPORTED}
