"""The Notifier behind services: turns "X changed" into coalesced broadcasts.

- `state` goes to everyone in the workshop at once, on every change.
- `results` of a stage is recomputed at most once per RESULTS_INTERVAL (0.25 s:
  at most 4 a second per stage), encoded once and sent to a room, never in a
  per-client loop; residents get it only while the stage's results are shown.
- `participants` is coalesced the same way.
- `screen` (what the projector shows) goes to projectors and consoles, at once,
  when the facilitator chooses a screen and with every `state` (``auto`` follows
  the stages).
- `kiosk_stopped` goes to the residents seated at a helper kiosk when a facilitator stops
  the kiosks (their page then goes back to the start, no longer a kiosk).
- `moderation` (pending counts) and `moderation_item` (a comment or idea that
  now waits) go to facilitators only, at once.
With WORKSHOP_MESSAGE_QUEUE set, each emit is one message on the queue whatever
the audience size.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, current_app

from ..extensions import db, socketio
from ..models import Comment, Idea, Workshop
from ..services import content, results, screens, workshops
from ..services.notify import EXTENSION_KEY
from ..services.payloads import public_workshop, resident_states, resident_workshop, stage_states
from . import rooms, signout

log = logging.getLogger(__name__)


class SocketNotifier:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config.get("RESULTS_INTERVAL", 0.25))
        self._lock = threading.Lock()
        self._pending: set[tuple[str, int, str]] = set()
        self._last: dict[tuple[str, int, str], float] = {}

    # -- Notifier protocol ------------------------------------------------
    def state_changed(self, workshop_id: int, *, items_changed: bool = False) -> None:
        self._run_now(self._emit_state, workshop_id, items_changed)

    def results_changed(self, workshop_id: int, stage_key: str) -> None:
        self._coalesce(("results", workshop_id, stage_key))

    def participants_changed(self, workshop_id: int) -> None:
        self._coalesce(("participants", workshop_id, ""))

    def moderation_changed(self, workshop_id: int) -> None:
        self._run_now(self._emit_moderation, workshop_id)

    def comment_published(self, workshop_id: int, comment_id: int) -> None:
        self._run_now(self._emit_comment, workshop_id, comment_id)

    def pending_added(self, workshop_id: int, kind: str, entry_id: int) -> None:
        self._run_now(self._emit_pending, workshop_id, kind, entry_id)

    def signed_out(self, reference: str) -> None:
        self._run_now(signout.disconnect_token, self.app, reference)

    def account_signed_out(self, user_id: int) -> None:
        self._run_now(signout.disconnect_account, self.app, user_id)

    def access_changed(self, workshop_id: int, user_id: int) -> None:
        self._run_now(signout.disconnect_account, self.app, user_id, workshop_id)

    def screen_changed(self, workshop_id: int) -> None:
        self._run_now(self._emit_screen, workshop_id)

    def kiosks_stopped(self, workshop_id: int) -> None:
        # an addition to the contract's events: the kiosk's page leaves kiosk mode (kiosk.js)
        self._run_now(self._emit_kiosks_stopped, workshop_id)

    # -- scheduling -------------------------------------------------------
    def _run_now(self, fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # a failed broadcast must never fail the use case
            log.exception("broadcast %s failed", fn.__name__)

    def _coalesce(self, key: tuple[str, int, str]) -> None:
        if self.interval <= 0:
            self._run_now(self._flush, key)
            return
        with self._lock:
            if key in self._pending:
                return  # a flush is already scheduled; it will include this change
            self._pending.add(key)
            wait = max(0.0, self._last.get(key, 0.0) + self.interval - time.monotonic())
        socketio.start_background_task(self._flush_later, key, wait)

    def _flush_later(self, key: tuple[str, int, str], wait: float) -> None:
        if wait > 0:
            socketio.sleep(wait)
        with self._lock:
            self._pending.discard(key)
            self._last[key] = time.monotonic()
        with self.app.app_context():
            self._run_now(self._flush, key)

    def _flush(self, key: tuple[str, int, str]) -> None:
        kind, workshop_id, stage_key = key
        if kind == "results":
            self._emit_results(workshop_id, stage_key)
        else:
            self._emit_participants(workshop_id)

    # -- emits ------------------------------------------------------------
    def _workshop(self, workshop_id: int) -> Workshop | None:
        session = db.session()
        workshop = session.get(Workshop, workshop_id)
        if workshop is not None:
            session.refresh(workshop)  # another greenlet may have changed it
        return workshop

    def _emit_state(self, workshop_id: int, items_changed: bool) -> None:
        workshop = self._workshop(workshop_id)
        if workshop is not None:
            # the whole workshop only when its items changed, else each stage's state in short;
            # residents get their bounded copy (payloads.resident_workshop, resident_states)
            if items_changed:
                socketio.emit("state", public_workshop(workshop), to=rooms.watchers(workshop_id))
                socketio.emit("state", resident_workshop(workshop), to=rooms.residents(workshop_id))
            else:
                socketio.emit("state", stage_states(workshop), to=rooms.watchers(workshop_id))
                socketio.emit("state", resident_states(workshop), to=rooms.residents(workshop_id))
            # `auto` shows the stage that opened or closed last: say what is on screen now
            socketio.emit("screen", screens.projector_screen(workshop), to=rooms.watchers(workshop_id))

    def _emit_kiosks_stopped(self, workshop_id: int) -> None:
        socketio.emit("kiosk_stopped", {}, to=rooms.kiosks(workshop_id))

    def _emit_screen(self, workshop_id: int) -> None:
        workshop = self._workshop(workshop_id)
        if workshop is not None:
            socketio.emit("screen", screens.projector_screen(workshop), to=rooms.watchers(workshop_id))

    def _emit_results(self, workshop_id: int, stage_key: str) -> None:
        workshop = self._workshop(workshop_id)
        if workshop is None:
            return
        stage = workshops.get_stage(workshop, stage_key)
        entry = results.live_entry(workshop, stage)  # bounded: top items, under 16 KB
        socketio.emit("results", entry, to=rooms.watchers(workshop_id))
        if workshops.stage_visible(stage):
            socketio.emit("results", entry, to=rooms.residents(workshop_id))

    def _emit_participants(self, workshop_id: int) -> None:
        workshop = self._workshop(workshop_id)
        if workshop is not None:
            socketio.emit("participants", workshops.participant_counts(workshop),
                          to=rooms.watchers(workshop_id))

    def _emit_moderation(self, workshop_id: int) -> None:
        socketio.emit("moderation", content.pending_counts(workshop_id),
                      to=rooms.facilitators(workshop_id))

    def _emit_comment(self, workshop_id: int, comment_id: int) -> None:
        comment = db.session.get(Comment, comment_id)
        if comment is not None and comment.status == "published":
            socketio.emit("comment", content.comment_dict(comment), to=rooms.everyone(workshop_id))

    def _emit_pending(self, workshop_id: int, kind: str, entry_id: int) -> None:
        """`moderation_item`: {"kind": "comment", "comment": {...}} or {"kind": "idea", "idea": {...}}."""
        entry: Comment | Idea | None = (db.session.get(Comment, entry_id) if kind == "comment"
                                        else db.session.get(Idea, entry_id))
        if entry is not None and entry.workshop_id == workshop_id and entry.status == "pending":
            body = content.comment_dict(entry) if isinstance(entry, Comment) else content.idea_dict(entry)
            socketio.emit("moderation_item", {"kind": kind, kind: body},
                          to=rooms.facilitators(workshop_id))


def heal(app: Flask) -> None:
    """Broadcast the truth of every workshop this process has sockets in.

    Called when the message queue is back after an outage: whatever was
    broadcast meanwhile was lost, so state, counts and results go out again.
    """
    from .identity import connections

    with app.app_context():
        notifier = notifier_of(app)
        for workshop_id in sorted({identity.workshop_id for identity in list(connections(app).values())}):
            workshop = notifier._workshop(workshop_id)
            if workshop is None:
                continue
            notifier.state_changed(workshop_id, items_changed=True)  # a page may have missed anything
            notifier.participants_changed(workshop_id)
            for stage in workshop.stages:
                notifier.results_changed(workshop_id, stage.key)
        db.session.remove()


def install(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = SocketNotifier(app)


def notifier_of(app: Flask | None = None) -> SocketNotifier:
    found: SocketNotifier = (app or current_app).extensions[EXTENSION_KEY]
    return found
