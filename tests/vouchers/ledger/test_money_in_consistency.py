"""The consistency check covers money in: each contribution's paid amount = its ledger entries = its bank
allocations + card payments, its state follows its money, and each matched bank line's allocations are its
amount. Built through the real services; each tamper (a ledger row with the triggers lifted, or a row of a table
without a trigger) is found and named."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, func, select, text, update

from portal.clock import utcnow
from portal.payments import FakeGateway
from portal.permissions import Role
from tests.support.append_only import rewritable
from tests.support.factories import make_user
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking.models import BankLine, BankLineAllocation
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.employers.services import payments
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import corrections
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.consistency import check_ledger


@dataclass
class MoneyIn:
    by_bank: Contribution  # one transfer, its structured reference
    split_full: Contribution  # one transfer paying two: this one in full,
    split_part: Contribution  # and this one in part
    by_card: Contribution  # a card payment, partly refunded
    reversed: Contribution  # paid by transfer, then the bank reversed it
    split_line: BankLine


def _line(result: Any) -> BankLine:
    (line,) = result.statements[0].new_lines
    return line


@pytest.fixture
def money(db_session, declare, import_statement, today) -> MoneyIn:
    by_bank, split_full, split_part, reversed_ = declare(), declare(), declare(), declare()
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    by_card = declare(employer)
    assert _line(import_statement(camt([Entry("1800.00", acct_svcr_ref="MI-1", txs=[
        Tx(reference=by_bank.structured_reference)])], statement_id="MI-1"))).status == "matched"
    split_line = _line(import_statement(camt([Entry("3000.00", acct_svcr_ref="MI-2", txs=[
        Tx(ustrd=f"{split_full.structured_reference} {split_part.structured_reference}")])], statement_id="MI-2")))
    assert len(split_line.allocations) == 2
    import_statement(camt([Entry("1800.00", acct_svcr_ref="MI-3", txs=[
        Tx(reference=reversed_.structured_reference, end_to_end="E2E-MI-3")])], statement_id="MI-3"))
    giving_back = _line(import_statement(camt([Entry("1800.00", direction="DBIT", reversal=True, acct_svcr_ref="MI-4",
                                                     booked_on="2026-11-21", txs=[
        Tx(reference=reversed_.structured_reference, end_to_end="E2E-MI-3")])], statement_id="MI-4")))
    assert giving_back.match_method == "reversal"
    gateway = FakeGateway()
    intent = payments.start_card_payment(db_session, employer, by_card.declaration_id, gateway, today=today,
                                         now=utcnow())
    gateway.succeed(intent.id)
    payments.sync_payment_intent(db_session, gateway, intent.id, today=today, now=utcnow())
    gateway.refund(intent.id, 50_000)
    payments.sync_refunds(db_session, gateway, intent.id, today=today, now=utcnow())
    db_session.flush()
    for contribution in (by_bank, split_full, split_part, by_card, reversed_):
        db_session.refresh(contribution)
    assert [c.status for c in (by_bank, split_full, split_part, by_card, reversed_)] == [
        "paid", "paid", "partially_paid", "partially_paid", "due"]
    return MoneyIn(by_bank, split_full, split_part, by_card, reversed_, split_line)


def _entry(db_session, contribution: Contribution, kind: str = "contribution_paid") -> LedgerEntry:
    return db_session.scalar(select(LedgerEntry).where(LedgerEntry.contribution_id == contribution.id,
                                                       LedgerEntry.kind == kind).order_by(LedgerEntry.id))


def test_bank_card_splits_refunds_and_reversals_agree(db_session, money):
    assert check_ledger(db_session) == []


def test_a_deleted_contribution_entry_is_found(db_session, money):
    """The issue's case: deleting a contribution_paid entry went unnoticed."""
    with rewritable(db_session):
        db_session.execute(delete(LedgerEntry).where(LedgerEntry.id == _entry(db_session, money.by_bank).id))
    assert check_ledger(db_session) == [
        f"contribution {money.by_bank.id} (paid): paid 180000 cents, but its cash ledger entries sum to 0",
        "total contributions in the cash ledger 430000 cents, but the payments sum to 610000"]


def test_a_changed_card_entry_is_found(db_session, money):
    refund = _entry(db_session, money.by_card, "contribution_refunded")
    with rewritable(db_session):
        db_session.execute(update(LedgerEntry).where(LedgerEntry.id == refund.id).values(amount_cents=-5_000))
    problems = check_ledger(db_session)
    assert problems[0] == (f"contribution {money.by_card.id} (partially_paid): paid 130000 cents, but its cash "
                           "ledger entries sum to 175000")
    assert problems[1].startswith("total contributions in the cash ledger") and len(problems) == 2


def test_a_deleted_payment_is_found_from_the_ledger_the_allocation_and_the_state(db_session, money):
    db_session.execute(delete(ContributionPayment).where(ContributionPayment.contribution_id == money.by_bank.id))
    problems = check_ledger(db_session)
    where = f"contribution {money.by_bank.id} (paid)"
    assert f"{where}: paid 0 cents, but its cash ledger entries sum to 180000" in problems
    assert f"{where}: paid 0 cents, but its bank allocations 180000 + card payments 0 = 180000" in problems
    assert f"{where}: its money says due (amount 180000, received 0, refunded 0, of which 0 taken back by " \
           "reversals)" in problems
    assert any(p.startswith("bank line ") and "has no payment" in p for p in problems), problems


