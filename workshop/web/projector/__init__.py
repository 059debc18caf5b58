"""The projector pages (live room)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("projector", __name__)

from . import views  # noqa: F401
