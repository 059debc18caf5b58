"""The workshop builder: create, copy and edit a workshop through forms, no YAML.

Every change goes through ``services.editing.edit_workshop`` (the same rules as
``PUT /api/v1/workshops/{id}``): a form carries the ``revision`` its page was
drawn from, so a save on top of someone else's change is refused and the form
comes back with what was typed. Reordering is by buttons; every page works
without JavaScript (``static/js/builder.js`` only saves scrolling and clicks).

Each form posts the whole section it shows, and its buttons (move up, remove,
add) say what else to do with ``action``: typed text is never lost by pressing
one of them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response as WerkzeugResponse

from ...domain import builder as steps
from ...domain import checklist, sdgs
from ...domain.definition import DEFAULT_SCALE, LIMITS, WorkshopDefinition
from ...domain.entry import EntryError, parse_date, parse_number, parse_year, thai_date
from ...domain.plans import plan_years
from ...domain.problems import Problem
from ...domain.text import localize
from ...models import Workshop
from ...services import access, editing, plans, workshops
from ...services.errors import Invalid, NotFound
from ...services.payloads import public_workshop
from ..i18n import current_language
from ..problems import say
from . import bp, present
from .auth import current_user, login_required

#: One line on each method, for the method picker.
METHOD_HELP = {
    "single": _l("Residents choose one item."),
    "approval": _l("Residents tick every item they agree with (you may set a maximum)."),
    "dots": _l("Residents share out a number of dots among the items: more dots, more support."),
    "rank": _l("Residents put the items in order, most important first."),
    "score": _l("Residents score each item on one or more criteria, such as importance and feasibility."),
    "budget": _l("Residents split a budget in baht among the items."),
    "words": _l("Residents answer in a few words; the answers become a word cloud."),
}
KIND_HELP = _l("Goals stages provide the goals that projects link to; the kind also heads the plan draft.")
HORIZON_LABELS = {"short": _l("Short term (1-2 years)"), "medium": _l("Medium term (3-5 years)"),
                  "long": _l("Long term (over 5 years)")}
LANGUAGE_NAMES = {"th": _l("Thai"), "en": _l("English")}
#: The refusals of domain.edits, in the page's language (params: stage, item, group, option, old).
REFUSALS = {
    "group_in_use": _l("The group “%(group)s” cannot be removed: residents have joined in it or cards "
                       "were printed for it."),
    "stage_removed": _l("The stage “%(stage)s” cannot be removed: it has been opened or has ballots."),
    "method_changed": _l("The stage “%(stage)s” has ballots, so its method stays as it is."),
    "option_changed": _l("The stage “%(stage)s” has ballots, so its voting rules (%(option)s) stay as "
                         "they are. Its texts can still be changed."),
    "item_added": _l("No item can be added to the stage “%(stage)s”: it has ballots. Add the item to a "
                     "new stage instead."),
    "item_removed": _l("The item “%(item)s” cannot be removed: the stage “%(stage)s” has ballots."),
    "item_has_comments": _l("The item “%(item)s” cannot be removed: residents have commented on it."),
}
ENTRY_ERRORS = {
    "number": _l("Type a number, such as 2,500,000 (Thai digits are fine)."),
    "whole_number": _l("Type a whole number, such as 5 (Thai digits are fine)."),
    "date": _l("Type a date as day/month/year, such as 5/12/2569 or 5/12/2026."),
    "year": _l("Type a fiscal year of the Buddhist era, such as 2570 (Thai digits are fine)."),
}
STALE = _l("Someone else saved a change to this workshop (or opened or closed a stage) while you were "
           "editing. Nothing of yours was saved yet, and what you typed is still below: check it and "
           "press Save again.")


# ---------------------------------------------------------------------------
# Reading what was typed


def read_text(form: MultiDict[str, str], name: str, langs: list[str], old: Any = None) -> Any:
    """A text from one box per language (``title-th``, ``title-en``); None when all are empty.

    One filled box in the first language stays a plain string when it was one."""
    values = {code: (form.get(f"{name}-{code}") or "").strip() for code in langs}
    filled = {code: value for code, value in values.items() if value}
    if not filled:
        return None
    if len(langs) == 1 or (list(filled) == [langs[0]] and not isinstance(old, dict)):
        return filled.get(langs[0]) or next(iter(filled.values()))
    return filled


def read_number(form: MultiDict[str, str], name: str, errors: dict[str, str], *, whole: bool = True,
                default: Any = None) -> Any:
    if name not in form:
        return default
    try:
        return parse_number(form.get(name), whole=whole)
    except EntryError as exc:
        errors[name] = str(ENTRY_ERRORS[exc.code])
        return None


def action_of(form: MultiDict[str, str]) -> tuple[str, str]:
    """``("up", "vision")`` from a button ``name="action" value="up:vision"``; ``("save", "")`` by default."""
    verb, _sep, key = (form.get("action") or "save").partition(":")
    return verb, key


# ---------------------------------------------------------------------------
# Saving


def _workshop(workshop_id: int, action: str = "run") -> Workshop:
    """The workshop if the signed-in facilitator may ``action`` in it (editing is ``run``)."""
    return access.workshop_for(current_user(), workshop_id, action)


def _definition(workshop: Workshop) -> dict[str, Any]:
    return workshops.definition_of(workshop).to_json()  # a fresh JSON form for the form to edit


def _revision() -> int:
    try:
        return int(request.form.get("revision", ""))
    except ValueError:
        return -1


def save(workshop: Workshop, definition: dict[str, Any]) -> list[str] | None:
    """Save ``definition`` on top of the revision the form was drawn from.

    None when saved; else the problems to show (the form comes back as typed)."""
    try:
        editing.edit_workshop(workshop.id, definition, _revision())
    except editing.StaleRevision:
        return [str(STALE)]
    except editing.EditRefused as exc:
        return [refusal_text(r, definition) for r in exc.details or ()]
    except Invalid as exc:
        return [problem_text(p, definition) for p in exc.problems] or [exc.message]
    return None


def refusal_text(refusal: dict[str, Any], definition: dict[str, Any]) -> str:
    params = dict(refusal.get("params") or {})
    langs = definition["languages"]
    titles = {s["key"]: s["title"] for s in definition["stages"]}
    if "stage" in params:
        params["stage"] = localize(titles.get(params["stage"]), current_language(), langs) or params["stage"]
    template = REFUSALS.get(refusal.get("code", ""))
    return str(template) % params if template else str(refusal.get("message"))


def problem_text(problem: Problem, definition: dict[str, Any]) -> str:
    said = say(problem)
    where = place_name(problem.loc, definition)
    return f"{where}: {said}" if where else said


def place_name(loc: str, definition: dict[str, Any]) -> str:
    """``stages[1].items[0].title`` as a facilitator reads it: “Goals”, item 1, title."""
    found = re.match(r"stages\[(\d+)\](?:\.items\[(\d+)\])?", loc)
    langs = definition["languages"]
    if not found:
        return ""
    index = int(found[1])
    if index >= len(definition["stages"]):
        return ""
    stage = definition["stages"][index]
    name = localize(stage.get("title"), current_language(), langs) or stage["key"]
    if found[2] is not None:
        return _("stage “%(stage)s”, item %(n)d", stage=name, n=int(found[2]) + 1)
    return _("stage “%(stage)s”", stage=name)


def _common(workshop: Workshop) -> dict[str, Any]:
    from .views import _common as common

    return common(workshop)


def _page(template: str, workshop: Workshop, *, status: int = 200, problems: list[str] | None = None,
          typed: MultiDict[str, str] | None = None, errors: dict[str, str] | None = None,
          definition: dict[str, Any] | None = None, **context: Any) -> tuple[str, int]:
    definition = definition or _definition(workshop)
    return render_template(
        template, **_common(workshop), tab="build", definition=definition,
        wlangs=definition["languages"], revision=workshop.revision,
        typed=typed, errors=errors or {}, problems=problems or [],
        b=Helpers(definition, typed),
        **context,
    ), status


class Helpers:
    """What builder templates need to show a field: the typed value when the form came
    back, else the saved one; numbers grouped; dates in the page's calendar."""

    def __init__(self, definition: dict[str, Any], typed: MultiDict[str, str] | None) -> None:
        self.definition = definition
        self.typed = typed
        self.langs = definition["languages"]
        self.method_labels = present.METHOD_LABELS
        self.method_help = METHOD_HELP
        self.kind_labels = present.KIND_LABELS
        self.policy_labels = present.POLICY_LABELS
        self.horizon_labels = HORIZON_LABELS
        self.language_names = LANGUAGE_NAMES
        self.kind_help = KIND_HELP

    def value(self, name: str, saved: Any) -> str:
        if self.typed is not None and name in self.typed:
            return self.typed.get(name) or ""
        if saved is None:
            return ""
        if isinstance(saved, bool):
            return "1" if saved else ""
        if isinstance(saved, int | float):
            return f"{saved:,}" if abs(saved) >= 10_000 else str(saved)
        return str(saved)

    def text(self, name: str, saved: Any, code: str) -> str:
        """One language's box of a text: as typed if its form came back, else as saved."""
        if self.typed is not None and any(f"{name}-{c}" in self.typed for c in self.langs):
            return self.typed.get(f"{name}-{code}") or ""
        if saved is None:
            return ""
        if isinstance(saved, str):
            return saved if code == self.langs[0] else ""
        return str(saved.get(code) or "")

    def sent(self, form: str) -> bool:
        """Whether the form named ``form`` is the one that came back."""
        return self.typed is not None and self.typed.get("form") == form

    def checked(self, name: str, saved: bool, form: str) -> bool:
        if self.sent(form):
            return name in (self.typed or {})
        return bool(saved)

    def picked(self, name: str, value: str, saved: list[str], form: str) -> bool:
        """A check box of a list (``sdgs``)."""
        if self.sent(form):
            return value in (self.typed.getlist(name) if self.typed is not None else [])
        return value in saved

    def chosen(self, name: str, saved: Any) -> str:
        if self.typed is not None and name in self.typed:
            return self.typed.get(name) or ""
        return "" if saved is None else str(saved)

    def date(self, saved: str | None) -> str:
        if self.typed is not None and "date" in self.typed:
            return self.typed.get("date") or ""
        return thai_date(saved) if current_language() == "th" else (saved or "")

    def tr(self, value: Any) -> str:
        return localize(value, current_language(), self.langs)

    def language_name(self, code: str) -> str:
        return str(LANGUAGE_NAMES.get(code, code))


