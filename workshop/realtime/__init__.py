"""Socket.IO: handlers (parse -> service -> ack) and the notifier behind services."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import handlers  # noqa: F401  (registers the event handlers)
    from .broadcast import install

    install(app)
