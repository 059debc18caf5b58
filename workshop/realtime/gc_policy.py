"""The server's garbage collection: full collections in quiet moments, not mid-burst.

CPython's automatic full (generation 2) collection walks every object the process holds.
In a burst of 2,000 phones voting within two seconds it landed 0.5-1.0 s into the burst and
stopped every socket for 160-181 ms, which was most of the acknowledgement p95 (issue 17:
with automatic full collections off, p95 fell from 134 to 10-12 ms). So ``run.py serve``
(gevent) does this, and nothing else in the process changes:

* after start-up, everything alive (the app, its modules, its caches) is frozen
  (:func:`gc.freeze`): no later collection walks it again;
* generations 0 and 1 are collected automatically as always (young objects, cheap);
* automatic full collections are off. A background loop runs them itself, of two kinds:

  - a **sweep** walks only what is not frozen (what became old since the last freeze),
    collects what of it is garbage and freezes the rest. It runs when the process has been
    quiet for :data:`QUIET` seconds (no socket event running or just finished), or at the
    latest every ``GC_MAX_INTERVAL`` seconds whatever the load. Under steady voting the
    process is never quiet, and a walk of everything every minute paused every socket for
    a few hundred milliseconds (the soak benchmark: 29 pauses in 30 minutes, p50 422 ms on
    a busy machine); a sweep walks a minute's worth of survivors;
  - a **thaw** unfreezes everything, walks it all and freezes the survivors again, so that
    garbage in reference cycles among frozen objects (a phone's socket that was alive at
    the last freeze and has gone since) is found too. It replaces a sweep in a quiet moment
    once ``GC_MAX_INTERVAL`` has passed since the last thaw, and runs at the latest every
    :data:`THAW_EVERY` intervals whatever the load.

  Garbage is therefore only collected later, never kept: memory cannot grow without bound
  (the soak benchmark measures it over 30 minutes).

``WORKSHOP_GC_MAX_INTERVAL=0`` leaves CPython's own policy in place.
"""

from __future__ import annotations

import gc
import logging
import time
from dataclasses import dataclass
from typing import Literal

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
#: a thaw at the latest every this many intervals, whatever the load
THAW_EVERY = 10

Kind = Literal["sweep", "thaw"]


@dataclass(frozen=True)
class Moment:
    """What the policy looks at, read at one moment."""

    now: float
    #: when the last socket event finished; whether one is running
    last_event: float
    in_flight: int
    #: when the last full collection (either kind) ran, and the last thaw
    last_full: float
    last_thaw: float
    #: generation-1 collections since (gc.get_count()[2])
    pending: int


def due(moment: Moment, max_interval: float) -> Kind | None:
    """Which full collection runs now, if any: in a quiet moment with enough pending, or
    when overdue; a thaw when the last one is old enough for that moment, else a sweep."""
    if moment.pending <= 0:
        return None
    since_thaw = moment.now - moment.last_thaw
    if moment.now - moment.last_full >= max_interval:
        return "thaw" if since_thaw >= THAW_EVERY * max_interval else "sweep"
    quiet = moment.in_flight == 0 and moment.now - moment.last_event >= QUIET
    if not quiet or moment.pending < PENDING:
        return None
    return "thaw" if since_thaw >= max_interval else "sweep"


class Collector:
    """The policy for one process (``start`` installs it)."""

    def __init__(self, app: Flask, max_interval: float) -> None:
        self.app = app
        self.max_interval = max_interval
        self.last_full = self.last_thaw = time.monotonic()
        self.collections = 0
        self.thaws = 0

    def moment(self) -> Moment:
        me = process.state(self.app)
        return Moment(now=time.monotonic(), last_event=me.last_finished, in_flight=me.in_flight,
                      last_full=self.last_full, last_thaw=self.last_thaw, pending=gc.get_count()[2])

    def check(self) -> Kind | None:
        """One look: collect if due; which kind it ran."""
        kind = due(self.moment(), self.max_interval)
        if kind is None:
            return None
        started = time.monotonic()
        if kind == "thaw":
            gc.unfreeze()
        found = gc.collect(2)
        gc.freeze()
        self.last_full = time.monotonic()
        self.collections += 1
        if kind == "thaw":
            self.thaws += 1
            self.last_thaw = self.last_full
        log.debug("full collection (%s): %d unreachable, %.1f ms", kind, found,
                  (self.last_full - started) * 1000)
        return kind


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
