"""Seeding at the national scale of DOMAIN.md, in minutes, into the migrated schema, every constraint checked.

BENCH_SCALE=1 is two years of the fund at the scale DOMAIN.md designs for: 500,000 beneficiaries, 100,000 vouchers
and 50,000 employer declarations a year (so 200,000 vouchers and 100,000 declarations), 5,000 coaches, 550
providers, and about 2,000,000 sessions. Two years, because 2M sessions need them: a voucher pays for 12 units
(EUR 150 each) at most, about ten sessions, so one year's 100,000 vouchers could not have had 2M sessions.

Rows are built in Python (bench/national_people.py, national_vouchers.py, national_sessions.py, national_money.py)
and written with COPY (binary, psycopg 3) in one transaction, in foreign-key order, into the schema the migrations
made. Every index (unique ones included), CHECK constraint, the exclusion constraint against double-booked coaches
and the append-only triggers stay in place and hold while loading. One thing is done differently, as PostgreSQL's
manual advises for bulk loads ("Populating a Database: Remove Foreign Key Constraints"): the foreign keys of the
seven largest tables are dropped inside the seeding's transaction and added back, by the very definitions
``pg_get_constraintdef`` gave, before it commits; adding a foreign key checks every row at once (one join instead
of one lookup per row), the seeding verifies the definitions came back identical, and no other session ever sees
the tables without them (the DDL is part of the transaction). BENCH_FK_AFTER=0 keeps them and checks row by row
(1.7 to 2 times the PostgreSQL CPU).

The data is consistent: every voucher's usage stays within its mix and value, and the ledger agrees with the
vouchers, claims, contributions and bank lines (``flask --app portal check-ledger`` finds nothing; the test
tests/test_seed_national.py checks it at a tiny scale). Then sequences, VACUUM ANALYZE, and a mark on the database
(``COMMENT ON DATABASE``) so that a later run can reuse it.

    .venv/bin/python bench/seed_national.py                       # BENCH_SCALE=1 into bench_national (made afresh)
    BENCH_SCALE=0.1 .venv/bin/python bench/seed_national.py other  # another scale, another database
    BENCH_REUSE_DB=bench_national BENCH_SCALE=1 .venv/bin/python bench/load_bench.py  # the load run, no reseeding

BENCH_YEARS (2) sets the years of operation; BENCH_PG the PostgreSQL server. Prints each step's time, the row
count of each table and the total.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import SERVER, drop_database
from bench.national_people import (
    ADMIN_EMAIL,
    BENEFICIARY_COLUMNS,
    EMPLOYER_EMAIL,
    USER_COLUMNS,
    Sizes,
    World,
    assign_coaches,
    beneficiaries,
    coaches,
    market,
    name_pools,
    staff_users,
)

MARK = "tnw national seed"
CHEAP_HASHES = {"ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}}
#: Tables whose ids the seeding writes itself: their sequences are moved past them afterwards.
NUMBERED = ("providers", "offers", "employers", "users", "beneficiaries", "voucher_requests", "vouchers", "coaches",
            "coaching_sessions", "session_seats", "claims", "dismissal_declarations", "contributions",
            "bank_statements", "bank_lines")
#: Their foreign keys are checked once, after loading (``foreign_keys_checked_after``).
LARGEST = ("coaching_sessions", "session_seats", "voucher_usage", "claims", "claim_lines", "ledger_entries",
           "audit_log")
AUDIT_COLUMNS = ["at", "actor_id", "object_type", "object_id", "action", "from_state", "to_state", "reason"]


class CopySink:
    """Writes rows with COPY ... FROM STDIN (FORMAT BINARY) on a psycopg 3 connection, in its transaction."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.types: dict[str, dict[str, int]] = {}

    def write(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        if table not in self.types:
            self.types[table] = dict(self.connection.execute(
                "SELECT attname, atttypid::int FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                "AND NOT attisdropped", (table,)).fetchall())
        count = 0
        with self.connection.cursor() as cursor, \
                cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([self.types[table][column] for column in columns])
            for row in rows:
                copy.write_row(row)
                count += 1
        return count


class TableSink:
    """Writes rows with multi-row INSERTs through SQLAlchemy (any engine, SQLite included), in its transaction."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def write(self, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> int:
        from portal.db import db

        target, count, chunk = db.metadata.tables[table], 0, []
        for row in rows:
            chunk.append(dict(zip(columns, row, strict=True)))
            if len(chunk) == 2_000:
                count += len(chunk)
                self.connection.execute(target.insert(), chunk)
                chunk = []
        if chunk:
            self.connection.execute(target.insert(), chunk)
        return count + len(chunk)


def sink_for(connection: Any) -> CopySink | TableSink:
    """COPY on PostgreSQL (through the SQLAlchemy connection's own psycopg connection), INSERTs elsewhere."""
    if connection.dialect.name == "postgresql":
        return CopySink(connection.connection.driver_connection)
    return TableSink(connection)


@contextmanager
def timed(label: str, say: Callable[[str], None]):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    yield
    say(f"  {label}: {time.perf_counter() - started:.1f} s")


def seed(sink: Any, sizes: Sizes, *, today: date, now: datetime, password_hash: str,
         say: Callable[[str], None] = print) -> dict[str, int]:
    """Everything, written through ``sink`` into empty tables of the migrated schema; the rows written per table."""
    from bench.national_money import (
        ALLOCATION_COLUMNS,
        CONTRIBUTION_COLUMNS,
        DECLARATION_COLUMNS,
        EMPLOYER_COLUMNS,
        LINE_COLUMNS,
        PAYMENT_COLUMNS,
        STATEMENT_COLUMNS,
        Money,
    )
    from bench.national_sessions import (
        CLAIM_COLUMNS,
        LEDGER_COLUMNS,
        SEAT_COLUMNS,
        SESSION_COLUMNS,
        USAGE_COLUMNS,
        Claims,
        Sessions,
    )
    from bench.national_sessions import LINE_COLUMNS as CLAIM_LINE_COLUMNS
    from bench.national_vouchers import (
        REQUEST_COLUMNS,
        VOUCHER_COLUMNS,
        Planner,
        Requests,
    )

    world = World(sizes, today, now, password_hash)
    counts: dict[str, int] = {}
    ledger: list[tuple[Any, ...]] = []

    def put(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        counts[table] = counts.get(table, 0) + sink.write(table, columns, rows)

    with timed("providers, contact points, catalogue, offers; employers", say):
        name_pools(world)
        for table, (columns, rows) in market(world).items():
            put(table, columns, rows)
        money = Money(world, ledger)
        put("employers", EMPLOYER_COLUMNS, money.employer_rows())
    with timed("courses planned: coaches' lanes, vouchers' sessions as of today", say):
        assign_coaches(world)
        courses = Planner(world).courses()
        requests = Requests(world)
        vouchers = requests.for_courses(courses)
        requests.others(sizes.vouchers + 1)
    with timed("users and beneficiaries, requests, vouchers, coaches", say):
        users, people = beneficiaries(world)
        put("users", USER_COLUMNS, users + staff_users(world))
        put("beneficiaries", BENEFICIARY_COLUMNS, people)
        del users, people
        put("voucher_requests", REQUEST_COLUMNS, requests.rows)
        put("vouchers", VOUCHER_COLUMNS, vouchers)
        for table, (columns, rows) in coaches(world).items():
            put(table, columns, rows)
    with timed("sessions, seats, usage ledger", say):
        sessions = Sessions(world, courses)
        put("coaching_sessions", SESSION_COLUMNS, sessions.session_rows())
        put("session_seats", SEAT_COLUMNS, sessions.seat_rows())
        put("voucher_usage", USAGE_COLUMNS, sessions.usage_rows())
    with timed("claims and their lines", say):
        claims = Claims(world, courses, sessions.claimable, ledger)
        del sessions
        put("claims", CLAIM_COLUMNS, claims.claim_rows())
        put("claim_lines", CLAIM_LINE_COLUMNS, claims.line_rows())
        del claims, courses
    with timed("declarations, contributions, payments, bank statements and lines", say):
        declarations, contributions = money.declarations()
        put("dismissal_declarations", DECLARATION_COLUMNS, declarations)
        put("contributions", CONTRIBUTION_COLUMNS, contributions)
        money.unmatched()
        money.bank_lines()
        money.funding()
        put("bank_statements", STATEMENT_COLUMNS, money.statement_rows())
        put("bank_lines", LINE_COLUMNS, money.lines)
        put("bank_line_allocations", ALLOCATION_COLUMNS, money.allocations)
        put("contribution_payments", PAYMENT_COLUMNS, money.payments)
    with timed("ledger and audit log, in the order things happened", say):
        ledger.sort(key=lambda entry: (entry[0], entry[1]))
        put("ledger_entries", LEDGER_COLUMNS, ledger)
        del ledger
        requests.audit.sort(key=lambda entry: entry[0])
        put("audit_log", AUDIT_COLUMNS, requests.audit)
    return counts


def sizes_from_environment() -> Sizes:
    return Sizes(float(os.environ.get("BENCH_SCALE", "1")), int(os.environ.get("BENCH_YEARS", "2")))


def mark_of(sizes: Sizes) -> str:
    return f"{MARK}: scale {sizes.scale:g}, {sizes.years} years"


def seeded_mark(name: str) -> str | None:
    """What the database says it was seeded with (None: no such database, or not seeded here)."""
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        row = conn.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                           (name,)).fetchone()
    return row[0] if row else None


def prepare(name: str, sizes: Sizes, *, reuse: bool = False, say: Callable[[str], None] = print) -> str:
    """The database ``name`` seeded at ``sizes``: with ``reuse``, as it is when its mark says so; otherwise made
    afresh, migrated, seeded, vacuumed and marked. Returns its URL."""
    import psycopg

    from portal.clock import today_in_brussels, utcnow
    from portal.config import normalise_database_url

    url = f"{SERVER}/{name}"
    if reuse and seeded_mark(name) == mark_of(sizes):
        say(f"Reusing database {name} ({mark_of(sizes)}); the migrations bring it up to date.")
        _migrate(url)
        return url
    started, cpu, load = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    drop_database(name)
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    say(f"Seeding database {name} at {mark_of(sizes)} ({sizes.beneficiaries:,} beneficiaries, {sizes.vouchers:,} "
        f"vouchers, {sizes.coaches:,} coaches, {sizes.declarations:,} declarations)")
    with timed("migrations", say):
        app = _migrate(url)
    from bench.rotation import PASSWORD
    from portal.auth.passwords import hash_password

    with psycopg.connect(normalise_database_url(url).replace("postgresql+psycopg://", "postgresql://")) as conn:
        if conn.execute("SELECT count(*) FROM users").fetchone()[0]:
            raise RuntimeError(f"database {name} is not empty")
        tables = LARGEST if os.environ.get("BENCH_FK_AFTER", "1") == "1" else ()
        with foreign_keys_checked_after(conn, tables, say):
            counts = seed(CopySink(conn), sizes, today=today_in_brussels(), now=utcnow(),
                          password_hash=hash_password(PASSWORD), say=say)
        with timed("sequences, commit", say):
            for table in NUMBERED:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT coalesce(max(id), 1) FROM {table}))")
            conn.commit()
        conn.autocommit = True
        with timed("VACUUM ANALYZE (visibility map and statistics, as autovacuum would)", say):
            conn.execute("VACUUM ANALYZE")
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{mark_of(sizes)}'")
        server_cpu = backend_cpu(conn)
    with app.app_context():
        from portal.db import db

        db.engine.dispose()
    elapsed = time.perf_counter() - started
    width = max(len(table) for table in counts)
    say("\n".join(f"  {table:<{width}}  {count:>10,}" for table, count in sorted(counts.items())))
    say(f"Seeded {sum(counts.values()):,} rows in {len(counts)} tables in {elapsed:.0f} s ({elapsed / 60:.1f} min), "
        f"migrations, COPY, sequences and VACUUM ANALYZE included. CPU: {time.process_time() - cpu:.0f} s in Python, "
        f"{'?' if server_cpu is None else f'{server_cpu:.0f}'} s in the PostgreSQL backend; peak memory "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB; load average {load:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs.")
    return url


def foreign_keys(conn: Any, tables: Iterable[str]) -> list[tuple[str, str, str]]:
    """The foreign keys of ``tables``: (table, name, definition as ``pg_get_constraintdef`` writes it)."""
    return [tuple(row) for row in conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' "
        "AND conrelid::regclass::text = ANY(%s) ORDER BY 1, 2", (list(tables),))]


@contextmanager
def foreign_keys_checked_after(conn: Any, tables: Iterable[str], say: Callable[[str], None] = print):  # type: ignore[no-untyped-def]
    """Within the connection's transaction: the foreign keys of ``tables`` dropped, then added back by their own
    definitions, which checks every row at once (and fails on any row without its parent, rolling all back).
    Raises unless the foreign keys afterwards are exactly the ones before."""
    before = foreign_keys(conn, tables)
    if not before:
        yield before
        return
    for table, name, _definition in before:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield before
    with timed(f"{len(before)} foreign keys added back, each checking its whole table", say):
        for table, name, definition in before:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    after = foreign_keys(conn, tables)
    if after != before:
        raise RuntimeError(f"foreign keys not restored exactly: {sorted(set(before) ^ set(after))}")


def backend_cpu(conn: Any) -> float | None:
    """The CPU seconds the connection's PostgreSQL backend used (user + system), when the server runs here."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _migrate(url: str) -> Any:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import normalise_database_url

    os.environ.setdefault("PORTAL_INSTANCE_PATH", "/tmp/tnw-bench-instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": normalise_database_url(url), "RATELIMIT_ENABLED": False,
                      "MAIL_BACKEND": "console", **CHEAP_HASHES})
    with app.app_context():
        upgrade(revision="heads")
    return app


def rotation_data(url: str, people: int) -> dict[str, Any]:
    """What bench/rotation.py needs, read from the seeded database: beneficiaries whose voucher is in use (spread
    over the whole period), coaches with sessions this week and their providers, the row counts."""
    import psycopg

    with psycopg.connect(url) as conn:
        holders = [row[0] for row in conn.execute(
            "SELECT id FROM vouchers WHERE status = 'in_progress' AND beneficiary_id = id ORDER BY id")]
        step = max(1, len(holders) // max(1, people))
        week = [tuple(row) for row in conn.execute(
            "SELECT c.id, c.provider_id FROM coaches c WHERE EXISTS (SELECT 1 FROM coaching_sessions s WHERE "
            "s.coach_id = c.id AND s.starts_at >= date_trunc('week', now()) AND s.starts_at < date_trunc('week', "
            "now()) + interval '7 days') ORDER BY c.id LIMIT %s", (people,))]
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (
            "beneficiaries", "vouchers", "voucher_requests", "coaches", "coaching_sessions", "claims",
            "dismissal_declarations", "ledger_entries", "providers")}
    return {"holders": holders[::step][:people], "week_coaches": week, "admin_email": ADMIN_EMAIL,
            "employer_email": EMPLOYER_EMAIL, "voucher_providers": min(21, counts["providers"]), "counts": counts}


def main() -> None:
    name = sys.argv[1] if len(sys.argv) > 1 else "bench_national"
    prepare(name, sizes_from_environment(), reuse=os.environ.get("BENCH_REUSE_DB") == name)


if __name__ == "__main__":
    main()
