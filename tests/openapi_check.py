"""Validate real responses against the served OpenAPI document."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from workshop.web.api.openapi import openapi_document


def validate(body: Any, schema_name: str) -> None:
    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    Draft202012Validator(schema).validate(body)


def response_schema(path: str, method: str, status: int) -> dict[str, Any]:
    """The schema the document declares for one response (with $refs resolved by name)."""
    document = openapi_document()
    response = document["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[1]
        response = document["components"]["responses"][name]
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def validate_response(body: Any, path: str, method: str, status: int) -> None:
    Draft202012Validator(response_schema(path, method, status)).validate(body)
