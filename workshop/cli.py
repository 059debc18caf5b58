"""The command line of the contract (section 2); `run.py` is its entry point."""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flask import Flask

from .domain.problems import Problem
from .domain.text import localize

DEMO_FILE = Path(__file__).resolve().parent.parent / "sessions" / "ranong-livable-city.yaml"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="run.py", description="RuamKit (ร่วมคิด) workshops")
    sub = p.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="serve the app (WebSocket-capable gevent server)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all)")
    serve.add_argument("--port", type=int, default=5000, help="port (default: 5000)")
    serve.add_argument("--demo", action="store_true",
                       help=f"load {DEMO_FILE.name} first if there is no workshop yet")
    serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    user = sub.add_parser("user", help="facilitator accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    add = user_sub.add_parser("add", help="create a facilitator account (the first one is an admin)")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true",
                     help="the account manages accounts (invite, disable, reset) in the console")
    add.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input instead of prompting")
    sub.add_parser("migrate", help="bring the database schema up to date, then stop")
    load = sub.add_parser("load", help="create a workshop from a workshop file")
    load.add_argument("file", type=Path)
    export = sub.add_parser("export", help="write an export of a workshop")
    export.add_argument("id", type=int)
    export.add_argument("--format", required=True, choices=["pdf", "docx", "csv", "json"])
    export.add_argument("--out", required=True, type=Path)
    return p


def dispatch(args: argparse.Namespace) -> int:
    from . import create_app
    from .services.errors import ServiceError

    app = create_app()
    if args.command in (None, "serve"):
        return serve(app, getattr(args, "host", "0.0.0.0"), getattr(args, "port", 5000),
                     demo=getattr(args, "demo", False), access_log=getattr(args, "access_log", False))
    if args.command == "migrate":  # create_app has migrated (under a lock when on PostgreSQL)
        print("database schema is up to date")
        return 0
    with app.app_context():
        try:
            if args.command == "user":
                return user_add(args.name, args.password_stdin, admin=args.admin)
            if args.command == "load":
                return load(args.file)
            return export(args.id, args.format, args.out)
        except ServiceError as exc:
            if exc.problems:  # a workshop file's mistakes, in the terminal's language
                for line in problem_lines(exc.problems, terminal_language()):
                    print(line, file=sys.stderr)
                return 1
            print(f"error: {exc.message}", file=sys.stderr)
            for detail in exc.details or []:
                if isinstance(detail, dict) and detail.get("loc"):
                    print(f"  {detail['loc']}: {detail['message']}", file=sys.stderr)
            return 1


def terminal_language(environ: Mapping[str, str] | None = None) -> str:
    """``th`` when the terminal's locale is Thai (LANGUAGE, LC_ALL, LC_MESSAGES or LANG, the
    first one set, as gettext reads them: ``th_TH.UTF-8``), else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if env.get(name):
            return "th" if env[name].lower().startswith("th") else "en"
    return "en"


def problem_lines(problems: Sequence[Problem], lang: str) -> list[str]:
    """A workshop file's mistakes said in ``lang``: a first line, then each with its place."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    from .web.problems import say, say_place

    with force_locale(lang):
        lines = [_("error: the workshop file has mistakes; nothing was created")]
        for problem in problems:
            place = say_place(problem.loc)
            lines.append(f"  {place}: {say(problem)}" if place else f"  {say(problem)}")
    return lines


def user_add(name: str, password_stdin: bool, *, admin: bool = False) -> int:
    from .services import accounts

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 1
    user = accounts.create_user(name, password, is_admin=admin)
    print(f"created {'admin' if user.is_admin else 'facilitator'} account '{user.username}'")
    return 0


def load(file: Path) -> int:
    from .services import workshops

    try:
        text = file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {file}: {exc.strerror}", file=sys.stderr)
        return 1
    workshop = workshops.create_workshop(workshops.parse_definition_text(text, file.name))
    print(f"id: {workshop.id}")
    print(f"code: {workshop.code}")
    print(f"join_url: {workshops.join_url(workshop)}")
    print(f"projector_url: {workshops.projector_url(workshop)}")
    return 0