def test_a_changed_allocation_is_found_on_its_contribution_and_its_line(db_session, money):
    part = next(a for a in money.split_line.allocations if a.contribution_id == money.split_part.id)
    db_session.execute(update(BankLineAllocation).where(BankLineAllocation.id == part.id)
                       .values(amount_cents=part.amount_cents + 100))
    problems = check_ledger(db_session)
    assert problems == [
        (f"contribution {money.split_part.id} (partially_paid): paid 120000 cents, but its bank allocations 120100 + "
         "card payments 0 = 120100"),
        f"bank line {money.split_line.id} (matched, 300000 cents): its allocations sum to 300100, expected 300000",
        (f"bank line {money.split_line.id}: its allocation {part.external_id} of 120100 cents to contribution "
         f"{money.split_part.id} has a payment of 120000 cents to contribution {money.split_part.id}")]


def test_a_state_that_does_not_follow_the_money_is_found(db_session, money):
    db_session.execute(update(Contribution).where(Contribution.id == money.split_part.id).values(status="paid"))
    db_session.execute(update(Contribution).where(Contribution.id == money.reversed.id).values(status="refunded"))
    assert check_ledger(db_session) == [
        (f"contribution {money.split_part.id} (paid): its money says partially_paid (amount 180000, received "
         "120000, refunded 0, of which 0 taken back by reversals)"),
        (f"contribution {money.reversed.id} (refunded): its money says due (amount 180000, received 180000, "
         "refunded 180000, of which 180000 taken back by reversals)")]


def test_a_matched_line_without_its_allocations_is_found(db_session, money):
    db_session.execute(delete(BankLineAllocation).where(BankLineAllocation.line_id == money.split_line.id))
    problems = check_ledger(db_session)
    assert f"bank line {money.split_line.id} (matched, 300000 cents): its allocations sum to 0, expected 300000" \
        in problems
    assert sum("card payments 0" in p for p in problems) == 2  # both contributions it paid


def test_entries_for_a_contribution_that_is_not_there_or_on_another_account_are_found(db_session, money, today):
    stranger = int(db_session.scalar(select(func.max(Contribution.id)))) + 1000
    ledger.post(db_session, account="cash", kind="contribution_paid", amount_cents=100, booked_on=today,
                contribution_id=stranger)
    ledger.post(db_session, account="payable", kind="claim_approved", amount_cents=0, booked_on=today,
                contribution_id=money.by_bank.id)
    ledger.post(db_session, account="cash", kind="contribution_paid", amount_cents=0, booked_on=today)
    db_session.flush()
    problems = check_ledger(db_session)
    assert "1 payable ledger entries name a contribution: contributions are cash only" in problems
    assert "1 contribution ledger entries name no contribution" in problems
    assert f"ledger entries name contribution {stranger}, which does not exist" in problems


def test_a_correction_entry_puts_a_tampered_amount_right(db_session, money, admin, today):
    """A correction is a new entry: after it, the check agrees again, and the wrong entry is still there."""
    entry = _entry(db_session, money.by_bank)
    with rewritable(db_session):
        db_session.execute(update(LedgerEntry).where(LedgerEntry.id == entry.id).values(amount_cents=108_000))
    db_session.expire_all()
    assert check_ledger(db_session)[0].endswith("but its cash ledger entries sum to 108000")
    correction = corrections.correct_entry(db_session, admin, entry.id, amount_cents=180_000,
                                           reason="The statement of 20 November shows 1,800.00.", today=today,
                                           now=utcnow())
    assert (correction.amount_cents, correction.corrects_entry_id, correction.kind, correction.contribution_id) == (
        72_000, entry.id, "contribution_paid", money.by_bank.id)
    assert check_ledger(db_session) == []
    assert db_session.scalar(text("SELECT amount_cents FROM ledger_entries WHERE id = :id"), {"id": entry.id}) \
        == 108_000


def test_a_bank_payment_from_no_bank_line_is_found_but_a_refund_by_transfer_agrees(db_session, money):
    # A refund paid back to the employer's account, then returned by the bank: payments named "refund-…".
    assert payments.record_bank_payment(db_session, money.by_bank.id, amount_cents=-20_000, external_id="refund-77",
                                        booked_on=money.split_line.booked_on, now=utcnow())
    assert payments.record_bank_payment(db_session, money.by_bank.id, amount_cents=20_000,
                                        external_id="refund-77-returned", booked_on=money.split_line.booked_on,
                                        now=utcnow())
    assert check_ledger(db_session) == []
    payments.record_bank_payment(db_session, money.split_part.id, amount_cents=60_000, external_id="typed-by-hand",
                                 booked_on=money.split_line.booked_on, now=utcnow())
    assert check_ledger(db_session) == [
        (f"contribution {money.split_part.id} (paid): paid 180000 cents, but its bank allocations 120000 + card "
         "payments 0 = 120000"),
        (f"contribution {money.split_part.id}: its bank payment typed-by-hand of 60000 cents is no bank line's "
         "allocation and no refund")]
