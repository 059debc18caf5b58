"""Problems (domain.problems: a code and its parameters) said in the page's language.

The texts are defined once, in ``workshop/domain/problems.py``; their Thai is in the
console catalog, and Flask-Babel's merged catalogs give it to every page. The API
says problems in English (``Problem.message``) and needs nothing from here.
"""

from __future__ import annotations

from flask_babel import get_translations

from ..domain.problems import Problem, render, render_place


def say(problem: Problem) -> str:
    """``problem`` in the current request's language (its place not included)."""
    translations = get_translations()
    return render(problem, translations.gettext, translations.ngettext)


def say_place(loc: str) -> str:
    """A problem's place in the current request's language (``line 2``: บรรทัดที่ 2)."""
    return render_place(loc, get_translations().gettext)