def export(workshop_id: int, fmt: str, out: Path) -> int:
    from .export import render_export

    data, _mimetype, _filename = render_export(workshop_id, fmt)
    out.write_bytes(data)
    print(f"wrote {out} ({len(data):,} bytes)")
    return 0


def startup_banner(app: Flask, demo: bool) -> list[str]:
    """Load the demo if asked and print what a facilitator needs to start."""
    from .services import accounts, workshops

    lines: list[str] = []
    with app.app_context():
        if demo and not workshops.list_workshops():
            workshops.create_workshop(workshops.parse_definition_text(DEMO_FILE.read_bytes()))
        base = workshops.public_url()
        setup = accounts.new_setup_token()
        lines.append(f"RuamKit is running at {base}")
        if setup and sys.stdout.isatty():
            lines.append(f"  First start: create the facilitator account at {base}/setup/{setup}")
            lines.append("  (or: python run.py user add NAME)")
        elif setup:  # a log, not a person at a terminal: no secret link in it
            lines.append("  No facilitator account yet: create one with  python run.py user add NAME")
        lines.append(f"  Facilitator console: {base}/console")
        # join links only: a projector link is a facilitator's secret, and this goes to the log
        for w in workshops.list_workshops()[:5]:
            title = localize(workshops.definition_of(w).title, "", [])
            lines.append(f"  Workshop {w.id} '{title}' (code {w.code})")
            lines.append(f"    join:      {workshops.join_url(w)}")
        if lines[-1].startswith("    join:"):
            lines.append("  Projector links: on each workshop's page in the console")
    return lines


#: secrets that travel in URLs: projector keys, setup links, join cards (?t=), session ids
_SECRET_IN_URL = re.compile(r"(/projector/|/setup/|[?&](?:t|sid|token)=)[^/?&\s\"]+")


def redact(line: str) -> str:
    """An access-log line without the secrets that URLs carry."""
    return _SECRET_IN_URL.sub(r"\1…", line)


#: answered to a connection beyond its address's ceiling, then closed
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nConnection: close\r\n"
         b"Content-Length: 0\r\n\r\n")
#: answered to a request whose headers did not arrive in time, then closed
_TOO_SLOW = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
#: seconds between two log lines about one address at its ceiling
_CEILING_LOG_EVERY = 60.0


def _peer(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) and address else str(address or "")


