"""Socket.IO: handlers (parse -> service -> ack) and the notifier behind services."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import handlers, signout
    from .broadcast import install

    handlers.register(app)
    install(app)
    signout.install(app)
