"""domain.screens: which screens exist, what `auto` shows, next and previous."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from workshop.domain.screens import ScreenError, StageView, auto_stage, choose, sequence, shown, step

KEYS = ["vision", "goals", "projects"]


def at(minute: int) -> datetime:
    return datetime(2026, 12, 5, 9, minute, tzinfo=UTC)


def views(*states: str, closed: dict[str, datetime] | None = None) -> list[StageView]:
    return [StageView(key, state, (closed or {}).get(key)) for key, state in zip(KEYS, states, strict=True)]


def test_choose_accepts_every_screen_and_a_stage_of_the_workshop() -> None:
    assert choose("stage", "goals", KEYS) == ("stage", "goals")
    for screen in ("auto", "welcome", "comments", "ideas", "participation"):
        assert choose(screen, None, KEYS) == (screen, None)


@pytest.mark.parametrize(("screen", "stage", "code"), [
    ("podium", None, "invalid"), (None, None, "invalid"), (3, None, "invalid"),
    ("stage", None, "invalid"), ("stage", "", "invalid"), ("stage", "nope", "unknown_stage"),
    ("welcome", "goals", "invalid"),
])
def test_choose_refuses_what_cannot_be_shown(screen: object, stage: object, code: str) -> None:
    with pytest.raises(ScreenError) as caught:
        choose(screen, stage, KEYS)
    assert caught.value.code == code


def test_auto_shows_the_last_open_stage_else_the_one_closed_last_else_nothing() -> None:
    assert auto_stage(views("draft", "draft", "draft")) is None
    assert auto_stage(views("open", "draft", "open")) == "projects"
    # stage 1 was closed after stage 3: auto shows stage 1, not the last in file order
    assert auto_stage(views("closed", "draft", "closed",
                            closed={"vision": at(30), "projects": at(10)})) == "vision"
    assert auto_stage(views("closed", "open", "closed", closed={"vision": at(30)})) == "goals"
    # closed at the same moment, or never stamped: the later in file order
    assert auto_stage(views("closed", "closed", "draft", closed={"vision": at(5), "goals": at(5)})) == "goals"
    assert auto_stage(views("closed", "closed", "draft")) == "goals"


def test_shown_resolves_auto() -> None:
    assert shown(("auto", None), views("draft", "draft", "draft")) == ("welcome", None)
    assert shown(("auto", None), views("draft", "open", "draft")) == ("stage", "goals")
    assert shown(("comments", None), views("draft", "open", "draft")) == ("comments", None)


def test_sequence_leaves_out_walls_the_workshop_does_not_have() -> None:
    assert sequence(["a"], comments=False, ideas=False) == [("welcome", None), ("stage", "a"),
                                                            ("participation", None)]
    assert sequence(["a"])[-3:] == [("comments", None), ("ideas", None), ("participation", None)]


def test_next_and_previous_walk_the_sequence_and_stop_at_its_ends() -> None:
    stages = views("draft", "draft", "draft")
    order = sequence(KEYS)
    current: tuple[str, str | None] = ("welcome", None)
    walked = [current]
    for _ in range(len(order) + 2):
        current = step(current, stages, 1)
        walked.append(current)
    assert walked[:len(order)] == order
    assert walked[-1] == order[-1]
    assert step(("welcome", None), stages, -1) == ("welcome", None)
    assert step(("comments", None), stages, -1) == ("stage", "projects")


def test_next_from_auto_starts_from_what_auto_shows() -> None:
    assert step(("auto", None), views("draft", "open", "draft"), 1) == ("stage", "projects")
    assert step(("auto", None), views("draft", "draft", "draft"), 1) == ("stage", "vision")
    assert step(("auto", None), views("draft", "open", "draft"), -1) == ("stage", "vision")


def test_a_wall_the_workshop_lacks_steps_to_the_nearest_end() -> None:
    stages = views("draft", "draft", "draft")
    assert step(("ideas", None), stages, 1, ideas=False) == ("participation", None)
    assert step(("ideas", None), stages, -1, ideas=False) == ("comments", None)
    assert step(("ideas", None), stages, -1, comments=False, ideas=False) == ("stage", "projects")
    with pytest.raises(ScreenError):
        step(("welcome", None), stages, 2)
