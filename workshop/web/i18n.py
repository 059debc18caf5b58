"""Language choice and Thai/English formatting helpers for templates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g, request, session
from flask_babel import get_locale

from ..domain import formats
from ..domain.definition import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from ..domain.text import localize

__all__ = [
    "DEFAULT_LANGUAGE", "SUPPORTED_LANGUAGES", "baht", "current_language", "init_app", "long_date",
    "select_locale",
]


def select_locale() -> str:
    """?lang= > the language chosen on this browser > the workshop's default > Accept-Language > th."""
    wanted = request.args.get("lang")
    if wanted in SUPPORTED_LANGUAGES:
        session["lang"] = wanted
        return wanted
    chosen = session.get("lang")
    if chosen in SUPPORTED_LANGUAGES:
        return str(chosen)
    default = g.get("workshop_language")
    if default in SUPPORTED_LANGUAGES:
        return str(default)
    return request.accept_languages.best_match(SUPPORTED_LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def long_date(value: date | datetime | str | None, lang: str | None = None) -> str:
    """domain.formats.long_date, in the page's language unless told."""
    return formats.long_date(value, lang or current_language())


def baht(value: float | int | None, lang: str | None = None) -> str:
    """domain.formats.baht, in the page's language unless told."""
    return formats.baht(value, lang or current_language())


def init_app(app: Flask) -> None:
    @app.template_filter("tr")
    def _tr(text: Any, languages: list[str] | None = None) -> str:
        """A workshop text (string or {th, en}) in the page's language."""
        return localize(text, current_language(), languages or list(SUPPORTED_LANGUAGES))

    app.add_template_filter(long_date, "long_date")
    app.add_template_filter(baht, "baht")

    @app.context_processor
    def _lang() -> dict[str, Any]:
        return {"lang": current_language(), "supported_languages": SUPPORTED_LANGUAGES}
