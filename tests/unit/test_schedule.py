"""A stage's voting window: when the scheduler opens and closes it (domain.schedule)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from workshop.domain.schedule import due_action, in_window, moment
from workshop.domain.workshop_file import DefinitionError, parse_workshop

OPENS = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)  # 18:00 in Bangkok
CLOSES = datetime(2026, 12, 6, 1, 0, tzinfo=UTC)  # 08:00 the next morning
HOUR = timedelta(hours=1)


def due(state: str, now: datetime, *, opened: datetime | None = None, closed: datetime | None = None,
        opens: datetime | None = OPENS, closes: datetime | None = CLOSES) -> str | None:
    return due_action(state, opens_at=opens, closes_at=closes, opened_at=opened, closed_at=closed, now=now)


def test_naive_times_are_read_in_the_workshop_zone_bangkok_by_default() -> None:
    assert moment("2026-12-05T18:00:00") == OPENS
    assert moment("2026-12-05T18:00:00", "Asia/Bangkok") == OPENS
    assert moment("2026-12-05T18:00:00", "Europe/Berlin") == datetime(2026, 12, 5, 17, 0, tzinfo=UTC)
    assert moment("2026-12-05T12:00:00+01:00", "Asia/Tokyo") == OPENS  # an offset wins
    assert moment(None) is None
    with pytest.raises(ValueError):
        moment("tomorrow evening")


def test_a_draft_opens_inside_its_window_only() -> None:
    assert due("draft", OPENS - timedelta(seconds=1)) is None
    assert due("draft", OPENS) == "open"
    assert due("draft", CLOSES - timedelta(seconds=1)) == "open"  # after a restart, late
    assert due("draft", CLOSES) is None  # the window is over: never opened after it
    assert due("draft", OPENS, opens=None) is None  # only closes_at: never opened by the schedule


def test_an_open_stage_closes_at_the_end_of_its_window() -> None:
    assert due("open", CLOSES - timedelta(seconds=1), opened=OPENS) is None
    assert due("open", CLOSES, opened=OPENS) == "close"
    assert due("open", CLOSES + 5 * HOUR, opened=OPENS) == "close"  # server was down at closes_at
    assert due("open", CLOSES, opened=OPENS - HOUR) == "close"  # opened live before: still closes
    assert due("open", CLOSES + HOUR, opened=OPENS, closes=None) is None  # no end: stays open


def test_the_facilitator_s_live_decisions_are_left_alone() -> None:
    # opened live in the hall after the window: the schedule does not close it
    assert due("open", CLOSES + 2 * HOUR, opened=CLOSES + HOUR) is None
    # closed by a facilitator during the window: stays closed
    assert due("closed", OPENS + 2 * HOUR, closed=OPENS + HOUR) is None
    # closed after the hall meeting, before the home window: the window opens it again
    assert due("closed", OPENS + HOUR, closed=OPENS - 3 * HOUR) == "open"


def test_naive_database_times_count_as_utc() -> None:
    naive_now = (CLOSES + HOUR).replace(tzinfo=None)
    assert due("open", naive_now, opened=OPENS.replace(tzinfo=None)) == "close"
    assert in_window(OPENS, CLOSES, (OPENS + HOUR).replace(tzinfo=None))
    assert not in_window(None, CLOSES, OPENS)
    assert not in_window(OPENS, CLOSES, CLOSES)


BASE = {"title": "t", "groups": [{"key": "a", "label": "A"}],
        "stages": [{"key": "s", "kind": "vision", "title": "S", "method": "single",
                    "items": [{"key": "i", "title": "I"}]}]}


def parsed(timezone: str | None = None, **window: object) -> dict[str, object]:
    data = copy.deepcopy(BASE)
    if timezone:
        data["timezone"] = timezone
    data["stages"][0].update(window)
    stage: dict[str, object] = parse_workshop(data).to_json()["stages"][0]
    return stage


def errors(timezone: str | None = None, **window: object) -> list[dict[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        parsed(timezone, **window)
    return caught.value.errors


def test_the_workshop_file_takes_a_window_as_text_or_a_yaml_timestamp() -> None:
    stage = parsed(opens_at="2026-12-05T18:00", closes_at=datetime(2026, 12, 6, 8, 0))
    assert (stage["opens_at"], stage["closes_at"]) == ("2026-12-05T18:00:00", "2026-12-06T08:00:00")
    assert parsed(opens_at="2026-12-05 18:00+07:00")["opens_at"] == "2026-12-05T18:00:00+07:00"
    assert parsed(closes_at="2026-12-05T11:00Z")["closes_at"] == "2026-12-05T11:00:00+00:00"
    assert "opens_at" not in parsed() and "closes_at" not in parsed()  # absent stays absent


@pytest.mark.parametrize("value", ["2026-12-05", "tomorrow", "2026-13-05T18:00", 1733400000, True])
def test_a_window_time_must_be_a_date_and_time(value: object) -> None:
    assert errors(opens_at=value) == [
        {"loc": "stages[0].opens_at", "message": "must be a date and time like 2026-12-05T18:00"}]


def test_the_window_closes_after_it_opens_in_the_workshop_zone() -> None:
    expected = [{"loc": "stages[0].closes_at", "message": "must be after opens_at"}]
    assert errors(opens_at="2026-12-05T18:00", closes_at="2026-12-05T18:00") == expected
    # 12:00 UTC is 19:00 in Bangkok: before 20:00 there
    assert errors(opens_at="2026-12-05T20:00", closes_at="2026-12-05T12:00Z") == expected
    # ... but after 12:00 in London
    assert parsed("Europe/London", opens_at="2026-12-05T11:00", closes_at="2026-12-05T12:00Z")
