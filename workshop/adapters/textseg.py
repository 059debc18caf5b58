"""Thai-aware word segmentation for `words` stages (pythainlp's newmm engine).

Kept outside ``domain/`` so that the domain stays stdlib-only: services pass
:func:`segment` to the domain as its segmenter. The domain splits an answer
only when it has more than four words (domain.words.entries_of).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from ..domain.words import is_thai, space_words

#: a run of Thai letters, or a run of anything else (never split)
_RUNS = re.compile(r"[\u0e00-\u0e7f]+|[^\u0e00-\u0e7f]+")
MAI_YAMOK = "\u0e46"


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


@lru_cache(maxsize=65536)
def _thai_words(token: str) -> tuple[str, ...]:
    from pythainlp.tokenize import word_tokenize

    words: list[str] = []
    for run in _RUNS.findall(token):
        if not is_thai(run):
            words.append(run)
            continue
        for word in word_tokenize(run, engine="newmm", keep_whitespace=False):
            word = word.strip()
            if word == MAI_YAMOK and words:  # the repetition mark belongs to the word before
                words[-1] += word
            elif word and _is_word(word):
                words.append(word)
    return tuple(words)


def segment(text: str) -> list[str]:
    """Split one answer into words, case kept: on spaces, then Thai runs by dictionary.

    A token without Thai letters is one word ('café', 'PM2.5' and "don't" stay
    whole; punctuation around it is dropped).
    """
    words: list[str] = []
    for token in space_words(unicodedata.normalize("NFC", text)):
        words.extend(_thai_words(token) if is_thai(token) else (token,))
    return words
