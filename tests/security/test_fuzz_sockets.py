"""Hypothesis-generated socket payloads: every event is acknowledged, with the
contract's shape and codes, and nothing ever fails unhandled."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import Api, stage_entry, workshop_object

CODES = {"invalid", "stage_closed", "unknown_stage", "not_allowed", "rate_limited"}
KEYS = ["vision", "goals", "projects", "words", "v1", "v2", "g1", "p1", "importance", "nope", ""]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.sampled_from(KEYS),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=20,
)
choices = st.one_of(
    json_like,
    st.fixed_dictionaries({"item": json_like}),
    st.fixed_dictionaries({"items": st.lists(st.sampled_from(KEYS), max_size=4)}),
    st.fixed_dictionaries({"dots": st.dictionaries(st.sampled_from(KEYS), st.integers(-5, 20), max_size=4)}),
    st.fixed_dictionaries(
        {
            "scores": st.dictionaries(
                st.sampled_from(KEYS),
                st.dictionaries(
                    st.sampled_from(KEYS), st.one_of(st.integers(-3, 9), st.floats()), max_size=3
                ),
                max_size=3,
            )
        }
    ),
    st.fixed_dictionaries({"words": st.lists(st.text(max_size=60), max_size=5)}),
)
payloads = st.one_of(
    json_like,
    st.fixed_dictionaries(
        {"stage": st.one_of(st.sampled_from(KEYS), json_like), "choices": choices},
        optional={"ballot_id": json_like},
    ),
    st.fixed_dictionaries({"stage": st.sampled_from(KEYS), "text": json_like}, optional={"item": json_like}),
    st.fixed_dictionaries(
        {"stage": st.sampled_from(KEYS), "title": json_like}, optional={"description": json_like}
    ),
)


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"RATE_LIMITS": False}


@pytest.mark.slow
def test_socket_payload_fuzz(api: Api) -> None:
    created = api.create_workshop(workshop_object(moderation="post"))
    for stage in ("vision", "goals", "projects", "words"):
        api.stage(created["id"], stage, "open")
    browser, _ = api.join(created["code"], "civil")
    sock = api.socket(browser)
    assert sock.is_connected()

    @given(event=st.sampled_from(["ballot", "comment", "idea", "sync"]), data=payloads)
    @settings(
        max_examples=400,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(event: str, data: Any) -> None:
        ack = sock.emit(event, data, callback=True)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
        if not ack["ok"]:
            assert ack["error"]["code"] in CODES, ack
            assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]

    run()
    assert sock.is_connected()
    results = api.results(created["id"])  # and the tally still adds up
    for key in ("vision", "goals", "projects", "words"):
        assert stage_entry(results, key)["ballots"] <= 1
