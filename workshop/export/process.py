"""An export's own process: it reads the workshop, builds the report and writes the file.

    python -m workshop.export.process MEMORY_MB CPU_SECONDS

Issue 14: a workshop at the file limits (50 stages x 200 items) took the server's event
loop for about a second per export before anything rendered (reading it through the
services, its results, the report, the HTML: 0.9 s; the JSON export of 25,000 ballots
1.8 s), and every phone of every workshop waited meanwhile. With ``EXPORT_RENDERER =
"process"`` (the default) the server does none of it: :func:`run` starts this module with a
small job on its stdin (what to export: a workshop's PDF, DOCX, CSV or JSON, a plan's, or
join cards, by id and language, and the few settings it needs: the database URL, the
public URL, the catalogs), waits on its pipes (cooperatively under gevent) and sends the
file on. The child opens its own read-only database connection (SQLite: a deferred
transaction, which never holds the write lock the ballots need; PostgreSQL: a read-only
session), runs the same functions the CLI and tests run in one process
(``render_export_here`` and its kin) and writes on stdout one line of JSON, then the file:

    {"mimetype": ..., "filename": ...}\\n<the file>
    {"error": {"type": "NotFound", "code": ..., "message": ..., "details": ...}}\\n

A use case's error comes back as itself (404, 409, 422 as before, in the same words). Before
it imports anything heavy the child caps its address space (MEMORY_MB, the setting
EXPORT_MEMORY_MB, for the drafts and join cards; 0 = none, for the raw data, which must be
able to hold everything) and its CPU time (EXPORT_TIMEOUT), lowers its priority, and it is
killed after EXPORT_TIMEOUT seconds: :class:`RenderFailed`, 413 ``export_too_large``.
The job is JSON (nothing is unpickled) and the database URL travels on the pipe, not in
the command line, where other users of the machine could read it.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
log = logging.getLogger(__name__)

#: what a job may ask for: a workshop's export, a plan's, a workshop's join cards
KINDS = ("workshop", "plan", "cards")
#: formats whose size is the data's: no memory ceiling, so that they can always hold everything
DATA_FORMATS = ("csv", "json", "zip")
#: the settings the child needs, copied from the server's (nothing else crosses)
SETTINGS = (
    "DATABASE_URL",
    "SQLITE_SYNCHRONOUS",
    "PUBLIC_URL",
    "PORT",
    "BABEL_TRANSLATION_DIRECTORIES",
    "BABEL_DEFAULT_LOCALE",
)


class RenderFailed(Exception):
    """The export's process ran out of time or memory, or failed."""

    def __init__(self, message: str, *, draft: bool = True) -> None:
        super().__init__(message)
        #: a plan draft or join cards (the raw data exports still hold everything), not raw data
        self.draft = draft


