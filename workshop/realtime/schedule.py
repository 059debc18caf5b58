"""Every process opens and closes scheduled stages (``opens_at`` / ``closes_at``).

Each process checks every ``SCHEDULE_INTERVAL`` seconds (setting
WORKSHOP_SCHEDULE_INTERVAL, 5 by default; 0 = never) through
``services.stages.run_schedule``, whose conditional updates make two processes
change a stage once. The first check runs at start, so a stage whose window
began while the server was down opens as soon as it is back.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime

from flask import Flask

from ..extensions import db, socketio
from ..services import stages

log = logging.getLogger(__name__)


def check(app: Flask, now: datetime | None = None) -> list[tuple[int, str, str]]:
    """One look at every scheduled stage (at ``now``, the clock by default); what changed."""
    with app.app_context():
        try:
            done = stages.run_schedule(now)
        finally:
            db.session.remove()
    for workshop_id, key, action in done:
        log.info("schedule: workshop %s stage %s %s", workshop_id, key,
                 "opened" if action == "open" else "closed")
    return done


def start(app: Flask) -> None:
    """Start the checks in a background task of this process (unless the interval is 0)."""
    interval = float(app.config.get("SCHEDULE_INTERVAL", 0) or 0)
    if interval <= 0:
        return

    def loop() -> None:
        from .process import state

        while not state(app).draining:
            try:
                check(app)
            except Exception:  # a database hiccup: look again next time
                log.exception("checking scheduled stages failed")
            socketio.sleep(interval * random.uniform(0.8, 1.2))

    socketio.start_background_task(loop)