def _done(message: str, target: str) -> WerkzeugResponse:
    flash(message, "success")
    return redirect(target)


# ---------------------------------------------------------------------------
# Creating: from blank, a sample, or a copy


@bp.get("/console/new")
@login_required
def new_workshop() -> tuple[str, int]:
    return _new_page()


def _new_page(*, typed: MultiDict[str, str] | None = None, errors: dict[str, str] | None = None,
              status: int = 200) -> tuple[str, int]:
    from .views import sample_choices

    readable = access.ids_of(current_user(), "workshop")
    existing = [(w.id, present.text(w, workshops.definition_of(w).title), w.code)
                for w in workshops.list_workshops()
                if w.id in readable]
    return render_template("facilitator/builder/new.html", samples=sample_choices(), existing=existing,
                           typed=typed, errors=errors or {}, language_names=LANGUAGE_NAMES), status


@bp.post("/console/new")
@login_required
def create_workshop() -> Any:
    from .views import SESSIONS_DIR, sample_choices

    form = request.form
    source = form.get("source", "blank")
    errors: dict[str, str] = {}
    if source == "sample":
        names = dict(sample_choices())
        if form.get("sample") not in names:
            errors["sample"] = _("Choose one of the sample workshops.")
            return _new_page(typed=form, errors=errors, status=422)
        definition = workshops.parse_definition_text((SESSIONS_DIR / str(form.get("sample"))).read_bytes(),
                                                     ours=True)
    elif source == "copy":
        try:
            original = _workshop(int(form.get("copy") or 0), "read")
        except (ValueError, NotFound):
            errors["copy"] = _("Choose one of your workshops to copy.")
            return _new_page(typed=form, errors=errors, status=422)
        definition = copy_of(workshops.definition_of(original).to_json())
    else:
        langs = [code for code in steps.LANGUAGES if form.get(f"lang-{code}")]
        first = form.get("first_language")
        if first in langs:
            langs.remove(first)
            langs.insert(0, first)
        if not langs:
            errors["languages"] = _("Choose at least one language.")
            return _new_page(typed=form, errors=errors, status=422)
        title = {code: (form.get(f"title-{code}") or "").strip()[:200] for code in langs}
        definition = workshops.parse_definition(steps.blank(title, langs))
    user = current_user()
    workshop = workshops.create_workshop(definition, user_id=user.id if user else None)
    flash(_("The workshop “%(title)s” is ready as a draft, with the join code %(code)s. Change anything "
            "below; residents see nothing until you open a stage.",
            title=present.text(workshop, definition.title), code=workshop.code), "success")
    return redirect(url_for(".build", workshop_id=workshop.id))


