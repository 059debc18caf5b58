"""Console views: parse the request, call one use case, render or redirect.

Every page works without JavaScript; ``static/js/console.js`` only keeps the
numbers live. Workshop pages (``/console/w/<id>/...``) speak the workshop's
first language unless the facilitator chose one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import MethodNotAllowed, RequestEntityTooLarge
from werkzeug.exceptions import NotFound as NoSuchPage
from werkzeug.wrappers import Response

from ...adapters import ratelimit
from ...domain.access import allows
from ...domain.definition import DEFAULT_LANGUAGES, LIMITS
from ...domain.paper import LineError, example_lines, parse_each
from ...domain.problems import Problem
from ...domain.text import localize
from ...models import Stage, Workshop
from ...services import (
    access,
    accounts,
    ballots,
    bodies,
    content,
    merges,
    participants,
    privacy,
    qr,
    results,
    stages,
    workshops,
)
from ...services import paper as paper_batches
from ...services.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError, TooLarge, Unauthorized
from ..api.errors import api_http_error
from ..i18n import current_language
from ..problems import say, say_place
from . import bp, builder, present
from .auth import current_user, login_required, sign_in, sign_out
from .forms import (
    ROLE_LABELS,
    DeleteForm,
    EraseForm,
    JoinCardsForm,
    LoginForm,
    NewWorkshopForm,
    PaperForm,
    SetupForm,
    password_messages,
)
from .people import people_context
from .screen import run_sheet_context

SESSIONS_DIR = Path(__file__).resolve().parents[3] / "sessions"
#: sign-in attempts per address: a burst of 10, then one every 6 seconds
MODERATION_TABS = ("pending", "published", "rejected")
#: where the run sheet keeps "these cards were just made" between the POST and the page
CARDS_MADE_KEY = "cards_made"

# ---------------------------------------------------------------------------
# Request plumbing


#: console endpoints that need more than their method implies (GET reads, POST runs)
ENDPOINT_ACTIONS = {
    "facilitator.paper_start": "run",
    "facilitator.paper": "run",
    "facilitator.erase": "manage",
    "facilitator.delete": "manage",
    "facilitator.add_member": "manage",
    "facilitator.change_member": "manage",
    "facilitator.remove_member": "manage",
}


def page_action(endpoint: str | None, method: str) -> str:
    """What a console request on a workshop needs (services.access): reading pages need
    ``read``, forms ``run``, and the endpoints above what they say."""
    return ENDPOINT_ACTIONS.get(endpoint or "", "read" if method in ("GET", "HEAD") else "run")


@bp.url_value_preprocessor
def _workshop_access(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Every console page of a workshop (``/console/w/<workshop_id>/...``, whoever wrote the
    view) is for its members: services.access answers 404 to anyone else, as for a workshop
    that does not exist, and 403 to a member whose role does not allow the request.
    Signed-out browsers are sent to sign in by the view's login_required. A member's pages
    default to the workshop's first language (i18n.select_locale reads this)."""
    workshop_id = (values or {}).get("workshop_id")
    if workshop_id is None:
        return
    user = current_user()
    if user is None:
        return
    g.workshop_role = access.require(user, "workshop", workshop_id, page_action(endpoint, request.method))
    g.workshop_language = workshops.definition_of(workshops.get_workshop(workshop_id)).language


def can(action: str) -> bool:
    """Whether the signed-in member may do ``action`` in this page's workshop (templates hide
    the buttons they may not press; the server refuses them anyway)."""
    return allows(g.get("workshop_role"), action)


@bp.app_context_processor
def _skeleton_helpers() -> dict[str, Any]:
    """What templates/base.html needs on any page that extends it."""
    return {"console_user": current_user, "lang_url": lang_url}


@bp.context_processor
def _console_helpers() -> dict[str, Any]:
    return {"present": present, "can": can, "role_labels": ROLE_LABELS, "limits": LIMITS}


