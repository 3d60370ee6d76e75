"""The consistency check stays linear at the national scale: it looks for ledger entries naming a claim, a contribution
or a bank allocation that does not exist with anti-joins (``NOT EXISTS``), never with ``NOT IN (subquery)``.
PostgreSQL hashes such a subquery only while it fits in ``work_mem`` (4 MB by default) and otherwise reads it again
for every row: on two years of data (bench/seed_national.py: 700,000 claims, 3,000,000 ledger entries) the claims'
one alone ran for hours instead of under a second."""

from __future__ import annotations

from sqlalchemy import event, func, select

from coaching.claims.models import Claim
from portal.clock import today_in_brussels
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.consistency import check_ledger


def test_the_check_reads_no_subquery_with_not_in(db_session):
    statements: list[str] = []
    engine = db_session.connection().engine

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", note)
    try:
        check_ledger(db_session)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert len(statements) >= 8
    assert [s for s in statements if "NOT IN (SELECT" in s] == []


def test_entries_naming_a_claim_that_is_not_there_are_found(db_session):
    stranger = int(db_session.scalar(select(func.coalesce(func.max(Claim.id), 0)))) + 1000
    ledger.post(db_session, account="payable", kind="claim_approved", amount_cents=0, booked_on=today_in_brussels(),
                claim_id=stranger)
    db_session.flush()
    assert f"ledger entries name claim {stranger}, which does not exist" in check_ledger(db_session)