def copy_of(definition: dict[str, Any]) -> WorkshopDefinition:
    """A workshop's definition for a new draft: the same, titled as a copy."""
    copied = copy.deepcopy(definition)
    marks = {"th": " (สำเนา)", "en": " (copy)"}
    title = copied["title"]
    if isinstance(title, str):
        copied["title"] = title[: 200 - 8] + marks[copied["languages"][0]]
    else:
        copied["title"] = {code: text[: 200 - 8] + marks.get(code, "") for code, text in title.items()}
    return workshops.parse_definition(copied)


# ---------------------------------------------------------------------------
# The overview: settings, groups, stages


@bp.get("/console/w/<int:workshop_id>/build")
@login_required
def build(workshop_id: int) -> tuple[str, int]:
    return _overview(_workshop(workshop_id))


def _overview(workshop: Workshop, **kwargs: Any) -> tuple[str, int]:
    use = editing.usage(workshop)
    join_url = workshops.join_url(workshop)
    return _page("facilitator/builder/overview.html", workshop, use=use,
                 loopback=checklist.is_loopback(join_url),
                 it_message=it_message(join_url) if checklist.is_loopback(join_url) else "",
                 states={s.key: s.state for s in workshop.stages}, methods=steps.METHODS,
                 kinds=steps.KINDS, **kwargs)