def apply_ceilings(memory_mb: int, cpu_seconds: int) -> None:
    """This process's ceilings: address space (MB, 0 = none), CPU seconds, a lower priority."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if cpu_seconds > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    os.nice(10)


# -- the server's side --------------------------------------------------------------------


def run(kind: str, fmt: str, **args: Any) -> tuple[bytes, str, str]:
    """The export ``kind`` (KINDS) in ``fmt`` made by a child process: (content, mimetype,
    file name). ``args`` are the ids and options of ``render_export_here`` (workshop_id,
    lang), ``render_plan_export_here`` (user_id, plan_id, lang) or ``render_join_cards_here``
    (workshop_id, group, lang). A use case's error is raised here as itself; RenderFailed
    when the child breaks a ceiling or fails."""
    import subprocess

    from flask import current_app

    from ..storage import db

    assert kind in KINDS, kind
    # the request's read transaction ends here: on SQLite it holds the write lock, which the
    # phones' ballots need while the child works (the child reads in its own transaction)
    db.session.rollback()
    config = current_app.config
    draft = fmt not in DATA_FORMATS
    memory_mb = int(config.get("EXPORT_MEMORY_MB", 1024)) if draft else 0
    timeout = float(config.get("EXPORT_TIMEOUT", 120))
    job = {"kind": kind, "format": fmt, "args": args,
           "settings": {key: config.get(key) for key in SETTINGS if key in config}}
    command = [sys.executable, "-m", __name__, str(memory_mb), str(int(timeout) + 1)]
    what = {"pdf": "PDF", "docx": "DOCX"}.get(fmt, fmt.upper())
    try:
        done = subprocess.run(command, input=json.dumps(job).encode("utf-8"), capture_output=True,  # noqa: S603 - this interpreter, our module, numbers
                              timeout=timeout, cwd=str(ROOT), check=False)
    except subprocess.TimeoutExpired as exc:
        raise RenderFailed(f"the {what} took longer than {timeout:g} s", draft=draft) from exc
    head, _, content = done.stdout.partition(b"\n")
    try:
        header = json.loads(head)
    except ValueError:
        header = None
    if done.returncode != 0 or not isinstance(header, dict):
        tail = done.stderr.decode("utf-8", "replace")[-500:]
        log.warning("%s export: its process failed (exit %s): %s", fmt, done.returncode, tail)
        raise RenderFailed(f"the {what} renderer stopped (exit status {done.returncode})", draft=draft)
    if "error" in header:
        raise _service_error(header["error"])
    return content, str(header["mimetype"]), str(header["filename"])


def _service_error(error: dict[str, Any]) -> Exception:
    """The use case's error the child met, as itself."""
    from ..services import errors

    found = getattr(errors, str(error.get("type")), None)
    if not (isinstance(found, type) and issubclass(found, errors.ServiceError)):
        found = errors.ServiceError
    return found(str(error.get("message")), error.get("details"), code=error.get("code"))


# -- the child's side ---------------------------------------------------------------------


def make(job: dict[str, Any]) -> tuple[bytes, str, str]:
    """The export a job asks for, in this process (an app context of the child's app)."""
    kind, fmt, args = job["kind"], job["format"], job["args"]
    if kind == "workshop":
        from . import render_export_here

        return render_export_here(int(args["workshop_id"]), fmt, args.get("lang"))
    if kind == "plan":
        from ..models import User
        from ..storage import db
        from .plan_exports import render_plan_export_here

        user = db.session.get(User, int(args["user_id"])) if args.get("user_id") is not None else None
        return render_plan_export_here(user, int(args["plan_id"]), fmt, args.get("lang"))
    if kind == "cards":
        from . import render_join_cards_here

        return render_join_cards_here(int(args["workshop_id"]), args.get("group"), args.get("lang"))
    raise ValueError(f"unknown export kind {kind!r}")


def child_app(settings: dict[str, Any]) -> Any:
    """The child's Flask app: templates, catalogs and a read-only database, nothing served."""
    from flask import Flask
    from flask_babel import Babel

    from ..domain.formats import DEFAULT_TIMEZONE
    from ..storage import db
    from ..storage.database import make_engine

    app = Flask("ruamkit-export", template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(settings)
    # here "thread" means this process: nothing is patched, so offload() runs the work inline
    app.config["EXPORT_RENDERER"] = "thread"
    Babel(app, timezone_selector=lambda: DEFAULT_TIMEZONE)
    db.bind(make_engine(str(settings["DATABASE_URL"]), read_only=True,
                        sqlite_synchronous=str(settings.get("SQLITE_SYNCHRONOUS") or "NORMAL")))
    return app


def main(argv: list[str]) -> int:
    apply_ceilings(int(argv[0]), int(argv[1]))
    job = json.loads(sys.stdin.buffer.read())
    from ..services.errors import ServiceError

    app = child_app(job["settings"])
    with app.app_context():
        try:
            content, mimetype, filename = make(job)
        except ServiceError as exc:
            error = {"type": type(exc).__name__, "code": exc.code, "message": exc.message,
                     "details": exc.details}
            sys.stdout.buffer.write(json.dumps({"error": error}).encode("utf-8") + b"\n")
            sys.stdout.buffer.flush()
            return 0
    sys.stdout.buffer.write(json.dumps({"mimetype": mimetype, "filename": filename}).encode("utf-8") + b"\n")
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
