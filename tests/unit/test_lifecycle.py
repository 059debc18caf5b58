"""Stage lifecycle transitions and results visibility, every combination."""

from __future__ import annotations

import pytest

from workshop.domain.lifecycle import (
    ACTIONS,
    POLICIES,
    STATES,
    TransitionError,
    hide,
    results_visible,
    reveal,
    transition,
)


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        ("draft", "open", "open"),
        ("closed", "open", "open"),  # reopening
        ("open", "close", "closed"),
    ],
)
def test_allowed_transitions(state: str, action: str, after: str) -> None:
    assert transition(state, action, stage_key="vision") == after


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        ("open", "open", "stage 'vision' is already open"),
        ("draft", "close", "stage 'vision' is not open"),
        ("closed", "close", "stage 'vision' is already closed"),
    ],
)
def test_refused_transitions(state: str, action: str, message: str) -> None:
    with pytest.raises(TransitionError) as refused:
        transition(state, action, stage_key="vision")
    assert refused.value.message == message
    assert str(refused.value) == message


def test_every_state_action_pair_is_decided() -> None:
    outcomes = {}
    for state in STATES:
        for action in ACTIONS:
            try:
                outcomes[state, action] = transition(state, action, stage_key="s")
            except TransitionError:
                outcomes[state, action] = "refused"
    assert outcomes == {
        ("draft", "open"): "open",
        ("draft", "close"): "refused",
        ("open", "open"): "refused",
        ("open", "close"): "closed",
        ("closed", "open"): "open",
        ("closed", "close"): "refused",
    }


@pytest.mark.parametrize(("state", "action"), [("archived", "open"), ("draft", "reveal"), ("open", "delete")])
def test_unknown_state_or_action_is_a_programming_error(state: str, action: str) -> None:
    with pytest.raises(ValueError, match="unknown stage"):
        transition(state, action, stage_key="vision")


# policy, state, revealed -> visible
VISIBILITY = {
    ("live", "draft", None): False,
    ("live", "open", None): True,
    ("live", "closed", None): True,
    ("after_close", "draft", None): False,
    ("after_close", "open", None): False,
    ("after_close", "closed", None): True,
    ("never", "draft", None): False,
    ("never", "open", None): False,
    ("never", "closed", None): False,
    # the facilitator's override wins, whatever the state
    ("live", "draft", True): True,
    ("live", "open", True): True,
    ("live", "closed", True): True,
    ("live", "draft", False): False,
    ("live", "open", False): False,
    ("live", "closed", False): False,
    ("after_close", "draft", True): True,
    ("after_close", "open", True): True,
    ("after_close", "closed", True): True,
    ("after_close", "draft", False): False,
    ("after_close", "open", False): False,
    ("after_close", "closed", False): False,
    # ... except for never
    ("never", "draft", True): False,
    ("never", "open", True): False,
    ("never", "closed", True): False,
    ("never", "draft", False): False,
    ("never", "open", False): False,
    ("never", "closed", False): False,
}


def test_visibility_table_covers_every_combination() -> None:
    assert len(VISIBILITY) == len(POLICIES) * len(STATES) * 3


@pytest.mark.parametrize(("policy", "state", "revealed"), list(VISIBILITY))
def test_results_visible(policy: str, state: str, revealed: bool | None) -> None:
    assert results_visible(policy, state, revealed) is VISIBILITY[policy, state, revealed]


@pytest.mark.parametrize(("policy", "state"), [("sometimes", "open"), ("live", "archived")])
def test_unknown_policy_or_state_is_a_programming_error(policy: str, state: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        results_visible(policy, state, None)


@pytest.mark.parametrize("policy", ["live", "after_close"])
def test_reveal_and_hide_set_the_override(policy: str) -> None:
    assert reveal(policy, "vision") is True
    assert hide(policy, "vision") is False
    assert results_visible(policy, "open", reveal(policy, "vision")) is True
    assert results_visible(policy, "closed", hide(policy, "vision")) is False


def test_reveal_of_a_never_stage_is_refused() -> None:
    with pytest.raises(TransitionError) as refused:
        reveal("never", "vision")
    assert refused.value.message == "results of stage 'vision' are never shown"


def test_hide_of_a_never_stage_is_harmless() -> None:
    assert hide("never", "vision") is False


def test_reveal_checks_the_policy_name() -> None:
    with pytest.raises(ValueError, match="unknown results policy 'sometimes'"):
        reveal("sometimes", "vision")

