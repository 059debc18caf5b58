"""What the live pages (projector and phone) say about results in people's units."""

from __future__ import annotations

from flask_babel import gettext as _


def unit_strings() -> dict[str, str]:
    """Templates of static/js's unitsText, in the page's language ({n}, {p}, ... filled there)."""
    return {
        "u_ballots": _("{p}% of ballots ({n})"),
        "u_dots": _("{p}% of dots ({n} dots)"),
        "u_rank": _("average place {pos} · {pts} points"),
        "u_points": _("{pts} points"),
        "u_score": _("{mean} of {max}"),
        "u_criterion": _("{label} {mean}"),
        "u_budget": _("{amount} on average · {p}% of the pot"),
        "u_funded": _("Funded"),
        "u_not_funded": _("Not funded"),
        "u_left": _("left: {amount} of {pot}"),
        "baht": _("{amount} baht"),
    }
