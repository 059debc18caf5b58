"""Blueprints, one package per audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from ..extensions import csrf
    from . import ratelimit
    from .api import bp as api_bp
    from .facilitator import bp as facilitator_bp
    from .participant import bp as participant_bp
    from .projector import bp as projector_bp

    ratelimit.init_app(app)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: nothing for a forged form to ride on
    app.register_blueprint(api_bp)
    app.register_blueprint(facilitator_bp)
    app.register_blueprint(participant_bp)
    app.register_blueprint(projector_bp)
