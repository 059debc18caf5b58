"""API v1 routes. Each handler: authenticate, parse, call one service, shape JSON."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, g, jsonify, request, session

from ...adapters import ratelimit
from ...extensions import message_queue_state
from ...services import (
    access,
    accounts,
    ballots,
    bodies,
    content,
    editing,
    merges,
    paper,
    participants,
    privacy,
    results,
    screens,
    stages,
    workshops,
)
from ...services.errors import TooLarge, Unauthorized
from ...services.sessions import remember_participant
from ...web.security import asked_by_own_page
from . import bp
from .openapi import openapi_document
from .schemas import Created

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "/api/v1"
MAX_WORKSHOP_BYTES = 1024 * 1024


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def facilitator_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token()
        if token is None:
            raise Unauthorized("send Authorization: Bearer TOKEN (POST /api/v1/auth/token)")
        user = accounts.user_for_token(token)
        if user is None:
            raise Unauthorized("the token is unknown, expired or revoked")
        g.user = user
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def allowed(action: str, *, via: str = "workshop") -> Callable[[F], F]:
    """Under ``facilitator_required``: the signed-in account's role in the workshop of the
    path (``workshop_id``, or the ``comment_id`` / ``idea_id`` it belongs to) must allow
    ``action`` (services.access): non-members get 404, members without the right 403."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if via == "workshop":
                access.require(g.user, "workshop", kwargs["workshop_id"], action)
            else:
                access.require_entry(g.user, via, kwargs[f"{via}_id"], action)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def raw_body() -> bytes:
    """The request's body, or 413 beyond 1 MB (told by Content-Length, before reading)."""
    if request.content_length and request.content_length > MAX_WORKSHOP_BYTES:
        raise TooLarge("the request body is larger than 1 MB")
    return request.get_data(cache=True)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a clear 400/413/422."""
    return bodies.decode_json(raw_body())


def large_write_allowed(user_id: int) -> None:
    """A large workshop body (one checked in a worker) that passed its checks counts against
    its account's budget (ratelimit's ``workshop_write``) before it is stored: 429 with
    Retry-After beyond it. Storing a workshop at the file limits takes the server about a
    second. A body that fails its checks counts nothing here, but it holds a checking worker
    while it is checked: an account has at most one large body checked or waiting at a time
    (bodies.AccountBusy, 429 ``busy``), so its failing bodies are paced by their own checks
    and never fill the line in front of other accounts' large bodies."""
    if bodies.large(len(request.get_data(cache=True))):  # read already, and kept
        ratelimit.check_account("workshop_write", user_id)


def created(body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), 201


def lang_arg() -> str | None:
    lang = request.args.get("lang")
    return lang if lang else None


@bp.get("/healthz")
def healthz() -> Response:
    """Alive, exactly as the contract says; the header ``X-Message-Queue`` tells whether this
    process reaches Redis (``ok``, ``down``, or ``none`` for a single process)."""
    response = jsonify({"status": "ok"})
    response.headers["X-Message-Queue"] = message_queue_state()
    return response


