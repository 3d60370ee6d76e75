"""Refunds of overpaid contributions to the employer's IBAN: one fund administrator proposes, another approves (four
eyes), the approval makes a pain.001 file, and the contribution gives the money back only once the bank paid it; a
refund the bank returns brings the money back. The employer and the fund's administrators are told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.clock import utcnow
from portal.errors import Conflict, Forbidden, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.notices import told_exactly
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from tests.vouchers.payout_files import (
    TxStatus,
    euros,
    paid_debit,
    pain002,
    returned_credit,
)
from tests.vouchers.test_payouts import DEBTOR, XSD, parse_valid
from vouchers.banking.payout_models import ContributionRefund
from vouchers.banking.services import refunds, statements, status_reports
from vouchers.banking.services.payout_checks import payout_problems
from vouchers.employers.models import Contribution, ContributionPayment, Employer
from vouchers.employers.services.payments import record_bank_payment
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services.consistency import check_ledger


@pytest.fixture
def second_admin(db_session):
    return make_user(db_session, Role.FUND_ADMIN, language="en")


@pytest.fixture
def employer_user(db_session):
    return make_user(db_session, Role.EMPLOYER, language="en")


def overpaid(db_session, admin, employer_user, today, paid_cents: int = 200_000) -> Contribution:
    """A contribution of 1,800 € paid ``paid_cents`` by bank transfer (a statement line with its reference)."""
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    data = DeclarationData(worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
                           contract_end_on=today - timedelta(days=10))
    contribution = declare_dismissal(db_session, employer_user, data, today=today, now=utcnow()).declaration.contribution
    db_session.flush()
    paid = Entry(euros(paid_cents), txs=[Tx(reference=contribution.structured_reference)],
                 acct_svcr_ref=f"IN-{contribution.id}")
    statements.import_statement(db_session, admin, camt([paid], statement_id=f"IN-{contribution.id}"),
                                file_name="in.xml", now=utcnow())
    assert contribution.status in ("paid", "overpaid")
    return contribution



def money_of(db_session, contribution: Contribution) -> tuple[int, int]:
    """What its payments and its cash ledger entries say it holds: always the same."""
    paid = db_session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                             .where(ContributionPayment.contribution_id == contribution.id))
    cash = db_session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                             .where(LedgerEntry.contribution_id == contribution.id, LedgerEntry.account == "cash"))
    return int(paid), int(cash)


def approve(db_session, admin, refund_id: int, today: date) -> ContributionRefund:
    return refunds.approve_refund(db_session, admin, refund_id, today=today, now=utcnow(), xsd_path=str(XSD), **DEBTOR)


def test_proposed_by_one_approved_by_another_paid_by_the_bank(app, db_session, admin, second_admin, employer_user,
                                                              today):
    contribution = overpaid(db_session, admin, employer_user, today)
    assert contribution.status == "overpaid"
    refund = refunds.propose_refund(db_session, admin, contribution.id, amount_cents=None,
                                    reason="Paid 2,000 € for 1,800 €", now=utcnow())
    employer = db_session.get(Employer, employer_user.employer_id)
    assert (refund.status, refund.amount_cents, refund.iban) == ("proposed", 20_000, employer.iban.replace(" ", ""))
    [asked] = told_exactly(app, db_session, "refund_proposed", [second_admin])  # not the one who proposed it
    assert "200.00" in asked.body and "Paid 2,000 € for 1,800 €" in asked.body

    with pytest.raises(Forbidden) as own:
        approve(db_session, admin, refund.id, today)
    assert own.value.code == "four_eyes"
    approve(db_session, second_admin, refund.id, today)
    assert (refund.status, refund.decided_by) == ("approved", second_admin.id)
    document = parse_valid(refund.xml)
    assert document.findtext(".//{*}GrpHdr/{*}MsgId") == refund.message_id
    assert document.findtext(".//{*}CdtTrfTxInf/{*}PmtId/{*}EndToEndId") == f"TNW-REFUND-{refund.id}"
    assert document.findtext(".//{*}CdtTrfTxInf/{*}CdtrAcct/{*}Id/{*}IBAN") == refund.iban
    assert document.findtext(".//{*}CdtTrfTxInf/{*}Amt/{*}InstdAmt") == "200.00"
    assert contribution.status == "overpaid" and money_of(db_session, contribution) == (200_000, 200_000)
    [sent] = told_exactly(app, db_session, "contribution_refund_sent", [employer_user])
    assert "200.00" in sent.body and refund.iban[-4:] in sent.body

    # The fund's statement shows the refund leaving: only now does the contribution give the money back.
    statements.import_statement(db_session, admin, camt([paid_debit(f"TNW-REFUND-{refund.id}", 20_000, ref="R-1")],
                                                        statement_id="STMT-R1"), file_name="r1.xml", now=utcnow())
    assert refund.status == "paid" and contribution.status == "paid"
    assert money_of(db_session, contribution) == (180_000, 180_000)
    assert check_ledger(db_session) == []

    # The bank brings it back (a closed account): the money is the contribution's again, and the employer is told.
    statements.import_statement(db_session, admin, camt([returned_credit(f"TNW-REFUND-{refund.id}", 20_000,
                                                                         ref="R-2")], statement_id="STMT-R2"),
                                file_name="r2.xml", now=utcnow())
    assert refund.status == "returned" and contribution.status == "overpaid"
    assert money_of(db_session, contribution) == (200_000, 200_000)
    [back] = told_exactly(app, db_session, "contribution_refund_returned", [employer_user])
    assert "200.00" in back.body and "bank account" in back.body
    assert check_ledger(db_session) == []
    # It may be proposed again.
    assert refunds.propose_refund(db_session, second_admin, contribution.id, amount_cents=None, reason="Again",
                                  now=utcnow()).amount_cents == 20_000


def test_what_may_be_refunded(db_session, admin, employer_user, today):
    contribution = overpaid(db_session, admin, employer_user, today)
    with pytest.raises(ValidationFailed) as too_much:
        refunds.propose_refund(db_session, admin, contribution.id, amount_cents=20_001, reason="x", now=utcnow())
    assert set(too_much.value.fields) == {"amount_cents"} and too_much.value.extra["refundable_cents"] == 20_000
    with pytest.raises(ValidationFailed) as no_reason:
        refunds.propose_refund(db_session, admin, contribution.id, amount_cents=100, reason="  ", now=utcnow())
    assert set(no_reason.value.fields) == {"reason"}
    with pytest.raises(ValidationFailed) as unknown:
        refunds.propose_refund(db_session, admin, 2**31 - 1, amount_cents=None, reason="x", now=utcnow())
    assert set(unknown.value.fields) == {"contribution_id"}
    refunds.propose_refund(db_session, admin, contribution.id, amount_cents=5_000, reason="part", now=utcnow())
    with pytest.raises(Conflict) as open_one:
        refunds.propose_refund(db_session, admin, contribution.id, amount_cents=5_000, reason="more", now=utcnow())
    assert open_one.value.code == "refund_open"
    exact = overpaid(db_session, admin, employer_user, today, paid_cents=180_000)
    with pytest.raises(Conflict) as nothing:
        refunds.propose_refund(db_session, admin, exact.id, amount_cents=None, reason="x", now=utcnow())
    assert nothing.value.code == "nothing_to_refund"
    broken = overpaid(db_session, admin, employer_user, today)
    db_session.get(Employer, employer_user.employer_id).iban = "BE00 0000 0000 0000"
    with pytest.raises(Conflict) as bad_iban:
        refunds.propose_refund(db_session, admin, broken.id, amount_cents=None, reason="x", now=utcnow())
    assert bad_iban.value.code == "employer_iban_invalid"


def test_approval_checks_the_money_again(db_session, admin, second_admin, employer_user, today):
    contribution = overpaid(db_session, admin, employer_user, today)
    refund = refunds.propose_refund(db_session, admin, contribution.id, amount_cents=None, reason="x", now=utcnow())
    record_bank_payment(db_session, contribution.id, amount_cents=-15_000, external_id="reversal-1", booked_on=today,
                        now=utcnow())  # a payment taken back since
    with pytest.raises(Conflict) as refused:
        approve(db_session, second_admin, refund.id, today)
    assert refused.value.code == "refund_exceeds_overpayment" and refund.status == "proposed"


def test_refused_or_withdrawn_it_moves_nothing(db_session, admin, second_admin, employer_user, today):
    contribution = overpaid(db_session, admin, employer_user, today)
    refund = refunds.propose_refund(db_session, admin, contribution.id, amount_cents=None, reason="x", now=utcnow())
    with pytest.raises(ValidationFailed):
        refunds.refuse_refund(db_session, admin, refund.id, reason="", now=utcnow())
    refunds.refuse_refund(db_session, admin, refund.id, reason="Proposed by mistake", now=utcnow())  # withdrawn
    assert (refund.status, refund.decision_reason, refund.xml) == ("refused", "Proposed by mistake", None)
    with pytest.raises(Conflict):
        approve(db_session, second_admin, refund.id, today)
    assert money_of(db_session, contribution) == (200_000, 200_000)
    assert refunds.overpaid_contributions(db_session, admin)[0][2] == 20_000  # may be refunded again


def test_the_database_refuses_one_person_approving_their_own_refund(db_session, admin, employer_user, today):
    contribution = overpaid(db_session, admin, employer_user, today)
    refund = refunds.propose_refund(db_session, admin, contribution.id, amount_cents=None, reason="x", now=utcnow())
    refund.status, refund.decided_by, refund.message_id, refund.xml = "approved", admin.id, "TNW-RFND-X", "<x/>"
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.flush()


def test_a_status_report_or_a_person_marks_it_paid(db_session, admin, second_admin, employer_user, today):
    first = overpaid(db_session, admin, employer_user, today)
    by_report = approve(db_session, second_admin, refunds.propose_refund(
        db_session, admin, first.id, amount_cents=None, reason="x", now=utcnow()).id, today)
    status_reports.import_status_report(db_session, admin, pain002(by_report.message_id, txs=[
        TxStatus(f"TNW-REFUND-{by_report.id}", "ACCP")]), file_name="psr.xml", today=today, now=utcnow())
    assert by_report.status == "paid" and first.status == "paid"
    second = overpaid(db_session, admin, employer_user, today)
    by_hand = approve(db_session, second_admin, refunds.propose_refund(
        db_session, admin, second.id, amount_cents=5_000, reason="x", now=utcnow()).id, today)
    refunds.mark_refund_paid(db_session, admin, by_hand.id, today=today, now=utcnow())
    assert by_hand.status == "paid" and second.status == "overpaid"  # 15 € still paid too much
    assert money_of(db_session, second) == (195_000, 195_000)
    with pytest.raises(Conflict):
        refunds.mark_refund_paid(db_session, admin, by_hand.id, today=today, now=utcnow())
    assert payout_problems(db_session) == []
