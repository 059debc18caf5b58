"""A stage's voting window (``opens_at`` / ``closes_at`` in the workshop file).

Residents vote from home before or after the meeting through the same join link:
the scheduler (realtime.schedule) asks ``due_action`` every few seconds and opens
or closes the stage through the stage service. A time without an offset is read
in the workshop's time zone (``timezone``, default Asia/Bangkok).

The rule leaves a facilitator's live decisions alone:
- it opens a stage whose window is now only if the stage is still a draft, or was
  closed before the window began (a facilitator who closes it during the window
  keeps it closed);
- it closes a stage at ``closes_at`` only if it was opened before that time (a
  stage a facilitator opens live in the hall after the window stays open).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import overload
from zoneinfo import ZoneInfo

from .formats import DEFAULT_TIMEZONE
from .lifecycle import DRAFT, OPEN

#: the two fields of a stage that make its window
FIELDS = ("opens_at", "closes_at")


def moment(value: str | None, zone: str | tzinfo | None = None) -> datetime | None:
    """An ISO date-time of the workshop file as an aware UTC datetime (None stays None).

    A naive time is read in ``zone`` (a name or tzinfo; default Asia/Bangkok).
    Raises ValueError for text that is not an ISO date-time.
    """
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        where = zone if isinstance(zone, tzinfo) else ZoneInfo(zone or DEFAULT_TIMEZONE)
        parsed = parsed.replace(tzinfo=where)
    return parsed.astimezone(UTC)


@overload
def _aware(value: datetime) -> datetime: ...


@overload
def _aware(value: datetime | None) -> datetime | None: ...


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # the database's times are UTC


def due_action(
    state: str,
    *,
    opens_at: datetime | None,
    closes_at: datetime | None,
    opened_at: datetime | None,
    closed_at: datetime | None,
    now: datetime,
) -> str | None:
    """``"open"``, ``"close"`` or None: what the schedule asks of a stage now.

    All times aware (or naive UTC). See the module's docstring for the rule.
    """
    now, opened_at, closed_at = _aware(now), _aware(opened_at), _aware(closed_at)
    assert now is not None
    if state == OPEN:
        if closes_at is not None and now >= closes_at and (opened_at is None or opened_at < closes_at):
            return "close"
        return None
    if opens_at is None or now < opens_at or (closes_at is not None and now >= closes_at):
        return None
    if state == DRAFT or closed_at is None or closed_at < opens_at:
        return "open"
    return None


def in_window(opens_at: datetime | None, closes_at: datetime | None, now: datetime) -> bool:
    """Whether ``now`` is inside a scheduled window (one with an ``opens_at``)."""
    now_aware = _aware(now)
    assert now_aware is not None
    return opens_at is not None and opens_at <= now_aware and (closes_at is None or now_aware < closes_at)


#: where a ballot was cast: in the hall while a facilitator holds the stage open, online
#: in a scheduled window, typed in from paper, or on the hall's helper kiosk
CHANNELS = ("hall", "online", "paper", "kiosk")
#: who opened a stage (``stages.opened_by``): a facilitator live, or the schedule
OPENERS = ("hall", "schedule")


def channel_of(opened_by: str | None, assisted: bool = False) -> str:
    """The channel of a phone ballot cast while the stage is open: ``kiosk`` from a
    resident who joined at the hall's helper kiosk, else ``online`` when the schedule
    opened it, ``hall`` when a facilitator did."""
    if assisted:
        return "kiosk"
    return "online" if opened_by == "schedule" else "hall"
