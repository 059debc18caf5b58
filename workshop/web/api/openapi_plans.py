"""The OpenAPI part for plans (web/api/plans.py), merged into openapi.openapi_document."""

from __future__ import annotations

from typing import Any

TEXT = {
    "oneOf": [
        {"type": "string"},
        {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "language code -> text",
        },
    ]
}
PERIOD = {
    "oneOf": [
        {"type": "string", "pattern": "^\\s*\\d{4}\\s*[-–]\\s*\\d{4}\\s*$", "examples": ["2570-2574"]},
        {
            "type": "object",
            "required": ["start", "end"],
            "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
            "additionalProperties": False,
        },
    ],
    "description": "Buddhist-era years, at most 10",
}

STAGE_REF = {
    "type": "object",
    "required": ["workshop", "stage"],
    "additionalProperties": False,
    "properties": {"workshop": {"type": "integer"}, "stage": {"type": "string"}},
}
CARRIED_ITEM = {
    "type": "object",
    "required": ["key", "title", "source"],
    "properties": {
        "key": {"type": "string"},
        "title": TEXT,
        "source": {
            "type": "object",
            "required": ["workshop", "stage", "item"],
            "properties": {
                "workshop": {"type": "integer"},
                "stage": {"type": "string"},
                "item": {"type": "string"},
                "rank": {"type": "integer"},
                "score": {"type": "number"},
            },
        },
    },
}

SCHEMAS: dict[str, Any] = {
    "CarryInput": {
        "type": "object",
        "required": ["from", "to", "rule"],
        "additionalProperties": False,
        "properties": {
            "from": STAGE_REF,
            "to": STAGE_REF,
            "rule": {
                "oneOf": [
                    {"type": "object", "required": ["top"], "properties": {"top": {"type": "integer"}}},
                    {
                        "type": "object",
                        "required": ["min_score"],
                        "properties": {"min_score": {"type": "number"}},
                    },
                    {
                        "type": "object",
                        "required": ["approved_ideas"],
                        "properties": {"approved_ideas": {"const": True}},
                    },
                    {
                        "type": "object",
                        "required": ["items"],
                        "properties": {"items": {"type": "array", "items": {"type": "string"}}},
                    },
                ]
            },
            "mode": {"type": "string", "enum": ["append", "replace"], "default": "append"},
            "preview": {"type": "boolean", "default": False},
        },
    },
    "CarryResult": {
        "type": "object",
        "required": ["items", "stage", "saved", "revision"],
        "properties": {
            "items": {"type": "array", "items": CARRIED_ITEM, "description": "the carried items"},
            "stage": {
                "type": "array",
                "items": {"type": "object"},
                "description": "the target stage's items after",
            },
            "saved": {"type": "boolean"},
            "revision": {"type": "integer", "description": "the target workshop's revision"},
        },
    },
    "PlanInput": {
        "type": "object",
        "required": ["title", "period"],
        "additionalProperties": False,
        "properties": {
            "title": TEXT,
            "city": TEXT,
            "period": PERIOD,
            "languages": {"type": "array", "items": {"type": "string", "enum": ["th", "en"]}},
            "description": TEXT,
            "workshops": {"type": "array", "items": {"type": "integer"}, "description": "ids, in order"},
            "revision": {"type": "integer", "description": "PUT: the revision this edit is based on"},
        },
    },
    "PlanWorkshop": {
        "type": "object",
        "required": ["id", "position", "code", "title", "stages"],
        "properties": {
            "id": {"type": "integer"},
            "position": {"type": "integer"},
            "code": {"type": "string"},
            "title": TEXT,
            "city": {"oneOf": [TEXT, {"type": "null"}]},
            "date": {"type": ["string", "null"]},
            "stages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "kind", "method", "state"],
                    "properties": {
                        "key": {"type": "string"},
                        "kind": {"type": "string"},
                        "method": {"type": "string"},
                        "state": {"type": "string", "enum": ["draft", "open", "closed"]},
                    },
                },
            },
        },
    },
    "Plan": {
        "type": "object",
        "required": ["id", "title", "period", "languages", "years", "created_at", "revision", "workshops"],
        "properties": {
            "id": {"type": "integer"},
            "title": TEXT,
            "city": TEXT,
            "period": {
                "type": "object",
                "required": ["start", "end"],
                "properties": {"start": {"type": "integer"}, "end": {"type": "integer"}},
            },
            "languages": {"type": "array", "items": {"type": "string"}},
            "description": TEXT,
            "years": {"type": "array", "items": {"type": "integer"}},
            "created_by": {"type": ["string", "null"]},
            "created_at": {"type": "string"},
            "updated_at": {"type": "string"},
            "revision": {"type": "integer"},
            "workshops": {"type": "array", "items": {"$ref": "#/components/schemas/PlanWorkshop"}},
        },
    },
}