@bp.post("/console/w/<int:workshop_id>/build/settings")
@login_required
def save_settings(workshop_id: int) -> Any:
    workshop = _workshop(workshop_id)
    form = request.form
    definition = _definition(workshop)
    errors: dict[str, str] = {}
    langs = [code for code in steps.LANGUAGES if form.get(f"lang-{code}")]
    first = form.get("first_language")
    if first in langs:
        langs.remove(first)
        langs.insert(0, first)
    if not langs:
        errors["languages"] = _("Choose at least one language.")
        langs = definition["languages"]
    shown = definition["languages"]  # the boxes on the page were drawn for these
    definition["title"] = read_text(form, "title", shown, definition["title"])
    definition["city"] = read_text(form, "city", shown, definition.get("city"))
    if definition["title"] is None:
        errors["title"] = _("Give the workshop a title.")
    try:
        definition["date"] = parse_date(form.get("date"))
    except EntryError as exc:
        errors["date"] = str(ENTRY_ERRORS[exc.code])
    if form.get("join") in ("open", "tokens"):
        definition["join"] = form["join"]
    if form.get("moderation") in ("pre", "post"):
        definition["moderation"] = form["moderation"]
    if errors:
        return _overview(workshop, typed=form, errors=errors, status=422, problems=list(errors.values()),
                         section="settings")
    definition = steps.set_languages(definition, langs)
    problems = save(workshop, definition)
    if problems:
        return _overview(workshop, typed=form, status=409 if _stale(problems) else 422, problems=problems,
                         section="settings")
    return _done(_("The workshop's details are saved."), url_for(".build", workshop_id=workshop_id,
                                                                  _anchor="settings"))


def _stale(problems: list[str]) -> bool:
    return str(STALE) in problems


@bp.post("/console/w/<int:workshop_id>/build/groups")
@login_required
def save_groups(workshop_id: int) -> Any:
    workshop = _workshop(workshop_id)
    form = request.form
    definition = _definition(workshop)
    langs = definition["languages"]
    groups = definition["groups"]
    errors: dict[str, str] = {}
    for group in groups:
        label = read_text(form, f"group-{group['key']}", langs, group["label"])
        if label is None:
            errors[f"group-{group['key']}"] = _("Every group needs a name.")
        else:
            group["label"] = label
    verb, key = action_of(form)
    message = _("The groups are saved.")
    if verb == "add":
        label = read_text(form, "new-group", langs)
        if label is None:
            errors["new-group"] = _("Type the new group's name first.")
        else:
            english = label.get("en", "") if isinstance(label, dict) else (label if langs[0] == "en" else "")
            taken = [g["key"] for g in groups]
            groups.append({"key": steps.new_key(taken, steps.slug(english) or "group"), "label": label})
            message = _("The group is added.")
    elif verb in ("up", "down", "remove"):
        try:
            index = steps.index_of(groups, key)
        except ValueError:
            return redirect(url_for(".build", workshop_id=workshop_id, _anchor="groups"))
        if verb == "remove":
            groups.pop(index)
            message = _("The group is removed.")
        else:
            steps.move(groups, index, -1 if verb == "up" else 1)
    if errors:
        return _overview(workshop, typed=form, errors=errors, status=422, problems=list(errors.values()),
                         section="groups")
    problems = save(workshop, definition)
    if problems:
        return _overview(workshop, typed=form, status=409, problems=problems, section="groups")
    return _done(message, url_for(".build", workshop_id=workshop_id, _anchor="groups"))


@bp.post("/console/w/<int:workshop_id>/build/stages")
@login_required
def save_stages(workshop_id: int) -> Any:
    workshop = _workshop(workshop_id)
    form = request.form
    definition = _definition(workshop)
    langs = definition["languages"]
    stages = definition["stages"]
    verb, key = action_of(form)
    target = url_for(".build", workshop_id=workshop_id, _anchor="stages")
    if verb == "add":
        errors: dict[str, str] = {}
        method = form.get("method")
        title = read_text(form, "new-stage", langs)
        if method not in steps.METHODS:
            errors["method"] = _("Choose how residents answer.")
        if title is None:
            errors["new-stage"] = _("Type the new stage's title first.")
        if errors:
            return _overview(workshop, typed=form, errors=errors, status=422, problems=list(errors.values()),
                             section="add-stage")
        kind = form.get("kind") if form.get("kind") in steps.KINDS else None
        new_key = steps.new_key([s["key"] for s in stages], kind or steps.METHOD_KIND[str(method)])
        stages.append(steps.new_stage(str(method), new_key, title, langs, kind=kind))
        # a stage needs items before it is valid (words stages need none): save it with a first one
        if method != "words":
            stages[-1]["items"] = [{"key": steps.ITEM_PREFIX[stages[-1]["kind"]] + "1",
                                    "title": steps.text_in(langs, {"th": "ตัวเลือกที่ 1", "en": "Option 1"})}]
        problems = save(workshop, definition)
        if problems:
            return _overview(workshop, typed=form, status=409, problems=problems, section="add-stage")
        return _done(_("The stage is added. Now give it its items."),
                     url_for(".stage_page", workshop_id=workshop_id, key=new_key))
    try:
        index = steps.index_of(stages, key)
    except ValueError:
        return redirect(target)
    if verb == "remove":
        stages.pop(index)
        message = _("The stage is removed.")
    elif verb in ("up", "down"):
        steps.move(stages, index, -1 if verb == "up" else 1)
        message = _("The stages are in their new order.")
    else:
        return redirect(target)
    problems = save(workshop, definition)
    if problems:
        return _overview(workshop, status=409, problems=problems, section="stages")
    return _done(message, target)


