"""Issue #20: a credit that brings back a transfer the fund sent (a return: CAMT ``TxDtls/RtrInf``, or a return's bank
transaction code such as PMNT/ICDT/RRTN; a CODA R-transaction of type reject, return or refund) keeps the bank's
reason (AC04 account closed...), and is never booked to an employer's contribution automatically: not by the
employer's enterprise number and its amount, not by a reference it carries. The fund's payouts take it
(tests/vouchers/test_payout_return_reasons.py), or it waits for a person."""

from __future__ import annotations

import pytest

from portal.clock import utcnow
from tests.vouchers.bank_statements.coda_support import Movement, coda
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking import camt as camt_reader
from vouchers.banking import coda as coda_reader
from vouchers.banking.models import BankLine
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import Declaration, Employer


def _import(db_session, admin, data: bytes, name: str = "s.xml") -> list[BankLine]:
    result = statement_services.import_statement(db_session, admin, data, file_name=name, now=utcnow())
    db_session.flush()
    return result.statements[0].new_lines


def _employer_of(db_session, contribution) -> Employer:
    return db_session.get(Employer, db_session.get(Declaration, contribution.declaration_id).employer_id)


# --- the reason, as the statement gives it -------------------------------------------------------------------


def test_camt_keeps_the_return_reason_code_and_its_proprietary_form():
    parsed = camt_reader.parse(camt([
        Entry("250.00", acct_svcr_ref="R-1", family=("PMNT", "ICDT", "RRTN"),
              txs=[Tx(end_to_end="TNW-CLAIM-7", return_reason="AC04")]),
        Entry("90.00", acct_svcr_ref="R-2", txs=[Tx(return_reason="MD07")]),  # RtrInf alone makes it a return
        Entry("40.00", acct_svcr_ref="R-3", family=("PMNT", "ICDT", "RRTN"), txs=[Tx()]),  # the code alone too
        Entry("1800.00", acct_svcr_ref="P-1", txs=[Tx(ustrd="a payment")]),
    ]).replace(b"<Rsn><Cd>MD07</Cd></Rsn>", b"<Rsn><Prtry>MD07</Prtry></Rsn>"))
    lines = parsed.statements[0].lines
    assert [(line.returned, line.return_reason_code) for line in lines] == [
        (True, "AC04"), (True, "MD07"), (True, None), (False, None)]


def test_coda_keeps_the_return_reason_of_an_r_transaction():
    parsed = coda_reader.parse(coda([
        Movement("250.00", free_text="Retour TNW-CLAIM-7", r_type="2", return_reason="AC01", end_to_end="TNW-CLAIM-7"),
        Movement("90.00", free_text="Retour", r_type="1", return_reason="MD07"),
        Movement("1800.00", free_text="a payment"),
    ]))
    lines = parsed.statements[0].lines
    assert [(line.returned, line.return_reason_code) for line in lines] == [
        (True, "AC01"), (True, "MD07"), (False, None)]


def test_the_line_keeps_the_reason_and_that_it_is_a_return(db_session, admin, client, admin_headers):
    returned, debit, paid = _import(db_session, admin, camt([
        Entry("250.00", acct_svcr_ref="R-4", family=("PMNT", "ICDT", "RRTN"), txs=[Tx(return_reason="AC04")]),
        Entry("20.00", direction="DBIT", acct_svcr_ref="R-5", txs=[Tx(creditor="Someone", return_reason="AM05")]),
        Entry("30.00", acct_svcr_ref="R-6", txs=[Tx(ustrd="a payment")]),
    ], statement_id="S-RET-1"))
    assert (returned.is_return, returned.return_reason_code, returned.status) == (True, "AC04", "unmatched")
    assert (debit.is_return, debit.returns_credit, debit.return_reason_code) == (False, True, "AM05")
    assert (paid.is_return, paid.return_reason_code) == (False, None)
    body = client.get(f"/api/v1/admin/bank-lines/{returned.id}", headers=admin_headers).get_json()
    assert (body["is_return"], body["return_reason_code"]) == (True, "AC04")