def _handler_class(app: Flask) -> type:
    """gevent's WSGI handler with the guards of a server that phones reach directly.

    * The request line and headers of a new connection's first request arrive within
      HEADER_TIMEOUT seconds (10), or the connection is closed (408 once the request line
      came): half-sent requests do not hold connections. Reading a request body, or
      sending a response, waits at most as long for each piece.
    * A keep-alive connection waiting for its next request is closed after IDLE_TIMEOUT
      seconds (30); that request's headers then get HEADER_TIMEOUT again.
    * One address holds at most CONNECTIONS_PER_ADDRESS connections at once (2,000; 0 = no
      ceiling): a venue's phones share one NAT address, and a phone holds about two (its
      socket, and keep-alive page requests for a while), so a hall of 1,000 phones fits.
      The next connection is answered 503 with Retry-After and closed. Behind a trusted
      proxy (TRUSTED_PROXIES > 0) every connection comes from the proxy: there the proxy
      keeps the ceiling (deploy/install.sh: nginx limit_conn) and none is applied here.
    * A WebSocket has no read timeout (Engine.IO pings it), and its TCP connection closes
      when it ends: otherwise pywsgi keeps the connection for another request and logs the
      client's late WebSocket close frame as "Invalid HTTP method".
    """
    import socket
    import time

    from gevent import Timeout, pywsgi

    header_timeout = float(app.config["HEADER_TIMEOUT"])
    idle_timeout = float(app.config["IDLE_TIMEOUT"])
    proxied = int(app.config["TRUSTED_PROXIES"] or 0) > 0
    ceiling_here = 0 if proxied else int(app.config["CONNECTIONS_PER_ADDRESS"])
    open_now: dict[str, int] = {}  # address -> connections (one process, one gevent thread)
    logged_at: dict[str, float] = {}

    class Handler(pywsgi.WSGIHandler):
        #: connections one address may hold at once here (0: none, e.g. behind a proxy)
        ceiling = ceiling_here
        served = 0
        headers_by = 0.0
        timed_out = False

        def handle(self) -> None:
            address = _peer(self.client_address)
            if ceiling_here and open_now.get(address, 0) >= ceiling_here:
                self._refuse(address)
                return
            open_now[address] = open_now.get(address, 0) + 1
            try:
                super().handle()
            finally:
                left = open_now.get(address, 1) - 1
                if left > 0:
                    open_now[address] = left
                else:
                    open_now.pop(address, None)

        def _refuse(self, address: str) -> None:
            now = time.monotonic()
            if now - logged_at.get(address, -_CEILING_LOG_EVERY) >= _CEILING_LOG_EVERY:
                logged_at[address] = now
                print(f"{address} holds {ceiling_here} connections (CONNECTIONS_PER_ADDRESS): "
                      "further ones get 503", file=sys.stderr, flush=True)
            try:
                self.socket.settimeout(1.0)
                self.socket.sendall(_BUSY)
                self.socket.shutdown(socket.SHUT_WR)
                self.socket.recv(16384)  # what the client sent: closing with it unread resets
            except OSError:                # the connection, and the client never sees the 503
                pass
            finally:
                self.socket.close()

        def read_requestline(self) -> str:
            self.socket.settimeout(None)  # the Timeout below bounds the wait as a whole
            started = time.monotonic()
            with Timeout(idle_timeout if self.served else header_timeout, False):
                line: str = super().read_requestline()
                self.headers_by = (time.monotonic() if self.served else started) + header_timeout
                return line
            raise TimeoutError("no request in time")  # handle_one_request: close, no answer

        def read_request(self, raw_requestline: str) -> Any:
            with Timeout(max(self.headers_by - time.monotonic(), 0.001), False):
                parsed = super().read_request(raw_requestline)
                upgrade = (self.headers.get("Upgrade") or "").lower() == "websocket"
                self.socket.settimeout(None if upgrade else header_timeout)
                return parsed
            self.timed_out = True
            raise ValueError("the request's headers did not arrive in time")

        def handle_one_request(self) -> Any:
            result = super().handle_one_request()
            if self.timed_out and isinstance(result, tuple):
                return ("408", _TOO_SLOW)
            if result is True:
                self.served += 1
            return result

        def format_request(self) -> str:
            return redact(super().format_request())

        def run_application(self) -> None:
            super().run_application()
            if self.environ.get("HTTP_UPGRADE", "").lower() == "websocket":
                self.close_connection = True

    return Handler


def public_url_for(configured: str | None, host: str, port: int) -> str | None:
    """WORKSHOP_PUBLIC_URL if set; else this machine's own address when serving on
    loopback only (its LAN address would not answer); else None: the LAN address."""
    if configured:
        return configured
    if host in ("127.0.0.1", "localhost", "::1"):
        return f"http://{'[::1]' if host == '::1' else host}:{port}"
    return None


def serve(app: Flask, host: str, port: int, *, demo: bool = False, access_log: bool = False) -> int:
    from .extensions import socketio
    from .realtime import gc_policy, process, schedule

    app.config["PORT"] = port
    app.config["LISTEN_HOST"] = host  # the checklist says what to change when phones cannot reach it
    app.config["PUBLIC_URL"] = public_url_for(app.config.get("PUBLIC_URL"), host, port)
    for line in startup_banner(app, demo):
        print(line, flush=True)
    run_kwargs: dict[str, Any] = {"host": host, "port": port, "log_output": access_log}
    if app.config.get("ASYNC_MODE", "gevent") == "gevent":
        run_kwargs["handler_class"] = _handler_class(app)
        process.name_sessions(app, port)
        process.install_sigterm(app, lambda: getattr(socketio, "wsgi_server", None))
        process.start_balancer(app)
        gc_policy.start(app)
    schedule.start(app)
    socketio.run(app, **run_kwargs)
    return 0
