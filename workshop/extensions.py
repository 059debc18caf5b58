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
