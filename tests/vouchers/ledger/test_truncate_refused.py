"""Issue #20: nobody empties the ledger either. TRUNCATE fires no row trigger, so the UPDATE and DELETE triggers let
it through; PostgreSQL now refuses it on the ledger and usage entries with a ``BEFORE TRUNCATE ... FOR EACH
STATEMENT`` trigger on each table (migration f3c000000029), also when another table's ``TRUNCATE ... CASCADE``
reaches them. SQLite has no TRUNCATE statement: emptying a table there is ``DELETE FROM`` without a WHERE, which the
row triggers refuse (checked here too). Run with DATABASE_URL set for the PostgreSQL tests (CI's second pass)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support.append_only import APPEND_ONLY_TABLES, rewritable, trigger_names
from vouchers.ledger.services import entries as ledger
from vouchers.requests.usage import UsageEntry


def _dialect(db_session) -> str:
    return db_session.get_bind().dialect.name


@pytest.fixture
def postgresql(db_session) -> None:
    if _dialect(db_session) != "postgresql":
        pytest.skip("SQLite has no TRUNCATE statement (test_a_whole_table_delete_is_refused covers its equivalent); "
                    "set DATABASE_URL to a PostgreSQL database to run this test")


@pytest.fixture
def rows(db_session, admin, today) -> dict[str, int]:
    """One row in each append-only table: a funding entry, and a usage entry of a voucher."""
    from tests.vouchers.test_payouts import start_course

    funding = ledger.record_funding(db_session, amount_cents=500_000, booked_on=today, memo="budget")
    course = start_course(db_session, admin, today)
    voucher, _person = course.voucher()
    usage = UsageEntry(voucher_id=voucher.id, kind="delivered", individual_minutes=60, amount_cents=15_000)
    db_session.add(usage)
    db_session.flush()
    return {"ledger_entries": funding.id, "voucher_usage": usage.id}


def _refused(db_session, statement: str) -> str:
    """The database's refusal of ``statement`` (inside a savepoint, so the test's transaction goes on)."""
    savepoint = db_session.begin_nested()
    with pytest.raises(DBAPIError) as refusal:
        db_session.execute(text(statement))
    savepoint.rollback()
    return str(refusal.value)


def _count(db_session, table: str, row_id: int) -> int:
    return db_session.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": row_id})


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_truncate_is_refused(postgresql, db_session, rows, table):
    message = _refused(db_session, f"TRUNCATE {table}")
    assert f"rows of {table} are never changed or deleted" in message and "TRUNCATE refused" in message
    assert _count(db_session, table, rows[table]) == 1


def test_a_cascading_truncate_that_reaches_them_is_refused(postgresql, db_session, rows):
    # Truncating the vouchers would take their ledger and usage entries with them.
    message = _refused(db_session, "TRUNCATE vouchers CASCADE")
    assert "are never changed or deleted (TRUNCATE refused)" in message
    assert _count(db_session, "voucher_usage", rows["voucher_usage"]) == 1
    assert "TRUNCATE refused" in _refused(db_session, "TRUNCATE ledger_entries, voucher_usage RESTART IDENTITY")
    assert _count(db_session, "ledger_entries", rows["ledger_entries"]) == 1


def test_the_truncate_triggers_are_statement_triggers_on_both_tables(postgresql, db_session):
    found = db_session.execute(text(
        "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        # tgtype bits: 1 ROW (unset: FOR EACH STATEMENT), 2 BEFORE, 32 TRUNCATE
        "WHERE NOT t.tgisinternal AND (t.tgtype & 32) <> 0 AND (t.tgtype & 1) = 0 AND (t.tgtype & 2) <> 0 "
        "ORDER BY 1")).all()
    assert [(table, name) for table, name in found] == [(table, f"{table}_no_truncate") for table in APPEND_ONLY_TABLES]
    assert set(found) <= set(trigger_names(db_session))  # so tests/support/append_only.rewritable lifts them too


def test_a_test_that_must_empty_the_tables_can_still_lift_the_refusal(postgresql, db_session, rows):
    """tests/support/committed.wipe_all empties every table after the tests that commit for real."""
    savepoint = db_session.begin_nested()
    with rewritable(db_session):
        db_session.execute(text("TRUNCATE ledger_entries, voucher_usage"))
        assert db_session.scalar(text("SELECT count(*) FROM voucher_usage")) == 0
    assert "TRUNCATE refused" in _refused(db_session, "TRUNCATE ledger_entries")  # back at once
    savepoint.rollback()
    assert _count(db_session, "ledger_entries", rows["ledger_entries"]) == 1


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_a_whole_table_delete_is_refused(db_session, rows, table):
    """What stands for TRUNCATE on SQLite (its "truncate optimisation" of a DELETE without WHERE is off for a table
    with triggers), and on PostgreSQL the row triggers' part."""
    message = _refused(db_session, f"DELETE FROM {table}")
    assert f"rows of {table} are never changed or deleted" in message and "DELETE refused" in message
    assert _count(db_session, table, rows[table]) == 1
    if _dialect(db_session) == "sqlite":
        assert "syntax error" in _refused(db_session, f"TRUNCATE {table}")
