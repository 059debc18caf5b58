"""HTTP API v1 (contract section 3): thin handlers over services."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__)

from . import errors, exports, people, plans, routes  # noqa: F401  (registers handlers on bp)
