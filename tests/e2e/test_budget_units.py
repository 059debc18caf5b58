"""A phone's budget: an amount over what is left, or over the item's own cost, is refused on
the spot with the amount; the results then read in baht, share of the pot and funded."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.test_live_room import join, send_vote


def test_budget_refused_on_the_spot_then_results_in_baht(all_methods: Any, live_server: Any, http_api: Any,
                                                          new_page: Any) -> None:
    # budget 5,000,000: b1 costs 2,400,000, b2 3,000,000, b3 1,200,000
    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]
    http_api.stage(wid, "budget", "open")
    phone = new_page(320, 740)
    join(phone, live_server, code, "Civil society", "en")
    phone.wait_for_selector("#b-budget-b1")

    phone.locator("#b-budget-b1").fill("2500000")  # more than its cost
    expect(phone.locator("#br-budget-b1")).to_contain_text("at most its cost")
    expect(phone.locator("#br-budget-b1")).to_contain_text("2,400,000")
    assert phone.locator("#b-budget-b1").input_value() == ""  # not taken

    phone.locator("#b-budget-b1").fill("2400000")
    expect(phone.locator("#br-budget-b1")).to_have_text("")
    phone.locator("#b-budget-b2").fill("3000000")  # 2,600,000 left
    expect(phone.locator("#br-budget-b2")).to_contain_text("only 2,600,000")
    assert phone.locator("#b-budget-b2").input_value() == ""
    phone.locator("#b-budget-b2").fill("2600000")
    send_vote(phone, "budget")

    # 2,400,000 + 2,600,000: b2 ranks first (funded, 3,000,000), then b1 (2,400,000 > 2,000,000 left)
    expect(phone.locator("#st-budget .bar-row").first).to_contain_text("52.0% of the pot")
    expect(phone.locator("#st-budget .bar-row").first).to_contain_text("Funded")
    expect(phone.locator("#st-budget .bar-row").nth(1)).to_contain_text("Not funded")
    expect(phone.locator("#st-budget .results-box, #st-budget").first).to_contain_text("left: 2,000,000 baht")
