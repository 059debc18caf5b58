"""The OpenAPI paths of plans (web/api/plans.py), merged into openapi.openapi_document."""

from __future__ import annotations

from typing import Any

from ...domain.definition import SUPPORTED_LANGUAGES
from . import schemas as s


def plan_paths(op: Any, json: Any, ref: Any, array: Any) -> dict[str, Any]:
    pid = {"name": "plan_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    wid = {"name": "workshop_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    plan = json(ref(s.Plan))
    return {
        "/api/v1/plans": {
            "post": op(
                "Create a plan (you own it); 'workshops' attaches workshops in order",
                {"201": plan},
                body=ref(s.PlanInput),
                tag="plans",
                errors=(400, 404, 409, 422),
            ),
            "get": op(
                "The plans you are a member of, newest first",
                {"200": json(array(s.Plan))},
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
                body=ref(s.PlanInput),
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
                body=ref(s.AttachWorkshop),
                params=[pid],
                tag="plans",
                errors=(400, 403, 404, 409, 422),
            )
        },
        "/api/v1/plans/{plan_id}/carry": {
            "post": op(
                "Carry forward: a stage's items from an earlier stage's results (top N, min score, "
                "approved ideas or picked by hand); each keeps its source",
                {"200": json(ref(s.CarryResult))},
                body=ref(s.CarryInput),
                params=[pid],
                tag="plans",
                errors=(400, 403, 404, 409, 422),
            )
        },
        "/api/v1/plans/{plan_id}/results": {
            "get": op(
                "Combined and side-by-side results of the questions (stage keys) asked in two or more "
                "of the plan's workshops",
                {"200": json(ref(s.PlanResults))},
                params=[
                    pid,
                    {
                        "name": "lang",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": list(SUPPORTED_LANGUAGES)},
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
                        "schema": {"type": "string", "enum": list(SUPPORTED_LANGUAGES)},
                    },
                ],
                tag="plans",
                errors=(404, 413, 422),  # 413 and 429 as the workshop export's
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
