"""Console pages for plans: a city's workshops over time.

    /console/plans                     the plans you are in, and a form for a new one
    /console/plans/ID                  one plan: its workshops in order (move, remove, add), edit it

Every change is a POST form with a CSRF token; nothing needs JavaScript. Problems with
a plan come from ``domain.plans`` as codes and are said here in the page's language.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...domain.plans import DESCRIPTION_CHARS, TITLE_CHARS, period_text, plan_text
from ...domain.text import localize
from ...services import plans
from ...services import workshops as workshop_service
from ...services.errors import Conflict, Invalid, ServiceError
from ..i18n import current_language
from . import bp
from .auth import current_user, login_required


class PlanForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Give the plan a title.")), Length(max=TITLE_CHARS)],
        description=_l("For example: Ranong municipality development plan"),
    )
    title_en = StringField(
        _l("Title in English (optional)"), validators=[Optional(), Length(max=TITLE_CHARS)]
    )
    city = StringField(_l("City or municipality"), validators=[Optional(), Length(max=TITLE_CHARS)])
    period = StringField(
        _l("Period (Buddhist era)"),
        validators=[DataRequired(_l("Give the plan's first and last year."))],
        description=_l("First and last year, for example 2570-2574 (at most 10 years)."),
    )
    description = TextAreaField(
        _l("Description (optional)"), validators=[Optional(), Length(max=DESCRIPTION_CHARS)]
    )
    submit = SubmitField(_l("Save the plan"))

    def plan_object(self) -> dict[str, Any]:
        english = (self.title_en.data or "").strip()
        title: Any = {"th": self.title.data, "en": english} if english else self.title.data
        body: dict[str, Any] = {
            "title": title,
            "period": self.period.data,
            "languages": ["th", "en"] if english else ["th"],
        }
        if (self.city.data or "").strip():
            body["city"] = self.city.data
        if (self.description.data or "").strip():
            body["description"] = self.description.data
        return body

    def fill(self, definition: dict[str, Any]) -> None:
        title = definition.get("title")
        self.title.data = plan_text(definition, "title", "th")
        self.title_en.data = title.get("en", "") if isinstance(title, dict) else ""
        self.city.data = plan_text(definition, "city", "th")
        period = definition["period"]
        self.period.data = f"{period['start']}-{period['end']}"
        self.description.data = plan_text(definition, "description", "th")


class AttachForm(FlaskForm):
    workshop = SelectField(_l("Workshop"), choices=[], coerce=int, validate_choice=True)
    submit = SubmitField(_l("Add to the plan"))


class PlanActionForm(FlaskForm):
    """A POST button: the CSRF token and nothing else."""


class PlanDeleteForm(FlaskForm):
    """Deleting a plan needs a ticked box: its name, period, description and order go for good."""

    confirm = BooleanField(_l("Delete this plan. Its workshops stay, in no plan."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])


def problem_text(code: str, params: dict[str, Any]) -> str:
    """A plan problem (domain.plans codes) in the page's language."""
    texts = {
        "required": _("is required"),
        "unknown_field": _("is not a field of a plan"),
        "text_type": _("must be a text"),
        "text_empty": _("must not be empty"),
        "text_length": _("must be at most %(max)s characters", max=params.get("max")),
        "text_language": _("language '%(lang)s' is not one of the plan's languages", lang=params.get("lang")),
        "languages": _("must be a list of language codes from th, en"),
        "period_format": _("write two Buddhist-era years, for example 2570-2574"),
        "period_range": _(
            "years must be between %(min)s and %(max)s (Buddhist era)",
            min=params.get("min"),
            max=params.get("max"),
        ),
        "period_order": _(
            "the last year (%(end)s) comes before the first (%(start)s)",
            end=params.get("end"),
            start=params.get("start"),
        ),
        "period_length": _("a plan spans at most %(max)s years", max=params.get("max")),
        "workshops": _("must be a list of workshops, each once"),
    }
    return texts.get(code, code)


