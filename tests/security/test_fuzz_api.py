"""Fuzzing the HTTP API from its own OpenAPI document (schemathesis strategies).

Every generated request must get a documented status, a JSON body matching the
document, and never a 5xx. The document is generated from the pydantic models
(web/api/openapi.py), so the workshop bodies schemathesis draws are deep: every
stage a variant of its method with its options, items with SDGs, budgets by year
and sources, texts as strings or maps. ``test_deep_workshops`` draws them one
method at a time, makes true what a JSON schema cannot say (unique keys, goals
that exist, a score scale's min below its max, ...: the relations
domain/workshop_file.py checks), and requires that each is created, read back as
sent, and accepted again as an edit. (schemathesis' pytest fixture plugin does not
run on pytest 9, so each operation's hypothesis strategy is driven directly.)
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.factories import Api, workshop_object
from workshop.domain.definition import LIMITS, METHODS
from workshop.domain.inbound import MAX_INT, bad_text
from workshop.domain.workshop_file import parse_workshop
from workshop.services.editing import READ_ONLY, READ_ONLY_STAGE
from workshop.web.api.openapi import openapi_document

pytestmark = pytest.mark.slow  # about a minute and a half in all

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.ignored_auth,
]
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in openapi_document()["paths"].items()
    for method in item
    # revoking our own token (or every token of our account) ends the run
    if (method, path) not in {("delete", "/api/v1/auth/token"), ("post", "/api/v1/auth/signout-all"),
                              ("post", "/api/v1/accounts/{user_id}/reset")}
)


@pytest.fixture
def backend() -> str:
    return "sqlite"  # the same code runs on both; fuzzing one keeps the suite quick


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_fuzz(api: Api, method: str, path: str) -> None:
    created = api.create_workshop(workshop_object(join="tokens"))
    api.stage(created["id"], "vision", "open")
    api.post(f"/api/v1/workshops/{created['id']}/tokens", {"group": "civil", "count": 2})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app)
    operation = schema[path][method]
    # identity: the WSGI transport does not undo gzip (real clients do)
    headers = {"Authorization": f"Bearer {api.token}", "Accept-Encoding": "identity"}

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


# -- deep workshops, every method -------------------------------------------------------------

DEEP_EXAMPLES = 6  # per method: a create, a read and an edit each


def one_method(document: dict[str, Any], method: str) -> dict[str, Any]:
    """The document with every stage of a workshop object (and of an edit) of ``method``."""
    narrowed = copy.deepcopy(document)
    schemas = narrowed["components"]["schemas"]
    variant = schemas["WorkshopObject"]["properties"]["stages"]["items"]["discriminator"]["mapping"][method]
    for body in ("WorkshopObject", "WorkshopEdit"):
        schemas[body]["properties"]["stages"]["items"] = {"$ref": variant}
    return narrowed


def _unique_keys(entries: list[dict[str, Any]], prefix: str) -> None:
    seen: set[str] = set()
    for number, entry in enumerate(entries):
        if entry["key"] in seen:
            entry["key"] = f"{prefix}{number}"
        seen.add(entry["key"])


def _clean(value: Any) -> Any:
    """What inbound.problem refuses before any schema is read: lone surrogates and
    noncharacters in texts, integers beyond 64 bits."""
    if isinstance(value, str):
        text = "".join(char for char in value if not bad_text(char))
        return text if text.strip() else "x"
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if -MAX_INT <= value <= MAX_INT else 1
    if isinstance(value, float) and value.is_integer():
        return int(value)  # JSON Schema's integer takes 5.0; the strict model wants 5
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    return value


def coherent(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (drawn from the schema) with the relations between fields made true."""
    body = _clean(body)
    body["languages"] = list(dict.fromkeys([*body.get("languages", ["th"]), "th", "en"]))
    if body.get("timezone") is not None:
        body["timezone"] = "Asia/Bangkok"
    if body.get("date") is not None:
        body["date"] = "2026-12-05"
    _unique_keys(body["groups"], "g")
    _unique_keys(body["stages"], "s")
    for stage in body["stages"]:
        _unique_keys(stage.get("items", []), "i")
    goals = [item["key"] for stage in body["stages"] if stage["kind"] == "goals"
             for item in stage.get("items", [])]
    for stage in body["stages"]:
        items = stage.get("items", [])
        for item in items:
            if item.get("goal") is not None and item["goal"] not in goals:
                item["goal"] = goals[0] if goals else None
        if stage["method"] != "words" and not items:
            stage["allow_ideas"] = True
        if stage.get("max_choices") is not None and stage["max_choices"] > len(items):
            stage["max_choices"] = max(1, len(items)) if items else None
        if stage.get("max_per_item") is not None and stage["max_per_item"] > stage["dots"]:
            stage["max_per_item"] = stage["dots"]
        if stage["method"] == "score":
            _unique_keys(stage["criteria"], "c")
            scale = stage.get("scale")
            if scale is not None and scale["min"] >= scale["max"]:
                low, high = sorted((scale["min"], scale["max"]))
                if low == high:
                    low, high = (low - 1, high) if high == LIMITS["scale_bound"] else (low, high + 1)
                stage["scale"] = {"min": low, "max": high}
        for name, when in (("opens_at", "2030-01-01T09:00"), ("closes_at", "2030-01-01T17:00")):
            if stage.get(name) is not None:
                stage[name] = when
    return body


