"""What sockets are sent: public views of a workshop (no secrets in them)."""

from __future__ import annotations

from typing import Any

from ..models import Workshop
from ..services import workshops


def public_workshop(workshop: Workshop) -> dict[str, Any]:
    """The workshop as residents may see it: definition, stage states, visibility."""
    body = workshops.definition_of(workshop)
    for stage_body, stage in zip(body["stages"], workshop.stages, strict=True):
        stage_body["state"] = stage.state
        stage_body["results_shown"] = workshops.stage_visible(stage)
    return {"id": workshop.id, "code": workshop.code, "revision": workshop.revision,
            "join_url": workshops.join_url(workshop), **body}
