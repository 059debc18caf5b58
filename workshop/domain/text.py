"""Text fields that may be one string or a map from language code to string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: What a text field of a workshop file may hold (contract section 1).
Text = str | Mapping[str, str] | None


def localize(text: Text, lang: str, languages: Sequence[str]) -> str:
    """Pick the string to show for ``lang``.

    A plain string is returned as is and ``None`` gives ``""``. From a map the
    requested language wins, then the first of the workshop's ``languages`` that
    the map has, then any value. An empty translation counts as missing.
    """
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for code in (lang, *languages):
        value = text.get(code)
        if value:
            return value
    for value in text.values():
        if value:
            return value
    return ""
