"""What pages and sockets show residents and projectors: public views of a workshop (no secrets)."""

from __future__ import annotations

from typing import Any

from ..models import Workshop
from . import workshops
from .errors import NotFound


def stage_states(workshop: Workshop) -> dict[str, Any]:
    """The short form of `state`: each stage's state and visibility, nothing else.

    A stage opening is what thousands of phones hear at once; the whole workshop
    (its texts, items, groups) is tens of kilobytes, this is a few hundred bytes.
    ``partial: true`` tells a page to keep what it has and take the stages' states
    from here; a page that has no copy yet, or other stages, asks with `sync`.
    """
    return {
        "id": workshop.id,
        "revision": workshop.revision,
        "partial": True,
        "stages": [{"key": stage.key, "state": stage.state, "results_shown": workshops.stage_visible(stage)}
                   for stage in workshop.stages],
    }


def public_workshop(workshop: Workshop) -> dict[str, Any]:
    """The workshop as residents may see it: definition, stage states, visibility."""
    body = workshops.definition_of(workshop).to_json()
    for stage_body, stage in zip(body["stages"], workshop.stages, strict=True):
        stage_body["state"] = stage.state
        stage_body["results_shown"] = workshops.stage_visible(stage)
    return {"id": workshop.id, "code": workshop.code, "revision": workshop.revision,
            "join_url": workshops.join_url(workshop), **body}


def _compact(item: dict[str, Any]) -> dict[str, Any]:
    """An item without its empty fields (a phone tests each before drawing it)."""
    return {k: v for k, v in item.items() if v is not None and v != []}


def resident_workshop(workshop: Workshop) -> dict[str, Any]:
    """What a resident's page and `sync` carry: bounded whatever the workshop's size.

    A workshop at the file limits (50 stages of 200 items) made every resident page and
    `sync` 1.86 MB (issue 14). Here only open stages carry their items; every other stage
    is folded: its texts and set settings, ``folded: true`` and ``items_total``. The phone asks
    for a folded stage with the `stage` event (``resident_stage``) when the resident opens
    it. A folded goals stage keeps the titles of the goals that open stages' items name
    (an item's details say which goal it serves). Items leave out their empty fields.
    """
    body = public_workshop(workshop)
    named = {item.get("goal") for stage in body["stages"] if stage["state"] == "open"
             for item in stage.get("items") or []} - {None}
    for stage in body["stages"]:
        items = [_compact(item) for item in stage.get("items") or []]
        if stage["state"] == "open":
            stage["items"] = items
            continue
        for key in [k for k, v in stage.items() if v is None or v == []]:
            del stage[key]  # settings of the ballot form, which a folded stage does not draw
        stage["folded"] = True
        stage["items_total"] = len(items)
        stage["items"] = [{"key": i["key"], "title": i["title"]} for i in items
                          if stage["kind"] == "goals" and i["key"] in named]
    return body


def resident_states(workshop: Workshop) -> dict[str, Any]:
    """``stage_states`` for residents' phones: each open stage also carries its items, so
    that a phone which had a stage folded draws it the moment it opens, instead of every
    phone in the hall asking for it at once."""
    body = stage_states(workshop)
    items = {stage["key"]: stage["items"] for stage in resident_workshop(workshop)["stages"]
             if stage["state"] == "open"}
    for stage in body["stages"]:
        if stage["key"] in items:
            stage["items"] = items[stage["key"]]
    return body


def resident_stage(workshop: Workshop, key: object) -> dict[str, Any]:
    """One stage as a resident sees it, items in full: what the `stage` event answers.
    A stage still in draft is not shown to residents (unknown_stage, as for no such stage)."""
    body = public_workshop(workshop)
    for stage in body["stages"]:
        if stage["key"] == key and stage["state"] != "draft":
            stage["items"] = [_compact(item) for item in stage.get("items") or []]
            return dict(stage)
    raise NotFound("no such stage", code="unknown_stage")


#: items a folded stage's results keep: its leaders (the phone's fold says "leading: ...")
FOLDED_LEADERS = 2


def resident_results(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Live results entries for a resident's page and `sync`: in full for open stages; for
    the others their counts and leaders only (``folded: true``), the rest comes with the
    `stage` event when the resident opens the stage."""
    shown: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("state") == "open":
            shown[entry["key"]] = entry
            continue
        leaders = [item for item in entry.get("items") or [] if item.get("rank") == 1]
        shown[entry["key"]] = {**entry, "items": leaders[:FOLDED_LEADERS], "folded": True}
    return shown
