"""Settings, read once from the environment (and an optional ``.env``).

Every setting the contract names is here; tests use :class:`TestConfig`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _load_dotenv() -> None:
    env_file = ROOT / ".env"
    if env_file.exists():
        from dotenv import load_dotenv

        load_dotenv(env_file, override=False)


def _persistent_secret(instance: Path) -> str:
    """A secret key generated on first start and kept in ``instance/``."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def lan_address() -> str:
    """This machine's LAN address (no packet is sent: UDP connect only picks a route)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1, never routed anywhere
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def default_channel(secret_key: str) -> str:
    """``ruamkit-`` and 16 hex digits derived from the secret key (never the key itself)."""
    digest = hmac.new(secret_key.encode(), b"ruamkit message queue channel", hashlib.sha256)
    return "ruamkit-" + digest.hexdigest()[:16]


class Config:
    """Production settings from ``WORKSHOP_*`` environment variables."""

    TESTING = False

    def __init__(self, *, keep_secret: bool = True) -> None:
        """``keep_secret``: with no WORKSHOP_SECRET_KEY, generate one into the instance folder."""
        _load_dotenv()
        self.INSTANCE_PATH = Path(os.environ.get("WORKSHOP_INSTANCE", INSTANCE))
        self.DATABASE_URL = os.environ.get(
            "WORKSHOP_DATABASE_URL", f"sqlite:///{self.INSTANCE_PATH / 'workshop.db'}"
        )
        self.MESSAGE_QUEUE = os.environ.get("WORKSHOP_MESSAGE_QUEUE") or None
        self.SECRET_KEY = os.environ.get("WORKSHOP_SECRET_KEY") or (
            _persistent_secret(self.INSTANCE_PATH) if keep_secret else ""
        )
        #: pub/sub channel on the message queue. Redis channels ignore the db number, so two
        #: deployments on one Redis must differ here: by default it comes from the secret key,
        #: which every process of one deployment shares and no other deployment has.
        self.MESSAGE_QUEUE_CHANNEL = (os.environ.get("WORKSHOP_MESSAGE_QUEUE_CHANNEL")
                                      or default_channel(self.SECRET_KEY))
        #: seconds between two load checks of the processes sharing the message queue (0 = none):
        #: a process far above the average asks a few of its sockets to reconnect elsewhere
        self.BALANCE_INTERVAL = float(os.environ.get("WORKSHOP_BALANCE_INTERVAL", "10"))
        #: sockets identified at once (the rest wait their turn, holding no database connection)
        self.CONNECT_CONCURRENCY = int(os.environ.get("WORKSHOP_CONNECT_CONCURRENCY", "8"))
        #: on SIGTERM: seconds to wait for ballots in flight before closing the sockets
        self.DRAIN_TIMEOUT = float(os.environ.get("WORKSHOP_DRAIN_TIMEOUT", "10"))
        #: run.py serve (gevent): full garbage collections in quiet moments, at the latest every
        #: this many seconds (realtime/gc_policy.py); 0 = CPython's automatic ones
        self.GC_MAX_INTERVAL = float(os.environ.get("WORKSHOP_GC_MAX_INTERVAL", "60"))
        #: base URL put in QR codes and printed join links; None = LAN address and port
        self.PUBLIC_URL = (os.environ.get("WORKSHOP_PUBLIC_URL") or "").rstrip("/") or None
        #: SQLite durability: NORMAL survives a killed process (WAL); FULL also a power cut
        self.SQLITE_SYNCHRONOUS = os.environ.get("WORKSHOP_SQLITE_SYNCHRONOUS", "NORMAL")
        #: Origins allowed to open a socket besides the page's own host ("*" = any)
        self.CORS_ORIGINS = [
            o for o in os.environ.get("WORKSHOP_CORS_ORIGINS", "").split(",") if o
        ]
        self.API_TOKEN_DAYS = int(os.environ.get("WORKSHOP_API_TOKEN_DAYS", "30"))
        #: seconds between results broadcasts of one stage (at most 4 a second)
        self.RESULTS_INTERVAL = float(os.environ.get("WORKSHOP_RESULTS_INTERVAL", "0.25"))
        #: seconds between two checks of this process's facilitator sockets (0 = none)
        self.SIGNOUT_SWEEP = float(os.environ.get("WORKSHOP_SIGNOUT_SWEEP", "2"))
        #: seconds between two checks of the stages' voting windows (opens_at / closes_at; 0 = none)
        self.SCHEDULE_INTERVAL = float(os.environ.get("WORKSHOP_SCHEDULE_INTERVAL", "5"))
        #: a helper kiosk untouched this many seconds asks "Still there?"; unanswered for
        #: KIOSK_PROMPT_SECONDS more, it starts again for the next person (static/js/kiosk.js)
        self.KIOSK_IDLE_SECONDS = int(os.environ.get("WORKSHOP_KIOSK_IDLE_SECONDS", "90"))
        self.KIOSK_PROMPT_SECONDS = int(os.environ.get("WORKSHOP_KIOSK_PROMPT_SECONDS", "20"))
        #: group commit: at most this many phone ballots in one transaction (0 = one at a time)
        self.BALLOT_BATCH = int(os.environ.get("WORKSHOP_BALLOT_BATCH", "256"))
        #: ballots kept in memory for results, all stages together (services.tallies); 0 = read
        #: them from the database at every push. Used by one process only: never with a message queue
        self.RESULTS_MEMORY = int(os.environ.get("WORKSHOP_RESULTS_MEMORY", "50000"))
        #: a greenlet per socket event (1) or events handled in the socket's own greenlet (0)
        self.SOCKET_ASYNC_HANDLERS = os.environ.get("WORKSHOP_SOCKET_ASYNC_HANDLERS", "0") == "1"
        self.RUN_MIGRATIONS = True
        self.MAX_CONTENT_LENGTH = 2 * 1024 * 1024
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_NAME = "ruamkit"
        self.PERMANENT_SESSION_LIFETIME = 60 * 60 * 24 * 30
        self.WTF_CSRF_TIME_LIMIT = None  # a workshop day is long; the token lives with the session
        self.BABEL_DEFAULT_LOCALE = "th"
        #: one catalog folder per area (console, live, export, ...), merged by Flask-Babel
        self.BABEL_TRANSLATION_DIRECTORIES = ";".join(
            str(p) for p in sorted((ROOT / "translations").glob("*")) if p.is_dir()
        )
        self.COMPRESS_MIMETYPES = [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml", "text/csv",
        ]
        self.COMPRESS_ALGORITHM = ["gzip"]
        #: static files are streamed; without gzip here a gzip-only phone gets them uncompressed
        self.COMPRESS_ALGORITHM_STREAMING = ["gzip", "deflate"]
        self.COMPRESS_MIN_SIZE = 500
        #: per-participant and per-address limits (on unless WORKSHOP_RATE_LIMITS=0; tests only)
        self.RATE_LIMITS = os.environ.get("WORKSHOP_RATE_LIMITS", "1") != "0"
        #: exports rendered at once (the rest get 429 with Retry-After); 0 = 1 on SQLite, else 2
        self.EXPORTS_AT_ONCE = int(os.environ.get("WORKSHOP_EXPORTS_AT_ONCE", "0"))
        #: PDF and DOCX rendering: "process" (a child process with the ceilings below) or "thread"
        self.EXPORT_RENDERER = os.environ.get("WORKSHOP_EXPORT_RENDERER", "process")
        #: ceilings of one PDF or DOCX render: address space in MB, and seconds
        self.EXPORT_MEMORY_MB = int(os.environ.get("WORKSHOP_EXPORT_MEMORY_MB", "1024"))
        self.EXPORT_TIMEOUT = float(os.environ.get("WORKSHOP_EXPORT_TIMEOUT", "120"))
        #: workshop bodies over 16 KB are checked in worker processes (services.bodies): how
        #: many per server process (0 = in the server process), and each one's ceilings:
        #: address space in MB, and seconds per body
        self.CHECK_WORKERS = int(os.environ.get("WORKSHOP_CHECK_WORKERS", "1"))
        self.CHECK_MEMORY_MB = int(os.environ.get("WORKSHOP_CHECK_MEMORY_MB", "512"))
        self.CHECK_TIMEOUT = float(os.environ.get("WORKSHOP_CHECK_TIMEOUT", "10"))
        #: the served connection's guards (cli._handler_class): seconds for a request's line and
        #: headers to arrive (and for each piece of a body), seconds a keep-alive connection may
        #: wait for its next request, and connections one address may hold at once (0 = no
        #: ceiling; not applied behind a trusted proxy, which keeps its own: deploy/)
        self.HEADER_TIMEOUT = float(os.environ.get("WORKSHOP_HEADER_TIMEOUT", "10"))
        self.IDLE_TIMEOUT = float(os.environ.get("WORKSHOP_IDLE_TIMEOUT", "30"))
        self.CONNECTIONS_PER_ADDRESS = int(os.environ.get("WORKSHOP_CONNECTIONS_PER_ADDRESS", "2000"))
        #: behind a reverse proxy: how many proxies' X-Forwarded-* headers to trust (0 = none)
        self.TRUSTED_PROXIES = int(os.environ.get("WORKSHOP_TRUSTED_PROXIES", "0"))
        #: the session cookie's Secure flag: auto (when the request came over HTTPS, directly or
        #: through a trusted proxy's X-Forwarded-Proto), 1 (always), 0 (never: a plain-HTTP LAN)
        self.COOKIE_SECURE = os.environ.get("WORKSHOP_COOKIE_SECURE", "auto")

    def as_flask(self) -> dict[str, object]:
        return {k: v for k, v in vars(self).items() if k.isupper()}


class TestConfig(Config):
    """Settings for tests: a database the test names, no migrations skipped."""

    TESTING = True

    def __init__(self, database_url: str, instance: Path | None = None, **overrides: object) -> None:
        super().__init__(keep_secret=False)  # nothing written into the project's instance/
        if instance is not None:
            self.INSTANCE_PATH = instance
        self.DATABASE_URL = database_url
        self.SECRET_KEY = "test-secret-key"
        self.MESSAGE_QUEUE = None
        self.PUBLIC_URL = "http://ruamkit.test"
        self.WTF_CSRF_ENABLED = True
        self.SIGNOUT_SWEEP = 0.0  # tests call realtime.signout.sweep() themselves
        #: tests create hundreds of accounts: a cheap hash there (production: scrypt, never set)
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
        self.SCHEDULE_INTERVAL = 0.0  # tests call realtime.schedule.check() themselves
        #: WeasyPrint in the test process, where its fetches can be watched (live-server tests
        #: and tests/security/test_trust.py use the child process)
        self.EXPORT_RENDERER = "thread"
        for key, value in overrides.items():
            setattr(self, key, value)
