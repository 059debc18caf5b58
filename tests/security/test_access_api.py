"""Every facilitator operation of the API, called with what a resident holds.

The operations come from the OpenAPI document itself, so a new one is covered
the day it is documented. A participant token, a projector key, another
facilitator's revoked token and no token at all get 401, and nothing changes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.factories import Api

#: path parameters filled with ids that exist (a 404 must not hide a missing check)
PARAMS = {"workshop_id": "{wid}", "key": "vision", "user_id": "1", "plan_id": "1", "batch_id": "1",
          "merge_id": "1", "action": "open", "kind": "comments"}


def facilitator_operations(api: Api) -> list[tuple[str, str]]:
    document = api.get("/api/v1/openapi.json").get_json()
    default = document.get("security", [])
    found = []
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            if op.get("security", default):
                found.append((method.upper(), path))
    return found


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    created = api.create_workshop()
    api.stage(created["id"], "vision", "open")
    browser, token = api.join(created["code"], "resident")
    sock = api.socket(browser)
    comment = sock.emit("comment", {"stage": "vision", "text": "ความเห็น"}, callback=True)
    idea = sock.emit("idea", {"stage": "goals", "title": "ไอเดีย"}, callback=True)
    assert comment["ok"] and idea["ok"]
    revoked = Api.signed_in(api.app)
    assert revoked.delete("/api/v1/auth/token").status_code == 204
    return {"wid": created["id"], "cid": comment["id"], "iid": idea["id"], "participant": token,
            "projector": created["projector_url"].rsplit("/", 1)[1], "revoked": revoked.token}


def concrete(path: str, world: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "item_id":  # a comment's or an idea's id, by the path
            return str(world["cid"] if path.startswith("/api/v1/comments/") else world["iid"])
        return PARAMS[name].format(**world)

    return re.sub(r"\{(\w+)\}", fill, path)


def test_the_document_lists_the_facilitator_operations(api: Api) -> None:
    operations = facilitator_operations(api)
    assert len(operations) >= 15, operations
    assert ("POST", "/api/v1/workshops/{workshop_id}/stages/{key}/open") in operations
    assert ("GET", "/api/v1/workshops/{workshop_id}/results") in operations
    assert ("POST", "/api/v1/comments/{item_id}/approve") in operations
    assert ("POST", "/api/v1/join") not in operations  # residents' own call


@pytest.mark.parametrize("holder", ["participant", "projector", "revoked", "none"])
def test_resident_credentials_open_no_facilitator_operation(api: Api, world: dict[str, Any],
                                                            holder: str) -> None:
    before = api.get(f"/api/v1/workshops/{world['wid']}").get_json()
    refused = []
    for method, path in facilitator_operations(api):
        if path == "/api/v1/auth/token" and method == "POST":
            continue  # signing in takes a password, not a token
        headers = {} if holder == "none" else {"Authorization": f"Bearer {world[holder]}"}
        response = api.client.open(concrete(path, world), method=method, headers=headers, json={})
        if response.status_code != 401 or response.get_json()["error"]["code"] != "unauthorized":
            refused.append(f"{method} {path}: {response.status_code}")
    assert refused == []
    assert api.get(f"/api/v1/workshops/{world['wid']}").get_json() == before
    comments = api.get(f"/api/v1/workshops/{world['wid']}/comments?status=pending").get_json()
    assert [c["id"] for c in comments] == [world["cid"]]