def lang_url(code: str) -> str:
    """This page in another language (GET; the choice is remembered by i18n)."""
    if request.endpoint and request.url_rule is not None and "GET" in (request.url_rule.methods or ()):
        params: dict[str, Any] = {**(request.view_args or {}),
                                  **{k: v for k, v in request.args.items() if k != "lang"}, "lang": code}
        return url_for(request.endpoint, **params)
    return f"{request.path}?lang={code}"


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("facilitator/error.html", title=title, message=message,
                           status=status), status


@bp.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[str, int]:
    if isinstance(exc, NotFound):
        return _error_page(404, _("Not found"),
                           _("This page does not exist, or the workshop has been removed."))
    if isinstance(exc, Forbidden):
        return _error_page(403, _("Your role does not allow this"),
                           _("Viewers read the run sheet, results, exports and moderation lists; "
                             "facilitators also run the room; owners also manage people, erase "
                             "and delete. Ask an owner of the workshop for another role."))
    return _error_page(exc.status, _("Something went wrong"), exc.message)


#: the console's own addresses: an unknown or wrongly used one gets a console page
CONSOLE_PATHS = ("/console", "/login", "/logout", "/setup/", "/invite/")


@bp.app_errorhandler(NoSuchPage)
def _no_such_page(exc: NoSuchPage) -> Any:
    if not request.path.startswith(CONSOLE_PATHS):
        return api_http_error(exc)  # the API's JSON errors; Flask's own pages elsewhere
    return _error_page(404, _("Not found"),
                       _("This page does not exist, or the workshop has been removed."))


@bp.app_errorhandler(MethodNotAllowed)
def _wrong_method(exc: MethodNotAllowed) -> Any:
    if not request.path.startswith(CONSOLE_PATHS):
        return api_http_error(exc)
    page, status = _error_page(405, _("This page cannot be opened directly"),
                               _("This address is where a button of the console sends its form. "
                                 "Go back to the page with the button."))
    return page, status, {"Allow": ", ".join(exc.valid_methods or ())}


@bp.errorhandler(CSRFError)
def _csrf_error(_exc: CSRFError) -> tuple[str, int]:
    return _error_page(400, _("This form has expired"),
                       _("For your safety, forms expire when you sign in or out. "
                         "Go back, reload the page and try again."))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc: RequestEntityTooLarge) -> tuple[str, int]:
    return _error_page(413, _("The upload is too large"),
                       _("A workshop file may be at most 1 MB. Go back and choose a smaller file."))


def safe_next(target: str | None) -> str:
    """A local path to go back to after signing in; anything else goes to the console."""
    fallback = url_for(".index")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t\\"):
        return fallback
    return target.rstrip("?") or fallback


# ---------------------------------------------------------------------------
# Signing in and out, first start


