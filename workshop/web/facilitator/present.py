"""What console templates show: labels, per-stage summaries, number formats.

Plain functions over the models and the results object, so that views stay a
few lines long and templates hold no rules (which buttons a stage offers, how
a method's value reads, when a spread is flagged).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from flask_babel import format_datetime, get_timezone, lazy_pgettext, ngettext, to_user_timezone
from flask_babel import lazy_gettext as _l

from ...domain import schedule
from ...domain.definition import (
    ApprovalStage,
    BudgetStage,
    DotsStage,
    ScoreStage,
    StageDefinition,
    WordsStage,
)
from ...domain.text import localize
from ...domain.units import SHARE_METHODS
from ...models import Stage, Workshop
from ...services import workshops
from ..i18n import baht, current_language, long_date

#: a spread (largest minus smallest group score) this large is flagged for discussion
SPREAD_FLAG = 20
#: groups with fewer ballots in a stage are left out of its spread (domain.results default)
SPREAD_MIN_BALLOTS = 3

#: stage states; "Open" the state is not "Open" the button in every language
STATE_LABELS = {
    "draft": lazy_pgettext("stage state", "Draft"),
    "open": lazy_pgettext("stage state", "Open"),
    "closed": lazy_pgettext("stage state", "Closed"),
}
KIND_LABELS = {
    "vision": _l("Vision"), "goals": _l("Goals"), "projects": _l("Projects"),
    "ideas": _l("Ideas"), "other": _l("Other"),
}
METHOD_LABELS = {
    "single": _l("Single choice"), "approval": _l("Approval vote"), "dots": _l("Dot voting"),
    "rank": _l("Ranking"), "score": _l("Scoring"), "budget": _l("Budget split"),
    "words": _l("Word cloud"),
}
POLICY_LABELS = {
    "live": _l("shown live, from opening"),
    "after_close": _l("shown after closing"),
    "never": _l("never shown to residents"),
}
#: what an item's value is, per method (the results table's column heading)
VALUE_LABELS = {
    "single": _l("Votes"), "approval": _l("Votes"), "dots": _l("Dots"),
    "rank": _l("Borda points"), "score": _l("Weighted mean"), "budget": _l("Amount"),
    "words": _l("Mentions"),
}
ACTION_LABELS = {
    "open": _l("Open"), "close": _l("Close"), "reveal": _l("Reveal results"),
    "hide": _l("Hide results"),
}


def languages(workshop: Workshop) -> list[str]:
    return [str(code) for code in workshops.definition_of(workshop).languages]


def text(workshop: Workshop, value: Any) -> str:
    """A workshop text in the page's language (the `tr` filter, for Python code)."""
    return localize(value, current_language(), languages(workshop))


def groups(workshop: Workshop) -> list[tuple[str, str]]:
    """(key, label) of each stakeholder group, in the workshop file's order."""
    return [(g.key, text(workshop, g.label)) for g in workshops.definition_of(workshop).groups]


def uses_cards(workshop: Workshop) -> bool:
    """Whether residents join with printed single-use cards (``join: tokens``)."""
    return workshops.definition_of(workshop).uses_cards


