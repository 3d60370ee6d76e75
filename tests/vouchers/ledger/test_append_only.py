"""A ledger nobody can rewrite: the database itself refuses to change or delete a ledger entry or a usage entry,
whoever asks (plain SQL or the ORM), on SQLite and on PostgreSQL; adding entries still works."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.support.append_only import APPEND_ONLY_TABLES, rewritable, trigger_names
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger
from vouchers.requests.usage import UsageEntry


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


def _refused(db_session, statement: str, **params) -> str:
    """The database's refusal of ``statement`` (inside a savepoint, so the test's transaction goes on)."""
    savepoint = db_session.begin_nested()
    with pytest.raises(DBAPIError) as refusal:
        db_session.execute(text(statement), params)
    savepoint.rollback()
    return str(refusal.value)


def test_the_migration_put_the_triggers_on_both_tables(db_session):
    found = trigger_names(db_session)
    assert {table for table, _name in found} == set(APPEND_ONLY_TABLES)
    # PostgreSQL: per table, one row trigger (UPDATE OR DELETE) and one statement trigger (TRUNCATE). SQLite: one per
    # statement (UPDATE, DELETE); it has no TRUNCATE. Besides, the ledger's entries reopen a closed month when one is
    # written into it (migration f4a000000030), which refuses nothing.
    refusing = [(table, name) for table, name in found if name != "ledger_entries_reopen_closed_months"]
    assert len(refusing) == 4
    assert ("ledger_entries", "ledger_entries_reopen_closed_months") in found


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_update_is_refused(db_session, rows, table):
    message = _refused(db_session, f"UPDATE {table} SET amount_cents = amount_cents + 1 WHERE id = :id",
                       id=rows[table])
    assert f"rows of {table} are never changed or deleted" in message and "UPDATE refused" in message
    assert db_session.scalar(text(f"SELECT amount_cents FROM {table} WHERE id = :id"), {"id": rows[table]}) in (
        500_000, 15_000)


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_delete_is_refused(db_session, rows, table):
    message = _refused(db_session, f"DELETE FROM {table} WHERE id = :id", id=rows[table])
    assert f"rows of {table} are never changed or deleted" in message and "DELETE refused" in message
    assert db_session.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": rows[table]}) == 1


def test_a_whole_table_update_is_refused_too(db_session, rows):
    assert "UPDATE refused" in _refused(db_session, "UPDATE ledger_entries SET memo = 'rewritten'")
    assert "DELETE refused" in _refused(db_session, "DELETE FROM voucher_usage")


def test_the_orm_cannot_change_an_entry_either(db_session, rows):
    entry = db_session.get(LedgerEntry, rows["ledger_entries"])
    savepoint = db_session.begin_nested()
    entry.amount_cents = 1
    with pytest.raises(DBAPIError, match="never changed or deleted"):
        db_session.flush()
    savepoint.rollback()
    db_session.expire_all()
    assert db_session.get(LedgerEntry, rows["ledger_entries"]).amount_cents == 500_000


def test_appending_still_works_and_the_triggers_come_back_after_a_lift(db_session, rows, today):
    ledger.record_funding(db_session, amount_cents=1, booked_on=today, memo="more")
    db_session.flush()
    with rewritable(db_session):  # what the tampering tests do, inside the test's transaction only
        db_session.execute(text("UPDATE ledger_entries SET memo = 'lifted' WHERE id = :id"),
                           {"id": rows["ledger_entries"]})
    assert "UPDATE refused" in _refused(db_session, "UPDATE ledger_entries SET memo = 'again' WHERE id = :id",
                                        id=rows["ledger_entries"])
    assert len(trigger_names(db_session)) == 5  # all back: the four refusing ones and the month reopener
