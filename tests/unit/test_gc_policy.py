"""realtime.gc_policy: full collections in quiet moments, and never later than the interval."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from workshop.realtime import gc_policy, process
from workshop.realtime.gc_policy import PENDING, QUIET, Moment, due

EVERY = 60.0


def moment(**changes: Any) -> Moment:
    base = {"now": 100.0, "last_event": 100.0 - QUIET, "in_flight": 0, "last_full": 90.0, "pending": PENDING}
    return Moment(**{**base, **changes})


def test_a_quiet_process_with_enough_pending_collects() -> None:
    assert due(moment(), EVERY)


def test_not_in_a_burst() -> None:
    assert not due(moment(in_flight=3), EVERY)  # events running
    assert not due(moment(last_event=100.0 - QUIET / 2), EVERY)  # one just finished


def test_not_for_a_few_pending() -> None:
    assert not due(moment(pending=PENDING - 1), EVERY)
    assert not due(moment(pending=0, last_full=0.0), EVERY)  # nothing at all: not even overdue


def test_overdue_collects_whatever_the_load() -> None:
    assert due(moment(in_flight=50, last_event=100.0, pending=1, last_full=100.0 - EVERY), EVERY)
    assert not due(moment(in_flight=50, last_event=100.0, pending=1, last_full=100.0 - EVERY + 1), EVERY)


@pytest.fixture
def app() -> Flask:
    return Flask(__name__)


@pytest.fixture
def restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.set_threshold(*threshold)
    gc.unfreeze()


def test_the_collector_takes_over_full_collections(app: Flask, restore_gc: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """start() freezes start-up's objects and turns automatic full collections off; a quiet
    check with enough pending collects generation 2 (its count back to 0), a busy one does not."""
    started: list[Any] = []
    monkeypatch.setattr(gc_policy.socketio, "start_background_task", lambda fn: started.append(fn))
    app.config["GC_MAX_INTERVAL"] = EVERY
    collector = gc_policy.start(app)
    assert collector is not None and len(started) == 1
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] == gc_policy.NEVER
    for _ in range(PENDING + 2):
        gc.collect(1)
    assert gc.get_count()[2] >= PENDING
    me = process.state(app)
    me.in_flight = 1
    assert not collector.check()
    me.in_flight = 0
    me.last_finished = 0.0  # long ago
    assert collector.check()
    assert gc.get_count()[2] == 0 and collector.collections == 1


def test_zero_leaves_pythons_policy(app: Flask, restore_gc: None) -> None:
    before = gc.get_threshold()
    app.config["GC_MAX_INTERVAL"] = 0
    assert gc_policy.start(app) is None
    assert gc.get_threshold() == before