def plan_paths(op: Any, json: Any, ref: Any) -> dict[str, Any]:
    pid = {"name": "plan_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    wid = {"name": "workshop_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    plan = json(ref("Plan"))
    attach = {
        "type": "object",
        "required": ["workshop"],
        "properties": {"workshop": {"type": "integer"}, "position": {"type": "integer", "minimum": 0}},
    }
    return {
        "/api/v1/plans": {
            "post": op(
                "Create a plan (you own it); 'workshops' attaches workshops in order",
                {"201": plan},
                body=ref("PlanInput"),
                tag="plans",
                errors=(400, 404, 409, 422),
            ),
            "get": op(
                "The plans you are a member of, newest first",
                {"200": json({"type": "array", "items": ref("Plan")})},
                tag="plans",
            ),
        },
        "/api/v1/plans/{plan_id}": {
            "get": op(
                "A plan and its workshops in order", {"200": plan}, params=[pid], tag="plans", errors=(404,)
            ),
            "put": op(
                "Replace a plan's title, city, period, languages, description (and workshops, if given); "
                "409 stale_revision when 'revision' is not the plan's",
                {"200": plan},
                body=ref("PlanInput"),
                params=[pid],
                tag="plans",
                errors=(400, 403, 404, 409, 422),
            ),
            "delete": op(
                "Delete a plan (owners); its workshops stay",
                {"204": {"description": "Deleted"}},
                params=[pid],
                tag="plans",
                errors=(403, 404),
            ),
        },
        "/api/v1/plans/{plan_id}/workshops": {
            "post": op(
                "Attach a workshop you run (or move it within the plan); 409 workshop_in_other_plan",
                {"200": plan},
                body=attach,
                params=[pid],
                tag="plans",
                errors=(400, 403, 404, 409, 422),
            )
        },
        "/api/v1/plans/{plan_id}/carry": {
            "post": op(
                "Carry forward: a stage's items from an earlier stage's results (top N, min score, "
                "approved ideas or picked by hand); each keeps its source",
                {"200": json(ref("CarryResult"))},
                body=ref("CarryInput"),
                params=[pid],
                tag="plans",
                errors=(400, 403, 404, 409, 422),
            )
        },
        "/api/v1/plans/{plan_id}/results": {
            "get": op(
                "Combined and side-by-side results of the questions (stage keys) asked in two or more "
                "of the plan's workshops",
                {"200": json({"type": "object", "required": ["plan", "workshops", "questions"]})},
                params=[
                    pid,
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["th", "en"]},
                    },
                ],
                tag="plans",
                errors=(404,),
            )
        },
        "/api/v1/plans/{plan_id}/export": {
            "get": op(
                "The plan draft (DOCX to edit, PDF to print), its open-data bundle (ZIP: CSV with English "
                "field names, data card, JSON, pabulib .pb for participatory budget stages) or JSON",
                {
                    "200": {
                        "description": "The file, as an attachment (Content-Disposition)",
                        "content": {
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                            "application/zip": {"schema": {"type": "string", "format": "binary"}},
                            "application/json": {"schema": {"type": "object"}},
                        },
                    }
                },
                params=[
                    pid,
                    {
                        "name": "format",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": ["docx", "pdf", "json", "zip"]},
                    },
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["th", "en"]},
                    },
                ],
                tag="plans",
                errors=(404, 422),
            )
        },
        "/api/v1/plans/{plan_id}/workshops/{workshop_id}": {
            "delete": op(
                "Detach a workshop from the plan (the workshop stays)",
                {"200": plan},
                params=[pid, wid],
                tag="plans",
                errors=(403, 404),
            )
        },
    }
