"""The per-event path trimmed (issue 17.5) checks exactly what it checked before:
inbound.problem against a plain recursive statement of its rules, and the socket limits
held once per app against the table and the RATE_LIMITS switch."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from workshop.adapters import ratelimit
from workshop.domain.inbound import MAX_DEPTH, MAX_INT, problem

_BAD = re.compile("[\ud800-\udfff\ufdd0-\ufdef"
                  + "".join(chr(p * 0x10000 + 0xFFFE) + chr(p * 0x10000 + 0xFFFF) for p in range(17)) + "]")


def rules(value: Any, depth: int = 0) -> set[str]:
    """Every problem a value holds, straight from inbound's docstring."""
    if isinstance(value, str):
        return {"bad_text"} if _BAD.search(value) else set()
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return set()
    if isinstance(value, int):
        return set() if -MAX_INT - 1 <= value <= MAX_INT else {"too_large_number"}
    if isinstance(value, dict | list | tuple):
        found = {"too_deep"} if depth >= MAX_DEPTH else set()
        inner = [x for kv in value.items() for x in kv] if isinstance(value, dict) else list(value)
        for x in inner:
            found |= rules(x, depth + 1)
        return found
    return set()


texts = st.one_of(st.text(max_size=8), st.text(alphabet=st.characters(codec=None), max_size=4),
                  st.sampled_from(["\ud800", "ok\udfff", "\ufffe", "\U0010ffff", "สวัสดี", "\ufdd0x"]))
numbers = st.one_of(st.integers(), st.integers(min_value=2**63 - 2, max_value=2**64),
                    st.integers(min_value=-(2**64), max_value=-(2**63) + 1), st.floats(allow_nan=False))
leaves = st.one_of(texts, numbers, st.booleans(), st.none())
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(texts, inner, max_size=4)),
                      max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(values)
def test_problem_finds_one_of_the_problems_a_value_holds_and_only_then(value: Any) -> None:
    found = problem(value)
    expected = rules(value)
    if not expected:
        assert found is None
    else:
        assert found is not None and found.kind in expected


def test_problem_names_depth_beyond_the_limit_at_any_position() -> None:
    deep: Any = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = {"k": [1, deep]}
    found = problem({"a": 1, "b": deep})
    assert found is not None and found.kind == "too_deep"
    assert problem({"k": 1, "\ud800": 2}).kind == "bad_text"  # type: ignore[union-attr]  # a key


def test_socket_limits_follow_the_table_and_the_switch_at_every_event() -> None:
    app = Flask("limits")
    app.config["RATE_LIMITS"] = True
    now = [0.0]
    app.extensions[ratelimit.SOCKET_KEY] = {
        "ballot": ratelimit.RateLimiter(ratelimit.Rate(burst=2, per_second=1.0), lambda: now[0])}
    limits = ratelimit.SocketLimits(app)
    assert [limits.allowed("ballot", "phone-1") for _ in range(3)] == [True, True, False]
    assert limits.allowed("ballot", "phone-2")  # each resident has their own bucket
    assert limits.allowed("sync", "phone-1")  # no limiter for it here
    app.config["RATE_LIMITS"] = False  # switched off after the limits were found: read each time
    assert all(limits.allowed("ballot", "phone-1") for _ in range(5))
    app.config["RATE_LIMITS"] = True
    now[0] = 1.0  # one token back
    assert limits.allowed("ballot", "phone-1") and not limits.allowed("ballot", "phone-1")
    with app.app_context():
        assert not ratelimit.socket_allowed("ballot", "phone-1")  # the same buckets, through the app


def test_the_event_path_benchmark_runs_and_leaves_the_ballot_handler_in_place() -> None:
    from bench.event_path import measure
    from workshop.realtime import handlers

    before = handlers.EVENTS["ballot"]
    got = measure(residents=20, passes=1)
    assert set(got["us_per_event"]) == {"approval", "score"}
    assert all(v > 0 for v in got["us_per_event"].values())
    assert handlers.EVENTS["ballot"] is before
