"""The server's garbage collection: full collections in quiet moments, not mid-burst.

CPython's automatic full (generation 2) collection walks every object the process holds.
In a burst of 2,000 phones voting within two seconds it landed 0.5-1.0 s into the burst and
stopped every socket for 160-181 ms, which was most of the acknowledgement p95 (issue 17:
with automatic full collections off, p95 fell from 134 to 10-12 ms). So ``run.py serve``
(gevent) does this, and nothing else in the process changes:

* after start-up, everything alive (the app, its modules, its caches) is frozen
  (:func:`gc.freeze`): no later collection walks it again;
* generations 0 and 1 are collected automatically as always (young objects, cheap);
* automatic full collections are off; a background loop runs one when the process has
  been quiet for :data:`QUIET` seconds (no socket event running or just finished), or at the
  latest every ``GC_MAX_INTERVAL`` seconds whatever the load, so that garbage held in
  reference cycles cannot grow without bound (it is only collected later, never kept).

``WORKSHOP_GC_MAX_INTERVAL=0`` leaves CPython's own policy in place.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass

from flask import Flask

from ..extensions import socketio
from . import process

log = logging.getLogger(__name__)

#: a full collection waits for this long without socket events (seconds)
QUIET = 0.5
#: how often the loop looks (seconds)
CHECK_EVERY = 0.25
#: CPython's default: a full collection after 10 collections of generation 1
PENDING = 10
#: generation 2's automatic threshold while the policy holds: never reached
NEVER = 1_000_000_000


@dataclass(frozen=True)
class Moment:
    """What the policy looks at, read at one moment."""

    now: float
    #: when the last socket event finished; whether one is running
    last_event: float
    in_flight: int
    #: when the last full collection ran
    last_full: float
    #: generation-1 collections since (gc.get_count()[2])
    pending: int


def due(moment: Moment, max_interval: float) -> bool:
    """Whether a full collection runs now: enough pending and quiet, or overdue."""
    if moment.pending <= 0:
        return False
    if moment.now - moment.last_full >= max_interval:
        return True
    quiet = moment.in_flight == 0 and moment.now - moment.last_event >= QUIET
    return quiet and moment.pending >= PENDING


class Collector:
    """The policy for one process (``start`` installs it)."""

    def __init__(self, app: Flask, max_interval: float) -> None:
        self.app = app
        self.max_interval = max_interval
        self.last_full = time.monotonic()
        self.collections = 0

    def moment(self) -> Moment:
        me = process.state(self.app)
        return Moment(now=time.monotonic(), last_event=me.last_finished, in_flight=me.in_flight,
                      last_full=self.last_full, pending=gc.get_count()[2])

    def check(self) -> bool:
        """One look: collect if due; whether it did."""
        if not due(self.moment(), self.max_interval):
            return False
        started = time.monotonic()
        found = gc.collect(2)
        self.last_full = time.monotonic()
        self.collections += 1
        log.debug("full collection: %d unreachable, %.1f ms", found, (self.last_full - started) * 1000)
        return True


def start(app: Flask) -> Collector | None:
    """Freeze what start-up made, take over full collections, run the loop (gevent)."""
    max_interval = float(app.config["GC_MAX_INTERVAL"])
    if max_interval <= 0:
        return None
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    collector = Collector(app, max_interval)

    def loop() -> None:
        while True:
            socketio.sleep(CHECK_EVERY)
            collector.check()

    socketio.start_background_task(loop)
    return collector