def _form_errors(form: PlanForm, exc: Invalid) -> None:
    fields = {"title": form.title, "city": form.city, "period": form.period, "description": form.description}
    for detail in exc.details or []:
        loc = str(detail.get("loc", ""))
        field = fields.get(loc.split(".")[0]) or form.title
        if loc == "title.en":
            field = form.title_en
        field.errors = [*field.errors, problem_text(detail.get("code", ""), detail.get("params") or {})]


def _lang() -> str:
    return current_language()


def plan_title(plan: Any) -> str:
    return plan_text(plan.definition, "title", _lang())


def _rows() -> list[dict[str, Any]]:
    found = plans.list_plans(current_user())
    counts = plans.workshop_counts(found)
    return [
        {
            "plan": p,
            "title": plan_title(p),
            "city": plan_text(p.definition, "city", _lang()),
            "period": period_text(p.definition["period"], _lang()),
            "workshops": counts.get(p.id, 0),
        }
        for p in found
    ]


def _render_index(form: PlanForm, status: int = 200) -> tuple[str, int]:
    return render_template("facilitator/plans/index.html", rows=_rows(), form=form), status



def _query(args: dict[str, Any]) -> dict[str, Any]:
    """Query arguments whose names are Python keywords (from, to), for url_for."""
    return args

@bp.get("/console/plans")
@login_required
def plans_index() -> tuple[str, int]:
    return _render_index(PlanForm())


@bp.post("/console/plans")
@login_required
def plans_create() -> Any:
    form = PlanForm()
    if not form.validate_on_submit():
        return _render_index(form, 422)
    try:
        plan = plans.create_plan(current_user(), form.plan_object())
    except Invalid as exc:
        _form_errors(form, exc)
        return _render_index(form, 422)
    flash(_("The plan was created. Add its workshops below."), "success")
    return redirect(url_for("facilitator.plan_show", plan_id=plan.id))


def _render_plan(
    plan_id: int, edit: PlanForm | None = None, attach: AttachForm | None = None, status: int = 200,
    delete: PlanDeleteForm | None = None,
) -> tuple[str, int]:
    user = current_user()
    plan = plans.get_plan(user, plan_id)
    role = plans.role_in(user, plan.id)
    lang = _lang()
    workshops = [
        {
            "workshop": w,
            "title": localize(d.title, lang, d.languages),
            "date": d.date,
            "stages": [
                {"key": s.key, "title": localize(spec.title, lang, d.languages), "kind": spec.kind,
                 "state": s.state}
                for s, spec in zip(w.stages, d.stages, strict=True)
            ],
        }
        for w in plans.workshops_of(plan)
        for d in (workshop_service.definition_of(w),)
    ]
    if edit is None:
        edit = PlanForm(formdata=None)
        edit.fill(plan.definition)
    if attach is None:
        attach = AttachForm(formdata=None)
    attach.workshop.choices = [
        (w.id, localize(d.title, lang, d.languages))
        for w in plans.free_workshops(user)
        for d in (workshop_service.definition_of(w),)
    ]
    definition = plan.definition
    return render_template(
        "facilitator/plans/show.html",
        plan=plan,
        role=role,
        can_edit=role in ("facilitator", "owner"),
        title=plan_title(plan),
        city=plan_text(definition, "city", lang),
        description=plan_text(definition, "description", lang),
        period=period_text(definition["period"], lang),
        workshops=workshops,
        edit=edit,
        attach=attach,
        action=PlanActionForm(),
        delete=delete or PlanDeleteForm(formdata=None),
    ), status


@bp.get("/console/plans/<int:plan_id>")
@login_required
def plan_show(plan_id: int) -> tuple[str, int]:
    return _render_plan(plan_id)


@bp.post("/console/plans/<int:plan_id>/edit")
@login_required
def plan_edit(plan_id: int) -> Any:
    form = PlanForm()
    if not form.validate_on_submit():
        return _render_plan(plan_id, edit=form, status=422)
    try:
        plans.update_plan(current_user(), plan_id, form.plan_object())
    except Invalid as exc:
        _form_errors(form, exc)
        return _render_plan(plan_id, edit=form, status=422)
    flash(_("The plan was saved."), "success")
    return redirect(url_for("facilitator.plan_show", plan_id=plan_id))


