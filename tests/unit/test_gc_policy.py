"""realtime.gc_policy: full collections in quiet moments, and never later than the interval;
sweeps of what is new, thaws of everything."""

from __future__ import annotations

import gc
import time
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from workshop.realtime import gc_policy, process
from workshop.realtime.gc_policy import PENDING, QUIET, THAW_EVERY, Moment, due

EVERY = 60.0


def moment(**changes: Any) -> Moment:
    base = {"now": 1000.0, "last_event": 1000.0 - QUIET, "in_flight": 0, "last_full": 990.0,
            "last_thaw": 990.0, "pending": PENDING}
    return Moment(**{**base, **changes})


def test_a_quiet_process_with_enough_pending_collects() -> None:
    assert due(moment(), EVERY) == "sweep"
    assert due(moment(last_thaw=1000.0 - EVERY), EVERY) == "thaw"  # a quiet moment, last thaw old enough


def test_not_in_a_burst() -> None:
    assert due(moment(in_flight=3), EVERY) is None  # events running
    assert due(moment(last_event=1000.0 - QUIET / 2), EVERY) is None  # one just finished
    assert due(moment(in_flight=3, last_thaw=0.0), EVERY) is None  # not even a thaw


def test_not_for_a_few_pending() -> None:
    assert due(moment(pending=PENDING - 1), EVERY) is None
    assert due(moment(pending=0, last_full=0.0, last_thaw=0.0), EVERY) is None  # nothing at all


def test_overdue_sweeps_whatever_the_load() -> None:
    busy = {"in_flight": 50, "last_event": 1000.0, "pending": 1}
    assert due(moment(**busy, last_full=1000.0 - EVERY), EVERY) == "sweep"
    assert due(moment(**busy, last_full=1000.0 - EVERY + 1), EVERY) is None


def test_a_thaw_under_load_only_every_few_intervals() -> None:
    busy = {"in_flight": 50, "last_event": 1000.0, "pending": 1, "last_full": 1000.0 - EVERY}
    assert due(moment(**busy, last_thaw=1000.0 - THAW_EVERY * EVERY + 1), EVERY) == "sweep"
    assert due(moment(**busy, last_thaw=1000.0 - THAW_EVERY * EVERY), EVERY) == "thaw"


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
    assert collector.check() is None
    me.in_flight = 0
    me.last_finished = 0.0  # long ago
    assert collector.check() == "sweep"
    assert gc.get_count()[2] == 0 and collector.collections == 1


class Cycle:
    """Garbage only a full collection finds: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def test_a_sweep_finds_new_cycles_and_a_thaw_the_frozen_ones(app: Flask, restore_gc: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep collects cycles that became garbage since the last freeze and freezes what
    lives; one that was alive then and has become garbage since waits for the next thaw,
    which finds it: garbage is collected later, never kept."""
    monkeypatch.setattr(gc_policy.socketio, "start_background_task", lambda fn: None)
    app.config["GC_MAX_INTERVAL"] = EVERY
    collector = gc_policy.start(app)
    assert collector is not None
    pend = lambda: [gc.collect(1) for _ in range(2)]  # noqa: E731 (something pending)
    pend()
    gone: list[str] = []
    alive = Cycle()
    weakref.finalize(alive, gone.append, "frozen")
    weakref.finalize(Cycle(), gone.append, "new")  # garbage at once, in a cycle
    now = time.monotonic()
    collector.last_full = now - EVERY  # overdue: a sweep whatever the load
    assert collector.check() == "sweep"
    assert gone == ["new"]
    frozen = gc.get_freeze_count()
    del alive  # garbage now, but frozen by that sweep: young collections do not see it
    pend()
    collector.last_full = time.monotonic() - EVERY
    assert collector.check() == "sweep"
    assert gone == ["new"]
    assert gc.get_freeze_count() >= frozen - 1
    collector.last_full = time.monotonic() - EVERY
    collector.last_thaw = time.monotonic() - THAW_EVERY * EVERY
    pend()
    assert collector.check() == "thaw"
    assert gone == ["new", "frozen"]
    assert collector.thaws == 1 and collector.collections == 3


def test_zero_leaves_pythons_policy(app: Flask, restore_gc: None) -> None:
    before = gc.get_threshold()
    app.config["GC_MAX_INTERVAL"] = 0
    assert gc_policy.start(app) is None
    assert gc.get_threshold() == before
