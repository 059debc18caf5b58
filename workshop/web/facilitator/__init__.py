"""The facilitator console."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("facilitator", __name__)

from . import builder, kiosk, people, plans, screen, share, views  # noqa: F401
