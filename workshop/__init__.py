"""RuamKit (ร่วมคิด): live participatory planning workshops.

``create_app(config)`` builds the app; nothing here creates one at import time.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from .config import Config
from .domain.formats import DEFAULT_TIMEZONE

ROOT = Path(__file__).resolve().parent.parent
__version__ = "1.0.0"


def create_app(config: Config | None = None) -> Flask:
    # here, not at the top: an export's own process (export/process.py) imports this package
    # and needs none of the server's extensions (Socket.IO alone took a second to import)
    from .extensions import babel, compress, csrf, db, socketio

    config = config or Config()
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(config.INSTANCE_PATH),
        instance_relative_config=False,
    )
    app.config.update(config.as_flask())
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    if app.config.get("RUN_MIGRATIONS", True):
        from .storage.migrations import upgrade

        assert db.engine is not None
        upgrade(db.engine)

    from .adapters import ratelimit
    from .web import i18n

    ratelimit.init_app(app)

    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: DEFAULT_TIMEZONE)
    i18n.init_app(app)

    async_mode = app.config.get("ASYNC_MODE", "gevent")
    from .realtime import wire

    socketio.init_app(
        app,
        async_mode=async_mode,
        # gevent: handle each socket's events in its own reader greenlet instead of
        # spawning one per event (measurably cheaper in a burst; order kept per phone)
        async_handlers=async_mode != "gevent" or bool(app.config.get("SOCKET_ASYNC_HANDLERS")),
        # always explicit: Flask-SocketIO keeps options from an earlier init_app
        client_manager=_message_queue(app),
        cors_allowed_origins=_allowed_origins(app),
        max_http_buffer_size=64 * 1024,
        ping_interval=20,
        ping_timeout=30,
        manage_session=False,
        json=wire,  # an undecodable event is still acknowledged (realtime.wire)
    )

    from .web import register_blueprints

    # ids in URLs fit a 64-bit database integer; a larger one is simply not found
    app.url_map.converters["int"] = BoundedInt
    register_blueprints(app)

    from . import realtime
    from .services.ballots import install_writer

    realtime.init_app(app)
    install_writer(app)

    from .extensions import message_queue_state

    app.jinja_env.globals["message_queue_state"] = message_queue_state
    _security_headers(app)
    return app


def _message_queue(app: Flask) -> Any:
    """The Redis manager shared by several processes, or None for one process."""
    url = app.config.get("MESSAGE_QUEUE")
    if not url:
        return None
    from .realtime.broadcast import heal
    from .realtime.process import queue_health_changed
    from .realtime.queue import ResilientRedisManager

    return ResilientRedisManager(url, app.config["MESSAGE_QUEUE_CHANNEL"],
                                 on_resubscribe=lambda: heal(app),
                                 on_change=lambda healthy: queue_health_changed(app, healthy))


class BoundedInt(IntegerConverter):
    """`<int:...>` routes match 0 .. 2**63 - 1 only."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


def _allowed_origins(app: Flask) -> Any:
    """Sockets accept the page's own origin, WORKSHOP_PUBLIC_URL and WORKSHOP_CORS_ORIGINS.

    A callable, because engine.io's list form would drop the same-origin rule.
    """
    extra = {o.rstrip("/") for o in app.config.get("CORS_ORIGINS") or []}
    if app.config.get("PUBLIC_URL"):
        extra.add(str(app.config["PUBLIC_URL"]).rstrip("/"))
    if "*" in extra:
        return "*"

    def allowed(origin: str | None, environ: dict[str, Any] | None = None) -> bool:
        if origin is None or origin in extra:
            return True
        # Same host as the page (scheme aside: a TLS proxy may front plain HTTP).
        host = (environ or {}).get("HTTP_HOST", "")
        return bool(host) and urlsplit(origin).netloc == host

    return allowed


def _security_headers(app: Flask) -> None:
    def nonce() -> str:
        """This response's nonce, made on first use: an error page may be rendered before
        any before_request runs (a URL value preprocessor's 404, CSRF's 400)."""
        if "csp_nonce" not in g:
            g.csp_nonce = secrets.token_urlsafe(16)
        return str(g.csp_nonce)

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {"csp_nonce": nonce}

    @app.after_request
    def _headers(response: Any) -> Any:
        nonce_now = nonce()
        framed_by = g.get("frame_ancestors", "'none'")  # the builder's phone preview: 'self'
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; "
            f"script-src 'self' 'nonce-{nonce_now}'; "
            f"style-src 'self' 'nonce-{nonce_now}'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
            f"object-src 'none'; base-uri 'none'; frame-ancestors {framed_by}; "
            "form-action 'self'; "
            "report-uri /csp-report",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
