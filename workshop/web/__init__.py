"""Blueprints, one package per audience."""

from __future__ import annotations

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from ..extensions import csrf
    from .api import bp as api_bp
    from .facilitator import bp as facilitator_bp
    from .participant import bp as participant_bp
    from .projector import bp as projector_bp
    from .security import bp as security_bp
    from .security import init_app as security_init

    security_init(app)
    csrf.exempt(api_bp)
    csrf.exempt(security_bp)  # browsers send reports without a token
    app.register_blueprint(security_bp)  # bearer tokens, not cookies: nothing for a forged form to ride on
    app.register_blueprint(api_bp)
    app.register_blueprint(facilitator_bp)
    app.register_blueprint(participant_bp)
    app.register_blueprint(projector_bp)