# ---------------------------------------------------------------------------
# One stage: its texts, rules and items


def _stage_of(definition: dict[str, Any], key: str) -> dict[str, Any]:
    for stage in definition["stages"]:
        if stage["key"] == key:
            return stage
    raise NotFound(f"stage '{key}' not found")


def _stage_page(workshop: Workshop, key: str, **kwargs: Any) -> tuple[str, int]:
    definition = kwargs.pop("definition", None) or _definition(workshop)
    stage = _stage_of(definition, key)
    use = editing.usage(workshop).stage(key)
    return _page("facilitator/builder/stage.html", workshop, definition=definition, stage=stage, use=use,
                 methods=steps.METHODS, kinds=steps.KINDS, **kwargs)


@bp.get("/console/w/<int:workshop_id>/build/s/<key>")
@login_required
def stage_page(workshop_id: int, key: str) -> tuple[str, int]:
    return _stage_page(_workshop(workshop_id), key)


def read_stage(form: MultiDict[str, str], stage: dict[str, Any], langs: list[str],
               errors: dict[str, str]) -> dict[str, Any]:
    """The stage as its form says (keys, items and their order are left to the caller)."""
    changed = copy.deepcopy(stage)
    title = read_text(form, "title", langs, stage["title"])
    if title is None:
        errors["title"] = _("Give the stage a title.")
    else:
        changed["title"] = title
    changed["prompt"] = read_text(form, "prompt", langs, stage.get("prompt"))
    if form.get("kind") in steps.KINDS:
        changed["kind"] = form["kind"]
    if form.get("show_results") in ("live", "after_close", "never"):
        changed["show_results"] = form["show_results"]
    if "flags" in form:  # the check boxes were on the page
        changed["allow_comments"] = "allow_comments" in form
        changed["allow_ideas"] = "allow_ideas" in form
    method = form.get("method", stage["method"])
    if method in steps.METHODS and method != stage["method"]:
        return steps.with_method(changed, method, langs)  # the new method's defaults
    if stage["method"] == "approval":
        changed["max_choices"] = read_number(form, "max_choices", errors, default=stage["max_choices"])
    elif stage["method"] == "dots":
        changed["dots"] = read_number(form, "dots", errors, default=stage["dots"])
        changed["max_per_item"] = read_number(form, "max_per_item", errors, default=stage["max_per_item"])
    elif stage["method"] == "budget":
        changed["budget"] = read_number(form, "budget", errors, default=stage["budget"])
    elif stage["method"] == "words":
        changed["max_words"] = read_number(form, "max_words", errors, default=stage["max_words"])
    elif stage["method"] == "score":
        scale = dict(stage.get("scale") or DEFAULT_SCALE.model_dump())
        scale["min"] = read_number(form, "scale_min", errors, default=scale["min"])
        scale["max"] = read_number(form, "scale_max", errors, default=scale["max"])
        changed["scale"] = scale
        for criterion in changed["criteria"]:
            name = f"criterion-{criterion['key']}"
            label = read_text(form, name, langs, criterion["label"])
            if label is None:
                errors[name] = _("Every criterion needs a name.")
            else:
                criterion["label"] = label
            weight = read_number(form, f"{name}-weight", errors, whole=False, default=criterion["weight"])
            criterion["weight"] = weight if weight is not None else criterion["weight"]
    return changed


