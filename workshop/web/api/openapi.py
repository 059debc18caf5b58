"""The OpenAPI 3.1 document of API v1; tests validate real responses against it."""

from __future__ import annotations

from typing import Any

from ... import __version__

TEXT = {"oneOf": [{"type": "string"}, {"type": "object", "additionalProperties": {"type": "string"}}]}
NULLABLE_NUMBER = {"type": ["number", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


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
LANG = {"name": "lang", "in": "query", "required": False, "schema": {"type": "string", "enum": ["th", "en"]}}


def _status(values: list[str]) -> dict[str, Any]:
    return {"name": "status", "in": "query", "required": False, "schema": {"type": "string", "enum": values}}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
            }
        },
    },
    "Text": TEXT,
    "WorkshopObject": {
        "type": "object",
        "required": ["title", "groups", "stages"],
        "description": "The workshop file's object (contract section 1).",
        "properties": {
            "title": TEXT,
            "city": TEXT,
            "date": {"type": "string", "format": "date"},
            "languages": {"type": "array", "items": {"type": "string", "enum": ["th", "en"]}},
            "join": {"type": "string", "enum": ["open", "tokens"]},
            "moderation": {"type": "string", "enum": ["pre", "post"]},
            "expected_attendance": {"type": "integer", "minimum": 1, "maximum": 100000,
                                    "description": "people expected; the run sheet warns past it"},
            "groups": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "label"],
                    "properties": {"key": {"type": "string"}, "label": TEXT},
                },
            },
            "stages": {"type": "array", "items": {"type": "object"}},
        },
    },
    "WorkshopEdit": {
        "description": (
            "The whole workshop object as it should be from now on, plus the revision it was "
            "based on (from GET). The read-only fields GET adds (id, code, URLs, each stage's "
            "state and results_shown) may be sent back and are ignored. Before any stage opens "
            "anything may change; a stage with ballots keeps its method, its method options "
            "(criteria keys and weights included) and its item keys; a stage that has opened "
            "cannot be removed; a group with participants or join cards cannot be removed. "
            "Texts, an item's goal, horizon, budget, SDGs and indicator, new stages and new "
            "groups may always change. Every open phone and projector gets the new definition "
            "at once (the state event with the whole workshop)."
        ),
        "allOf": [
            _ref("WorkshopObject"),
            {"type": "object", "required": ["revision"], "properties": {"revision": {"type": "integer"}}},
        ],
    },
    "EditRefusal": {
        "type": "object",
        "required": ["loc", "code", "params", "message"],
        "description": "One refused change: its place, a code (group_in_use, stage_removed, "
                       "method_changed, option_changed, item_added, item_removed, item_has_comments) "
                       "and the parameters of its message.",
        "properties": {
            "loc": {"type": "string"},
            "code": {"type": "string", "enum": [
                "group_in_use", "stage_removed", "method_changed", "option_changed",
                "item_added", "item_removed", "item_has_comments"]},
            "params": {"type": "object"},
            "message": {"type": "string"},
        },
    },
    "Created": {
        "type": "object",
        "required": ["id", "code", "join_url", "projector_url"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "join_url": {"type": "string"},
            "projector_url": {"type": "string"},
        },
    },
    "Stage": {
        "type": "object",
        "required": ["key", "kind", "method", "state", "results_shown", "items"],
        "properties": {
            "key": {"type": "string"},
            "kind": {"type": "string"},
            "method": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "open", "closed"]},
            "results_shown": {"type": "boolean"},
            "items": {"type": "array"},
        },
    },
    "Workshop": {
        "type": "object",
        "required": ["id", "code", "join_url", "projector_url", "title", "languages", "groups", "stages"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "join_url": {"type": "string"},
            "projector_url": {"type": "string"},
            "created_at": {"type": "string"},
            "revision": {"type": "integer"},
            "title": TEXT,
            "languages": {"type": "array"},
            "groups": {"type": "array"},
            "stages": {"type": "array", "items": _ref("Stage")},
        },
    },
    "StageState": {
        "type": "object",
        "required": ["key", "state", "results_shown"],
        "properties": {
            "key": {"type": "string"},
            "state": {"type": "string", "enum": ["draft", "open", "closed"]},
            "results_shown": {"type": "boolean"},
            "revision": {"type": "integer"},
        },
    },
    "GroupResult": {
        "type": "object",
        "required": ["ballots", "value", "score"],
        "properties": {"ballots": {"type": "integer"}, "value": NULLABLE_NUMBER, "score": NULLABLE_NUMBER},
    },
    "ItemResult": {
        "type": "object",
        "required": ["key", "title", "rank", "value", "score", "by_group", "spread"],
        "properties": {
            "key": {"type": "string"},
            "title": {"type": "string"},
            "rank": {"type": "integer"},
            "value": NULLABLE_NUMBER,
            "score": NULLABLE_NUMBER,
            "by_group": {"type": "object", "additionalProperties": _ref("GroupResult")},
            "spread": NULLABLE_NUMBER,
            "criteria": {"type": "object", "additionalProperties": NULLABLE_NUMBER},
            "units": {"type": "object", "description": "the item in people's units (README: How "
                      "results are computed): ballots/percent, dots/percent, points/average_position, "
                      "mean/criteria, amount/average/percent_of_pot/cost/funded"},
        },
    },
    "StageResult": {
        "type": "object",
        "required": ["key", "method", "state", "ballots", "paper_ballots", "items"],
        "properties": {
            "key": {"type": "string"},
            "method": {"type": "string"},
            "state": {"type": "string"},
            "results_shown": {"type": "boolean"},
            "ballots": {"type": "integer"},
            "paper_ballots": {"type": "integer"},
            "by_channel": {"type": "object", "description": "an addition to contract 1.1: ballots by where "
                           "they were cast: hall (stage opened live), online (opened by its opens_at "
                           "window), paper, kiosk", "additionalProperties": {"type": "integer"}},
            "items": {"type": "array", "items": _ref("ItemResult")},
            "units": {"type": "object", "description": "stage-level units: budget pot, funded, left; "
                      "dots cast; score scale; rank items"},
        },
    },
    "Participants": {
        "type": "object",
        "required": ["total", "by_group"],
        "properties": {
            "total": {"type": "integer"},
            "by_group": {"type": "object", "additionalProperties": {"type": "integer"}},
            "assisted": {"type": "integer", "description": "of the total, residents who joined "
                         "at a helper kiosk in the hall (README: Helper kiosk)"},
        },
    },
    "Results": {
        "type": "object",
        "required": ["participants", "stages"],
        "properties": {
            "participants": _ref("Participants"),
            "stages": {"type": "array", "items": _ref("StageResult")},
        },
    },
    "Comment": {
        "type": "object",
        "required": ["id", "stage", "item", "group", "text", "status", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "stage": {"type": "string"},
            "item": {"type": ["string", "null"]},
            "group": {"type": "string"},
            "text": {"type": "string"},
            "status": {"type": "string", "enum": ["pending", "published", "rejected"]},
            "created_at": {"type": "string"},
        },
    },
    "Idea": {
        "type": "object",
        "required": ["id", "stage", "group", "title", "description", "status", "item"],
        "properties": {
            "id": {"type": "integer"},
            "stage": {"type": "string"},
            "group": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": ["string", "null"]},
            "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
            "item": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
        },
    },
    "Tokens": {
        "type": "object",
        "required": ["group", "count", "tokens"],
        "properties": {
            "group": {"type": "string"},
            "count": {"type": "integer"},
            "tokens": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["token", "group", "join_url"],
                    "properties": {
                        "token": {"type": "string"},
                        "group": {"type": "string"},
                        "join_url": {"type": "string"},
                    },
                },
            },
        },
    },
    "Paper": {
        "type": "object",
        "required": ["stored", "ballots", "paper_ballots"],
        "properties": {
            "stored": {"type": "integer"},
            "ballots": {"type": "integer"},
            "paper_ballots": {"type": "integer"},
            "batch_id": {"type": "integer"},
            "batch": _ref("PaperBatch"),
        },
    },
    "PaperBatch": {
        "type": "object",
        "required": ["id", "stage", "group", "count", "created_at", "created_by", "voided",
                     "voided_at", "voided_by"],
        "properties": {
            "id": {"type": "integer"},
            "stage": {"type": "string"},
            "group": {"type": "string"},
            "count": {"type": "integer"},
            "created_at": {"type": "string"},
            "created_by": {"type": ["string", "null"]},
            "confirmed_duplicate": {"type": "boolean"},
            "voided": {"type": "boolean"},
            "voided_at": {"type": ["string", "null"]},
            "voided_by": {"type": ["string", "null"]},
        },
    },
    "WordMerge": {
        "type": "object",
        "required": ["id", "stage", "from", "into", "into_label", "created_at", "undone"],
        "properties": {
            "id": {"type": "integer"},
            "stage": {"type": "string"},
            "from": {"type": "array", "items": {"type": "string"}},
            "into": {"type": "string"},
            "into_label": {"type": "string"},
            "created_at": {"type": "string"},
            "created_by": {"type": ["string", "null"]},
            "undone": {"type": "boolean"},
            "undone_at": {"type": ["string", "null"]},
            "undone_by": {"type": ["string", "null"]},
        },
    },
    "Joined": {
        "type": "object",
        "required": ["participant", "workshop_id"],
        "properties": {
            "participant": {"type": "string"},
            "workshop_id": {"type": "integer"},
            "group": {"type": "string"},
        },
    },
    "Erased": {
        "type": "object",
        "required": ["erased_at", "participants"],
        "properties": {
            "erased_at": {"type": "string"},
            "participants": {"type": "integer"},
            "receipts": {"type": "integer"},
            "comments_deleted": {"type": "integer"},
            "ideas_deleted": {"type": "integer"},
        },
    },
    "Screen": {
        "type": "object",
        "required": ["screen", "stage", "shows"],
        "properties": {
            "screen": {"type": "string", "enum": ["auto", "welcome", "stage", "comments", "ideas",
                                                  "participation"]},
            "stage": {"type": ["string", "null"]},
            "shows": {
                "type": "object",
                "description": "what is on screen now: `auto` resolved to a stage or the welcome",
                "required": ["screen", "stage"],
                "properties": {"screen": {"type": "string"}, "stage": {"type": ["string", "null"]}},
            },
        },
    },
    "Token": {
        "type": "object",
        "required": ["token", "token_type", "expires_at"],
        "properties": {
            "token": {"type": "string"},
            "token_type": {"type": "string"},
            "expires_at": {"type": "string"},
        },
    },
}

