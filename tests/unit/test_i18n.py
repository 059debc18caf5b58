"""Every English string on a page has its Thai translation, compiled."""

from __future__ import annotations

from workshop.i18n_tools import AREAS, problems


def test_every_catalog_is_complete_and_compiled() -> None:
    assert set(AREAS) == {"console", "live", "export"}
    assert problems() == []
