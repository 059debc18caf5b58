"""Typed stages for unit tests, from the short dicts the tests write."""

from __future__ import annotations

from typing import Any

from workshop.domain.definition import OPTIONS, StageDefinition, stage_from_json


def typed_stage(data: dict[str, Any]) -> StageDefinition:
    """A stage model from a test's dict: options of other methods (or None) dropped,
    a kind, a title and criterion labels filled in when the test left them out."""
    method = data["method"]
    body = {
        name: value
        for name, value in data.items()
        if not (name in OPTIONS and (OPTIONS[name] != method or value is None))
    }
    body.setdefault("kind", "other")
    body.setdefault("title", str(data.get("key") or method))
    if "criteria" in body:
        body["criteria"] = [{"label": c["key"], **c} for c in body["criteria"]]
    return stage_from_json(body)