SCHEMAS.update({
    "Member": {
        "type": "object",
        "required": ["user_id", "username", "role", "disabled"],
        "properties": {
            "user_id": {"type": "integer"},
            "username": {"type": "string"},
            "role": {"type": "string", "enum": ["owner", "facilitator", "viewer"]},
            "disabled": {"type": "boolean"},
        },
    },
    "Account": {
        "type": "object",
        "required": ["id", "username", "is_admin", "disabled", "created_at", "last_sign_in_at"],
        "properties": {
            "id": {"type": "integer"},
            "username": {"type": "string"},
            "is_admin": {"type": "boolean"},
            "disabled": {"type": "boolean"},
            "created_at": {"type": "string"},
            "last_sign_in_at": {"type": ["string", "null"]},
            "has_password": {"type": "boolean"},
        },
    },
    "AccountLink": {
        "type": "object",
        "required": ["account", "link"],
        "properties": {
            "account": {"$ref": "#/components/schemas/Account"},
            "link": {"type": "string", "description": "one-time link (7 days) to set the password"},
        },
    },
})


def _people_paths() -> dict[str, Any]:
    """Members of a workshop, one's own account, and admins' accounts (web/api/people.py)."""
    uid = {"name": "user_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    role = {"type": "string", "enum": ["owner", "facilitator", "viewer"]}
    paths: dict[str, Any] = {
        "/api/v1/workshops/{workshop_id}/members": {
            "get": _op("Members of the workshop and their roles (any member)",
                       {"200": _json({"type": "array", "items": _ref("Member")})},
                       params=[WID], tag="people", errors=(404,)),
            "post": _op("Add a colleague by account name with a role (owners)",
                        {"201": _json(_ref("Member"), "Added")},
                        body={"type": "object", "required": ["username", "role"],
                              "properties": {"username": {"type": "string"}, "role": role}},
                        params=[WID], tag="people", errors=(400, 403, 404, 409, 413, 422)),
        },
        "/api/v1/workshops/{workshop_id}/members/{user_id}": {
            "put": _op("Change a member's role (owners; the last owner stays: 409 last_owner)",
                       {"200": _json(_ref("Member"))},
                       body={"type": "object", "required": ["role"], "properties": {"role": role}},
                       params=[WID, uid], tag="people", errors=(400, 403, 404, 409, 413, 422)),
            "delete": _op("Remove a member (owners; never the last owner: 409 last_owner)",
                          {"204": {"description": "Removed"}},
                          params=[WID, uid], tag="people", errors=(403, 404, 409)),
        },
        "/api/v1/auth/me": {
            "get": _op("The signed-in account", {"200": _json(_ref("Account"))}, tag="auth"),
        },
        "/api/v1/auth/password": {
            "post": _op("Change one's own password; the account's other tokens are revoked",
                        {"204": {"description": "Changed"}},
                        body={"type": "object", "required": ["current_password", "new_password"],
                              "properties": {"current_password": {"type": "string"},
                                             "new_password": {"type": "string"}}},
                        tag="auth", errors=(400, 413, 422)),
        },
        "/api/v1/auth/signout-all": {
            "post": _op("Sign out everywhere: revoke every token of the account, cut its sockets",
                        {"204": {"description": "Signed out"}}, tag="auth"),
        },
        "/api/v1/accounts": {
            "get": _op("All accounts (admins)", {"200": _json({"type": "array", "items": _ref("Account")})},
                       tag="accounts", errors=(403,)),
            "post": _op("Invite: a new account and a one-time link to set its password (admins)",
                        {"201": _json(_ref("AccountLink"), "Invited")},
                        body={"type": "object", "required": ["username"],
                              "properties": {"username": {"type": "string"},
                                             "is_admin": {"type": "boolean"}}},
                        tag="accounts", errors=(400, 403, 409, 413, 422)),
        },
        "/api/v1/accounts/{user_id}/reset": {
            "post": _op("Reset: the password stops working, tokens revoked, a new one-time link (admins)",
                        {"200": _json(_ref("AccountLink"))}, params=[uid], tag="accounts",
                        errors=(403, 404)),
        },
    }
    for action, summary in (("disable", "Disable: no sign-in, every token stops at once (admins)"),
                            ("enable", "Enable a disabled account (admins)")):
        paths[f"/api/v1/accounts/{{user_id}}/{action}"] = {
            "post": _op(summary, {"200": _json(_ref("Account"))}, params=[uid], tag="accounts",
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
    paper_body = {
        "type": "object",
        "required": ["group", "ballots"],
        "properties": {
            "group": {"type": "string"},
            "ballots": {"type": "array", "items": {"type": "object"}},
            "confirm": {"type": "boolean", "description": "count it although identical to a batch "
                        "of the last 30 minutes (otherwise 409 duplicate_batch)"},
        },
    }
    paths: dict[str, Any] = {
        "/healthz": {
            "get": _op(
                "Liveness",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["status"],
                            "properties": {"status": {"type": "string"}},
                        }
                    )
                },
                auth=False,
                tag="meta",
            )
        },
        "/api/v1/auth/token": {
            "post": _op(
                "Sign in: a bearer token",
                {"201": _json(_ref("Token"), "Created")},
                body={
                    "type": "object",
                    "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
                },
                auth=False,
                tag="auth",
                errors=(400, 401),
            ),
            "delete": _op("Sign out: revoke this token", {"204": {"description": "Revoked"}}, tag="auth"),
        },
        "/api/v1/workshops": {
            "get": _op(
                "All workshops with the state of each stage",
                {"200": _json({"type": "array", "items": _ref("Workshop")})},
            ),
            "post": _op(
                "Create a workshop (JSON, or a YAML workshop file as application/yaml)",
                {"201": _json(_ref("Created"), "Created")},
                body=_ref("WorkshopObject"),
                errors=(400, 413, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}": {
            "get": _op(
                "A workshop with the state of each stage (with Accept: application/yaml: its workshop file)",
                {"200": {"description": "OK", "content": {
                    "application/json": {"schema": _ref("Workshop")},
                    "application/yaml": {"schema": {"type": "string"}}}}},
                params=[WID],
                errors=(404,),
            ),
            "put": _op(
                "Edit a workshop's definition (live-safe); or send its workshop file as "
                "application/yaml with ?revision=N",
                {
                    "200": _json(_ref("Workshop"), "The workshop as GET gives it, with its new revision"),
                    "409": {
                        "description": (
                            "error.code stale_revision: the workshop changed since the revision sent "
                            "(details.revision is the current one); edit_invalidates_ballots: the edit "
                            "would invalidate what was collected (details: a list of EditRefusal)"
                        ),
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                },
                body=_ref("WorkshopEdit"),
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
                {"200": _json(_ref("Erased"))},
                params=[WID],
                errors=(404,),
                tag="privacy",
            ),
        },
        "/api/v1/workshops/{workshop_id}/results": {
            "get": _op(
                "Results (contract section 3)",
                {"200": _json(_ref("Results"))},
                params=[WID, LANG],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/screen": {
            "get": _op(
                "What the projector shows",
                {"200": _json(_ref("Screen"))},
                params=[WID],
                errors=(404,),
                tag="projector",
            ),
            "post": _op(
                "Choose what the projector shows (every projector follows at once)",
                {"200": _json(_ref("Screen"))},
                body={
                    "type": "object",
                    "required": ["screen"],
                    "properties": {
                        "screen": {"type": "string", "enum": ["auto", "welcome", "stage", "comments", "ideas",
                                                              "participation", "next", "previous"]},
                        "stage": {"type": "string",
                                  "description": "the stage key, for the `stage` screen only"},
                    },
                },
                params=[WID],
                errors=(400, 404, 422),
                tag="projector",
            ),
        },
        **{
            f"/api/v1/workshops/{{workshop_id}}/join/{action}": {
                "post": _op(
                    summary,
                    {"200": _json({
                        "type": "object",
                        "required": ["workshop_id", "join_paused"],
                        "properties": {"workshop_id": {"type": "integer"},
                                       "join_paused": {"type": "boolean"}},
                    })},
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
                {"201": _json(_ref("Paper"), "Counted")},
                body=paper_body,
                params=[WID, KEY],
                errors=(400, 404, 409, 413, 422),
            ),
            "get": _op(
                "The stage's paper batches, newest first, voided ones included",
                {"200": _json({"type": "array", "items": _ref("PaperBatch")})},
                params=[WID, KEY],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/paper-batches": {
            "get": _op(
                "Every paper batch of the workshop, newest first, voided ones included",
                {"200": _json({"type": "array", "items": _ref("PaperBatch")})},
                params=[WID],
                errors=(404,),
            ),
        },
        "/api/v1/workshops/{workshop_id}/stages/{key}/merges": {
            "get": _op(
                "Merges of a words stage's entries, in the order made (undone ones marked)",
                {"200": _json({"type": "array", "items": _ref("WordMerge")})},
                params=[WID, KEY],
                errors=(404, 409),
            ),
            "post": _op(
                "Merge entries of a words stage into another (applies to results and exports at once)",
                {"201": _json(_ref("WordMerge"), "Merged")},
                body={
                    "type": "object",
                    "required": ["from", "into"],
                    "properties": {"from": {"type": "array", "items": {"type": "string"}},
                                   "into": {"type": "string"}},
                },
                params=[WID, KEY],
                errors=(400, 404, 409, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}/comments": {
            "get": _op(
                "Comments",
                {"200": _json({"type": "array", "items": _ref("Comment")})},
                params=[WID, _status(["pending", "published", "rejected"])],
                tag="moderation",
                errors=(404, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}/ideas": {
            "get": _op(
                "Ideas",
                {"200": _json({"type": "array", "items": _ref("Idea")})},
                params=[WID, _status(["pending", "approved", "rejected"])],
                tag="moderation",
                errors=(404, 422),
            ),
        },
        "/api/v1/workshops/{workshop_id}/tokens": {
            "post": _op(
                "Single-use join cards",
                {"201": _json(_ref("Tokens"), "Created")},
                body={
                    "type": "object",
                    "required": ["group", "count"],
                    "properties": {
                        "group": {"type": "string"},
                        "count": {"type": "integer", "minimum": 1, "maximum": 2000},
                    },
                },
                params=[WID],
                errors=(400, 404, 413, 422),
            ),
        },
        "/api/v1/join": {
            "post": _op(
                "Join a workshop (sets the browser cookie too)",
                {"201": _json(_ref("Joined"), "Joined")},
                body={
                    "type": "object",
                    "required": ["code"],
                    "properties": {
                        "code": {"type": "string"},
                        "group": {"type": "string"},
                        "token": {"type": "string"},
                        "language": {"type": "string"},
                    },
                },
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
                {"200": _json(_ref("StageState"))},
                params=[WID, KEY],
                errors=(404, 409),
            )
        }
    batch_id = {"name": "batch_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    void = _op("Void a paper batch: its ballots leave every result; the void is recorded",
               {"200": _json(_ref("PaperBatch"))}, params=[WID, KEY, batch_id], errors=(404,))
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}/void"] = {"post": void}
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/paper/{batch_id}"] = {"delete": void}
    void_any = {**void, "parameters": [WID, batch_id]}
    paths["/api/v1/workshops/{workshop_id}/paper-batches/{batch_id}/void"] = {"post": void_any}
    paths["/api/v1/workshops/{workshop_id}/paper-batches/{batch_id}"] = {"delete": void_any}
    merge_id = {"name": "merge_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    undo = _op("Undo a merge: its entries count as themselves again (the record stays)",
               {"200": _json(_ref("WordMerge"))}, params=[WID, KEY, merge_id], errors=(404, 409))
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/merges/{merge_id}"] = {"delete": undo}
    paths["/api/v1/workshops/{workshop_id}/stages/{key}/merges/{merge_id}/undo"] = {"post": undo}
    for kind, schema in (("comments", "Comment"), ("ideas", "Idea")):
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
            errors=(404, 422),
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
    from .openapi_plans import SCHEMAS as PLAN_SCHEMAS
    from .openapi_plans import plan_paths

    paths.update(plan_paths(_op, _json, _ref))
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
            "schemas": {**SCHEMAS, **PLAN_SCHEMAS},
            "responses": {f"E{s}": _json(_ref("Error"), text) for s, text in ERROR_TEXT.items()},
        },
    }
