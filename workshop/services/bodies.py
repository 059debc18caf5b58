"""Workshop bodies from outside (the API's JSON, workshop files): read and checked.

A small body is checked here. A large one (over ``LARGE_BODY``) is checked in a worker
process (:mod:`..adapters.workers`): pydantic holds the GIL from start to end, and a
facilitator posting 203 KB bodies of 16,000 unknown fields back to back held the event loop
84 ms a body, lifting honest phones' acknowledgement p95 9.4-fold (issue 14, abuse
benchmark ``body``). The worker runs exactly the checks made here and sends back the
checked definition or the same error, so the answer (201, or 400/422 with the same problem
document) does not depend on where it was checked. With every worker busy and the waiting
line full, or while the same account's previous large body is still being checked (one at
a time per account: :class:`AccountBusy`), 429 ``busy`` with Retry-After; a body that
breaks the worker's time or memory ceiling (or whose worker stopped), 413 ``too_large``
(:class:`CheckFailed`): its message says nothing of the worker, which goes to the server's
log with its exit status.

    python -m workshop.services.bodies MEMORY_MB    # a worker (started by the server)

``WORKSHOP_CHECK_WORKERS`` (default 1 per server process; 0: check everything here),
``WORKSHOP_CHECK_MEMORY_MB`` (default 512) and ``WORKSHOP_CHECK_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import atexit
import logging
import sys
import threading
from dataclasses import dataclass
from typing import Any

from ..adapters import workers
from ..domain import inbound
from ..domain.definition import WorkshopDefinition
from ..domain.workshop_file import DefinitionError, load_json_text, load_workshop_text
from .errors import Invalid, ServiceError, TooLarge

#: bodies up to this size are checked in the server process (a few milliseconds at most)
LARGE_BODY = 16 * 1024
#: seconds a refused body is told to wait (a large body is checked in well under a second)
RETRY_AFTER = 2

log = logging.getLogger(__name__)


class Busy(ServiceError):
    """Every checking worker is taken and the line is full: 429 with Retry-After."""

    status = 429
    code = "busy"
    retry_after = RETRY_AFTER


class AccountBusy(Busy):
    """The account already has a large body being checked (or waiting): 429 with Retry-After.
    One at a time per account, so one account cannot fill the line and hold back the others'
    large saves with bodies that fail their checks (those count nothing against its budget)."""


class CheckFailed(TooLarge):
    """A large body broke its worker's time or memory ceiling, or the worker stopped: 413
    ``too_large``. Why (exit status, exception) is in the server's log, not in the message."""

    def __init__(self) -> None:
        super().__init__("the workshop could not be checked within the server's time and memory "
                         "limits: make it smaller, or try again later")


@dataclass
class Checked:
    """A checked workshop body: its definition, or the Invalid it gets; for an edit, also the
    revision it was based on (a stale revision is answered before the body's mistakes)."""

    definition: WorkshopDefinition | None
    revision: int | None = None
    invalid: Invalid | None = None

    def result(self) -> WorkshopDefinition:
        if self.invalid is not None:
            raise self.invalid
        assert self.definition is not None
        return self.definition


def decode_json(raw: bytes) -> dict[str, Any]:
    """A JSON object from a request body, or a clear 400 (``bad_json``) / 422."""
    if not raw:
        raise ServiceError("the request has no JSON body", code="bad_json")
    try:
        data = load_json_text(raw)
    except DefinitionError as exc:  # a key given twice: which value was meant?
        raise Invalid(str(exc).splitlines()[0], details=exc.errors) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ServiceError(f"malformed JSON: {exc}", code="bad_json") from exc
    except RecursionError as exc:  # 5,000 levels: Python's decoder gives up (was a 500)
        raise ServiceError(f"malformed JSON: nested more than {inbound.MAX_DEPTH} levels deep",
                           code="bad_json") from exc
    found = inbound.problem(data)  # once, at the boundary (issue 14)
    if found is not None:
        if found.kind == "too_deep":
            raise ServiceError(f"malformed JSON: {found.message}", code="bad_json")
        raise Invalid(found.message)
    if not isinstance(data, dict):
        raise ServiceError("the JSON body must be an object", code="bad_json")
    return data


def check_json(raw: bytes, *, edit: bool) -> Checked:
    """A workshop object (POST) or an edit of one (PUT: with its ``revision``), checked here."""
    from .editing import base_revision, workshop_object
    from .workshops import parse_definition

    data = decode_json(raw)
    if not edit:
        return Checked(parse_definition(data))
    revision = base_revision(data)
    try:
        return Checked(parse_definition(workshop_object(data)), revision)
    except Invalid as exc:
        return Checked(None, revision, exc)


