"""Entries of a words stage (domain.words): one entry per answer, merges."""

from __future__ import annotations

import pytest

from workshop.domain.words import count_entries, entries_of, entry_key, resolve_merges, space_words, tidy


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("  green   city ", "green city"),
        ("สี\u200bเขียว", "สีเขียว"),  # zero-width space pasted with Thai
        ("น\u0e4d\u0e32", "น\u0e33"),  # nikhahit + sara aa is sara am
        ("ก \u0e48", "ก\u0e48"),  # a space before a tone mark
        ("เมือง\u00a0สีเขียว", "เมือง สีเขียว"),  # no-break space
        ("cafe\u0301", "café"),  # NFC
    ],
)
def test_tidy(typed: str, shown: str) -> None:
    assert tidy(typed) == shown


def test_entry_key_folds_case() -> None:
    assert entry_key(" Green  CITY") == "green city"
    assert entry_key("Straße") == entry_key("STRASSE")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("café PM2.5 don't", ["café", "PM2.5", "don't"]),
        ("(green), city!", ["green", "city"]),
        ("- -", []),
    ],
)
def test_space_words_never_split_inside_a_word(text: str, words: list[str]) -> None:
    assert space_words(text) == words


def test_entries_of_keeps_four_words_whole_and_splits_five() -> None:
    assert entries_of("one two three four") == [("one two three four", "one two three four")]
    assert entries_of("One two three four five") == [
        ("one", "One"), ("two", "two"), ("three", "three"), ("four", "four"), ("five", "five")]
    assert entries_of("   ") == []


def test_resolve_merges_follows_chains_and_later_merges() -> None:
    assert resolve_merges([(["a"], "b"), (["b"], "c")]) == {"a": "c", "b": "c"}
    assert resolve_merges([(["a"], "b"), (["a"], "c")]) == {"a": "c"}
    assert resolve_merges([(["a"], "b"), (["b"], "a")]) == {"b": "a"}  # changed one's mind
    assert resolve_merges([(["a", "a"], "a")]) == {}


def test_count_entries_labels_and_order() -> None:
    found = count_entries([["Tree", "tree"], ["TREE"], ["Tree"], ["park"]])
    assert found.counts == {"tree": 3, "park": 1}
    assert found.labels == {"tree": "Tree", "park": "park"}
    merged = count_entries([["Tree"], ["trees"]], merges={"trees": "tree"})
    assert merged.counts == {"tree": 2}
    assert merged.labels == {"tree": "Tree"}
