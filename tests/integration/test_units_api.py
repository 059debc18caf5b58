"""Results in people's units through the API, and the budget rules on phones."""

from __future__ import annotations

from typing import Any

from tests.factories import GROUPS, Api, items_by_key, stage_entry, workshop_object
from tests.openapi_check import validate_response

W = "/api/v1/workshops"


def budget_workshop() -> dict[str, Any]:
    return workshop_object(groups=GROUPS, stages=[
        {"key": "money", "kind": "projects", "title": "Money", "method": "budget", "budget": 1000,
         "show_results": "live",
         "items": [{"key": "a", "title": "A", "budget": 600}, {"key": "b", "title": "B", "budget": 500},
                   {"key": "c", "title": "C", "budget": 300}, {"key": "d", "title": "D"}]},
        {"key": "order", "kind": "goals", "title": "Order", "method": "rank",
         "items": [{"key": "x", "title": "X"}, {"key": "y", "title": "Y"}]},
    ])


def test_units_in_the_results_object(api: Api) -> None:
    wid = api.create_workshop(budget_workshop())["id"]
    api.stage(wid, "money", "open")
    api.stage(wid, "order", "open")
    api.post(f"{W}/{wid}/stages/money/paper", {"group": "resident", "ballots": [
        {"budget": {"a": 600, "b": 300, "c": 100}}, {"budget": {"a": 400, "b": 300, "d": 300}}]})
    api.post(f"{W}/{wid}/stages/order/paper", {"group": "civil", "ballots": [
        {"order": ["y", "x"]}, {"order": ["x"]}]})
    body = api.results(wid)
    validate_response(body, "/api/v1/workshops/{workshop_id}/results", "get", 200)
    money = stage_entry(body, "money")
    items = items_by_key(money)
    # the contract's fields are unchanged: value = amount given, score = share of all given
    assert (items["a"]["value"], items["a"]["score"]) == (1000, 50.0)
    assert items["a"]["units"] == {"amount": 1000, "average": 500.0, "percent_of_pot": 50.0, "cost": 600,
                                   "funded": True}
    assert items["b"]["units"]["funded"] is False and items["c"]["units"]["funded"] is True
    assert items["d"]["units"]["funded"] is None
    assert money["units"] == {"pot": 1000, "given": 2000, "funded": ["a", "c"], "funded_cost": 900,
                              "left": 100}
    order = items_by_key(stage_entry(body, "order"))
    assert order["x"]["units"] == {"points": 3, "average_position": 1.5, "ranked_by": 2}


def test_a_phone_never_gives_an_item_more_than_its_cost(api: Api) -> None:
    created = api.create_workshop(budget_workshop())
    api.stage(created["id"], "money", "open")
    browser, _ = api.join(created["code"], "resident")
    sock = api.socket(browser)
    refused = sock.emit("ballot", {"stage": "money", "choices": {"budget": {"a": 700}}}, callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "invalid"
    assert "cost 600" in refused["error"]["message"]
    over = sock.emit("ballot", {"stage": "money", "choices": {"budget": {"a": 600, "b": 500}}}, callback=True)
    assert over["ok"] is False  # more than the pot
    ok = sock.emit("ballot", {"stage": "money", "choices": {"budget": {"a": 600, "d": 400}}}, callback=True)
    assert ok["ok"] is True
    assert stage_entry(api.results(created["id"]), "money")["ballots"] == 1
