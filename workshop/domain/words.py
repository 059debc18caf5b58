"""Entries of a words stage: an answer as residents typed it (contract section 1).

An answer is ONE entry: trimmed, whitespace collapsed, Thai spacing
normalised, and matched case-folded. Only an answer of more than
``SEGMENT_ABOVE`` words is split into words (Thai by a word segmenter passed
in, other text on spaces; a word that is not Thai is never split inside).
An entry counts once per ballot; it is shown as most residents typed it.
A facilitator's merges ({entry: entry it counts as}) apply before counting.

Pure: the Thai segmenter is passed in by the caller (``workshop.textseg``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

#: Splits one answer into words (Thai needs a real segmenter).
Segmenter = Callable[[str], list[str]]

#: An answer of more words than this is split into its words.
SEGMENT_ABOVE = 4

#: Invisible characters people paste with Thai text (zero-width space and joiners, BOM).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_SPACES = re.compile(r"\s+")
# A space typed before a Thai vowel or tone mark that belongs to the previous letter.
_SPACE_BEFORE_MARK = re.compile(r"\s+(?=[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e])")
_THAI = re.compile(r"[\u0e00-\u0e7f]")


def tidy(answer: str) -> str:
    """An answer as it is shown: NFC, invisible characters removed, spaces collapsed.

    Thai spacing normalised: zero-width spaces removed, a space before a vowel or
    tone mark removed (it cannot start a word), nikhahit + sara aa written as
    sara am (``ํา`` -> ``ำ``). Case is kept; see :func:`entry_key`.
    """
    text = unicodedata.normalize("NFC", answer).translate(_INVISIBLE)
    text = text.replace("\u0e4d\u0e32", "\u0e33")
    text = _SPACE_BEFORE_MARK.sub("", text)
    return _SPACES.sub(" ", text).strip()


def entry_key(answer: str) -> str:
    """What entries are matched by: the tidied answer, case-folded."""
    return tidy(answer).casefold()


def is_thai(text: str) -> bool:
    return bool(_THAI.search(text))


def _strip_punctuation(token: str) -> str:
    start, end = 0, len(token)
    while start < end and unicodedata.category(token[start])[0] in "PS":
        start += 1
    while end > start and unicodedata.category(token[end - 1])[0] in "PS":
        end -= 1
    return token[start:end]


def space_words(text: str) -> list[str]:
    """Words separated by spaces; punctuation around a word dropped, never inside it.

    'café', 'PM2.5' and "don't" stay whole; "city," gives "city".
    """
    words = []
    for token in text.split():
        word = _strip_punctuation(token)
        if word:
            words.append(word)
    return words


def entries_of(answer: str, segment: Segmenter = space_words) -> list[tuple[str, str]]:
    """The entries one answer gives, as (key, as typed): one, or its words if long.

    ``segment`` splits a tidied answer into words; the answer is split only
    when it has more than ``SEGMENT_ABOVE`` of them.
    """
    shown = tidy(answer)
    if not shown:
        return []
    words = [word.strip() for word in segment(shown)]
    words = [word for word in words if word]
    if len(words) > SEGMENT_ABOVE:
        return [(word.casefold(), word) for word in words]
    return [(shown.casefold(), shown)]


def resolve_merges(merges: Iterable[tuple[Iterable[str], str]]) -> dict[str, str]:
    """{entry: entry it finally counts as} from merges in the order made.

    Each merge is (entries merged away, entry they count as), all keys. A later
    merge of an entry replaces an earlier one, and an entry merged into is no
    longer merged away (a into b, then b into a: b counts as a); chains are
    followed (a into b, b into c: a counts as c).
    """
    direct: dict[str, str] = {}
    for sources, target in merges:
        direct.pop(target, None)
        for source in sources:
            if source != target:
                direct[source] = target
    final: dict[str, str] = {}
    for source in direct:
        seen = {source}
        target = direct[source]
        while target in direct and direct[target] not in seen:
            seen.add(target)
            target = direct[target]
        if target in seen:  # a cycle: the entry stays itself
            continue
        final[source] = target
    return final


@dataclass(frozen=True)
class WordCounts:
    """Entries of a set of ballots: ballots giving each, and how each is shown."""

    #: entry key -> ballots giving it, value descending then key
    counts: dict[str, int]
    #: entry key -> the form most residents typed (first typed on a tie)
    labels: dict[str, str]


def count_entries(
    answers_per_ballot: Sequence[Sequence[str]],
    segment: Segmenter = space_words,
    merges: Mapping[str, str] | None = None,
    merge_labels: Mapping[str, str] | None = None,
) -> WordCounts:
    """Count entries over ballots (each a list of answers), once per ballot.

    ``merges`` maps an entry key to the key it counts as (see
    :func:`resolve_merges`); ``merge_labels`` gives a merge target's label for
    when no resident typed it.
    """
    merges = merges or {}
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for answers in answers_per_ballot:
        given: set[str] = set()
        for answer in answers:
            for key, shown in entries_of(answer, segment):
                key = merges.get(key, key)
                given.add(key)
                if shown.casefold() == key:  # a merged-away spelling does not name the target
                    forms.setdefault(key, Counter())[shown] += 1
        counts.update(given)
    ordered = dict(sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])))
    labels = {}
    for key in ordered:
        typed = forms.get(key)
        if typed:
            labels[key] = typed.most_common(1)[0][0]
        else:
            labels[key] = (merge_labels or {}).get(key, key)
    return WordCounts(ordered, labels)