@bp.post("/console/plans/<int:plan_id>/workshops")
@login_required
def plan_attach(plan_id: int) -> Any:
    form = AttachForm()
    form.workshop.choices = [(w.id, "") for w in plans.free_workshops(current_user())]
    if not form.validate_on_submit():
        if not form.workshop.errors:
            form.workshop.errors = [_("Choose a workshop.")]
        return _render_plan(plan_id, attach=form, status=422)
    try:
        plans.attach_workshop(current_user(), plan_id, form.workshop.data)
    except Conflict:
        form.workshop.errors = [_("This workshop is already in another plan.")]
        return _render_plan(plan_id, attach=form, status=409)
    flash(_("The workshop was added to the plan."), "success")
    return redirect(url_for("facilitator.plan_show", plan_id=plan_id, _anchor="workshops"))


@bp.post("/console/plans/<int:plan_id>/workshops/<int:workshop_id>/<any(up, down, remove):action>")
@login_required
def plan_workshop_action(plan_id: int, workshop_id: int, action: str) -> Response:
    if not PlanActionForm().validate_on_submit():
        raise ServiceError(_("The form expired. Please try again."), code="csrf")
    if action == "remove":
        plans.detach_workshop(current_user(), plan_id, workshop_id)
        flash(_("The workshop was taken out of the plan. It still exists on its own."), "success")
    else:
        plans.move_workshop(current_user(), plan_id, workshop_id, -1 if action == "up" else 1)
    return redirect(url_for("facilitator.plan_show", plan_id=plan_id, _anchor="workshops"))


@bp.post("/console/plans/<int:plan_id>/delete")
@login_required
def plan_delete(plan_id: int) -> Any:
    form = PlanDeleteForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            raise ServiceError(_("The form expired. Please try again."), code="csrf")
        return _render_plan(plan_id, delete=form, status=422)
    plans.delete_plan(current_user(), plan_id)
    flash(_("The plan was deleted. Its workshops are still there."), "success")
    return redirect(url_for("facilitator.plans_index"))


# ---------------------------------------------------------------------------
# Carry forward: /console/plans/ID/carry


def carry_problem(detail: dict[str, Any]) -> str:
    """A carry refusal (services.carry / domain.carry codes) in the page's language."""
    params = detail.get("params") or {}
    texts = {
        "stage_ref": _("Choose a stage to take the items from and a stage to put them in."),
        "not_in_plan": _("That workshop is not in this plan."),
        "unknown_stage": _("That stage does not exist."),
        "not_earlier": _("Items can only come from a stage that comes earlier in the plan."),
        "words_target": _("A word cloud stage lists no items: choose another target stage."),
        "rule": _("Choose how the items are picked."),
        "top": _("Give how many of the best ranked items to take (1 to 200)."),
        "min_score": _("Give a score from 0 to 100."),
        "items": _("Tick at least one item."),
        "unknown_item": _("The source stage has no item '%(item)s'.", item=params.get("item", "")),
        "mode": _("Choose whether to add the items or replace the stage's items."),
        "nothing": _("The rule picks no item: nothing was carried."),
        "too_many": _(
            "The stage would hold %(count)s items, more than %(max)s.",
            count=params.get("count"),
            max=params.get("max"),
        ),
        "key_taken": _(
            "The stage already has another item with the key '%(key)s'.", key=params.get("key", "")
        ),
    }
    return texts.get(str(detail.get("code")), str(detail.get("message") or ""))


def _stage_ref(value: str | None) -> tuple[int, str] | None:
    if not value or ":" not in value:
        return None
    wid, _sep, key = value.partition(":")
    return (int(wid), key) if wid.isdigit() else None


