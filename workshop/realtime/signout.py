"""A facilitator's sockets lose their rights when the token or the membership behind them ends.

Events are refused at once (handlers check the token on every event). What the
server pushes to facilitators (results of hidden stages, counts, moderation)
must stop too, so such a socket is disconnected:
- signing out disconnects that token's sockets of this process at once;
- "sign out everywhere", disabling an account, and removing a member (or changing
  their role) disconnect that account's sockets of this process at once;
- every process looks at its facilitator sockets every ``SIGNOUT_SWEEP`` seconds
  (setting WORKSHOP_SIGNOUT_SWEEP, 2 by default) and disconnects those whose token
  was revoked by another process or has expired, whose account was disabled, or
  whose account is no longer a member of the socket's workshop.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from ..extensions import db, socketio
from ..services import access, accounts
from .identity import connections

log = logging.getLogger(__name__)

SWEEPER_KEY = "ruamkit.signout_sweeper"


def _drop(app: Flask, sid: str) -> None:
    connections(app).pop(sid, None)
    server = socketio.server
    if server is not None:
        server.disconnect(sid, ignore_queue=True)  # this process's socket


def disconnect_token(app: Flask, reference: str) -> int:
    """Disconnect this process's facilitator sockets opened with the token of ``reference``
    (services.accounts.reference_of); how many."""
    gone = [sid for sid, identity in list(connections(app).items())
            if identity.kind == "facilitator" and identity.token_ref == reference]
    for sid in gone:
        _drop(app, sid)
    return len(gone)


def disconnect_account(app: Flask, user_id: int, workshop_id: int | None = None) -> int:
    """Disconnect this process's facilitator sockets of an account (of one workshop only,
    if given); how many. Those whose role changed connect again with their new role."""
    gone = [sid for sid, identity in list(connections(app).items())
            if identity.kind == "facilitator" and identity.user_id == user_id
            and (workshop_id is None or identity.workshop_id == workshop_id)]
    for sid in gone:
        _drop(app, sid)
    return len(gone)


def sweep(app: Flask) -> int:
    """Disconnect facilitator sockets whose token or membership is no longer valid; how many."""
    facilitators = {sid: identity for sid, identity in list(connections(app).items())
                    if identity.kind == "facilitator" and identity.token_ref}
    if not facilitators:
        return 0
    with app.app_context():
        try:
            valid = accounts.valid_references({i.token_ref for i in facilitators.values() if i.token_ref})
            members = access.memberships_of(
                {(i.user_id, i.workshop_id) for i in facilitators.values() if i.user_id})
        finally:
            db.session.remove()
    gone = [sid for sid, identity in facilitators.items()
            if identity.token_ref not in valid
            or (None if identity.user_id is None else members.get((identity.user_id, identity.workshop_id)))
            != identity.role]
    for sid in gone:
        _drop(app, sid)
    return len(gone)


class Sweeper:
    """Runs ``sweep`` every ``SIGNOUT_SWEEP`` seconds while this process has facilitator sockets."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config.get("SIGNOUT_SWEEP", 2.0))
        self._lock = threading.Lock()
        self._running = False

    def ensure_running(self) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            if self._running:
                return
            self._running = True
        socketio.start_background_task(self._loop)

    def _loop(self) -> None:
        try:
            while True:
                socketio.sleep(self.interval)
                if not any(i.kind == "facilitator" for i in list(connections(self.app).values())):
                    return  # started again by the next facilitator who connects
                try:
                    sweep(self.app)
                except Exception:  # a database hiccup: look again next time
                    log.exception("checking facilitator sockets failed")
        finally:
            with self._lock:
                self._running = False


def install(app: Flask) -> None:
    app.extensions[SWEEPER_KEY] = Sweeper(app)


def watch(app: Flask) -> None:
    """A facilitator socket connected: make sure this process sweeps."""
    sweeper: Sweeper | None = app.extensions.get(SWEEPER_KEY)
    if sweeper is not None:
        sweeper.ensure_running()