@bp.post("/console/w/<int:workshop_id>/build/s/<key>")
@login_required
def save_stage(workshop_id: int, key: str) -> Any:
    workshop = _workshop(workshop_id)
    form = request.form
    definition = _definition(workshop)
    langs = definition["languages"]
    stage = _stage_of(definition, key)
    errors: dict[str, str] = {}
    changed = read_stage(form, stage, langs, errors)
    items = changed["items"]
    verb, target_key = action_of(form)
    anchor = "stage"
    message = _("The stage is saved.")
    if verb == "add-item":
        title = read_text(form, "new-item", langs)
        if title is None:
            errors["new-item"] = _("Type the new item's title first.")
        else:
            prefix = steps.ITEM_PREFIX.get(changed["kind"], "i")
            items.append({"key": steps.new_key([i["key"] for i in items], prefix), "title": title,
                          "description": None, "goal": None, "horizon": None, "budget": None, "sdgs": [],
                          "indicator": None})
            anchor, message = "items", _("The item is added.")
    elif verb == "add-criterion":
        label = read_text(form, "new-criterion", langs)
        if label is None:
            errors["new-criterion"] = _("Type the new criterion's name first.")
        else:
            english = label.get("en", "") if isinstance(label, dict) else ""
            taken = [c["key"] for c in changed["criteria"]]
            changed["criteria"].append({"key": steps.new_key(taken, steps.slug(english) or "c"),
                                        "label": label, "weight": 1})
            anchor, message = "rules", _("The criterion is added.")
    elif verb == "remove-criterion":
        changed["criteria"] = [c for c in changed["criteria"] if c["key"] != target_key]
        anchor, message = "rules", _("The criterion is removed.")
    elif verb in ("item-up", "item-down", "item-remove"):
        try:
            index = steps.index_of(items, target_key)
        except ValueError:
            return redirect(url_for(".stage_page", workshop_id=workshop_id, key=key))
        if verb == "item-remove":
            removed = items.pop(index)
            if changed["kind"] == "goals":  # projects linked to this goal link to none now
                for other in definition["stages"]:
                    for item in other["items"]:
                        if item.get("goal") == removed["key"]:
                            item["goal"] = None
            message = _("The item is removed.")
        else:
            steps.move(items, index, -1 if verb == "item-up" else 1)
            message = _("The items are in their new order.")
        anchor = "items"
    if errors:
        return _stage_page(workshop, key, typed=form, errors=errors, status=422,
                           problems=list(errors.values()))
    definition["stages"] = [changed if s["key"] == key else s for s in definition["stages"]]
    problems = save(workshop, definition)
    if problems:
        return _stage_page(workshop, key, typed=form, status=409 if _stale(problems) else 422,
                           problems=problems)
    return _done(message, url_for(".stage_page", workshop_id=workshop_id, key=key, _anchor=anchor))


# ---------------------------------------------------------------------------
# One item


def _item_of(stage: dict[str, Any], key: str) -> dict[str, Any]:
    for item in stage["items"]:
        if item["key"] == key:
            return item
    raise NotFound(f"item '{key}' not found")


#: rows of the budget-per-year table: the workshop file's limit of years per item
BUDGET_YEAR_ROWS = LIMITS["budget_years_per_item"]


def budget_year_rows(item: dict[str, Any], plan_years: list[int]) -> list[tuple[str, Any]]:
    """The rows of an item's budget-per-year table: its years and amounts, then empty rows
    (their years those of the workshop's plan not used yet, when it is in one)."""
    saved = list((item.get("budget_years") or {}).items())
    spare = [str(y) for y in plan_years if str(y) not in dict(saved)]
    rows: list[tuple[str, Any]] = [(str(year), amount) for year, amount in saved]
    rows += [(year, None) for year in spare]
    wanted = max(len(rows), min(BUDGET_YEAR_ROWS, len(saved) + 3))
    rows += [("", None)] * (wanted - len(rows))
    return rows[:BUDGET_YEAR_ROWS]


def read_budget_years(form: MultiDict[str, str], errors: dict[str, str]) -> dict[str, Any] | None:
    """``budget_year-N`` and ``budget_amount-N`` as ``{"2570": 1500000}``; a row with no amount
    is left out (its year may be one the page suggested); None when no row has one."""
    out: dict[str, Any] = {}
    for row in range(BUDGET_YEAR_ROWS):
        year_name, amount_name = f"budget_year-{row}", f"budget_amount-{row}"
        amount = read_number(form, amount_name, errors, whole=False)
        if amount is None:
            continue
        try:
            year = parse_year(form.get(year_name))
        except EntryError as exc:
            errors[year_name] = str(ENTRY_ERRORS[exc.code])
            continue
        if year is None:
            errors[year_name] = _("Give the year of this amount, such as 2570.")
        elif year in out:
            errors[year_name] = _("The year %(year)s is given twice: one amount per year.", year=year)
        else:
            out[year] = amount
    return dict(sorted(out.items())) or None


