"""The participant pages (live room)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("participant", __name__)

from . import views  # noqa: F401
