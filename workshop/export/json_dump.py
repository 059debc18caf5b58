"""The raw data as one JSON document: definition, stages, ballots, comments, ideas, results.

Participants stay anonymous: no participant ids, tokens or token hashes; a
ballot names only its group and whether it came from a phone or paper. The
``results`` member is exactly what ``GET /api/v1/workshops/{id}/results``
returns for the same language.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from .data import ExportData

FORMAT = "ruamkit-workshop-export"
VERSION = 1


def document(data: ExportData, exported_at: datetime | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (exported_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "language": data.lang,
        "workshop": data.workshop,
        "definition": data.definition.to_json(),
        "stages": data.stages,
        "participants": data.counts["participants"],
        "ballots": data.ballots,
        "paper_batches": data.paper_batches,
        "word_merges": data.word_merges,
        "comments": data.comments,
        "ideas": data.ideas,
        "results": data.results,
    }


def build_json(data: ExportData) -> bytes:
    return json.dumps(document(data), ensure_ascii=False, indent=1).encode("utf-8", "replace")