def _item_page(workshop: Workshop, key: str, item_key: str, **kwargs: Any) -> tuple[str, int]:
    definition = _definition(workshop)
    stage = _stage_of(definition, key)
    item = _item_of(stage, item_key)
    plan = plans.plan_of_workshop(workshop.id)
    years = plan_years(plan.definition["period"]) if plan is not None else []
    return _page("facilitator/builder/item.html", workshop, definition=definition, stage=stage, item=item,
                 goals=steps.goal_choices(definition), sdg_goals=sdgs.goals(),
                 budget_rows=budget_year_rows(item, years), plan_fields=plan_fields_shown(stage, item),
                 **kwargs)


def plan_fields_shown(stage: dict[str, Any], item: dict[str, Any]) -> bool:
    """A development plan's fields (office, strategy, budget per year) are asked of projects,
    and of any item that already has one (from a workshop file or the API)."""
    return stage.get("kind") == "projects" or any(item.get(k) for k in ("office", "strategy", "budget_years"))


@bp.get("/console/w/<int:workshop_id>/build/s/<key>/i/<item_key>")
@login_required
def item_page(workshop_id: int, key: str, item_key: str) -> tuple[str, int]:
    return _item_page(_workshop(workshop_id), key, item_key)


@bp.post("/console/w/<int:workshop_id>/build/s/<key>/i/<item_key>")
@login_required
def save_item(workshop_id: int, key: str, item_key: str) -> Any:
    workshop = _workshop(workshop_id)
    form = request.form
    definition = _definition(workshop)
    langs = definition["languages"]
    item = _item_of(_stage_of(definition, key), item_key)
    errors: dict[str, str] = {}
    title = read_text(form, "title", langs, item["title"])
    if title is None:
        errors["title"] = _("Give the item a title.")
    else:
        item["title"] = title
    for name in ("description", "indicator"):
        item[name] = read_text(form, name, langs, item.get(name))
    goal = form.get("goal") or None
    item["goal"] = goal if goal in {k for k, _t in steps.goal_choices(definition)} else None
    item["horizon"] = form.get("horizon") if form.get("horizon") in HORIZON_LABELS else None
    item["budget"] = read_number(form, "budget", errors, whole=False)
    if "plan_fields" in form:
        for name in ("office", "strategy"):
            item[name] = read_text(form, name, langs, item.get(name))
        item["budget_years"] = read_budget_years(form, errors)
    known = sdgs.codes()
    picked = [code for code in dict.fromkeys(form.getlist("sdgs")) if code in known]
    # the order they had first (the file's), then the newly ticked in the list's order
    item["sdgs"] = [c for c in item["sdgs"] if c in picked] + [c for c in picked if c not in item["sdgs"]]
    if errors:
        return _item_page(workshop, key, item_key, typed=form, errors=errors, status=422,
                          problems=list(errors.values()))
    problems = save(workshop, definition)
    if problems:
        return _item_page(workshop, key, item_key, typed=form, status=409 if _stale(problems) else 422,
                          problems=problems)
    return _done(_("The item is saved."), url_for(".stage_page", workshop_id=workshop_id, key=key,
                                                  _anchor=f"item-{item_key}"))


# ---------------------------------------------------------------------------
# The workshop file, the preview, the checklist


@bp.get("/console/w/<int:workshop_id>/workshop.yaml")
@login_required
def download_yaml(workshop_id: int) -> Response:
    workshop = _workshop(workshop_id, "read")
    body = editing.definition_yaml(workshop)
    return Response(body, mimetype="application/yaml", headers={
        "Content-Disposition": f'attachment; filename="workshop-{workshop.code.lower()}.yaml"',
        "Cache-Control": "no-store"})


def preview_workshop(workshop: Workshop, key: str) -> dict[str, Any]:
    """The workshop as a phone would get it with only stage ``key`` open and no result shown."""
    body = public_workshop(workshop)
    for stage in body["stages"]:
        stage["state"] = "open" if stage["key"] == key else "draft"
        stage["results_shown"] = False
    return body


@bp.get("/console/w/<int:workshop_id>/build/s/<key>/preview")
@login_required
def preview(workshop_id: int, key: str) -> tuple[str, int]:
    workshop = _workshop(workshop_id, "read")
    return _page("facilitator/builder/preview.html", workshop, stage=_stage_of(_definition(workshop), key))


