"""Thai-aware word segmentation for `words` stages (pythainlp's newmm engine).

Kept outside ``domain/`` so that the domain stays stdlib-only: services pass
:func:`segment` to the domain as its segmenter.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


@lru_cache(maxsize=65536)
def _segment(text: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    normalized = unicodedata.normalize("NFC", text).casefold()
    tokens = word_tokenize(normalized, engine="newmm", keep_whitespace=False)
    return tuple(t.strip() for t in tokens if t.strip() and _is_word(t))


def segment(text: str) -> list[str]:
    """Split one answer into words: Thai by dictionary, others on spaces; lower case."""
    return list(_segment(text))
