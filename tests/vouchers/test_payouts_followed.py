"""Payouts followed to the bank: the fund's own statement (a debit naming a transfer, a credit bringing one back) and
the bank's pain.002 status reports mark each transfer of a payout batch paid, refused or returned; a returned
transfer reopens its claim for a new batch, with counter-entries in the ledger, and the provider is told."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching.claims.models import Claim
from portal.clock import utcnow
from portal.errors import Conflict, ValidationFailed
from tests.support.notices import told, told_exactly
from tests.vouchers.bank_statements.conftest import camt
from tests.vouchers.payout_files import (
    TxStatus,
    batch_debit,
    paid_debit,
    pain002,
    returned_credit,
)
from tests.vouchers.test_payouts import DEBTOR, XSD, parse_valid, start_course
from vouchers.banking.models import BankLine, PayoutBatch
from vouchers.banking.payout_models import PayoutTransfer
from vouchers.banking.services import payouts, statements, status_reports
from vouchers.banking.services import transfers as transfer_states
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.consistency import check_ledger

BOOKED = date(2026, 11, 20)


@pytest.fixture
def course(db_session, admin, today):
    return start_course(db_session, admin, today)


def batch_of(db_session, admin, today, course, count: int = 2) -> tuple[PayoutBatch, list[Claim]]:
    claims = [course.claim(minutes=60 + 30 * n) for n in range(count)]
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    return batch, claims


def transfer_of(db_session, claim: Claim) -> PayoutTransfer:
    return db_session.scalars(select(PayoutTransfer).where(PayoutTransfer.claim_id == claim.id)
                              .order_by(PayoutTransfer.id.desc())).first()


def import_camt(db_session, admin, entries, statement_id: str) -> statements.ImportResult:
    return statements.import_statement(db_session, admin, camt(entries, statement_id=statement_id),
                                       file_name=f"{statement_id}.xml", now=utcnow())


def cash_of(db_session, claim: Claim) -> tuple[int, int]:
    def total(account: str) -> int:
        return int(db_session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                                     .where(LedgerEntry.claim_id == claim.id, LedgerEntry.account == account)))
    return total("cash"), total("payable")


def import_report(db_session, admin, today, data: bytes, name: str = "psr.xml") -> status_reports.ReportImport:
    return status_reports.import_status_report(db_session, admin, data, file_name=name, today=today, now=utcnow())


# --- the fund's statement ------------------------------------------------------------------------------------


def test_statement_debits_naming_the_transfers_mark_them_paid_once(db_session, admin, today, course):
    batch, claims = batch_of(db_session, admin, today, course)
    before = ledger.fund_position(db_session)
    entries = [paid_debit(f"TNW-CLAIM-{c.id}", c.amount_cents, ref=f"OUT-{c.id}") for c in claims]
    import_camt(db_session, admin, entries, "STMT-OUT-1")

    assert (batch.status, batch.paid_on) == ("paid", BOOKED)
    for claim in claims:
        transfer = transfer_of(db_session, claim)
        line = db_session.get(BankLine, transfer.paid_line_id)
        assert (transfer.status, transfer.paid_on, line.amount_cents) == ("paid", BOOKED, claim.amount_cents)
        assert (claim.status, claim.paid_on) == ("paid", BOOKED)
        assert cash_of(db_session, claim) == (-claim.amount_cents, 0)
        assert line.status == "ignored"  # a debit never waits in the contributions' queue
    assert ledger.fund_position(db_session).cash_cents == before.cash_cents - batch.total_cents
    assert len(told(db_session, course.staff, "claim_paid")) == 2
    assert check_ledger(db_session) == []
    # The same statement again, and the batch by hand: nothing more.
    assert import_camt(db_session, admin, entries, "STMT-OUT-1").duplicate
    with pytest.raises(Conflict):
        payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    assert ledger.fund_position(db_session).cash_cents == before.cash_cents - batch.total_cents


def test_a_whole_file_booked_as_one_debit_pays_every_transfer(db_session, admin, today, course):
    batch, claims = batch_of(db_session, admin, today, course, count=3)
    import_camt(db_session, admin, [batch_debit(batch.message_id, batch.total_cents - 1, ref="OUT-A")], "STMT-A")
    assert batch.status == "created"  # a cent short: a person looks
    import_camt(db_session, admin, [batch_debit(batch.message_id, batch.total_cents, ref="OUT-B")], "STMT-B")
    assert batch.status == "paid" and all(c.status == "paid" for c in claims)
    assert len({transfer_of(db_session, c).paid_line_id for c in claims}) == 1
    assert check_ledger(db_session) == []


def test_a_transfer_that_came_back_reopens_its_claim_for_a_new_batch(app, db_session, admin, today, course):
    batch, (kept, returned) = batch_of(db_session, admin, today, course)
    import_camt(db_session, admin, [paid_debit(f"TNW-CLAIM-{c.id}", c.amount_cents, ref=f"OUT-{c.id}")
                                    for c in (kept, returned)], "STMT-1")
    result = import_camt(db_session, admin, [returned_credit(f"TNW-CLAIM-{returned.id}", returned.amount_cents,
                                                             ref="BACK-1")], "STMT-2")
    [line] = result.statements[0].new_lines
    transfer = transfer_of(db_session, returned)
    assert (transfer.status, transfer.failed_on, transfer.return_line_id) == ("returned", date(2026, 11, 24), line.id)
    assert (returned.status, returned.payout_batch_id, returned.paid_on) == ("approved", None, None)
    assert cash_of(db_session, returned) == (0, returned.amount_cents)  # the money is back, owed again
    assert (line.status, line.ignore_reason) == ("ignored", "reversal")  # out of the contributions' queue
    assert "TNW-CLAIM" in line.decision_reason
    assert batch.status == "paid" and kept.status == "paid"
    [words] = told_exactly(app, db_session, "claim_payout_returned", [course.staff])
    assert f"claim {returned.id}" in words.body and "€" in words.body and "next payout" in words.body
    assert check_ledger(db_session) == []
    # The ledger only grew: the payment's entries are still there, with their counter-entries.
    assert db_session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.claim_id == returned.id,
                                                                      LedgerEntry.kind == "claim_paid")) == 4

    again = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), xsd_path=str(XSD), **DEBTOR)
    assert again.claim_count == 1 and returned.payout_batch_id == again.id
    second = transfer_of(db_session, returned)
    assert second.end_to_end_id == f"TNW-CLAIM-{returned.id}-2" and second.status == "pending"
    document = parse_valid(again.xml)
    assert f"TNW-CLAIM-{returned.id}-2" in [e.text for e in document.iter("{*}EndToEndId")]
    assert check_ledger(db_session) == []
    import_camt(db_session, admin, [paid_debit(second.end_to_end_id, returned.amount_cents, ref="OUT-AGAIN")], "STMT-3")
    assert returned.status == "paid" and again.status == "paid"
    assert cash_of(db_session, returned) == (-returned.amount_cents, 0)
    assert check_ledger(db_session) == []


def test_a_return_seen_before_the_debit_books_nothing(db_session, admin, today, course):
    batch, (claim, other) = batch_of(db_session, admin, today, course)
    import_camt(db_session, admin, [returned_credit(f"TNW-CLAIM-{claim.id}", claim.amount_cents, ref="BACK-9")],
                "STMT-9")
    assert transfer_of(db_session, claim).status == "returned" and claim.status == "approved"
    assert cash_of(db_session, claim) == (0, claim.amount_cents)
    # The debit shows up later: the transfer stays returned, nothing is paid twice.
    import_camt(db_session, admin, [paid_debit(f"TNW-CLAIM-{claim.id}", claim.amount_cents, ref="OUT-9"),
                                    paid_debit(f"TNW-CLAIM-{other.id}", other.amount_cents, ref="OUT-10")], "STMT-10")
    assert transfer_of(db_session, claim).status == "returned" and claim.status == "approved"
    assert batch.status == "paid" and other.status == "paid"
    assert check_ledger(db_session) == []


def test_a_credit_that_only_looks_like_a_return_waits_for_a_person(db_session, admin, today, course):
    _batch, (claim, _other) = batch_of(db_session, admin, today, course)
    result = import_camt(db_session, admin, [returned_credit(f"TNW-CLAIM-{claim.id}", claim.amount_cents + 1,
                                                             ref="BACK-X")], "STMT-X")
    [line] = result.statements[0].new_lines
    assert line.status == "unmatched" and transfer_of(db_session, claim).status == "pending"


# --- pain.002 status reports ---------------------------------------------------------------------------------


def test_a_status_report_pays_one_and_refuses_another(app, db_session, admin, today, course):
    batch, (accepted, refused) = batch_of(db_session, admin, today, course)
    report = pain002(batch.message_id, group_status="PART", txs=[
        TxStatus(f"TNW-CLAIM-{accepted.id}", "ACSC"),
        TxStatus(f"TNW-CLAIM-{refused.id}", "RJCT", reason="AC04", text="Account closed"),
        TxStatus("TNW-CLAIM-999999", "ACSC")])
    result = import_report(db_session, admin, today, report)
    row = result.report
    assert (row.paid_count, row.rejected_count, row.returned_count, row.unknown_ids) == (1, 1, 0, "TNW-CLAIM-999999")
    assert (accepted.status, accepted.paid_on) == ("paid", date(2026, 11, 21))
    failed = transfer_of(db_session, refused)
    assert (failed.status, failed.reason_code, failed.reason) == ("rejected", "AC04", "Account closed")
    assert (refused.status, refused.payout_batch_id) == ("approved", None)
    assert cash_of(db_session, refused) == (0, refused.amount_cents)  # nothing was ever booked for it
    assert batch.status == "paid"
    [words] = told_exactly(app, db_session, "claim_payout_returned", [course.staff])
    assert "the account is closed" in words.body
    assert check_ledger(db_session) == []
    # The same report again changes nothing.
    assert import_report(db_session, admin, today, report).duplicate
    # A rejection after acceptance: the paid transfer comes back, with counter-entries.
    later = pain002(batch.message_id, message_id="BANK-PSR-0002", txs=[
        TxStatus(f"TNW-CLAIM-{accepted.id}", "RJCT", reason="MD07")])
    assert import_report(db_session, admin, today, later).report.returned_count == 1
    assert transfer_of(db_session, accepted).status == "returned" and accepted.status == "approved"
    assert cash_of(db_session, accepted) == (0, accepted.amount_cents)
    assert check_ledger(db_session) == []


def test_a_file_refused_as_a_whole(db_session, admin, today, course):
    batch, claims = batch_of(db_session, admin, today, course)
    result = import_report(db_session, admin, today, pain002(batch.message_id, group_status="RJCT",
                                                              group_reason="FF01"))
    assert result.report.rejected_count == 2 and batch.status == "rejected" and batch.paid_on is None
    assert all(c.status == "approved" and c.payout_batch_id is None for c in claims)
    assert all(transfer_of(db_session, c).reason_code == "FF01" for c in claims)
    with pytest.raises(Conflict) as refused:
        payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    assert refused.value.code == "batch_rejected"
    assert payouts.approved_unbatched(db_session)[0] == 2  # both wait for the next batch
    assert check_ledger(db_session) == []


@pytest.mark.parametrize("shape", [{"group_status": "ACTC"}, {"group_status": "PART"},
                                   {"block_status": "PDNG"}, {"group_status": "RCVD"}])
def test_a_status_that_is_not_final_changes_nothing(db_session, admin, today, course, shape: dict[str, Any]):
    batch, claims = batch_of(db_session, admin, today, course)
    result = import_report(db_session, admin, today, pain002(batch.message_id, **shape))
    assert result.report.unchanged_count == 2 and not result.changed
    assert batch.status == "created" and all(c.status == "approved" for c in claims)


def test_the_block_status_holds_for_transfers_without_their_own(db_session, admin, today, course):
    batch, (first, second) = batch_of(db_session, admin, today, course)
    import_report(db_session, admin, today, pain002(batch.message_id, block_status="ACCP", txs=[
        TxStatus(f"TNW-CLAIM-{second.id}", "RJCT", reason="AC01")]))
    assert first.status == "paid" and transfer_of(db_session, second).status == "rejected"


@pytest.mark.parametrize(("data", "code"), [
    (b"<Document", "xml_malformed"),
    (camt([]), "not_pain002"),
    (pain002("TNW-PAYOUT-20990101-00000042", group_status="ACCP"), "pain002_unknown_file"),
    (pain002("X", txs=[TxStatus("TNW-CLAIM-1", "OKAY")]), "pain002_status_unknown"),
    (pain002("X"), "pain002_no_status"),
    (b"", "file_empty"),
])
def test_what_is_no_status_report_of_ours_is_refused(db_session, admin, today, data: bytes, code: str):
    with pytest.raises(status_reports.InvalidStatusReport) as refused:
        import_report(db_session, admin, today, data)
    assert refused.value.code == code and refused.value.status == 422 and refused.value.fields["file"]


# --- by hand --------------------------------------------------------------------------------------------------


def test_a_return_recorded_by_hand(app, db_session, admin, today, course):
    batch, (claim, _other) = batch_of(db_session, admin, today, course)
    payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    transfer = transfer_of(db_session, claim)
    with pytest.raises(ValidationFailed) as invalid:
        transfer_states.record_return(db_session, admin, transfer.id, reason=" ", reason_code="AC 04", today=today,
                                      now=utcnow())
    assert set(invalid.value.fields) == {"reason", "reason_code"}
    transfer_states.record_return(db_session, admin, transfer.id, reason="The bank's letter of 2 December",
                                  reason_code="ac04", today=today, now=utcnow())
    assert (transfer.status, transfer.reason_code, transfer.failed_on) == ("returned", "AC04", today)
    assert claim.status == "approved" and cash_of(db_session, claim) == (0, claim.amount_cents)
    with pytest.raises(Conflict) as twice:
        transfer_states.record_return(db_session, admin, transfer.id, reason="again", today=today, now=utcnow())
    assert twice.value.code == "transfer_already_failed"
    assert "the account is closed" in told_exactly(app, db_session, "claim_payout_returned", [course.staff])[0].body
    assert check_ledger(db_session) == []


def test_a_claim_of_nothing_is_settled_with_its_batch(db_session, admin, today, course):
    from coaching.claims.services import approve_claim

    empty = course.claim(approve=False)
    empty.amount_cents = 0  # e.g. the voucher's value was used up by earlier claims
    db_session.flush()
    approve_claim(db_session, admin, empty.id, today=today, now=utcnow())
    paying = course.claim()
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), xsd_path=str(XSD), **DEBTOR)
    assert (empty.status, transfer_of(db_session, empty).status) == ("paid", "paid")
    assert batch.status == "created" and paying.status == "approved"
    assert len(parse_valid(batch.xml).findall(".//{*}CdtTrfTxInf")) == 1  # no transfer of 0 in the file
    assert check_ledger(db_session) == []


def test_a_debit_for_a_claim_no_longer_approved_leaves_the_import_whole(db_session, admin, today, course):
    _batch, (odd, fine) = batch_of(db_session, admin, today, course)
    odd.status = "rejected"  # changed behind the portal's back
    db_session.flush()
    result = import_camt(db_session, admin, [paid_debit(f"TNW-CLAIM-{c.id}", c.amount_cents, ref=f"OUT-{c.id}")
                                             for c in (odd, fine)], "STMT-ODD")
    assert len(result.statements[0].new_lines) == 2  # the statement is in, every line of it
    assert transfer_of(db_session, odd).status == "pending" and cash_of(db_session, odd)[0] == 0
    assert fine.status == "paid" and transfer_of(db_session, fine).status == "paid"


def test_a_person_names_the_credit_that_brought_a_transfer_back(db_session, admin, today, course):
    batch, (claim, other) = batch_of(db_session, admin, today, course)
    payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    result = import_camt(db_session, admin, [returned_credit("NOTPROVIDED", claim.amount_cents, ref="BACK-ANON")],
                         "STMT-ANON")
    [line] = result.statements[0].new_lines
    assert line.status == "unmatched"  # nothing in it names our transfer
    first, second = transfer_of(db_session, claim), transfer_of(db_session, other)
    with pytest.raises(ValidationFailed) as wrong:
        transfer_states.record_return(db_session, admin, second.id, reason="x", line_id=line.id, today=today,
                                      now=utcnow())  # not its amount
    assert claim.amount_cents != other.amount_cents and set(wrong.value.fields) == {"line_id"}
    transfer_states.record_return(db_session, admin, first.id, reason="The bank's return, without our reference",
                                  line_id=line.id, today=today, now=utcnow())
    assert (first.status, first.return_line_id, first.failed_on) == ("returned", line.id, date(2026, 11, 24))
    assert (line.status, line.ignore_reason, line.decided_by) == ("ignored", "reversal", admin.id)
    assert check_ledger(db_session) == []


def test_the_provider_hears_of_the_payment_once_the_bank_accepted_it(app, db_session, admin, today, course):
    batch, [claim] = batch_of(db_session, admin, today, course, count=1)
    assert not told(db_session, course.staff, "claim_paid")  # a file is not a payment
    import_report(db_session, admin, today, pain002(batch.message_id, group_status="ACSC"))
    [words] = told_exactly(app, db_session, "claim_paid", [course.staff])
    assert f"claim {claim.id}" in words.body and "150.00" in words.body