@bp.get("/console/w/<int:workshop_id>/build/s/<key>/phone")
@login_required
def preview_phone(workshop_id: int, key: str) -> Response:
    """The resident page itself, for the preview's frame: no socket, nothing stored."""
    from ..participant.views import asset_url, resident_strings

    workshop = _workshop(workshop_id, "read")
    _stage_of(_definition(workshop), key)
    wanted = request.args.get("as")
    lang = wanted if wanted is not None and wanted in steps.LANGUAGES else current_language()
    definition = workshops.definition_of(workshop)
    langs = definition.languages
    with force_locale(lang):  # the phone speaks the language it previews
        page = render_template(
            "facilitator/builder/phone.html", workshop=workshop, asset_url=asset_url, lang=lang,
            title=localize(definition.title, lang, langs),
            group=localize(definition.groups[0].label, lang, langs),
            boot={"workshop_id": workshop.id, "lang": lang, "preview": True,
                  "snapshot": {"workshop": preview_workshop(workshop, key), "ballots": {}, "results": {}}},
            strings={**resident_strings(), "preview_saved": _("Preview: this vote was not stored.")},
        )
    response = Response(page, mimetype="text/html")
    # framed by the console's preview page only: the app's policy with frame-ancestors 'self'
    g.frame_ancestors = "'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def checklist_rows(workshop: Workshop) -> list[dict[str, Any]]:
    """The run sheet's checklist: each finding in the page's language, with a link to fix it."""
    definition = workshops.definition_of(workshop).to_json()
    langs = definition["languages"]
    titles = {s["key"]: localize(s["title"], current_language(), langs) for s in definition["stages"]}
    rows = []
    for finding in checklist.check(definition, workshops.join_url(workshop),
                                   listen_host=current_app.config.get("LISTEN_HOST")):
        where = finding.where
        stage = titles.get(where.get("stage", ""), "")
        if "item" in where:
            link = url_for(".item_page", workshop_id=workshop.id, key=where["stage"], item_key=where["item"])
        elif "stage" in where:
            link = url_for(".stage_page", workshop_id=workshop.id, key=where["stage"])
        elif "group" in where:
            link = url_for(".build", workshop_id=workshop.id, _anchor="groups")
        else:
            link = url_for(".build", workshop_id=workshop.id, _anchor="settings")
        rows.append({"code": finding.code, "text": _finding_text(finding, stage), "link": link})
    return rows


def it_message(join_url: str) -> str:
    """What the officer sends whoever installed RuamKit when phones cannot reach the join
    address (a loopback one): the exact change to make, in the page's language."""
    cause = checklist.loopback_cause(current_app.config.get("LISTEN_HOST"))
    port = current_app.config.get("PORT", 5000)
    if cause == "listen":
        return _("To whoever installed RuamKit: RuamKit on this computer only accepts connections from "
                 "the computer itself, so residents' phones cannot open the join address %(url)s. "
                 "Please stop RuamKit and start it again on all addresses:\n\n"
                 "    python run.py serve --host 0.0.0.0 --port %(port)s\n\n"
                 "RuamKit then puts this computer's Wi-Fi address in the QR codes by itself. Phones "
                 "must be on the same Wi-Fi, and the firewall must let them in on port %(port)s.",
                 url=join_url, port=port)
    return _("To whoever installed RuamKit: the setting WORKSHOP_PUBLIC_URL points at this computer "
             "only, so the QR codes send residents' phones to %(url)s, which they cannot open. Please "
             "remove WORKSHOP_PUBLIC_URL (RuamKit then uses this computer's Wi-Fi address by itself) or "
             "set it to the address phones reach on the hall's Wi-Fi, such as "
             "http://192.168.1.20:%(port)s, and restart RuamKit. Phones must be on the same Wi-Fi, "
             "and the firewall must let them in on port %(port)s.", url=join_url, port=port)


def _finding_text(finding: checklist.Finding, stage: str) -> str:
    params = finding.params
    if finding.code == "loopback_url":
        return _("Phones cannot open the join address %(url)s: it points at this computer only. This is "
                 "not a setting of the console: “How to fix” has a message to pass on to whoever "
                 "installed RuamKit (usually your IT officer).", url=params["url"])
    if finding.code == "no_items":
        if params.get("ideas"):
            return _("The stage “%(stage)s” has no items yet: residents will only see ideas you approve.",
                     stage=stage)
        return _("The stage “%(stage)s” has no items to vote on.", stage=stage)
    if finding.code == "never_shown":
        return _("The results of the stage “%(stage)s” are never shown to residents.", stage=stage)
    missing = ", ".join(str(LANGUAGE_NAMES.get(code, code)) for code in params["languages"])
    return _("A text is missing in %(languages)s: %(place)s.", languages=missing,
             place=_place_of(finding, stage))


def _place_of(finding: checklist.Finding, stage: str) -> str:
    loc = str(finding.params.get("loc", ""))
    field = loc.rsplit(".", 1)[-1]
    names = {"title": _("title"), "city": _("city"), "label": _("name"), "prompt": _("question"),
             "description": _("description"), "indicator": _("indicator")}
    what = names.get(field, field)
    if "item" in finding.where:
        return _("%(what)s of item %(item)s in “%(stage)s”", what=what, item=finding.where["item"],
                 stage=stage)
    if "stage" in finding.where:
        return _("%(what)s of the stage “%(stage)s”", what=what, stage=stage)
    if "group" in finding.where:
        return _("name of the group %(group)s", group=finding.where["group"])
    return _("the workshop's %(what)s", what=what)

