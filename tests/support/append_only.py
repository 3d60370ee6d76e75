"""For tests that must rewrite an append-only table (to tamper with the ledger, or to empty the database):
the database's refusing triggers are lifted for the time of a ``with`` block, inside the caller's transaction,
and put back exactly as the migration made them (their definitions are read from the database itself). The
database's DDL is transactional: should the block fail, the caller's rollback brings the triggers back too."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

APPEND_ONLY_TABLES = ("ledger_entries", "voucher_usage")


def trigger_names(connection: Connection | Session) -> list[tuple[str, str]]:
    """(table, trigger) for every trigger the append-only tables have."""
    if _dialect(connection) == "postgresql":
        rows = connection.execute(text(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relname IN ('ledger_entries', 'voucher_usage') ORDER BY 1, 2"))
    else:
        rows = connection.execute(text(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name IN ('ledger_entries', 'voucher_usage') ORDER BY 1, 2"))
    return [(table, name) for table, name in rows]


def _dialect(connection: Connection | Session) -> str:
    bind = connection if isinstance(connection, Connection) else connection.get_bind()
    return bind.dialect.name


def _flush(connection: Connection | Session) -> None:
    """What a session changed inside the block is written before the triggers are back."""
    if not isinstance(connection, Connection):
        connection.flush()


@contextmanager
def rewritable(connection: Connection | Session) -> Iterator[None]:
    """Within the block, UPDATE and DELETE on the append-only tables go through (in this transaction only)."""
    if _dialect(connection) == "postgresql":
        triggers = trigger_names(connection)
        for table, name in triggers:
            connection.execute(text(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"'))
        yield
        _flush(connection)
        for table, name in triggers:
            connection.execute(text(f'ALTER TABLE {table} ENABLE TRIGGER "{name}"'))
        return
    definitions = list(connection.execute(text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
        "AND tbl_name IN ('ledger_entries', 'voucher_usage') ORDER BY name")))
    for name, _sql in definitions:
        connection.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    _flush(connection)
    for _name, sql in definitions:
        connection.execute(text(sql))
