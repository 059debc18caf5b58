"""Every English string on a page has its Thai translation, compiled."""

from __future__ import annotations

from workshop.i18n_tools import AREAS, problems


def test_every_catalog_is_complete_and_compiled() -> None:
    assert set(AREAS) == {"console", "live", "export"}
    assert problems() == []


def test_a_stale_compiled_catalog_is_caught(tmp_path, monkeypatch) -> None:
    """The check reads the .mo as gettext does: a translation changed in the .po only is found."""
    import shutil

    from workshop import i18n_tools

    for area in AREAS:
        source = i18n_tools._po_path(area).parent
        shutil.copytree(source, tmp_path / "translations" / area / "th" / "LC_MESSAGES")
    po = tmp_path / "translations" / "live" / "th" / "LC_MESSAGES" / "messages.po"
    po.write_text(po.read_text("utf-8").replace('msgstr "ร่วมคิด"', 'msgstr "ร่วมคิด!"'), "utf-8")
    monkeypatch.setattr(i18n_tools, "_po_path", lambda area: tmp_path / "translations" / area / "th"
                        / "LC_MESSAGES" / "messages.po")
    assert [p for p in problems() if "not compiled" in p] == [
        "live: translations/live/th/LC_MESSAGES/messages.mo is not compiled from its .po (make i18n)"]
