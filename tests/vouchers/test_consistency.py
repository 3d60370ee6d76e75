"""The ledger consistency check: it passes after a whole course of money movements and fails,
line by line, when a ledger row or a record is tampered with (the ledger's rows only with the database's
append-only triggers lifted, as nobody else could)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from coaching.claims.models import Claim
from coaching.claims.services import reject_claim
from portal.clock import utcnow
from portal.mail import OutboxMessage
from tests.support.append_only import rewritable
from tests.support.notices import told_exactly
from tests.vouchers.test_payouts import DEBTOR, start_course
from vouchers.banking.services import payouts
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services.consistency import (
    check_ledger,
    register_consistency_command,
)
from vouchers.requests.models import Voucher
from vouchers.requests.services.vouchers import expire_vouchers


@pytest.fixture
def full_course(db_session, admin, today) -> dict:
    """Vouchers issued, claims approved, rejected, batched, paid; one left payable; one voucher expired."""
    course = start_course(db_session, admin, today)
    paid = [course.claim(), course.claim(minutes=120, sessions=2)]
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    payable = course.claim(minutes=90)
    batched_unpaid = course.claim()
    open_batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    payable_later = course.claim()
    rejected = course.claim(approve=False)
    reject_claim(db_session, admin, rejected.id, "wrong voucher", today=today, now=utcnow())
    submitted = course.claim(approve=False)
    unused, _person = course.voucher()
    # A voucher with an approved claim reaches its end: the rest of its value is released.
    expiring = db_session.get(Voucher, payable.voucher_id)
    expiring.valid_until_on = today - timedelta(days=1)
    expiring.valid_from_on = today - timedelta(days=180)
    db_session.flush()
    assert expire_vouchers(db_session, today=today, now=utcnow()) == [expiring.id]
    db_session.flush()
    return {"course": course, "paid": paid, "batch": batch, "open_batch": open_batch, "payable": payable,
            "batched_unpaid": batched_unpaid, "payable_later": payable_later, "rejected": rejected,
            "submitted": submitted, "unused": unused, "expired": expiring}


def test_the_ledger_agrees_after_a_full_course(db_session, full_course):
    assert check_ledger(db_session) == []
    assert full_course["paid"][0].status == "paid" and full_course["open_batch"].status == "created"


def test_a_tampered_amount_is_found(db_session, full_course):
    claim = full_course["payable_later"]
    row = db_session.scalar(select(LedgerEntry).where(LedgerEntry.claim_id == claim.id,
                                                      LedgerEntry.account == "payable"))
    with rewritable(db_session):
        db_session.execute(update(LedgerEntry).where(LedgerEntry.id == row.id)
                           .values(amount_cents=row.amount_cents + 1))
    problems = check_ledger(db_session)
    assert any(f"claim {claim.id} " in p and "payable" in p for p in problems), problems
    assert any(p.startswith("total payable") for p in problems), problems


def test_a_deleted_commitment_is_found(db_session, full_course):
    voucher = full_course["unused"]
    with rewritable(db_session):
        db_session.execute(LedgerEntry.__table__.delete().where(LedgerEntry.voucher_id == voucher.id,
                                                                LedgerEntry.kind == "voucher_committed"))
    problems = check_ledger(db_session)
    assert problems == [(f"voucher {voucher.id} ({voucher.code}, approved): committed 0 cents, expected 180000 "
                         "(value 180000 - approved/paid claims 0 - released 0)")]


def test_a_claim_paid_without_its_ledger_entries_is_found(db_session, full_course):
    claim = full_course["payable_later"]
    db_session.execute(update(Claim).where(Claim.id == claim.id).values(status="paid"))
    problems = check_ledger(db_session)
    assert any(f"claim {claim.id} (paid" in p and "cash out 0 cents" in p for p in problems), problems
    assert any(f"claim {claim.id} (paid" in p and "payable" in p for p in problems), problems


def test_a_payout_twice_and_a_negative_commitment_are_found(db_session, full_course, today):
    from vouchers.ledger.services import entries as ledger

    claim = full_course["paid"][0]
    ledger.post(db_session, account="cash", kind="claim_paid", amount_cents=-claim.amount_cents, booked_on=today,
                voucher_id=claim.voucher_id, claim_id=claim.id)
    expired = full_course["expired"]
    ledger.post(db_session, account="committed", kind="claim_approved", amount_cents=-5000, booked_on=today,
                voucher_id=expired.id)
    db_session.flush()
    problems = check_ledger(db_session)
    assert any(f"claim {claim.id} " in p and f"cash out {2 * claim.amount_cents} cents" in p for p in problems)
    assert any(f"voucher {expired.id} " in p and "negative" in p for p in problems), problems


def test_a_tampered_batch_is_found(db_session, full_course):
    batch = full_course["open_batch"]
    batch.total_cents += 100
    db_session.flush()
    problems = check_ledger(db_session)
    assert problems == [(f"payout batch {batch.id}: 2 claims / {batch.total_cents} cents recorded, "
                         f"but its claims are 2 / {batch.total_cents - 100} cents")]


def test_the_cli_exits_1_on_a_mismatch(app, db_session, full_course):
    if "check-ledger" not in app.cli.commands:
        register_consistency_command(app)
    runner = app.test_cli_runner()
    db_session.commit()  # what the command reads is the test's (still rolled back at the end)
    ok = runner.invoke(args=["check-ledger"])
    assert ok.exit_code == 0, ok.output
    assert "agrees" in ok.output
    with rewritable(db_session):
        db_session.execute(update(LedgerEntry).where(LedgerEntry.account == "cash", LedgerEntry.kind == "funding")
                           .values(amount_cents=1))
        db_session.execute(update(LedgerEntry).where(LedgerEntry.kind == "claim_paid", LedgerEntry.account == "cash")
                           .values(amount_cents=-1))
    db_session.commit()
    failed = runner.invoke(args=["check-ledger"])
    assert failed.exit_code == 1
    assert "total cash paid out to providers" in failed.output
    assert failed.output.count("cash out") == 2  # one line per paid claim


def test_the_nightly_check_tells_the_fund_once_a_day(app, db_session, admin, full_course, today):
    from portal.scheduler import JOBS
    from vouchers.ledger.tasks import ledger_consistency

    assert "ledger_consistency" in JOBS
    with app.app_context():
        assert ledger_consistency(db_session, today=today, now=utcnow()) == "0 mismatches"
        with rewritable(db_session):
            db_session.execute(update(LedgerEntry).where(LedgerEntry.claim_id == full_course["payable_later"].id,
                                                         LedgerEntry.account == "payable").values(amount_cents=7))
        assert ledger_consistency(db_session, today=today, now=utcnow()) == "2 mismatches"
        ledger_consistency(db_session, today=today, now=utcnow())
    notices = db_session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == admin.email,
                                                             OutboxMessage.dedupe_key.like("ledger-consistency-%")))
    notices = list(notices)
    assert len(notices) == 1
    [shown] = told_exactly(app, db_session, "ledger_mismatch", [admin])
    assert "2 mismatches" in shown.title and f"claim {full_course['payable_later'].id}" in shown.body
