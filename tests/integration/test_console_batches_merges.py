"""Console: paper batches (listed, duplicate asked to confirm, voided) and words merges."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.integration.test_console import (
    create,
    csrf,
    make_user,
    paper,
    post_form,
    sign_in,
    stage_action,
    stage_results,
    text,
)
from workshop.services.merges import MAX_ENTRY_CHARS


@pytest.fixture
def console(app: Any, client: Any) -> Any:
    """A browser signed in to the console."""
    assert sign_in(client, make_user(app)).status_code == 302
    return client


def test_a_duplicate_batch_asks_for_confirmation_then_is_voided(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    path = f"/console/w/{workshop_id}/paper/vision"
    assert paper(console, workshop_id, "vision", "v1\nv1, v2", "civil").status_code == 302

    again = paper(console, workshop_id, "vision", "v1, v2\nv1", "civil")  # same ballots, any order
    assert again.status_code == 409
    page = text(again)
    assert "Nothing was counted: this batch is identical" in page
    assert 'name="confirm" type="hidden" value="1"' in page
    assert "Count this batch again" in page
    assert stage_results(app, workshop_id, "vision")["paper_ballots"] == 2

    confirmed = post_form(console, path + "?lang=en",
                          {"group": "civil", "lines": "v1, v2\nv1", "confirm": "1"}, page=path)
    assert confirmed.status_code == 302
    assert stage_results(app, workshop_id, "vision")["paper_ballots"] == 4

    listing = text(console.get(path + "?lang=en"))
    assert "Batches of this stage" in listing
    voids = re.findall(rf'action="(/console/w/{workshop_id}/paper/vision/batches/(\d+)/void)"', listing)
    assert len(voids) == 2
    action, _batch = voids[-1]  # the oldest batch
    voided = console.post(action, data={"csrf_token": csrf(console, path)})
    assert voided.status_code == 302
    entry = stage_results(app, workshop_id, "vision")
    assert entry["paper_ballots"] == 2
    assert {i["key"]: i["value"] for i in entry["items"]} == {"v1": 2, "v2": 1, "v3": 0}
    after = text(console.get(path + "?lang=en"))
    assert "is void: its 2 ballots no longer count" in after
    assert "voided at" in after and after.count("/void\"") == 1
    # Thai page
    assert "ยกเลิก" in text(console.get(path + "?lang=th"))


def test_a_void_needs_the_csrf_token(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    paper(console, workshop_id, "vision", "v1")
    path = f"/console/w/{workshop_id}/paper/vision"
    action = re.findall(r'action="([^"]+/void)"', text(console.get(path)))[0]
    assert console.post(action, data={}).status_code == 400
    assert stage_results(app, workshop_id, "vision")["paper_ballots"] == 1


def test_words_entries_are_merged_and_unmerged_from_the_results_page(app: Any, console: Any) -> None:
    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "words", "open")
    paper(console, workshop_id, "words", "เมือง สีเขียว\nสีเขียว\nGreen city; เมือง สีเขียว")
    results_path = f"/console/w/{workshop_id}/results"
    page = text(console.get(results_path + "?lang=en"))
    assert "Merge entries" in page and 'value="เมือง สีเขียว"' in page
    assert f'name="into" required maxlength="{MAX_ENTRY_CHARS}"' in page  # what the service takes

    merged = post_form(console, f"/console/w/{workshop_id}/results/words/merges",
                       {"from": ["เมือง สีเขียว"], "into": "สีเขียว"}, page=results_path)
    assert merged.status_code == 302
    values = {i["key"]: i["value"] for i in stage_results(app, workshop_id, "words")["items"]}
    assert values == {"สีเขียว": 3, "green city": 1}
    page = text(console.get(results_path + "?lang=en"))
    assert "Merges in force" in page
    undo = re.findall(rf'action="(/console/w/{workshop_id}/results/words/merges/\d+/undo)"', page)
    assert len(undo) == 1
    assert console.post(undo[0], data={"csrf_token": csrf(console, results_path)}).status_code == 302
    values = {i["key"]: i["value"] for i in stage_results(app, workshop_id, "words")["items"]}
    assert values == {"เมือง สีเขียว": 2, "สีเขียว": 1, "green city": 1}

    nothing = post_form(console, f"/console/w/{workshop_id}/results/words/merges", {"into": "x"},
                        page=results_path)
    assert nothing.status_code == 302
    assert "Tick at least one entry" in text(console.get(results_path + "?lang=en"))


def test_results_page_in_peoples_units(app: Any, console: Any) -> None:
    from tests.integration.test_units_api import budget_workshop

    workshop_id, _code = create(app, budget_workshop())
    stage_action(console, workshop_id, "money", "open")
    stage_action(console, workshop_id, "order", "open")
    paper(console, workshop_id, "money", "a=600; b=300; c=100\na=400; b=300; d=300")
    paper(console, workshop_id, "order", "y, x\nx")
    page = text(console.get(f"/console/w/{workshop_id}/results?lang=en"))
    for said in ("% of the pot", "Average per ballot", "Not funded", "Funded projects cost",
                 "Average position"):
        assert said in page, said
    assert "50.0%" in page  # a: 500 of the 1,000 pot on average
    left = re.search(r"<dt>Left</dt><dd>([^<]+)</dd>", page)
    assert left and "100" in left.group(1)
    thai = text(console.get(f"/console/w/{workshop_id}/results?lang=th"))
    assert "ไม่ได้รับงบ" in thai and "งบคงเหลือ" in thai


def test_a_viewer_cannot_void_or_merge(app: Any, console: Any) -> None:
    from tests.factories import grant

    workshop_id, _code = create(app)
    stage_action(console, workshop_id, "vision", "open")
    stage_action(console, workshop_id, "words", "open")
    paper(console, workshop_id, "vision", "v1")
    paper(console, workshop_id, "words", "green")
    assert "/results/words/merges" in text(console.get(f"/console/w/{workshop_id}/results?lang=en"))
    owner_page = text(console.get(f"/console/w/{workshop_id}/paper/vision?lang=en"))
    void = re.findall(r'action="([^"]+/void)"', owner_page)[0]
    viewer = app.test_client()
    make_user(app, "viewer")
    grant(app, workshop_id, "viewer", "viewer")
    assert sign_in(viewer, "viewer").status_code == 302
    assert viewer.get(f"/console/w/{workshop_id}/paper/vision?lang=en").status_code == 403  # paper is run
    results_page = text(viewer.get(f"/console/w/{workshop_id}/results?lang=en"))
    assert "merge_words" not in results_page and "/results/words/merges" not in results_page
    refused = viewer.post(void, data={"csrf_token": csrf(viewer, f"/console/w/{workshop_id}/results")})
    assert refused.status_code == 403
    assert stage_results(app, workshop_id, "vision")["paper_ballots"] == 1
