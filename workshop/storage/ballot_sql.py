"""The ballot writer's SQL: statements built once per dialect, run as the driver's own SQL.

Shared by the session's batch (``ballot_writer.BallotBatch``) and the SQLite writer's
own connection (``sqlite_ballots``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from ..models import Ballot, BallotReceipt, Stage, Workshop


def upsert(dialect: str, *, version_given: bool = False) -> Any:
    """A phone ballot's upsert. By default the version counts on in the database and is
    returned (``RETURNING``); ``version_given``: the caller knows it (the SQLite writer's
    memory), the statement returns nothing and runs as one ``executemany``."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    b = bindparam
    statement = insert(Ballot).values(
        stage_id=b("stage_id"),
        participant_id=b("participant_id"),
        group_key=b("group_key"),
        choices=b("choices", type_=Ballot.__table__.c.choices.type),
        source="phone",
        channel=b("channel"),
        version=b("version") if version_given else 1,
        created_at=b("now", type_=Ballot.__table__.c.created_at.type),
        updated_at=b("now", type_=Ballot.__table__.c.updated_at.type),
    )
    done = statement.on_conflict_do_update(
        index_elements=["stage_id", "participant_id"],
        set_={
            "choices": statement.excluded.choices,
            "updated_at": statement.excluded.updated_at,
            "channel": statement.excluded.channel,  # where it was cast last
            "version": statement.excluded.version if version_given else Ballot.version + 1,
        },
    )
    return done if version_given else done.returning(Ballot.version)


class Statements:
    """The hot path's SQL, built once per dialect (building it costs more than running it)."""

    def __init__(self, dialect: str) -> None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        b = bindparam
        self.upsert = upsert(dialect)
        # Simple equality lookups only: their compiled form is cached, unlike IN (...) lists.
        # the projector key with the revision: random, never changed, so a workshop made with a
        # deleted one's id (SQLite reuses the newest row's id) is never taken for it
        self.revision = select(Workshop.revision, Workshop.projector_key).where(
            Workshop.id == b("workshop_id"))
        self.stages_of = select(Stage.key, Stage.id, Stage.state, Stage.opened_by).where(
            Stage.workshop_id == b("workshop_id"))
        self.add_receipts = (
            insert(BallotReceipt)
            .values(
                participant_id=b("participant_id"),
                stage_id=b("stage_id"),
                ballot_id=b("ballot_id"),
                version=b("version"),
                created_at=b("now", type_=BallotReceipt.__table__.c.created_at.type),
            )
            .on_conflict_do_nothing(index_elements=["participant_id", "ballot_id"])
        )


@lru_cache(maxsize=4)
def statements(dialect: str) -> Statements:
    return Statements(dialect)


class DriverSQL:
    """A Core statement compiled once into the driver's own SQL, run on the DB-API cursor.

    A burst runs the same three statements thousands of times; SQLAlchemy's
    execution machinery (parameter building, result objects, events) costs
    several times the statement itself. The statement is still defined with
    SQLAlchemy above, compiled for this dialect (with its casts and value
    processors), and runs inside the session's own transaction.
    """

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order: list[str] | None = list(compiled.positiontup) if compiled.positiontup else None
        binds = compiled.binds
        self.defaults = {name: bind.effective_value for name, bind in binds.items() if not bind.required}
        self.processors = [
            (name, proc) for name, bind in binds.items()
            if (proc := bind.type.dialect_impl(dialect).bind_processor(dialect))
        ]

    def args(self, params: dict[str, Any], processed: dict[str, Any] | None = None) -> Any:
        """The driver's parameters; ``processed``: values given already in the driver's form
        (a batch's one ``now``, formatted once instead of once per row)."""
        values = {**self.defaults, **params}
        for name, proc in self.processors:
            if processed is None or name not in processed:
                values[name] = proc(values[name])
        if processed:
            values.update(processed)
        return values if self.order is None else tuple(values[name] for name in self.order)

    def process(self, name: str, value: Any) -> Any:
        """``value`` in the driver's form for the parameter ``name``."""
        for bound, proc in self.processors:
            if bound == name:
                return proc(value)
        return value

    def one(self, cursor: Any, params: dict[str, Any]) -> Any:
        """The first column of the first row, or None."""
        cursor.execute(self.sql, self.args(params))
        row = cursor.fetchone()
        return None if row is None else row[0]

    def many(self, cursor: Any, rows: list[dict[str, Any]]) -> None:
        cursor.executemany(self.sql, [self.args(params) for params in rows])


def in_list(dialect: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`` = ANY(%s)`` with one array on PostgreSQL (one prepared statement for every
    batch size), ``IN (?, ?, ...)`` on SQLite: the SQL and its parameters."""
    if dialect == "postgresql":
        return " = ANY(%s)", [list(values)]
    return f" IN ({', '.join('?' * len(values))})", list(values)
