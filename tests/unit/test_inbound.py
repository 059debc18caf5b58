"""Values from outside: checked once where they enter (workshop.domain.inbound, realtime.wire)."""

from __future__ import annotations

import pytest

from workshop.domain.inbound import MAX_DEPTH, problem
from workshop.realtime import wire


@pytest.mark.parametrize("value", ["ok\ud800", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\U0001fffe",
                                   "\U0010ffff", {"k\ud800": 1}, [["x", "\ufdef"]]])
def test_lone_surrogates_and_noncharacters_are_bad_text(value: object) -> None:
    found = problem(value)
    assert found is not None and found.kind == "bad_text"


@pytest.mark.parametrize("value", ["", "สวัสดี เมืองน่าอยู่", "👍🏽", "\u200b\u202e", "\ufeff", "\U0010fffd",
                                   {"a": [1, 2.5, None, True, -2**63, 2**63 - 1]}])
def test_valid_text_and_numbers_pass(value: object) -> None:
    assert problem(value) is None


def test_depth_and_numbers_beyond_64_bits() -> None:
    nested: list = []
    inner = nested
    for _ in range(MAX_DEPTH):
        inner.append([])
        inner = inner[0]
    assert problem(nested).kind == "too_deep"  # type: ignore[union-attr]
    assert problem(nested[0]) is None
    assert problem({"n": 10**4299}).kind == "too_large_number"  # type: ignore[union-attr]
    assert problem(2**63).kind == "too_large_number"  # type: ignore[union-attr]


def test_an_undecodable_event_is_still_delivered_to_be_acknowledged() -> None:
    assert wire.loads('["ballot",' + "[" * 5000 + "]" * 5000 + "]") == ["ballot", wire.UNREADABLE]
    assert wire.loads('["idea",' + "9" * 4301 + "]") == ["idea", wire.UNREADABLE]
    assert wire.loads('["comment", {"text"') == ["comment", wire.UNREADABLE]
    assert wire.loads('["sync",{"a":1}]') == ["sync", {"a": 1}]
    with pytest.raises(ValueError):
        wire.loads("{not an event")
