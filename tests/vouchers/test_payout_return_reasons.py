"""Issue #20: a transfer of ours that the bank brings back says why, in words. The statement's return reason
(CAMT ``RtrInf/Rsn/Cd``, CODA record 2.2) is kept on the bank line and on the transfer it returned, and shown in
words on the line's page, the transfer's page and its payout batch's list, and to the person told. A returned
refund that names the employer goes back to the refund, never to another contribution of that employer owing the
same amount."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.notices import told_exactly
from tests.support.web import login
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from tests.vouchers.payout_files import euros, paid_debit, returned_credit
from tests.vouchers.test_payouts import start_course
from tests.vouchers.test_payouts_followed import batch_of, import_camt, transfer_of
from tests.vouchers.test_refunds import approve, overpaid
from vouchers.banking.payout_models import PayoutTransfer
from vouchers.banking.services import refunds, statements
from vouchers.banking.services import transfers as transfer_states
from vouchers.employers.models import Employer
from vouchers.ledger.services.consistency import check_ledger

EN = {"Accept-Language": "en"}


@pytest.fixture
def course(db_session, admin, today):
    return start_course(db_session, admin, today)


@pytest.fixture
def second_admin(db_session):
    return make_user(db_session, Role.FUND_ADMIN, language="en")


@pytest.fixture
def employer_user(db_session):
    return make_user(db_session, Role.EMPLOYER, language="en")


def test_a_returned_claim_transfer_says_why_in_words_everywhere(app, db_session, client, admin, today, course):
    batch, (kept, returned) = batch_of(db_session, admin, today, course)
    import_camt(db_session, admin, [paid_debit(f"TNW-CLAIM-{c.id}", c.amount_cents, ref=f"OUT-{c.id}")
                                    for c in (kept, returned)], "STMT-WHY-1")
    result = import_camt(db_session, admin, [returned_credit(f"TNW-CLAIM-{returned.id}", returned.amount_cents,
                                                             reason="AC01", ref="BACK-WHY")], "STMT-WHY-2")
    [line] = result.statements[0].new_lines
    transfer = transfer_of(db_session, returned)
    assert (line.is_return, line.return_reason_code) == (True, "AC01")
    assert (transfer.status, transfer.reason_code, transfer.return_line_id) == ("returned", "AC01", line.id)
    assert returned.status == "approved"  # waits for the next batch
    [words] = told_exactly(app, db_session, "claim_payout_returned", [course.staff])
    assert "the account number is wrong" in words.body
    assert check_ledger(db_session) == []

    assert login(client, admin.email).status_code == 302
    for path in (f"/admin/fund/bank-lines/{line.id}", f"/admin/fund/payout-transfers/{transfer.id}",
                 f"/admin/fund/payouts/{batch.id}"):
        page = client.get(path, headers=EN)
        assert page.status_code == 200, path
        assert "the account number is wrong (AC01)" in page.get_data(as_text=True), path
    assert transfer.end_to_end_id in client.get(f"/admin/fund/bank-lines/{line.id}", headers=EN).get_data(as_text=True)


def test_a_return_recorded_by_hand_takes_the_reason_the_statement_gave(db_session, admin, today, course):
    _batch, (claim, other) = batch_of(db_session, admin, today, course)
    import_camt(db_session, admin, [paid_debit(f"TNW-CLAIM-{c.id}", c.amount_cents, ref=f"OUT-H-{c.id}")
                                    for c in (claim, other)], "STMT-HAND-1")
    # The bank dropped our end-to-end id: the import cannot tell which transfer came back, a person can.
    back = returned_credit("NOTPROVIDED", claim.amount_cents, reason="MD07", ref="BACK-HAND")
    [line] = import_camt(db_session, admin, [back], "STMT-HAND-2").statements[0].new_lines
    assert (line.status, line.is_return, line.return_reason_code) == ("unmatched", True, "MD07")
    transfer = transfer_of(db_session, claim)
    transfer_states.record_return(db_session, admin, transfer.id, reason="Seen on the statement", line_id=line.id,
                                  today=today, now=utcnow())
    assert (transfer.status, transfer.reason_code, transfer.return_line_id) == ("returned", "MD07", line.id)
    assert (line.status, line.ignore_reason) == ("ignored", "reversal")


def test_a_returned_refund_naming_the_employer_goes_back_to_the_refund(app, db_session, admin, employer_user,
                                                                     second_admin, today):
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    over = overpaid(db_session, admin, employer_user, today)  # 2,000 € paid for 1,800 €: 200 € to refund
    data = DeclarationData(worker_first_name="Bo", worker_last_name="Janssens", worker_niss=new_niss(),
                           contract_end_on=today - timedelta(days=10))
    other = declare_dismissal(db_session, employer_user, data, today=today, now=utcnow()).declaration.contribution
    db_session.flush()
    statements.import_statement(db_session, admin, camt([Entry("1600.00", acct_svcr_ref=f"PART-{other.id}", txs=[
        Tx(reference=other.structured_reference)])], statement_id="STMT-PART"), file_name="p.xml", now=utcnow())
    assert other.status == "partially_paid"  # it still owes 200 €: exactly the refund's amount

    refund = refunds.propose_refund(db_session, admin, over.id, amount_cents=None, reason="Overpaid", now=utcnow())
    approve(db_session, second_admin, refund.id, today)
    statements.import_statement(db_session, admin, camt([paid_debit(f"TNW-REFUND-{refund.id}", 20_000, ref="RF-1")],
                                                        statement_id="STMT-RF-1"), file_name="r1.xml", now=utcnow())
    assert refund.status == "paid"

    employer = db_session.get(Employer, employer_user.employer_id)
    number = employer.enterprise_number
    back = Entry(euros(20_000), acct_svcr_ref="RF-2", booked_on="2026-11-24", family=("PMNT", "ICDT", "RRTN"),
                 txs=[Tx(end_to_end=f"TNW-REFUND-{refund.id}", debtor=employer.company_name,
                         ustrd=f"Retour {employer.company_name} KBO {number[:4]}.{number[4:7]}.{number[7:]}",
                         return_reason="AC04")])
    result = statements.import_statement(db_session, admin, camt([back], statement_id="STMT-RF-2"),
                                         file_name="r2.xml", now=utcnow())
    [line] = result.statements[0].new_lines
    assert line.enterprise_number == number and line.is_return
    assert other.status == "partially_paid" and line.contribution_id is None  # not the other contribution's money
    assert refund.status == "returned" and over.status == "overpaid"
    transfer = db_session.query(PayoutTransfer).filter_by(refund_id=refund.id).one()
    assert (transfer.status, transfer.reason_code, transfer.return_line_id) == ("returned", "AC04", line.id)
    [back_told] = told_exactly(app, db_session, "contribution_refund_returned", [employer_user])
    assert "the account is closed" in back_told.body
    assert check_ledger(db_session) == []
