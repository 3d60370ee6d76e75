"""The declarative base, shared column types and the database handle."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from portal.search import register_sqlite_functions

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC. Refuses naive datetimes instead of guessing their zone.

    SQLite has no time zones, so values read back are re-tagged as UTC. PostgreSQL connections run in UTC
    (``_postgresql_in_utc``), so their values come back in UTC already and are passed through untouched.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is UTC:
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


_PREPARED: dict[Hashable, Any] = {}


def prepared(key: Hashable, build: Callable[[], Any]) -> Any:
    """The statement ``build`` makes, made once per process and kept under ``key``: building a large SELECT
    (joins, aliases, subqueries) costs several times what running it does, and a statement made once also keeps
    its cache key. Its varying parts must be ``bindparam``s, given to ``read`` at each call."""
    statement = _PREPARED.get(key)
    if statement is None:
        statement = _PREPARED.setdefault(key, build())
    return statement


def read(session: Any, statement: Any, params: dict[str, Any] | None = None) -> Any:
    """Run a read (a Core SELECT of columns, no ORM entities) on the session's connection and transaction,
    without the ORM's layer: what a page lists comes back as plain rows."""
    session.flush()  # as the ORM would before a query: a read sees this unit of work's own changes
    return session.connection().execute(statement, params or {})


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic renders our UTC type as a plain aware DateTime, so migrations never import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, and let SQLAlchemy (not pysqlite) open transactions so SAVEPOINTs work."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
        register_sqlite_functions(dbapi_connection)  # tnw_fold, as PostgreSQL has it from the migrations


@event.listens_for(Engine, "do_connect")
def _postgresql_in_utc(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    """PostgreSQL sessions in UTC: instants come back in UTC, with nothing to convert on each value read."""
    if dialect.name == "postgresql":
        options = cparams.get("options", "")
        if "timezone" not in options.lower():
            cparams["options"] = f"{options} -c TimeZone=UTC".strip()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    """SQLite has no row locks: each transaction takes the write lock up front (BEGIN IMMEDIATE),
    so read-then-write use cases are serialised instead of failing with a lock upgrade deadlock.
    PostgreSQL uses SELECT ... FOR UPDATE on the rows instead (see ``lock_row``)."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def lock_row(session: Any, obj: Any) -> None:
    """Re-read ``obj`` under a row lock, so a check-then-write sees the latest committed state.

    Only ``obj``'s own row is locked (FOR UPDATE OF its table): PostgreSQL refuses to lock the nullable side of an
    outer join, which an eagerly loaded optional relation adds (a coordinator's request has no member yet)."""
    session.refresh(obj, with_for_update={"of": type(obj)})
