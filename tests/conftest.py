"""Fixtures: a fresh app and database per test, on SQLite and on PostgreSQL.

Tests needing PostgreSQL, Redis or Chromium skip with a reason locally when
those are missing, and FAIL under CI=true, where .ci/run provides them.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.factories import Api

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
PG_ADMIN_URL = os.environ.get("WORKSHOP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def require(condition: bool, reason: str) -> None:
    """Skip locally, fail in CI: CI must never silently skip a backend."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once; each test gets a copy."""
    from workshop.storage.database import make_engine
    from workshop.storage.migrations import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    with sqlite3.connect(path) as conn:  # fold the WAL in, so copying the file is enough
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str | None]:
    """A PostgreSQL database of this test run, migrated once; dropped at the end."""
    from workshop.storage.database import make_engine
    from workshop.storage.migrations import upgrade

    try:
        admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        yield None
        print(f"PostgreSQL unavailable: {exc}")
        return
    name = f"ruamkit_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_url(name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    from workshop.models import Base
    from workshop.storage.database import make_engine

    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path, sqlite_template: Path,
                 postgres_database: str | None) -> str:
    if backend == "postgres":
        require(postgres_database is not None, "PostgreSQL is not reachable at " + PG_ADMIN_URL)
        assert postgres_database is not None
        _truncate_postgres(postgres_database)
        return postgres_database
    path = tmp_path / "workshop.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def make_app(database_url: str, instance: Path, **overrides: Any) -> Any:
    from workshop import create_app
    from workshop.config import TestConfig

    settings = {"ASYNC_MODE": "threading", "RESULTS_INTERVAL": 0, "RUN_MIGRATIONS": False}
    settings.update(overrides)
    return create_app(TestConfig(database_url, instance=instance, **settings))


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Override in a test module to change settings of the `app` fixture."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_overrides: dict[str, Any]) -> Iterator[Any]:
    application = make_app(database_url, tmp_path / "instance", **app_overrides)
    yield application
    from workshop.extensions import db

    db.session.remove()
    if db.engine is not None:
        db.engine.dispose()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def api(app: Any) -> Api:
    """An API client signed in as a facilitator."""
    return Api.signed_in(app)


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database (no schema) for one test; dropped afterwards."""
    try:
        admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        require(False, f"PostgreSQL is not reachable: {exc}")
    name = f"ruamkit_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_url(name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
