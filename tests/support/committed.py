"""For the few tests that must commit for real (concurrency): wipe every table afterwards."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.support.append_only import rewritable


def wipe_all(engine: Engine) -> None:
    from portal.db import db

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with rewritable(conn):  # the append-only tables refuse TRUNCATE too (a statement trigger)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:  # TRUNCATE fires no row trigger; SQLite's DELETE would, on the append-only tables
            with rewritable(conn):
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())
