"""Extensions, created unbound and bound in :func:`workshop.create_app`."""

from __future__ import annotations

from flask_babel import Babel
from flask_compress import Compress
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from .storage import db

__all__ = ["babel", "compress", "csrf", "db", "socketio"]

socketio = SocketIO()
babel = Babel()
csrf = CSRFProtect()
compress = Compress()


def message_queue_state() -> str:
    """``none`` (one process), ``ok`` or ``down`` (Redis out of reach from this process)."""
    server = socketio.server
    manager = getattr(server, "manager", None) if server is not None else None
    if manager is None or not hasattr(manager, "healthy"):
        return "none"
    return "ok" if manager.healthy else "down"
