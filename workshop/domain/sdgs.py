"""The 17 Sustainable Development Goals and their targets, for picking an item's ``sdgs``.

Data in ``data/sdgs.json``: each goal's UN short title and its Thai short name,
the numbers of its targets, and for the targets most often met in a municipal
plan a short topic in English and Thai (a summary, not the official text).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).with_name("data") / "sdgs.json"


@cache
def goals() -> list[dict[str, Any]]:
    """``[{"code": "11", "en", "th", "targets": [{"code": "11.2", "en"?, "th"?}, ...]}, ...]``."""
    loaded: list[dict[str, Any]] = json.loads(DATA.read_text(encoding="utf-8"))["goals"]
    return loaded


def codes() -> set[str]:
    """Every goal and target code."""
    return {goal["code"] for goal in goals()} | {t["code"] for goal in goals() for t in goal["targets"]}