def test_the_line_page_says_the_reason_in_words(db_session, admin, admin_client):
    (line,) = _import(db_session, admin, camt([
        Entry("250.00", acct_svcr_ref="R-7", txs=[Tx(return_reason="MD07", ustrd="Return")])], statement_id="S-RET-2"))
    page = admin_client.get(f"/admin/fund/bank-lines/{line.id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "the account holder has died (MD07)" in text
    assert "never booked to a contribution automatically" in text


# --- never booked to a contribution automatically ------------------------------------------------------------


def _naming(employer: Employer, **tx) -> Tx:
    number = employer.enterprise_number
    return Tx(debtor=employer.company_name, ustrd=f"KBO {number[:4]}.{number[4:7]}.{number[7:]}", **tx)


RETURNS = {
    "a payment (control)": ({}, None),
    "RtrInf": ({"return_reason": "AC04"}, None),
    "return bank transaction code": ({}, ("PMNT", "ICDT", "RRTN")),
    "received transfer returned code": ({}, ("PMNT", "RCDT", "RRTN")),
}


@pytest.mark.parametrize("how", RETURNS)
def test_a_return_is_never_matched_by_enterprise_number_and_amount(db_session, admin, declare, how):
    contribution = declare()  # 1,800 € due: the only open contribution of its employer
    employer = _employer_of(db_session, contribution)
    tx, family = RETURNS[how]
    (line,) = _import(db_session, admin, camt([Entry("1800.00", acct_svcr_ref=f"RE-{how}", family=family,
                                                     txs=[_naming(employer, **tx)])], statement_id=f"S-{how}"))
    db_session.refresh(contribution)
    assert line.enterprise_number == employer.enterprise_number
    if how == "a payment (control)":  # the same credit, not a return, is booked: the rule is what stops the others
        assert (line.status, line.match_method, contribution.status) == ("matched", "enterprise", "paid")
        return
    assert line.is_return
    assert (line.status, line.contribution_id, line.allocations) == ("unmatched", None, [])  # the manual queue
    assert contribution.status == "due"


@pytest.mark.parametrize("how", ["RtrInf", "return bank transaction code"])
def test_a_return_is_never_matched_by_a_reference_it_carries_either(db_session, admin, declare, how):
    contribution = declare()
    tx, family = RETURNS[how]
    (line,) = _import(db_session, admin, camt([Entry("1800.00", acct_svcr_ref=f"RR-{how}", family=family,
                                                     txs=[Tx(reference=contribution.structured_reference, **tx)])],
                                              statement_id=f"S-R-{how}"))
    db_session.refresh(contribution)
    assert line.structured_reference == contribution.structured_reference
    assert (line.is_return, line.status, contribution.status) == (True, "unmatched", "due")


def test_a_coda_return_is_not_matched_either(db_session, admin, declare):
    contribution = declare()
    employer = _employer_of(db_session, contribution)
    number = employer.enterprise_number
    (line,) = _import(db_session, admin, coda([Movement("1800.00", free_text=f"Retour KBO {number}", r_type="2",
                                                        return_reason="AC04", name=employer.company_name)]),
                      name="s.cod")
    db_session.refresh(contribution)
    assert (line.is_return, line.return_reason_code, line.status) == (True, "AC04", "unmatched")
    assert contribution.status == "due"


def test_a_person_may_still_match_a_return_by_hand(db_session, admin, declare):
    """The manual queue: a person who knows better decides, with a reason (audited as any match)."""
    from vouchers.banking.services import lines as line_services

    contribution = declare()
    (line,) = _import(db_session, admin, camt([Entry("1800.00", acct_svcr_ref="RH-1",
                                                     txs=[Tx(return_reason="AC04")])], statement_id="S-RH"))
    line_services.match_line(db_session, admin, line.id, contribution_id=contribution.id,
                             reason="The bank flagged a payment as a return by mistake", now=utcnow())
    assert (line.status, line.match_method) == ("matched", "manual")
