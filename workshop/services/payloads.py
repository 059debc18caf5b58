"""What pages and sockets show residents and projectors: public views of a workshop (no secrets)."""

from __future__ import annotations

from typing import Any

from ..models import Workshop
from . import workshops


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
