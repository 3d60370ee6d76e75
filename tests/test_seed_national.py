"""The national seeding of the load benchmark (bench/seed_national.py), at a tiny scale, on the test database: it
writes into the migrated schema with every constraint and trigger on (COPY on PostgreSQL, INSERTs on SQLite), each
table gets the rows it reports, and the data is consistent: the ledger's consistency check finds no mismatch, no
voucher uses more than its mix and value, and the pages' lists have the states life gives them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from bench.national_people import Sizes
from bench.seed_national import (
    LARGEST,
    CopySink,
    foreign_keys,
    foreign_keys_checked_after,
    seed,
    sink_for,
)
from portal.clock import today_in_brussels, utcnow
from vouchers.ledger.services.consistency import check_ledger

SIZES = Sizes(0.0005)


@pytest.fixture
def seeded(db_session: Any) -> dict[str, int]:
    return seed(sink_for(db_session.connection()), SIZES, today=today_in_brussels(), now=utcnow(),
                password_hash="!unusable", say=lambda line: None)


def _count(db_session: Any, sql: str) -> int:
    return int(db_session.scalar(text(sql)) or 0)


def test_each_table_holds_the_rows_the_seeding_reports_at_the_scale_asked(db_session, seeded):
    found = {table: _count(db_session, f"SELECT count(*) FROM {table}") for table in seeded}
    assert found == seeded
    assert seeded["beneficiaries"] == SIZES.beneficiaries
    assert seeded["vouchers"] == SIZES.vouchers == 100  # 100k a year, two years, at 1/2000
    assert seeded["voucher_requests"] == SIZES.vouchers + SIZES.other_requests
    assert seeded["coaches"] == SIZES.coaches
    assert seeded["dismissal_declarations"] == seeded["contributions"] == SIZES.declarations
    assert seeded["coaching_sessions"] >= 8 * SIZES.vouchers  # 2M sessions for 200k vouchers at full scale
    assert seeded["ledger_entries"] > seeded["claims"] > 0


def test_the_ledger_agrees_with_vouchers_claims_contributions_and_bank_lines(db_session, seeded):
    assert check_ledger(db_session) == []
    assert _count(db_session, "SELECT count(*) FROM contribution_payments WHERE source = 'bank'") > 0
    assert _count(db_session, "SELECT count(*) FROM ledger_entries WHERE kind = 'voucher_released'") > 0


def test_no_voucher_uses_more_than_its_mix_or_its_value(db_session, seeded):
    over = _count(db_session, """
        SELECT count(*) FROM vouchers v JOIN (
            SELECT voucher_id, sum(individual_minutes) AS minutes, sum(collective_sessions) AS groups,
                   sum(amount_cents) AS cents FROM voucher_usage GROUP BY voucher_id) u ON u.voucher_id = v.id
        WHERE v.individual_hours IS NULL OR u.minutes > v.individual_hours * 60
           OR u.groups > v.collective_sessions OR u.cents > v.value_cents""")
    assert over == 0
    completed_short = _count(db_session, """
        SELECT count(*) FROM vouchers v WHERE v.status = 'completed' AND v.value_cents <> (
            SELECT coalesce(sum(amount_cents), 0) FROM voucher_usage WHERE voucher_id = v.id AND kind = 'delivered')""")
    assert completed_short == 0


def test_the_lists_have_the_states_life_gives_them(db_session, seeded):
    def states(sql: str) -> set[str]:
        return {row[0] for row in db_session.execute(text(sql))}

    assert {"approved", "in_progress", "completed", "expired"} <= states("SELECT status FROM vouchers")
    assert {"submitted", "rejected", "approved"} <= states("SELECT status FROM voucher_requests")
    assert {"logged", "scheduled", "cancelled"} <= states("SELECT status FROM coaching_sessions")
    assert {"paid", "submitted"} <= states("SELECT status FROM claims")
    assert {"paid", "due"} <= states("SELECT status FROM contributions")
    clerk = _count(db_session, "SELECT count(*) FROM dismissal_declarations d JOIN users u ON u.id = "
                               "d.declared_by_id WHERE u.email = 'payroll@bench.tnw.be'")
    assert clerk == SIZES.clerk_declarations


def _postgresql(db_session: Any) -> Any:
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: the bench seeds PostgreSQL, and SQLite cannot drop a foreign key (CI runs the "
                    "suite on PostgreSQL too)")
    return connection.connection.driver_connection


def test_foreign_keys_dropped_for_loading_come_back_exactly(db_session):
    raw = _postgresql(db_session)
    before = foreign_keys(raw, LARGEST)
    assert len(before) >= 10
    with foreign_keys_checked_after(raw, LARGEST, say=lambda line: None) as dropped:
        assert dropped == before
        assert foreign_keys(raw, LARGEST) == []
        seed(CopySink(raw), SIZES, today=today_in_brussels(), now=utcnow(), password_hash="!unusable",
             say=lambda line: None)
    assert foreign_keys(raw, LARGEST) == before
    assert check_ledger(db_session) == []


def test_a_row_without_its_parent_is_refused_when_the_foreign_keys_come_back(db_session):
    import psycopg

    raw = _postgresql(db_session)
    with pytest.raises(psycopg.errors.ForeignKeyViolation), \
            foreign_keys_checked_after(raw, ("voucher_usage",), say=lambda line: None):
        raw.execute("INSERT INTO voucher_usage (voucher_id, kind, individual_minutes, collective_sessions, "
                    "amount_cents, created_at) VALUES (987654321, 'scheduled', 60, 0, 15000, now())")