def _number(value: str | None) -> float | int | None:
    text = (value or "").strip().translate(str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789"))
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() else number


def _carry_request(form: Any) -> dict[str, Any]:
    """The API's carry object from the console form (bad values are left for the service to name)."""
    rule_name = form.get("rule", "top")
    rule: dict[str, Any]
    if rule_name == "top":
        rule = {"top": _number(form.get("top"))}
    elif rule_name == "min_score":
        rule = {"min_score": _number(form.get("min_score"))}
    elif rule_name == "approved_ideas":
        rule = {"approved_ideas": True}
    else:
        rule = {"items": form.getlist("items")}
    source, target = _stage_ref(form.get("from")), _stage_ref(form.get("to"))
    return {
        "from": {"workshop": source[0], "stage": source[1]} if source else None,
        "to": {"workshop": target[0], "stage": target[1]} if target else None,
        "rule": rule,
        "mode": form.get("mode", "append"),
        "preview": "preview" in form,
    }


@bp.route("/console/plans/<int:plan_id>/carry", methods=["GET", "POST"])
@login_required
def plan_carry(plan_id: int) -> Any:
    from flask import request

    from ...services import carry

    user = current_user()
    plan = plans.get_plan(user, plan_id, "run")
    lang = _lang()
    stages = carry.sources_of(user, plan_id, lang)
    values = request.form if request.method == "POST" else request.args
    chosen_from = values.get("from") or (f"{stages[0]['workshop']}:{stages[0]['stage']}" if stages else "")
    chosen_to = values.get("to") or (f"{stages[-1]['workshop']}:{stages[-1]['stage']}" if stages else "")
    source = _stage_ref(chosen_from)
    ranked: list[dict[str, Any]] = []
    if source:
        try:
            ranked = carry.ranked_items(user, source[0], source[1], lang)
        except ServiceError:
            ranked = []
    problems: list[str] = []
    outcome = None
    status = 200
    if request.method == "POST":
        if not PlanActionForm().validate_on_submit():
            raise ServiceError(_("The form expired. Please try again."), code="csrf")
        try:
            outcome = carry.carry_forward(user, plan_id, _carry_request(request.form))
        except ServiceError as exc:
            details = exc.details if isinstance(exc.details, list) else []
            problems = [carry_problem(d) for d in details] or [exc.message]
            status = exc.status
        else:
            if outcome["saved"]:
                flash(
                    ngettext(
                        "%(num)d item was carried forward.",
                        "%(num)d items were carried forward.",
                        len(outcome["items"]),
                    ),
                    "success",
                )
                return redirect(
                    url_for(
                        "facilitator.plan_carry", plan_id=plan_id,
                        **_query({"from": chosen_from, "to": chosen_to}),
                    )
                )
    titles = {(s["workshop"], s["stage"]): s for s in stages}
    return render_template(
        "facilitator/plans/carry.html",
        plan=plan,
        title=plan_title(plan),
        stages=stages,
        chosen_from=chosen_from,
        chosen_to=chosen_to,
        ranked=ranked,
        values=values,
        problems=problems,
        outcome=outcome,
        titles=titles,
        action=PlanActionForm(),
    ), status


# ---------------------------------------------------------------------------
# Combined results: /console/plans/ID/compare


@bp.get("/console/plans/<int:plan_id>/compare")
@login_required
def plan_compare(plan_id: int) -> tuple[str, int]:
    from ...domain.combine import SPREAD_FLAG
    from ...services import compare

    user = current_user()
    plan = plans.get_plan(user, plan_id)
    lang = _lang()
    found = compare.plan_results(user, plan_id, lang)
    group_labels: dict[str, str] = {}
    for workshop in plans.workshops_of(plan):
        typed = workshop_service.definition_of(workshop)
        for group in typed.groups:
            group_labels.setdefault(group.key, localize(group.label, lang, typed.languages))
    return render_template(
        "facilitator/plans/compare.html",
        plan=plan,
        title=plan_title(plan),
        found=found,
        group_labels=group_labels,
        spread_flag=SPREAD_FLAG,
    ), 200