def card_rows(workshop: Workshop, counts: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Join cards per group, in the file's order: made, used, still free; and the totals."""
    rows = []
    for key, label in groups(workshop):
        made = counts.get(key, {}).get("cards", 0)
        used = counts.get(key, {}).get("used", 0)
        rows.append({"key": key, "label": label, "cards": made, "used": used, "free": made - used})
    return {"groups": rows, "cards": sum(r["cards"] for r in rows), "used": sum(r["used"] for r in rows),
            "free": sum(r["free"] for r in rows)}


def actions(state: str, policy: str, shown: bool) -> dict[str, bool]:
    """Which lifecycle buttons a stage offers now (the rules live in domain.lifecycle).

    console.js mirrors this function when a `state` event changes a stage.
    """
    return {
        "open": state != "open",
        "close": state == "open",
        "reveal": policy != "never" and not shown,
        "hide": shown,
    }


def stage_summary(workshop: Workshop, stage: Stage, entry: dict[str, Any] | None) -> dict[str, Any]:
    """One stage as the run sheet shows it."""
    spec = workshops.stage_spec_of(stage)
    shown = workshops.stage_visible(stage)
    return {
        "key": stage.key,
        "number": stage.position + 1,
        "title": text(workshop, spec.title) or stage.key,
        "prompt": text(workshop, spec.prompt),
        "kind": spec.kind,
        "method": spec.method,
        "state": stage.state,
        "policy": spec.show_results,
        "shown": shown,
        "item_count": len(spec.items),
        "ballots": entry["ballots"] if entry else 0,
        "paper_ballots": entry["paper_ballots"] if entry else 0,
        "actions": actions(stage.state, spec.show_results, shown),
        "allow_comments": spec.allow_comments,
        "allow_ideas": spec.allow_ideas,
        "options": method_options(spec),
        "window": voting_window(workshop, spec),
    }


def voting_window(workshop: Workshop, spec: StageDefinition) -> dict[str, str] | None:
    """The stage's scheduled window (opens_at / closes_at) as the run sheet says it, or None."""
    zone = workshops.definition_of(workshop).timezone
    opens, closes = (schedule.moment(getattr(spec, name, None), zone) for name in schedule.FIELDS)
    if opens is None and closes is None:
        return None
    return {"opens": clock(opens), "closes": clock(closes)}


def method_options(spec: StageDefinition) -> list[str]:
    """Short notes on a stage's method options ("at most 2 choices", "5 dots")."""
    notes: list[str] = []
    if isinstance(spec, ApprovalStage) and spec.max_choices:
        notes.append(str(_l("at most %(n)d choices", n=spec.max_choices)))
    if isinstance(spec, DotsStage):
        notes.append(str(_l("%(n)d dots", n=spec.dots)))
        if spec.max_per_item:
            notes.append(str(_l("at most %(n)d per item", n=spec.max_per_item)))
    if isinstance(spec, ScoreStage):
        notes.append(str(_l("scale %(low)d–%(high)d", low=spec.scale.min, high=spec.scale.max)))
    if isinstance(spec, BudgetStage):
        notes.append(str(_l("budget %(amount)s", amount=baht(spec.budget))))
    if isinstance(spec, WordsStage):
        notes.append(str(_l("up to %(n)d words", n=spec.max_words)))
    return notes


def moderation_rows(workshop: Workshop, base: str, stage_titles: dict[str, str],
                    item_titles: dict[tuple[str, str], str], group_labels: dict[str, str]) -> dict[str, Any]:
    """What console.js needs to add a `moderation_item` as a row of the waiting tab.

    The labels and button texts the server-rendered rows show; ``base`` is the
    workshop's console path, under which the rows' forms post (with the page's
    CSRF token) to the same routes as the server-rendered ones.
    """
    items: dict[str, dict[str, str]] = {}
    for (stage_key, item_key), title in item_titles.items():
        items.setdefault(stage_key, {})[item_key] = title
    return {
        "base": base,
        "timezone": str(get_timezone()),
        "languages": languages(workshop),
        "stages": stage_titles,
        "items": items,
        "groups": group_labels,
        "buttons": {
            "comment": {"approve": str(_l("Publish")), "reject": str(_l("Reject"))},
            "idea": {"approve": str(_l("Approve as item")), "reject": str(_l("Reject"))},
        },
        "select": str(_l("Select")),
        "arrived": {"comment": str(_l("A new comment is waiting.")),
                    "idea": str(_l("A new idea is waiting."))},
    }


def group_ballots(entry: dict[str, Any]) -> dict[str, int]:
    """Ballots per group in one stage's results entry (the same on every item)."""
    for item in entry.get("items") or ():
        return {group: cell["ballots"] for group, cell in item["by_group"].items()}
    return {}


def result_sections(workshop: Workshop, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stage's results entry with what the results page shows around it."""
    stage_by_key = {stage.key: stage for stage in workshop.stages}
    sections = []
    for entry in entries:
        stage = stage_by_key[entry["key"]]
        ballots_by_group = group_ballots(entry)
        sections.append({
            "entry": entry,
            "summary": stage_summary(workshop, stage, entry),
            "groups": [(key, label, ballots_by_group.get(key, 0)) for key, label in groups(workshop)],
            "criteria": [(c.key, text(workshop, c.label), c.weight)
                         for c in getattr(workshops.stage_spec_of(stage), "criteria", ())],
            "flagged": sum(1 for item in entry["items"] if spread_flagged(item["spread"])),
        })
    return sections


def state_counts(workshop: Workshop) -> list[tuple[str, int]]:
    """(state, how many stages) in lifecycle order, without zeros."""
    counts = Counter(stage.state for stage in workshop.stages)
    return [(state, counts[state]) for state in ("open", "closed", "draft") if counts[state]]


def state_count(state: str, count: int) -> str:
    """How many stages are in a state, for the list of workshops: "2 open", "เปิดอยู่ 2"."""
    if state == "open":
        return ngettext("%(num)d open", "%(num)d open", count)
    if state == "closed":
        return ngettext("%(num)d closed", "%(num)d closed", count)
    return ngettext("%(num)d draft", "%(num)d draft", count)


def takes_ideas(workshop: Workshop) -> bool:
    """Whether any stage lets residents propose ideas."""
    return any(stage.allow_ideas for stage in workshops.definition_of(workshop).stages)


def one_decimal(value: float | None) -> str:
    """Scores and means for display: one decimal place, a dash for none."""
    return "–" if value is None else f"{value:.1f}"


def width_class(score: float | None) -> str:
    """A CSS class ``w-0`` .. ``w-100`` for a bar (no inline styles under the CSP)."""
    if score is None:
        return "w-0"
    return f"w-{max(0, min(100, round(score)))}"


def value_text(method: str, value: float | None) -> str:
    if value is None:
        return "–"
    if method == "score":
        return f"{value:.1f}"
    if method == "budget":
        return baht(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent(value: float | None) -> str:
    """A percent for display: one decimal and the sign, a dash for none."""
    return "–" if value is None else f"{value:.1f}%"


#: people's-units columns of the results table after the value, per method (results "units")
UNIT_HEADERS = {
    "single": [_l("% of ballots")], "approval": [_l("% of ballots")], "words": [_l("% of ballots")],
    "dots": [_l("% of dots")], "rank": [_l("Average position")], "score": [],
    "budget": [_l("Average per ballot"), _l("% of the pot"), _l("Cost"), _l("Funded")],
}


def unit_cells(method: str, units: dict[str, Any] | None) -> list[str]:
    """The people's-units cells of one item, matching UNIT_HEADERS[method]."""
    units = units or {}
    if method in SHARE_METHODS:
        return [percent(units.get("percent"))]
    if method == "rank":
        return [one_decimal(units.get("average_position"))]
    if method == "budget":
        funded = units.get("funded")
        said = "–" if funded is None else (str(_l("Funded")) if funded else str(_l("Not funded")))
        cost = units.get("cost")
        return [value_text("budget", units.get("average")), percent(units.get("percent_of_pot")),
                "–" if cost is None else baht(cost), said]
    return []


def funding_summary(entry: dict[str, Any]) -> dict[str, str] | None:
    """A budget stage's funded line in words: the pot, what the funded projects cost, what is left."""
    units = entry.get("units") or {}
    if entry.get("method") != "budget" or "pot" not in units:
        return None
    return {"pot": baht(units["pot"]), "funded_cost": baht(units["funded_cost"]), "left": baht(units["left"]),
            "count": str(len(units.get("funded") or ()))}


def spread_flagged(spread: float | None) -> bool:
    return spread is not None and spread >= SPREAD_FLAG


def clock(value: datetime | None) -> str:
    """When something happened, in Bangkok time: "14:05", or with the date if not today."""
    if value is None:
        return ""
    local = to_user_timezone(value)
    now = to_user_timezone(datetime.now(tz=value.tzinfo))
    time = format_datetime(value, "HH:mm")
    if local.date() == now.date():
        return time
    return f"{long_date(local.date())} {time}"