@bp.get("/")
def home() -> Response:
    return redirect(url_for(".index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm(next=request.args.get("next", ""))
    if request.method == "GET" and current_user() is not None:
        return redirect(safe_next(form.next.data))
    error, status, wait = None, 200, None
    if form.validate_on_submit():
        username = form.username.data or ""
        try:
            ratelimit.check("login_address")
            ratelimit.check("login", username[:64])
        except ratelimit.Exceeded as exc:
            error, status = _("Too many sign-in attempts. Wait a minute and try again."), 429
            wait = exc.retry_after
        else:
            if sign_in(username, form.password.data or "") is not None:
                return redirect(safe_next(form.next.data))
            error, status = _("The username or password is not correct."), 401
    elif form.is_submitted():
        status = 422
    headers = {"Retry-After": str(wait)} if wait else {}
    return render_template("facilitator/login.html", form=form, error=error), status, headers


@bp.post("/logout")
def logout() -> Response:
    # CSRFProtect has checked the form's token before this view runs.
    sign_out()
    flash(_("You have signed out."), "success")
    return redirect(url_for(".login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str) -> Any:
    if not accounts.setup_token_valid(token):
        return _error_page(404, _("This setup link cannot be used"),
                           _("It has been used already, or a newer one was printed when the "
                             "server restarted. Sign in with your account, or ask whoever runs "
                             "the server to create one with: python run.py user add NAME"))
    form = SetupForm()
    if form.validate_on_submit():
        username, password = form.username.data or "", form.password.data or ""
        try:
            accounts.complete_setup(token, username, password)
        except Unauthorized:
            return redirect(url_for(".setup", token=token))
        except Invalid as exc:
            if exc.code == "weak_password":
                form.password.errors = [*form.password.errors, *password_messages(exc.details or [])]
            else:
                form.username.errors = [*form.username.errors, exc.message]
        except Conflict as exc:
            form.username.errors = [*form.username.errors, exc.message]
        else:
            sign_in(username, password)
            flash(_("Your account is ready. Welcome to RuamKit."), "success")
            return redirect(url_for(".index"))
    response = render_template("facilitator/setup.html", form=form)
    return response, 422 if form.errors else 200, {"Cache-Control": "no-store"}


# ---------------------------------------------------------------------------
# The list of workshops and creating one


def sample_choices() -> list[tuple[str, str]]:
    """(file name, title) of the sample workshop files in sessions/."""
    choices = []
    for path in sorted(SESSIONS_DIR.glob("*.yaml")):
        label = path.stem
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            title = localize(data.get("title"), current_language(),
                             data.get("languages") or list(DEFAULT_LANGUAGES))
            label = title or path.name
        except (OSError, yaml.YAMLError, AttributeError, TypeError):
            label = path.name
        choices.append((path.name, label))
    return choices


def _workshop_rows() -> list[dict[str, Any]]:
    user = current_user()
    roles = access.ids_of(user, "workshop")
    return [
        {"workshop": w, "definition": workshops.definition_of(w), "states": present.state_counts(w),
         "role": roles.get(w.id),
         "participants": workshops.participant_counts(w)["total"]}
        for w in access.workshops_of(user)
    ]


def _render_index(form: NewWorkshopForm, problems: list[dict[str, Any]] | None = None,
                  status: int = 200) -> tuple[str, int]:
    return render_template("facilitator/index.html", rows=_workshop_rows(), form=form,
                           problems=problems or []), status


@bp.get("/console")
@login_required
def index() -> tuple[str, int]:
    form = NewWorkshopForm()
    form.sample.choices = sample_choices()
    return _render_index(form)


def _definition_source(form: NewWorkshopForm) -> tuple[bytes | str, str] | None:
    """The text and file name the pressed button points at, or None (a field error is set)."""
    source = form.source()
    if source == "file":
        upload = form.file.data
        if not upload:
            form.file.errors = [*form.file.errors, _("Choose a workshop file first.")]
            return None
        return upload.read(), upload.filename or ""
    if source == "text":
        if not (form.text.data or "").strip():
            form.text.errors = [*form.text.errors, _("Paste the workshop text first.")]
            return None
        return form.text.data or "", ""
    names = dict(sample_choices())
    if source == "sample" and form.sample.data in names:
        return (SESSIONS_DIR / form.sample.data).read_bytes(), form.sample.data
    form.sample.errors = [*form.sample.errors, _("Choose one of the sample workshops.")]
    return None


@bp.post("/console")
@login_required
def create() -> Any:
    form = NewWorkshopForm()
    form.sample.choices = sample_choices()
    if not form.validate_on_submit():
        return _render_index(form, status=422)
    source = _definition_source(form)
    if source is None:
        return _render_index(form, status=422)
    ours = form.source() == "sample"  # a sample shipped with RuamKit: no worker, no budget
    try:
        definition = workshops.parse_definition_text(*source, ours=ours)
    except bodies.CheckFailed:  # what stopped the worker is in the server's log
        return _render_index(form, [{"loc": "", "lang": None, "message": _(
            "The workshop could not be checked within the server's time and memory limits. "
            "Make it smaller, or try again later.")}], status=413)
    except (Invalid, TooLarge) as exc:
        problems = ([_definition_problem(p) for p in exc.problems] if exc.problems
                    else [{"loc": "", "message": exc.message, "lang": "en"}])
        return _render_index(form, problems, status=422)
    except bodies.AccountBusy:
        page, status = _render_index(form, [{"loc": "", "lang": None, "message": _(
            "A large workshop you sent is still being checked. Wait for it, then try again.")}],
            status=429)
        return page, status, {"Retry-After": str(bodies.RETRY_AFTER)}
    except bodies.Busy:
        page, status = _render_index(form, [{"loc": "", "lang": None, "message": _(
            "The server is checking other large workshops. Try again in a few seconds.")}], status=429)
        return page, status, {"Retry-After": str(bodies.RETRY_AFTER)}
    user = current_user()
    if user is not None and not ours and bodies.large(len(source[0])):  # the API's budget
        try:
            ratelimit.check_account("workshop_write", user.id)
        except ratelimit.Exceeded as exc:
            page, status = _render_index(form, [{"loc": "", "lang": None, "message": _(
                "You have made many large workshops in a short time. Wait %(seconds)d seconds "
                "and try again.", seconds=exc.retry_after)}], status=429)
            return page, status, {"Retry-After": str(exc.retry_after)}
    workshop = workshops.create_workshop(definition, user_id=user.id if user else None)
    flash(_("The workshop “%(title)s” is ready. Its join code is %(code)s.",
            title=present.text(workshop, workshops.definition_of(workshop).title), code=workshop.code),
          "success")
    return redirect(url_for(".workshop", workshop_id=workshop.id))


def _definition_problem(problem: Problem) -> dict[str, Any]:
    """One mistake in a workshop file: its place, and what is wrong in the page's language."""
    return {"loc": say_place(problem.loc), "message": say(problem), "lang": None}


# ---------------------------------------------------------------------------
# One workshop: run sheet and stage buttons


def _common(workshop: Workshop) -> dict[str, Any]:
    """What every workshop page's header and live script need."""
    return {
        "workshop": workshop,
        "workshop_definition": workshops.definition_of(workshop),
        "langs": present.languages(workshop),
        "pending": content.pending_counts(workshop.id),
        "join_url": workshops.join_url(workshop),
    }


def _run_sheet(workshop_id: int, *, erase_form: EraseForm | None = None,
               delete_form: DeleteForm | None = None, cards_form: JoinCardsForm | None = None,
               status: int = 200) -> tuple[str, int]:
    workshop = workshops.get_workshop(workshop_id)
    entries = results.stage_counts(workshop)
    join_url = workshops.join_url(workshop)
    return render_template(
        "facilitator/workshop.html", **_common(workshop),
        stages=[present.stage_summary(workshop, s, entries.get(s.key)) for s in workshop.stages],
        participants=workshops.participant_counts(workshop), groups=present.groups(workshop),
        projector_url=workshops.projector_url(workshop),
        qr=qr.qr_svg(join_url, title=_("QR code to join the workshop: %(url)s", url=join_url)),
        erase_form=erase_form or EraseForm(), delete_form=delete_form or DeleteForm(),
        checklist=builder.checklist_rows(workshop),
        **_join_cards(workshop, cards_form), **run_sheet_context(workshop), **people_context(workshop),
    ), status


def _join_cards(workshop: Workshop, form: JoinCardsForm | None) -> dict[str, Any]:
    """The run sheet's join cards section: nothing for a workshop joined by its code."""
    if not present.uses_cards(workshop):
        return {"cards": None}
    if form is None:
        form = JoinCardsForm(formdata=None)
        form.group.choices = present.groups(workshop)
    made = session.pop(CARDS_MADE_KEY) if CARDS_MADE_KEY in session else None
    if not (isinstance(made, dict) and made.get("workshop") == workshop.id):
        made = None
    return {"cards": present.card_rows(workshop, participants.join_token_counts(workshop.id)),
            "cards_form": form, "cards_made": made}


@bp.get("/console/w/<int:workshop_id>")
@login_required
def workshop(workshop_id: int) -> tuple[str, int]:
    return _run_sheet(workshop_id)


@bp.post("/console/w/<int:workshop_id>/erase")
@login_required
def erase(workshop_id: int) -> Response | tuple[str, int]:
    form = EraseForm()
    if not form.validate_on_submit():
        return _run_sheet(workshop_id, erase_form=form, status=422)
    done = privacy.erase_personal_data(workshop_id)
    flash(_("Residents' personal data is erased: %(n)s phones can no longer take part; "
            "%(c)s unpublished comments and %(i)s ideas were deleted. Ballots and counts stay, anonymously.",
            n=done["participants"], c=done["comments_deleted"], i=done["ideas_deleted"]), "success")
    return redirect(url_for(".workshop", workshop_id=workshop_id, _anchor="privacy"))


@bp.post("/console/w/<int:workshop_id>/delete")
@login_required
def delete(workshop_id: int) -> Response | tuple[str, int]:
    workshop = workshops.get_workshop(workshop_id)
    form = DeleteForm()
    if form.validate_on_submit() and form.code.data.strip().upper() != workshop.code:
        form.code.errors = [*form.code.errors, _("That is not this workshop's join code.")]
    elif form.validate_on_submit():
        title = present.text(workshop, workshops.definition_of(workshop).title)
        privacy.delete_workshop(workshop_id)
        flash(_("The workshop “%(title)s” and everything in it are deleted.", title=title), "success")
        return redirect(url_for(".index"))
    return _run_sheet(workshop_id, delete_form=form, status=422)


@bp.post("/console/w/<int:workshop_id>/cards")
@login_required
def make_cards(workshop_id: int) -> Response | tuple[str, int]:
    workshop = workshops.get_workshop(workshop_id)
    if not present.uses_cards(workshop):
        return _error_page(409, _("This workshop takes no join cards"),
                           _("Residents join it with its join code. Printed single-use cards are for "
                             "workshops with join: tokens in their workshop file."))
    form = JoinCardsForm()
    form.group.choices = present.groups(workshop)
    if not form.validate_on_submit():
        return _run_sheet(workshop_id, cards_form=form, status=422)
    group = form.group.data or ""
    try:
        made = participants.create_join_tokens(workshop.id, group, form.count.data)
    except (Invalid, TooLarge) as exc:  # the form checks the same rules; this is a last guard
        form.count.errors = [*form.count.errors, exc.message]
        return _run_sheet(workshop_id, cards_form=form, status=422)
    session[CARDS_MADE_KEY] = {"workshop": workshop.id, "group": group, "count": len(made)}
    return redirect(url_for(".workshop", workshop_id=workshop.id, _anchor="join-cards"))


@bp.post("/console/w/<int:workshop_id>/stages/<key>/<any(open, close, reveal, hide):action>")
@login_required
def stage_action(workshop_id: int, key: str, action: str) -> Response:
    workshop = workshops.get_workshop(workshop_id)
    stage = workshops.get_stage(workshop, key)
    title = present.text(workshop, workshops.stage_spec_of(stage).title) or key
    try:
        stages.ACTIONS[action](workshop_id, key)
    except Conflict:
        flash(_conflict_message(action, title), "error")
    else:
        flash(_action_message(action, title), "success")
    return redirect(url_for(".workshop", workshop_id=workshop_id, _anchor=f"stage-{key}"))


def _action_message(action: str, title: str) -> str:
    return {
        "open": _("“%(title)s” is open: residents can answer now.", title=title),
        "close": _("“%(title)s” is closed: no more answers are taken.", title=title),
        "reveal": _("Residents now see the results of “%(title)s”.", title=title),
        "hide": _("The results of “%(title)s” are hidden from residents.", title=title),
    }[action]


def _conflict_message(action: str, title: str) -> str:
    if action == "open":
        return _("“%(title)s” is already open.", title=title)
    if action == "close":
        return _("“%(title)s” is not open, so it cannot be closed.", title=title)
    return _("The results of “%(title)s” are never shown to residents (show_results: never).",
             title=title)


# ---------------------------------------------------------------------------
# Paper ballots


def _default_stage(workshop: Workshop) -> Stage:
    for wanted in ("open", "closed"):
        for stage in workshop.stages:
            if stage.state == wanted:
                return stage
    return workshop.stages[0]


@bp.get("/console/w/<int:workshop_id>/paper")
@login_required
def paper_start(workshop_id: int) -> Response:
    workshop = workshops.get_workshop(workshop_id)
    if not workshop.stages:
        abort(404)
    return redirect(url_for(".paper", workshop_id=workshop_id, key=_default_stage(workshop).key))


def _format_problems(errors: list[LineError]) -> list[dict[str, Any]]:
    """Lines that cannot be read, said in the page's language."""
    return [{"line": e.line, "message": say(e.problem)} for e in errors]


def _rule_problems(workshop: Workshop, stage: Stage, parsed: list[tuple[int, dict[str, Any]]]
                   ) -> list[dict[str, Any]]:
    """The ballot rules' verdict on lines that were read, while other lines are being fixed.

    Only a preview, so the facilitator sees every problem at once: counting goes
    through ballots.cast_paper_ballots, which checks everything again.
    """
    found = ballots.check_paper_ballots(workshop.id, stage.key, [choices for _line, choices in parsed])
    return [_rule_problem(parsed[e["index"]][0], e["problem"]) for e in found]


def _rule_problem(line: int, problem: Problem) -> dict[str, Any]:
    """One broken ballot rule on one line, said in the page's language."""
    return {"line": line, "message": say(problem)}


def _count_paper(workshop: Workshop, stage: Stage, group: str, text: str,
                 confirm: bool = False) -> dict[str, Any]:
    """Count one batch; returns {"stored": n}, {"problems": [...]}, {"general": msg}
    or {"duplicate": the recent identical batch}."""
    parsed, format_errors = parse_each(workshops.stage_spec_of(stage).method, text)
    if format_errors:
        problems = _format_problems(format_errors) + _rule_problems(workshop, stage, parsed)
        return {"problems": sorted(problems, key=lambda p: p["line"])}
    if not parsed:
        return {"empty": True}
    try:
        return ballots.cast_paper_ballots(workshop.id, stage.key, group,
                                          [choices for _line, choices in parsed], confirm=confirm,
                                          user_id=_user_id())
    except paper_batches.DuplicateBatch as exc:
        return {"duplicate": _batch_row(exc.details["batch"])}
    except Conflict:
        return {"general": _("This stage has not been opened yet. Open it on the run sheet "
                             "first: paper ballots count like phone ballots.")}
    except (Invalid, TooLarge) as exc:
        if not exc.problems:
            return {"general": exc.message}
        return {"problems": [_rule_problem(parsed[d["index"]][0], problem)
                             for d, problem in zip(exc.details, exc.problems, strict=True)]}


@bp.route("/console/w/<int:workshop_id>/paper/<key>", methods=["GET", "POST"])
@login_required
def paper(workshop_id: int, key: str) -> Any:
    workshop = workshops.get_workshop(workshop_id)
    stage = workshops.get_stage(workshop, key)
    form = PaperForm()
    form.group.choices = present.groups(workshop)
    outcome: dict[str, Any] = {}
    if form.validate_on_submit():
        group = form.group.data or ""
        outcome = _count_paper(workshop, stage, group, form.lines.data or "",
                               confirm=form.confirm.data == "1")
        if "stored" in outcome:
            flash(_("Counted %(n)d paper ballots from “%(group)s” in “%(stage)s”.",
                    n=outcome["stored"], group=dict(form.group.choices)[group],
                    stage=present.text(workshop, workshops.stage_spec_of(stage).title)), "success")
            return redirect(url_for(".paper", workshop_id=workshop.id, key=stage.key, group=group))
        if outcome.get("empty"):
            form.lines.errors = [*form.lines.errors, _("Type at least one ballot.")]
    elif request.method == "GET" and request.args.get("group") in dict(form.group.choices):
        form.group.data = request.args["group"]
    if outcome.get("duplicate"):
        form.confirm.data = "1"  # sending the same form again now counts it
        form.submit.label.text = _("Count this batch again")
    else:
        form.confirm.data = ""
    entry = results.stage_entry(workshop, stage)
    spec = workshops.stage_spec_of(stage)
    status = 422 if form.is_submitted() and (outcome or form.errors) else 200
    if outcome.get("duplicate"):
        status = 409
    return render_template(
        "facilitator/paper.html", **_common(workshop), stage=stage,
        summary=present.stage_summary(workshop, stage, entry), form=form,
        problems=outcome.get("problems", []), general=outcome.get("general"),
        examples=example_lines(spec),
        items=[(i.key, present.text(workshop, i.title)) for i in spec.items],
        criteria=[(c.key, present.text(workshop, c.label)) for c in getattr(spec, "criteria", ())],
        all_stages=workshop.stages, spec=spec, duplicate=outcome.get("duplicate"),
        batches=[_batch_row(b) for b in paper_batches.list_batches(workshop.id, stage.key)],
        group_labels=dict(form.group.choices),
    ), status


def _user_id() -> int | None:
    user = current_user()
    return user.id if user is not None else None


def _batch_row(batch: dict[str, Any]) -> dict[str, Any]:
    """A batch for the page: its times as datetimes (present.clock shows them)."""
    return {**batch, "created_at": datetime.fromisoformat(batch["created_at"]),
            "voided_at": datetime.fromisoformat(batch["voided_at"]) if batch["voided_at"] else None}


@bp.post("/console/w/<int:workshop_id>/paper/<key>/batches/<int:batch_id>/void")
@login_required
def void_paper_batch(workshop_id: int, key: str, batch_id: int) -> Response:
    workshop = workshops.get_workshop(workshop_id)
    stage = workshops.get_stage(workshop, key)
    voided = paper_batches.void_batch(workshop.id, batch_id, stage_key=stage.key, user_id=_user_id())
    flash(_("Batch %(id)d is void: its %(n)d ballots no longer count.", id=voided["id"], n=voided["count"]),
          "success")
    return redirect(url_for(".paper", workshop_id=workshop.id, key=stage.key, _anchor="batches"))


# ---------------------------------------------------------------------------
# Moderation


@bp.get("/console/w/<int:workshop_id>/moderation")
@login_required
def moderation(workshop_id: int) -> str:
    workshop = workshops.get_workshop(workshop_id)
    show = request.args.get("show", "pending")
    if show not in MODERATION_TABS:
        show = "pending"
    idea_status = "approved" if show == "published" else show
    comments = content.list_comments(workshop.id, show)
    ideas = content.list_ideas(workshop.id, idea_status)
    definition = workshops.definition_of(workshop)
    stage_titles = {s.key: present.text(workshop, s.title) for s in definition.stages}
    item_titles = {(s.key, i.key): present.text(workshop, i.title)
                   for s in definition.stages for i in s.items}
    group_labels = dict(present.groups(workshop))
    return render_template(
        "facilitator/moderation.html", **_common(workshop), show=show, comments=comments,
        ideas=ideas, stage_titles=stage_titles, item_titles=item_titles, group_labels=group_labels,
        live_rows={**present.moderation_rows(workshop, url_for(".workshop", workshop_id=workshop.id),
                                             stage_titles, item_titles, group_labels),
                   **({} if can("run") else {"buttons": None})},  # a viewer's rows have no buttons
    )


def _back_to_moderation(workshop_id: int) -> Response:
    show = request.args.get("show", "pending")
    return redirect(url_for(".moderation", workshop_id=workshop_id,
                            show=show if show in MODERATION_TABS else "pending"))


@bp.post("/console/w/<int:workshop_id>/comments/<int:comment_id>/<any(approve, reject):action>")
@login_required
def moderate_comment(workshop_id: int, comment_id: int, action: str) -> Response:
    content.moderate_comment(comment_id, action == "approve", workshop_id=workshop_id)
    flash(_("The comment is published.") if action == "approve"
          else _("The comment is rejected: residents will not see it."), "success")
    return _back_to_moderation(workshop_id)


@bp.post("/console/w/<int:workshop_id>/ideas/<int:idea_id>/<any(approve, reject):action>")
@login_required
def moderate_idea(workshop_id: int, idea_id: int, action: str) -> Response:
    try:
        content.moderate_idea(idea_id, action == "approve", workshop_id=workshop_id)
    except Conflict:
        flash(_("An approved idea is an item of its stage already; it cannot be rejected."),
              "error")
    else:
        flash(_("The idea is approved: it is now an item residents can vote on.")
              if action == "approve" else _("The idea is rejected."), "success")
    return _back_to_moderation(workshop_id)


@bp.post("/console/w/<int:workshop_id>/moderation/<any(comment, idea):kind>")
@login_required
def moderate_selected(workshop_id: int, kind: str) -> Response:
    """The comments or ideas ticked on the moderation page, approved or rejected at once
    (the checkboxes belong to this form by their `form` attribute: no JavaScript needed)."""
    ids = [int(v) for v in request.form.getlist("ids") if v.isdigit() and len(v) < 19]
    action = request.form.get("action")
    if action not in ("approve", "reject") or not ids:
        flash(_("Tick the entries to moderate first, then press one of the buttons above them."), "error")
        return _back_to_moderation(workshop_id)
    counts = content.moderate_selected(kind, ids, action == "approve", workshop_id=workshop_id)
    if action == "approve":
        flash(ngettext("%(num)d entry approved.", "%(num)d entries approved.", counts["done"]), "success")
    else:
        flash(ngettext("%(num)d entry rejected.", "%(num)d entries rejected.", counts["done"]), "success")
    if counts["skipped"]:
        flash(ngettext("%(num)d entry was left as it was (already approved as an item, or not found).",
                       "%(num)d entries were left as they were (already approved as items, or not found).",
                       counts["skipped"]), "error")
    return _back_to_moderation(workshop_id)


# ---------------------------------------------------------------------------
# Results


@bp.get("/console/w/<int:workshop_id>/results")
@login_required
def results_page(workshop_id: int) -> str:
    workshop = workshops.get_workshop(workshop_id)
    data = results.workshop_results(workshop.id, current_language())
    word_merges = {s.key: merges.list_merges(workshop.id, s.key, include_undone=False)
                   for s in workshops.definition_of(workshop).stages if s.method == "words"}
    return render_template(
        "facilitator/results.html", **_common(workshop),
        sections=present.result_sections(workshop, data["stages"]),
        participants=data["participants"], groups=present.groups(workshop),
        spread_flag=present.SPREAD_FLAG, word_merges=word_merges,
        max_entry_chars=merges.MAX_ENTRY_CHARS,
    )


@bp.post("/console/w/<int:workshop_id>/results/<key>/merges")
@login_required
def merge_words(workshop_id: int, key: str) -> Response:
    """Merge the ticked entries of a words stage into the one typed (CSRFProtect checked the token)."""
    back = url_for(".results_page", workshop_id=workshop_id, _anchor=f"merge-{key}")
    sources = request.form.getlist("from")
    into = request.form.get("into", "")
    if not sources:
        flash(_("Tick at least one entry to merge."), "error")
        return redirect(back)
    if not into.strip():
        flash(_("Type the entry to merge them into."), "error")
        return redirect(back)
    try:
        made = merges.merge_entries(workshop_id, key, sources, into, user_id=_user_id())
    except Invalid:
        flash(_("Choose at least one entry other than the one you merge into."), "error")
        return redirect(back)
    flash(_("Merged %(n)d entries into “%(into)s”. Results, the projector and exports count them "
            "together now.", n=len(made["from"]), into=made["into_label"]), "success")
    return redirect(back)


@bp.post("/console/w/<int:workshop_id>/results/<key>/merges/<int:merge_id>/undo")
@login_required
def undo_word_merge(workshop_id: int, key: str, merge_id: int) -> Response:
    undone = merges.undo_merge(workshop_id, key, merge_id, user_id=_user_id())
    flash(_("The merge into “%(into)s” is undone: its entries count on their own again.",
            into=undone["into_label"]), "success")
    return redirect(url_for(".results_page", workshop_id=workshop_id, _anchor=f"merge-{key}"))
