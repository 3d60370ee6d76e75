"""The declarative base, shared column types and the database handle."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An instant stored in UTC. Refuses naive datetimes instead of guessing their zone.

    SQLite has no time zones, so values read back are re-tagged as UTC.
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
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


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
