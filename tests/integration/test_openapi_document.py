"""The OpenAPI document (web/api/openapi.py): valid OpenAPI 3.1, generated from the models,
and it documents exactly the app's API routes.

openapi-spec-validator is not a dependency: the checks below are the structural rules of
OpenAPI 3.1 that a generator can break (every $ref resolves, every schema is a valid JSON
Schema 2020-12, path parameters match the template, statuses are HTTP statuses).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from workshop.domain.definition import METHODS, STAGE_MODELS, WorkshopDefinition
from workshop.domain.results import Results
from workshop.web.api import schemas
from workshop.web.api.openapi import REF_TEMPLATE, openapi_document

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the url_map is the same on both


def _refs(node: Any) -> list[str]:
    stack, found = [node], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.append(item["$ref"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_the_document_is_openapi_3_1() -> None:
    document = openapi_document()
    assert document["openapi"] == "3.1.0"
    assert document["info"]["title"] and document["info"]["version"]
    assert set(document) <= {"openapi", "info", "servers", "paths", "components", "security", "tags",
                             "externalDocs", "webhooks", "jsonSchemaDialect"}
    schemes = document["components"]["securitySchemes"]
    for requirement in document["security"]:
        assert set(requirement) <= set(schemes)
    for path, item in document["paths"].items():
        assert path.startswith("/")
        template = set(re.findall(r"{(\w+)}", path))
        assert set(item) <= HTTP_METHODS, path
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            params = operation.get("parameters", [])
            assert {p["name"] for p in params if p["in"] == "path"} == template, where
            assert all(p["required"] for p in params if p["in"] == "path"), where
            assert len({(p["name"], p["in"]) for p in params}) == len(params), where
            assert all(p["in"] in {"path", "query", "header", "cookie"} and "schema" in p for p in params)
            assert operation["responses"], where
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5][0-9][0-9]", status), where
                assert "$ref" in response or "description" in response, where
            if "requestBody" in operation:
                assert operation["requestBody"]["content"], where
            for requirement in operation.get("security", []):
                assert set(requirement) <= set(schemes)


def test_every_reference_resolves_and_every_schema_is_json_schema() -> None:
    document = openapi_document()
    components = document["components"]
    for ref in _refs(document):
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in components[section], ref
    used = {ref.rsplit("/", 1)[1] for ref in _refs(document["paths"]) + _refs(components)}
    for name, schema in components["schemas"].items():
        Draft202012Validator.check_schema(schema)
        assert name in used, f"{name} is not used"


def test_the_schemas_are_the_models() -> None:
    """Generated, not written: each body's schema is pydantic's schema of its model."""
    schemas_ = openapi_document()["components"]["schemas"]
    for model in (WorkshopDefinition, schemas.Workshop, schemas.Stage, schemas.WorkshopEdit, Results,
                  schemas.Error, schemas.PaperBatch, schemas.Plan):
        generated = model.model_json_schema(ref_template=REF_TEMPLATE)
        generated.pop("$defs", None)
        name = "WorkshopObject" if model is WorkshopDefinition else model.__name__
        assert {k: v for k, v in schemas_[name].items() if k not in {"description", "title"}} == {
            k: v for k, v in generated.items() if k not in {"description", "title"}}, name
    body = openapi_document()["paths"]["/api/v1/workshops"]["post"]["requestBody"]
    workshop_object = {"$ref": REF_TEMPLATE.format(model="WorkshopObject")}
    assert body["content"]["application/json"]["schema"] == workshop_object


def test_plan_and_carry_bodies_are_the_models_the_domain_validates_with() -> None:
    """One definition: the plan and carry request bodies are domain.plans.PlanInput and
    domain.carry.CarryInput, the models check_plan and parse_carry validate with."""
    from workshop.domain import carry, plans

    assert schemas.PlanInput is plans.PlanInput and schemas.CarryInput is carry.CarryInput
    schemas_ = openapi_document()["components"]["schemas"]
    paths = openapi_document()["paths"]
    assert paths["/api/v1/plans"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": REF_TEMPLATE.format(model="PlanInput")}
    assert paths["/api/v1/plans/{plan_id}/carry"]["post"]["requestBody"]["content"]["application/json"][
        "schema"] == {"$ref": REF_TEMPLATE.format(model="CarryInput")}
    # the bounds the validation applies are the ones the document shows
    top = schemas_["TopRule"]["properties"]["top"]
    assert (top["minimum"], top["maximum"]) == (1, carry.MAX_ITEMS)
    assert schemas_["MinScoreRule"]["properties"]["min_score"]["maximum"] == 100
    assert schemas_["PlanInput"]["properties"]["title"]["oneOf"][0]["maxLength"] == plans.TITLE_CHARS
    assert schemas_["PlanInput"]["properties"]["workshops"]["maxItems"] == plans.MAX_WORKSHOPS
    assert schemas_["Period"]["properties"]["start"]["minimum"] == plans.YEAR_MIN
    assert schemas_["PlanInput"]["additionalProperties"] is False
    assert schemas_["CarryInput"]["additionalProperties"] is False


def test_a_stage_is_one_variant_per_method() -> None:
    schemas_ = openapi_document()["components"]["schemas"]
    stages = schemas_["WorkshopObject"]["properties"]["stages"]["items"]
    assert stages["discriminator"]["propertyName"] == "method"
    assert set(stages["discriminator"]["mapping"]) == set(METHODS)
    for method, ref in stages["discriminator"]["mapping"].items():
        variant = schemas_[ref.rsplit("/", 1)[1]]
        assert variant["properties"]["method"]["const"] == method
        for option, field in STAGE_MODELS[method].model_fields.items():
            assert option in variant["properties"]
            assert (option in variant.get("required", [])) == field.is_required(), (method, option)
    assert "AnyMethodStage" not in schemas_  # never valid: not part of the document


def _flask_paths(rule: str) -> list[str]:
    """The rule's paths as the document writes them, parameters unnamed (``{}``), one per
    value of an ``any(...)`` part."""
    choice = re.search(r"<any\(([^)]*)\):\w+>", rule)
    if choice:
        return [path for value in choice.group(1).split(",")
                for path in _flask_paths(rule.replace(choice.group(0), value.strip()))]
    return [re.sub(r"<(?:[^:<>]+:)?\w+>", "{}", rule)]


def test_every_api_route_is_documented_and_every_documented_route_exists(app: Any) -> None:
    routes = {
        (method.lower(), path)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") or rule.rule == "/healthz"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
        for path in _flask_paths(rule.rule)
    }
    documented = {(method, re.sub(r"{\w+}", "{}", path))
                  for path, item in openapi_document()["paths"].items() for method in item}
    assert len(routes) > 50
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented but not served"