def definition_of(body: dict[str, Any]) -> dict[str, Any]:
    """The workshop object in a GET's answer."""
    got = {key: value for key, value in body.items() if key not in READ_ONLY}
    got["stages"] = [{k: v for k, v in stage.items() if k not in READ_ONLY_STAGE} for stage in got["stages"]]
    return got


@pytest.mark.parametrize("method", METHODS)
def test_deep_workshops(api: Api, method: str) -> None:
    """Workshops drawn from the document, every stage of ``method``: created (201), read back
    as the model reads them, and sent back as an edit of another (200)."""
    schema = schemathesis.openapi.from_dict(one_method(openapi_document(), method))
    schema.app = api.app
    create = schema["/api/v1/workshops"]["POST"]
    edit = schema["/api/v1/workshops/{workshop_id}"]["PUT"]
    headers = {"Authorization": f"Bearer {api.token}", "Accept-Encoding": "identity"}
    seen_methods: set[str] = set()
    depth: list[tuple[int, int]] = []  # each workshop's stages, and the most fields an item of it has

    @given(created=create.as_strategy(), edited=edit.as_strategy())
    @settings(
        max_examples=DEEP_EXAMPLES,
        phases=[Phase.explicit, Phase.generate],  # reported as drawn: shrinking one takes minutes
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(created: Any, edited: Any) -> None:
        created.body = coherent(created.body)
        response = created.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == 201, response.text
        wid = response.json()["id"]
        got = api.get(f"/api/v1/workshops/{wid}").get_json()
        assert definition_of(got) == parse_workshop(created.body).to_json()
        seen_methods.update(stage["method"] for stage in got["stages"])
        depth.append((len(got["stages"]), max(
            (sum(value not in (None, []) for value in item.values())
             for stage in got["stages"] for item in stage["items"]), default=0)))

        edited.path_parameters = {"workshop_id": wid}
        edited.body = {**coherent(edited.body), "revision": got["revision"]}
        response = edited.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == 200, response.text
        body = {k: v for k, v in edited.body.items() if k != "revision"}
        assert definition_of(response.json()) == parse_workshop(
            {k: v for k, v in body.items() if k not in READ_ONLY}).to_json()

    run()
    assert seen_methods == {method}
    assert max(stages for stages, _ in depth) >= 3, depth  # deep bodies, not the smallest valid one
    if method != "words":  # (a words stage lists no items)
        assert max(fields for _, fields in depth) >= 6, depth