@bp.get(f"{PREFIX}/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.post(f"{PREFIX}/auth/token")
def auth_token() -> tuple[Response, int]:
    data = json_body()
    ratelimit.check("login_address")
    ratelimit.check("login", str(data.get("username"))[:64])
    raw, record = accounts.login_with_password(data.get("username"), data.get("password"))
    return created({"token": raw, "token_type": "Bearer",
                    "expires_at": record.expires_at.isoformat()})


@bp.delete(f"{PREFIX}/auth/token")
@facilitator_required
def auth_logout() -> tuple[str, int]:
    accounts.revoke_token(bearer_token() or "")
    return "", 204


@bp.post(f"{PREFIX}/workshops")
@facilitator_required
def create_workshop() -> tuple[Response, int]:
    mimetype = request.mimetype or ""
    user_id = g.user.id
    if "yaml" in mimetype:
        if (request.content_length or 0) > MAX_WORKSHOP_BYTES:
            raise TooLarge("the workshop file is larger than 1 MB")
        definition = workshops.parse_definition_text(request.get_data())
    else:
        definition = bodies.workshop_json(raw_body(), edit=False).result()
    large_write_allowed(user_id)
    workshop = workshops.create_workshop(definition, user_id=user_id)
    return created(Created(id=workshop.id, code=workshop.code, join_url=workshops.join_url(workshop),
                           projector_url=workshops.projector_url(workshop)).model_dump())


@bp.get(f"{PREFIX}/workshops")
@facilitator_required
def list_workshops() -> Response:
    return jsonify([workshops.describe(w) for w in access.workshops_of(g.user)])


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>")
@facilitator_required
@allowed("read")
def get_workshop(workshop_id: int) -> Response:
    workshop = workshops.get_workshop(workshop_id)
    if request.accept_mimetypes.best_match(["application/json", "application/yaml"]) == "application/yaml":
        return Response(editing.definition_yaml(workshop), mimetype="application/yaml")  # its file
    return jsonify(workshops.describe(workshop))


@bp.put(f"{PREFIX}/workshops/<int:workshop_id>")
@facilitator_required
@allowed("run")
def edit_workshop(workshop_id: int) -> Response:
    user_id = g.user.id
    if "yaml" in (request.mimetype or ""):  # a workshop file; the revision in ?revision=
        if (request.content_length or 0) > MAX_WORKSHOP_BYTES:
            raise TooLarge("the workshop file is larger than 1 MB")
        revision = editing.base_revision({"revision": _whole(request.args.get("revision"))})
        checked = bodies.Checked(workshops.parse_definition_text(request.get_data()), revision)
    else:
        checked = bodies.workshop_json(raw_body(), edit=True)
    assert checked.revision is not None
    if checked.invalid is None:
        large_write_allowed(user_id)
    workshop = editing.edit_workshop(workshop_id, checked, checked.revision)
    return jsonify(workshops.describe(workshop))


def _whole(text: str | None) -> int | None:
    try:
        return int(text) if text is not None and text.strip().isdigit() else None
    except ValueError:
        return None


@bp.delete(f"{PREFIX}/workshops/<int:workshop_id>")
@facilitator_required
@allowed("manage")
def delete_workshop(workshop_id: int) -> tuple[str, int]:
    privacy.delete_workshop(workshop_id)
    return "", 204


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/erase")
@facilitator_required
@allowed("manage")
def erase_personal_data(workshop_id: int) -> Response:
    return jsonify(privacy.erase_personal_data(workshop_id))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/<any(open, close, reveal, hide):action>")
@facilitator_required
@allowed("run")
def stage_action(workshop_id: int, key: str, action: str) -> Response:
    workshop, stage = stages.ACTIONS[action](workshop_id, key)
    return jsonify({"key": stage.key, "state": stage.state,
                    "results_shown": workshops.stage_visible(stage),
                    "revision": workshop.revision})


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/screen")
@facilitator_required
@allowed("read")
def get_screen(workshop_id: int) -> Response:
    return jsonify(screens.screen_of(workshops.get_workshop(workshop_id)))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/screen")
@facilitator_required
@allowed("run")
def choose_screen(workshop_id: int) -> Response:
    data = json_body()
    return jsonify(screens.choose_screen(workshop_id, data.get("screen"), data.get("stage")))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/paper")
@facilitator_required
@allowed("run")
def paper_ballots(workshop_id: int, key: str) -> tuple[Response, int]:
    data = json_body()
    stored = ballots.cast_paper_ballots(workshop_id, key, data.get("group"), data.get("ballots"),
                                        confirm=data.get("confirm", False), user_id=g.user.id)
    entry = results.stage_entry(*_workshop_stage(workshop_id, key))
    return created({**stored, "ballots": entry["ballots"], "paper_ballots": entry["paper_ballots"]})


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/paper")
@facilitator_required
@allowed("read")
def stage_paper_batches(workshop_id: int, key: str) -> Response:
    return jsonify(paper.list_batches(workshop_id, key))


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/paper-batches")
@facilitator_required
@allowed("read")
def paper_batches(workshop_id: int) -> Response:
    return jsonify(paper.list_batches(workshop_id))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/paper/<int:batch_id>/void")
@bp.delete(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/paper/<int:batch_id>")
@facilitator_required
@allowed("run")
def void_paper_batch(workshop_id: int, key: str, batch_id: int) -> Response:
    return jsonify(paper.void_batch(workshop_id, batch_id, stage_key=key, user_id=g.user.id))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/paper-batches/<int:batch_id>/void")
@bp.delete(f"{PREFIX}/workshops/<int:workshop_id>/paper-batches/<int:batch_id>")
@facilitator_required
@allowed("run")
def void_workshop_paper_batch(workshop_id: int, batch_id: int) -> Response:
    return jsonify(paper.void_batch(workshop_id, batch_id, user_id=g.user.id))


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/merges")
@facilitator_required
@allowed("read")
def list_merges(workshop_id: int, key: str) -> Response:
    return jsonify(merges.list_merges(workshop_id, key))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/merges")
@facilitator_required
@allowed("run")
def merge_entries(workshop_id: int, key: str) -> tuple[Response, int]:
    data = json_body()
    return created(merges.merge_entries(workshop_id, key, data.get("from"), data.get("into"),
                                        user_id=g.user.id))


@bp.delete(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/merges/<int:merge_id>")
@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/stages/<key>/merges/<int:merge_id>/undo")
@facilitator_required
@allowed("run")
def undo_merge(workshop_id: int, key: str, merge_id: int) -> Response:
    return jsonify(merges.undo_merge(workshop_id, key, merge_id, user_id=g.user.id))


def _workshop_stage(workshop_id: int, key: str) -> tuple[Any, Any]:
    workshop = workshops.get_workshop(workshop_id)
    return workshop, workshops.get_stage(workshop, key)


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/comments")
@facilitator_required
@allowed("read")
def list_comments(workshop_id: int) -> Response:
    found = content.list_comments(workshop_id, request.args.get("status"))
    return jsonify([content.comment_dict(c) for c in found])


@bp.post(f"{PREFIX}/comments/<int:comment_id>/<any(approve, reject):action>")
@facilitator_required
@allowed("run", via="comment")
def moderate_comment(comment_id: int, action: str) -> Response:
    return jsonify(content.comment_dict(content.moderate_comment(comment_id, action == "approve")))


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/ideas")
@facilitator_required
@allowed("read")
def list_ideas(workshop_id: int) -> Response:
    found = content.list_ideas(workshop_id, request.args.get("status"))
    return jsonify([content.idea_dict(i) for i in found])


@bp.post(f"{PREFIX}/ideas/<int:idea_id>/<any(approve, reject):action>")
@facilitator_required
@allowed("run", via="idea")
def moderate_idea(idea_id: int, action: str) -> Response:
    return jsonify(content.idea_dict(content.moderate_idea(idea_id, action == "approve")))


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/tokens")
@facilitator_required
@allowed("run")
def create_tokens(workshop_id: int) -> tuple[Response, int]:
    data = json_body()
    cards = participants.create_join_tokens(workshop_id, data.get("group"), data.get("count"))
    workshop = workshops.get_workshop(workshop_id)
    base = workshops.join_url(workshop)
    return created({"group": data["group"], "count": len(cards), "tokens": [
        {"token": c.code, "group": c.group_key, "join_url": f"{base}?t={c.code}"} for c in cards]})


@bp.post(f"{PREFIX}/workshops/<int:workshop_id>/join/<any(pause, resume):action>")
@facilitator_required
@allowed("run")
def pause_joining(workshop_id: int, action: str) -> Response:
    workshop = participants.set_join_paused(workshop_id, action == "pause")
    return jsonify({"workshop_id": workshop.id, "join_paused": workshop.join_paused})


@bp.get(f"{PREFIX}/workshops/<int:workshop_id>/results")
@facilitator_required
@allowed("read")
def get_results(workshop_id: int) -> Response:
    return jsonify(results.workshop_results(workshop_id, lang_arg()))


@bp.post(f"{PREFIX}/join")
@ratelimit.limited("join")
def join() -> tuple[Response, int]:
    data = json_body()
    participant, raw = participants.join(data.get("code"), data.get("group"), data.get("token"),
                                         data.get("language"))
    if asked_by_own_page():  # never a cookie for another site's form (issue 14)
        remember_participant(session, participant.workshop_id, raw)
    return created({"participant": raw, "workshop_id": participant.workshop_id,
                    "group": participant.group_key})