def check_text(text: str | bytes, filename: str = "") -> WorkshopDefinition:
    """A workshop file (YAML, or JSON), checked here."""
    from .workshops import definition_error

    try:
        definition = load_workshop_text(text, filename=filename)
    except DefinitionError as exc:
        raise definition_error(exc) from exc
    found = inbound.problem(definition)  # a file is text from outside, like a request
    if found is not None:
        raise Invalid(f"the file cannot be taken: {found.message}")
    return definition


def workshop_json(raw: bytes, *, edit: bool) -> Checked:
    """:func:`check_json`, in a worker when the body is large."""
    if len(raw) <= LARGE_BODY or _pool() is None:
        return check_json(raw, edit=edit)
    checked: Checked = _in_worker(("json", raw, edit))
    return checked


def large(size: int) -> bool:
    """Whether a body of ``size`` bytes is checked in a worker (when workers are on)."""
    return size > LARGE_BODY and _pool() is not None


def workshop_text(text: str | bytes, filename: str = "") -> WorkshopDefinition | None:
    """:func:`check_text` in a worker when the file is large; None when it is not (the caller
    reads it where it reads small files)."""
    if not large(len(text)):
        return None
    definition: WorkshopDefinition = _in_worker(("text", text, filename))
    return definition


_POOL_LOCK = threading.Lock()
_POOLS: dict[tuple[int, int, float], workers.WorkerPool] = {}
#: accounts with a large body in this process's pool (running or waiting): one each
_CHECKING: set[int] = set()


def _pool() -> workers.WorkerPool | None:
    """This process's checking workers for the app's settings; None when off (0 workers)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return None
    config = current_app.config
    size = int(config.get("CHECK_WORKERS", 1))
    if size <= 0:
        return None
    key = (size, int(config.get("CHECK_MEMORY_MB", 512)), float(config.get("CHECK_TIMEOUT", 10.0)))
    with _POOL_LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            pool = _POOLS[key] = workers.WorkerPool(__name__, size=key[0], waiting=2 * key[0],
                                                    memory_mb=key[1], timeout=key[2])
            atexit.register(pool.close)
    return pool


def _in_worker(job: tuple[Any, ...]) -> Any:
    pool = _pool()
    assert pool is not None
    account = _account()
    with _POOL_LOCK:
        if account is not None and account in _CHECKING:
            raise AccountBusy("a large workshop from this account is still being checked: "
                              "wait for its answer, then send the next")
        if account is not None:
            _CHECKING.add(account)
    try:
        return _checked_by(pool, job)
    finally:
        if account is not None:
            with _POOL_LOCK:
                _CHECKING.discard(account)


def _account() -> int | None:
    """The signed-in account of the request (the API's bearer or the console's session)."""
    from flask import g, has_request_context

    user = g.get("user") if has_request_context() else None
    account = getattr(user, "id", None)
    return account if isinstance(account, int) else None


def _checked_by(pool: workers.WorkerPool, job: tuple[Any, ...]) -> Any:
    from ..storage import db

    # the request's reads end before the wait: on SQLite every transaction holds the write
    # lock, and the phones' ballots would wait behind this check
    db.session.commit()
    try:
        return pool.call(job)
    except workers.Busy as exc:
        raise Busy("the server is checking other large workshops: try again in a few seconds") from exc
    except workers.WorkerFailed as exc:
        log.warning("a large workshop could not be checked in a worker: %s", exc, exc_info=True)
        raise CheckFailed from exc


def _handle(job: tuple[Any, ...]) -> Any:
    """A worker's job: ``("json", raw, edit)`` or ``("text", text, filename)``."""
    kind, *args = job
    if kind == "json":
        return check_json(args[0], edit=args[1])
    if kind == "text":
        return check_text(args[0], args[1])
    raise ValueError(f"unknown job {kind!r}")


def main(argv: list[str]) -> int:
    from . import editing, workshops  # everything a job needs, before the ceiling  # noqa: F401

    workers.cap_memory(int(argv[0]) if argv else 0)
    return workers.serve(_handle, answers=(ServiceError,))


if __name__ == "__main__":
    # by its own name, so that what it sends (Checked, the errors) unpickles in the server
    from workshop.services.bodies import main as worker_main

    sys.exit(worker_main(sys.argv[1:]))
