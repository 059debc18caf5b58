"""The OpenAPI 3.1 document of API v1: one table of paths, schemas generated from pydantic models.

Every path, operation and status is declared here (and the plans' in ``openapi_plans``); every
request and response body names a model: the domain's workshop object
(:class:`~workshop.domain.definition.WorkshopDefinition`, one variant per method) and results
(:class:`~workshop.domain.results.Results`), and the HTTP envelopes of :mod:`.schemas`.
``components/schemas`` is what pydantic makes of them (``TypeAdapter.json_schema`` of each), so the
document cannot say other than the models; tests validate real responses against it and
tests/unit/test_openapi.py checks it is OpenAPI 3.1 and documents every route of the app.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ... import __version__
from ...domain.definition import SUPPORTED_LANGUAGES
from ...domain.results import Results
from . import schemas as s
from .openapi_plans import plan_paths

REF_TEMPLATE = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _array(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "array", "items": _ref(model)}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(s): {"$ref": f"#/components/responses/E{s}"} for s in statuses}


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    auth: bool = True,
    params: list[dict[str, Any]] | None = None,
    tag: str = "workshops",
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {**responses}}
    default_errors = (401, 405, 429) if auth else (405, 429)
    op["responses"].update(_errors(*sorted(set(errors) | set(default_errors))))
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    if not auth:
        op["security"] = []
    return op


WID = {"name": "workshop_id", "in": "path", "required": True, "schema": {"type": "integer"}}
KEY = {"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}
LANG = {"name": "lang", "in": "query", "required": False,
        "schema": {"type": "string", "enum": list(SUPPORTED_LANGUAGES)}}


def _status(values: list[str]) -> dict[str, Any]:
    return {"name": "status", "in": "query", "required": False, "schema": {"type": "string", "enum": values}}


def _people_paths() -> dict[str, Any]:
    """Members of a workshop, one's own account, and admins' accounts (web/api/people.py)."""
    uid = {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    paths: dict[str, Any] = {
        "/api/v1/workshops/{workshop_id}/members": {
            "get": _op("Members of the workshop and their roles (any member)",
                       {"200": _json(_array(s.Member))},
                       params=[WID], tag="people", errors=(404,)),
            "post": _op("Add a colleague by account name with a role (owners)",
                        {"201": _json(_ref(s.Member), "Added")},
                        body=_ref(s.NewMember),
                        params=[WID], tag="people", errors=(400, 403, 404, 409, 413, 422)),
        },
        "/api/v1/workshops/{workshop_id}/members/{user_id}": {
            "put": _op("Change a member's role (owners; the last owner stays: 409 last_owner)",
                       {"200": _json(_ref(s.Member))},
                       body=_ref(s.RoleChange),
                       params=[WID, uid], tag="people", errors=(400, 403, 404, 409, 413, 422)),
            "delete": _op("Remove a member (owners; never the last owner: 409 last_owner)",
                          {"204": {"description": "Removed"}},
                          params=[WID, uid], tag="people", errors=(403, 404, 409)),
        },
        "/api/v1/auth/me": {
            "get": _op("The signed-in account", {"200": _json(_ref(s.Account))}, tag="auth"),
        },
        "/api/v1/auth/password": {
            "post": _op("Change one's own password; the account's other tokens are revoked",
                        {"204": {"description": "Changed"}},
                        body=_ref(s.PasswordChange),
                        tag="auth", errors=(400, 413, 422)),
        },
        "/api/v1/auth/signout-all": {
            "post": _op("Sign out everywhere: revoke every token of the account, cut its sockets",
                        {"204": {"description": "Signed out"}}, tag="auth"),
        },
        "/api/v1/accounts": {
            "get": _op("All accounts (admins)", {"200": _json(_array(s.Account))},
                       tag="accounts", errors=(403,)),
            "post": _op("Invite: a new account and a one-time link to set its password (admins)",
                        {"201": _json(_ref(s.AccountLink), "Invited")},
                        body=_ref(s.Invite),
                        tag="accounts", errors=(400, 403, 409, 413, 422)),
        },
        "/api/v1/accounts/{user_id}/reset": {
            "post": _op("Reset: the password stops working, tokens revoked, a new one-time link (admins)",
                        {"200": _json(_ref(s.AccountLink))}, params=[uid], tag="accounts",
                        errors=(403, 404)),
        },
    }
    for action, summary in (("disable", "Disable: no sign-in, every token stops at once (admins)"),
                            ("enable", "Enable a disabled account (admins)")):
        paths[f"/api/v1/accounts/{{user_id}}/{action}"] = {
            "post": _op(summary, {"200": _json(_ref(s.Account))}, params=[uid], tag="accounts",
                        errors=(403, 404, 409)),
        }
    return paths


def _members_only(paths: dict[str, Any]) -> None:
    """Every operation on one workshop (or its comments and ideas) is for its members:
    404 for anyone else, 403 for a member whose role does not allow it (services.access)."""
    for path, operations in paths.items():
        if not path.startswith(("/api/v1/workshops/{workshop_id}", "/api/v1/comments/", "/api/v1/ideas/")):
            continue
        for op in operations.values():
            op["responses"].update(_errors(403, 404))


ERROR_TEXT = {
    400: "Malformed request",
    401: "Missing or bad token",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed for this path",
    409: "Conflict with the current state",
    413: "Too large",
    422: "Invalid input (details name the place)",
    429: "Too many requests",
}


def openapi_document() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/healthz": {
            "get": _op(
                "Liveness",
                {"200": _json(_ref(s.Health))},
                auth=False,
                tag="meta",
            )
        },
        "/api/v1/openapi.json": {
            "get": _op("This document", {"200": _json({"type": "object"})}, auth=False, tag="meta"),
        },
        "/api/v1/auth/token": {
            "post": _op(
                "Sign in: a bearer token",
                {"201": _json(_ref(s.Token), "Created")},
                body=_ref(s.SignIn),
                auth=False,
                tag="auth",
                errors=(400, 401),
            ),
            "delete": _op("Sign out: revoke this token", {"204": {"description": "Revoked"}}, tag="auth"),
        },
        "/api/v1/workshops": {
            "get": _op(
                "All workshops with the state of each stage",
                {"200": _json(_array(s.Workshop))},
            ),
            "post": _op(
                "Create a workshop (JSON, or a YAML workshop file as application/yaml)",
                {"201": _json(_ref(s.Created), "Created")},
                body=_ref(s.WorkshopObject),
                errors=(400, 413, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}": {
            "get": _op(
                "A workshop with the state of each stage (with Accept: application/yaml: its workshop file)",
                {"200": {"description": "OK", "content": {
                    "application/json": {"schema": _ref(s.Workshop)},
                    "application/yaml": {"schema": {"type": "string"}}}}},
                params=[WID],
                errors=(404,),
            ),
            "put": _op(
                "Edit a workshop's definition (live-safe); or send its workshop file as "
                "application/yaml with ?revision=N",
                {
                    "200": _json(_ref(s.Workshop), "The workshop as GET gives it, with its new revision"),
                    "409": {
                        "description": (
                            "error.code stale_revision: the workshop changed since the revision sent "
                            "(details.revision is the current one); edit_invalidates_ballots: the edit "
                            "would invalidate what was collected (details: a list of EditRefusal)"
                        ),
                        "content": {"application/json": {"schema": _ref(s.EditConflict)}},
                    },
                },
                body=_ref(s.WorkshopEdit),
                params=[WID],
                errors=(400, 404, 413, 422),
            ),
            "delete": _op(
                "Delete a workshop and everything in it",
                {"204": {"description": "Deleted"}},
                params=[WID],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/erase": {
            "post": _op(
                "Erase residents' personal data (PDPA); anonymous ballots and counts stay",
                {"200": _json(_ref(s.Erased))},
                params=[WID],
                errors=(404,),
                tag="privacy",
            ),
        },
        "/api/v1/workshops/{workshop_id}/results": {
            "get": _op(
                "Results (contract section 3)",
                {"200": _json(_ref(Results))},
                params=[WID, LANG],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/screen": {
            "get": _op(
                "What the projector shows",
                {"200": _json(_ref(s.Screen))},
                params=[WID],
                errors=(404,),
                tag="projector",
            ),
            "post": _op(
                "Choose what the projector shows (every projector follows at once)",
                {"200": _json(_ref(s.Screen))},
                body=_ref(s.ScreenChoice),
                params=[WID],
                errors=(400, 404, 422),
                tag="projector",
            ),
        },
        **{
            f"/api/v1/workshops/{{workshop_id}}/join/{action}": {
                "post": _op(
                    summary,
                    {"200": _json(_ref(s.JoinPaused))},
                    params=[WID],
                    errors=(404,),
                )
            }
            for action, summary in (
                ("pause", "Pause joining: new phones get 409 `join_paused`, joined ones keep voting"),
                ("resume", "Resume joining"),
            )
        },
        "/api/v1/workshops/{workshop_id}/stages/{key}/paper": {
            "post": _op(
                "Count paper ballots of one group (all or none)",
                {"201": _json(_ref(s.Paper), "Counted")},
                body=_ref(s.PaperBallots),
                params=[WID, KEY],
                errors=(400, 404, 409, 413, 422),
            ),
            "get": _op(
                "The stage's paper batches, newest first, voided ones included",
                {"200": _json(_array(s.PaperBatch))},
                params=[WID, KEY],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/paper-batches": {
            "get": _op(
                "Every paper batch of the workshop, newest first, voided ones included",
                {"200": _json(_array(s.PaperBatch))},
                params=[WID],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/stages/{key}/merges": {
            "get": _op(
                "Merges of a words stage's entries, in the order made (undone ones marked)",
                {"200": _json(_array(s.WordMerge))},
                params=[WID, KEY],
                errors=(404, 409),
            ),
            "post": _op(
                "Merge entries of a words stage into another (applies to results and exports at once)",
                {"201": _json(_ref(s.WordMerge), "Merged")},
                body=_ref(s.MergeWords),
                params=[WID, KEY],
                errors=(400, 404, 409, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}/comments": {
            "get": _op(
                "Comments",
                {"200": _json(_array(s.Comment))},
                params=[WID, _status(["pending", "published", "rejected"])],
                tag="moderation",
                errors=(404, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}/ideas": {
            "get": _op(
                "Ideas",
                {"200": _json(_array(s.Idea))},
                params=[WID, _status(["pending", "approved", "rejected"])],
                tag="moderation",
                errors=(404, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}/tokens": {
            "post": _op(
                "Single-use join cards",
                {"201": _json(_ref(s.Tokens), "Created")},
                body=_ref(s.TokensRequest),
                params=[WID],
                errors=(400, 404, 413, 422),
            ),
        },
        "/api/v1/join": {
            "post": _op(
                "Join a workshop (sets the browser cookie too)",
                {"201": _json(_ref(s.Joined), "Joined")},
                body=_ref(s.JoinRequest),
                auth=False,
                tag="residents",
                errors=(400, 403, 404, 409, 422),
            ),
        },
    }
    for action in ("open", "close", "reveal", "hide"):
        paths[f"/api/v1/workshops/{{workshop_id}}/stages/{{key}}/{action}"] = {
            "post": _op(
                f"Stage lifecycle: {action}",
                {"200": _json(_ref(s.StageState))},
                params=[WID, KEY],
                errors=(404, 409),
            )
        }
    batch_id = {"name": "batch_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    void = _op("Void a paper batch: its ballots leave every result; the void is recorded",
               {"200": _json(_ref(s.PaperBatch))}, params=[WID, KEY, batch_id], errors=(404,))
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}/void"] = {"post": void}
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}"] = {"delete": void}
    void_any = {**void, "parameters": [WID, batch_id]}
    paths["/api/v1/workshops/{workshop_id}/paper-batches/{batch_id}/void"] = {"post": void_any}
    paths["/api/v1/workshops/{workshop_id}/paper-batches/{batch_id}"] = {"delete": void_any}
    merge_id = {"name": "merge_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    undo = _op("Undo a merge: its entries count as themselves again (the record stays)",
               {"200": _json(_ref(s.WordMerge))}, params=[WID, KEY, merge_id], errors=(404, 409))
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/merges/{merge_id}"] = {"delete": undo}
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/merges/{merge_id}/undo"] = {"post": undo}
    for kind, schema in (("comments", s.Comment), ("ideas", s.Idea)):
        ident = {"name": "item_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        for action in ("approve", "reject"):
            paths[f"/api/v1/{kind}/{{item_id}}/{action}"] = {
                "post": _op(
                    f"Moderation: {action}",
                    {"200": _json(_ref(schema))},
                    params=[ident],
                    tag="moderation",
                    errors=(404, 409),
                )
            }
    # Exports (web/api/exports.py): files as attachments, errors as JSON.
    binary = {"type": "string", "format": "binary"}
    paths["/api/v1/workshops/{workshop_id}/export"] = {
        "get": _op(
            "The plan draft (PDF, or DOCX to edit in Word or LibreOffice), or the raw data (CSV files in a "
            "ZIP, or JSON)",
            {
                "200": {
                    "description": "The file, as an attachment (Content-Disposition)",
                    "content": {
                        "application/pdf": {"schema": binary},
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                            "schema": binary
                        },
                        "application/zip": {"schema": binary},
                        "application/json": {"schema": {"type": "object"}},
                    },
                }
            },
            params=[
                WID,
                LANG,
                {
                    "name": "format",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": ["pdf", "docx", "csv", "json"]},
                },
            ],
            tag="exports",
            # 413 export_too_large: the render broke its memory or time ceiling;
            # 429 export_busy (with Retry-After): the export slots are taken
            errors=(404, 413, 422),
        )
    }
    paths["/api/v1/workshops/{workshop_id}/tokens.pdf"] = {
        "get": _op(
            "The join cards as A4 sheets of 2 x 4 cut-out cards with QR codes",
            {
                "200": {
                    "description": "The PDF, as an attachment",
                    "content": {"application/pdf": {"schema": binary}},
                }
            },
            params=[
                WID,
                LANG,
                {"name": "group", "in": "query", "required": False, "schema": {"type": "string"}},
            ],
            tag="exports",
            errors=(404, 409, 422),
        )
    }
    paths.update(plan_paths(_op, _json, _ref, _array))
    paths.update(_people_paths())
    _members_only(paths)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "RuamKit API",
            "version": __version__,
            "description": "Live participatory planning workshops. Contract version 1.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": copy.deepcopy(component_schemas()),
            "responses": {f"E{status}": _json(_ref(s.Error), text) for status, text in ERROR_TEXT.items()},
        },
    }


#: Every model a body of the document is: the requests' and responses' (and what they hold).
MODELS: tuple[type[BaseModel], ...] = (
    *(
        model
        for model in vars(s).values()
        if isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == s.__name__
        and model is not s.Envelope
    ),
    s.Stage,
    Results,
    # request bodies the domain defines and validates with (domain.plans, domain.carry)
    s.PlanInput,
    s.CarryInput,
)


@functools.cache
def component_schemas() -> dict[str, Any]:
    """``components/schemas``: pydantic's JSON schema of every model in :data:`MODELS`."""
    _, top = models_json_schema([(model, "validation") for model in MODELS], ref_template=REF_TEMPLATE)
    defs: dict[str, Any] = top["$defs"]
    # only what the models refer to (AnyMethodStage, which only ever fails, is left out of the union)
    kept, todo = set(), [model.__name__ for model in MODELS]
    while todo:
        name = todo.pop()
        if name not in kept:
            kept.add(name)
            todo.extend(_refs(defs[name]))
    return {name: defs[name] for name in sorted(kept)}


def _refs(schema: Any) -> list[str]:
    """The names of the components ``schema`` refers to."""
    found: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                found.append(ref.rsplit("/", 1)[1])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found
