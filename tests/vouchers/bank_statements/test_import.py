"""Importing statements through the services: matching by structured reference, the contributions'
statuses, money that reconciles to the cent, duplicates that add nothing, and the queue."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_user
from tests.vouchers.bank_statements.conftest import SAMPLES, Entry, Tx, camt
from vouchers.banking.models import BankLine, BankStatement
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import statements as statement_services
from vouchers.banking.services import suggestions as suggestion_services
from vouchers.employers.domain import format_structured_reference
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    Employer,
)
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.consistency import check_ledger

NOV_20, NOV_21 = date(2026, 11, 20), date(2026, 11, 21)


def _import(db_session, admin, data: bytes, name: str = "statement.xml") -> statement_services.ImportResult:
    result = statement_services.import_statement(db_session, admin, data, file_name=name, now=utcnow())
    db_session.flush()
    return result


def _refresh(db_session, *contributions: Contribution) -> list[str]:
    for contribution in contributions:
        db_session.refresh(contribution)
    return [c.status for c in contributions]


def _bank_money(db_session, contribution: Contribution) -> int:
    return int(db_session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0)).where(
        ContributionPayment.contribution_id == contribution.id, ContributionPayment.source == "bank")))


def _cash_ledger(db_session, contribution: Contribution) -> int:
    return int(db_session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.account == "cash", LedgerEntry.contribution_id == contribution.id)))


def test_a_mixed_statement_reconciles_to_the_cent(db_session, admin, declare):
    exact, partial, over, batched, stranger = (declare() for _ in range(5))
    employer_user = make_user(db_session, Role.EMPLOYER, language="en")
    payer_owes = declare(employer_user)
    declare(employer_user)  # the payer owes two contributions of the same amount: its number alone cannot tell
    payer = db_session.get(Employer, db_session.get(Declaration, payer_owes.declaration_id).employer_id)
    unknown = "000000009797"  # valid mod 97, but no contribution has it
    assert db_session.scalar(select(Contribution.id).where(Contribution.structured_reference == unknown)) is None
    cash_before = ledger.fund_position(db_session).cash_cents

    day_one = camt([
        # Exact, by the Belgian structured reference (Strd, SCOR + BBA).
        Entry("1800.00", acct_svcr_ref="BANK-0001", txs=[Tx(reference=exact.structured_reference)]),
        # A partial payment, the reference typed in the free text.
        Entry("1000.00", acct_svcr_ref="BANK-0002", txs=[Tx(
            ustrd=f"Contribution {format_structured_reference(partial.structured_reference)}")]),
        # Too much, the reference typed without the +++.
        Entry("2000.00", acct_svcr_ref="BANK-0003", txs=[Tx(ustrd=f"ref {partial_ref(over)}")]),
        # The same booking twice in the file: counted once.
        Entry("1800.00", acct_svcr_ref="BANK-0001", txs=[Tx(reference=exact.structured_reference)]),
        # A valid reference that is nobody's: waits in the queue.
        Entry("1800.00", acct_svcr_ref="BANK-0004", txs=[Tx(reference=unknown)]),
        # One booking carrying two payments (a batch): one matches, one has a mistyped reference.
        Entry("2300.00", acct_svcr_ref="BANK-0005", txs=[
            Tx(amount="1800.00", reference=batched.structured_reference),
            Tx(amount="500.00", reference=mistyped(stranger.structured_reference))]),
        # No reference at all, but the payer's enterprise number, and two of its contributions fit: a suggestion.
        Entry("1800.00", acct_svcr_ref="BANK-0006", txs=[Tx(ustrd="Bijdrage ontslag", debtor=payer.company_name,
                                                            debtor_id=f"BE{payer.enterprise_number}")]),
        # Money out: stored, never matched.
        Entry("250.00", direction="DBIT", acct_svcr_ref="BANK-0007",
              txs=[Tx(debtor=None, debtor_iban=None, creditor="Supplier SRL", ustrd="Invoice 12")]),
    ], statement_id="STMT-1120", sequence="320")

    first = _import(db_session, admin, day_one)
    assert not first.duplicate
    statement = first.statements[0]
    assert statement.repeated_lines == 1
    assert len(statement.new_lines) == 8  # 7 entries, one of them split in two, less the repeated one
    assert _refresh(db_session, exact, partial, over, batched, stranger, payer_owes) == [
        "paid", "partially_paid", "overpaid", "paid", "due", "due"]

    # The next day: the top-up, and the exact payment again in an overlapping statement (same bank reference).
    day_two = camt([
        Entry("800.00", booked_on="2026-11-21", acct_svcr_ref="BANK-0008",
              txs=[Tx(reference=partial.structured_reference)]),
        Entry("1800.00", acct_svcr_ref="BANK-0001", txs=[Tx(reference=exact.structured_reference)]),
    ], statement_id="STMT-1121", sequence="321")
    second = _import(db_session, admin, day_two)
    assert second.statements[0].repeated_lines == 1 and len(second.statements[0].new_lines) == 1
    assert _refresh(db_session, exact, partial, over, batched, stranger, payer_owes) == [
        "paid", "paid", "overpaid", "paid", "due", "due"]

    # Every status, and every payment once.
    assert [_bank_money(db_session, c) for c in (exact, partial, over, batched, stranger, payer_owes)] == [
        180000, 180000, 200000, 180000, 0, 0]

    # The money reconciles to the cent: what was credited = what was matched + what is unmatched.
    lines = db_session.scalars(select(BankLine).order_by(BankLine.id)).all()
    credits = [line for line in lines if line.direction == "credit"]
    credited = sum(line.amount_cents for line in credits)
    assert credited == 180000 + 100000 + 200000 + 180000 + 230000 + 180000 + 80000
    matched = line_services.matched_payments_total(db_session, [line.id for line in credits if line.status == "matched"])
    count, unmatched = line_services.unmatched_money(db_session, from_on=NOV_20, to_on=NOV_21)
    assert (count, unmatched) == (3, 180000 + 50000 + 180000)
    assert matched == 180000 + 180000 + 200000 + 180000
    assert credited == matched + unmatched

    # The ledger's cash agrees with the payments, per contribution and in total.
    for contribution in (exact, partial, over, batched, stranger, payer_owes):
        assert _cash_ledger(db_session, contribution) == _bank_money(db_session, contribution)
    assert ledger.fund_position(db_session).cash_cents - cash_before == matched
    assert check_ledger(db_session) == []

    # Debits are kept, ignored.
    debit = next(line for line in lines if line.direction == "debit")
    assert (debit.status, debit.ignore_reason, debit.amount_cents, debit.contribution_id) == (
        "ignored", "debit", 25000, None)

    # The queue: the unknown reference, the mistyped one and the one without a reference.
    queue = line_services.list_lines(db_session, admin, line_services.LineFilters(status="unmatched"))
    assert [(line.amount_cents, line.reference_text is not None) for line in queue] == [
        (180000, True), (50000, True), (180000, False)]
    assert line_services.line_totals(db_session, admin, line_services.LineFilters(status="unmatched")) == (3, 410000)
    assert db_session.execute(line_services.unmatched_lines_query(NOV_20, NOV_21)).scalars().all() == queue
    assert line_services.unmatched_money(db_session, from_on=date(2026, 11, 21), to_on=date(2026, 12, 31)) == (0, 0)

    # The one without a reference suggests the payer's contribution, found by its enterprise number.
    no_reference = queue[2]
    assert no_reference.enterprise_number == payer.enterprise_number
    suggestions = suggestion_services.suggestions_for(db_session, no_reference)
    assert suggestions[0].contribution_id == payer_owes.id
    assert suggestions[0].reason == "employer_and_amount"
    assert all(s.contribution_id not in (exact.id, partial.id, over.id, batched.id) for s in suggestions)

    # Importing the first statement again adds nothing and says so.
    again = _import(db_session, admin, day_one)
    assert again.duplicate and again.statements[0].statement.id == statement.statement.id
    assert db_session.scalar(select(func.count()).select_from(BankLine)) == len(lines)
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 2
    assert [_bank_money(db_session, c) for c in (exact, partial, over, batched)] == [180000, 180000, 200000, 180000]

    # Each automatic match and each status change is in the audit log.
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "bank_line", AuditEntry.action == "matched")) == 5
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.object_type == "bank_statement", AuditEntry.action == "imported")) == 2


def mistyped(reference: str) -> str:
    return reference[:-1] + str((int(reference[-1]) + 1) % 10)


def partial_ref(contribution: Contribution) -> str:
    """``123/4567/89012``: a reference typed without the +++."""
    return format_structured_reference(contribution.structured_reference).strip("+")


def test_a_person_matches_and_dismisses_with_a_reason(db_session, admin, declare):
    contribution = declare()
    other = declare()
    result = _import(db_session, admin, camt([
        Entry("1800.00", acct_svcr_ref="Q-1", txs=[Tx(ustrd="for the dismissal of Ana")]),
        Entry("35.00", acct_svcr_ref="Q-2", txs=[Tx(ustrd="refund supplier")]),
        Entry("10.00", direction="DBIT", acct_svcr_ref="Q-3"),
    ]))
    to_match, to_dismiss, debit = result.statements[0].new_lines
    assert (to_match.status, to_dismiss.status) == ("unmatched", "unmatched")

    with pytest.raises(ValidationFailed) as too_long:
        line_services.match_line(db_session, admin, to_match.id, contribution_id=contribution.id, reason="x" * 3000,
                                 now=utcnow())
    assert "reason" in too_long.value.fields  # a reason is optional (API.md), but kept readable
    with pytest.raises(ValidationFailed) as nothing:
        line_services.match_line(db_session, admin, to_match.id, reason="phone call", now=utcnow())
    assert "structured_reference" in nothing.value.fields
    with pytest.raises(ValidationFailed):
        line_services.match_line(db_session, admin, to_match.id, reference="+++010/8068/17180+++", reason="x",
                            now=utcnow())
    with pytest.raises(ValidationFailed):
        line_services.match_line(db_session, admin, to_match.id, contribution_id=2**31 - 1, reason="x", now=utcnow())

    line, changed = line_services.match_line(
        db_session, admin, to_match.id, reference=format_structured_reference(contribution.structured_reference),
        reason="The employer confirmed by phone", now=utcnow())
    assert changed and line.status == "matched" and line.match_method == "manual"
    assert (line.decided_by, line.decision_reason) == (admin.id, "The employer confirmed by phone")
    assert _refresh(db_session, contribution) == ["paid"]

    # Idempotent: the same match again changes nothing and records no second payment.
    _line, changed = line_services.match_line(db_session, admin, to_match.id, contribution_id=contribution.id,
                                         reason="again", now=utcnow())
    assert not changed
    assert _bank_money(db_session, contribution) == 180000
    with pytest.raises(Conflict) as elsewhere:
        line_services.match_line(db_session, admin, to_match.id, contribution_id=other.id, reason="x", now=utcnow())
    assert elsewhere.value.code == "line_already_matched"
    with pytest.raises(Conflict):
        line_services.dismiss_line(db_session, admin, to_match.id, reason="x", now=utcnow())

    with pytest.raises(ValidationFailed):
        line_services.dismiss_line(db_session, admin, to_dismiss.id, reason="", now=utcnow())
    line, changed = line_services.dismiss_line(db_session, admin, to_dismiss.id, reason="A supplier's refund",
                                          now=utcnow())
    assert changed and line.status == "dismissed"
    assert not line_services.dismiss_line(db_session, admin, to_dismiss.id, reason="again", now=utcnow())[1]
    with pytest.raises(Conflict) as dismissed:
        line_services.match_line(db_session, admin, to_dismiss.id, contribution_id=other.id, reason="x", now=utcnow())
    assert dismissed.value.code == "line_dismissed"
    with pytest.raises(Conflict) as not_credit:
        line_services.match_line(db_session, admin, debit.id, contribution_id=other.id, reason="x", now=utcnow())
    assert not_credit.value.code == "line_not_matchable"
    assert _refresh(db_session, other) == ["due"]

    # Neither line is unmatched money any more; both decisions are audited with their reasons.
    assert line_services.unmatched_money(db_session, from_on=NOV_20, to_on=NOV_20) == (0, 0)
    audit = {(e.object_id, e.action): e for e in db_session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "bank_line", AuditEntry.actor_id == admin.id))}
    assert set(audit) == {(to_match.id, "matched"), (to_dismiss.id, "dismissed")}
    assert "The employer confirmed by phone" in audit[(to_match.id, "matched")].reason
    assert audit[(to_dismiss.id, "dismissed")].reason == "A supplier's refund"


def test_only_fund_administrators_may_import_or_decide(db_session, admin):
    result = _import(db_session, admin, camt([Entry("5.00", acct_svcr_ref="P-1")]))
    line = result.statements[0].new_lines[0]
    for role in (Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH):
        user = make_user(db_session, role)
        with pytest.raises(Forbidden):
            statement_services.import_statement(db_session, user, camt([Entry("5.00")], statement_id="X"), file_name=None,
                                      now=utcnow())
        with pytest.raises(Forbidden):
            line_services.match_line(db_session, user, line.id, contribution_id=1, reason="x", now=utcnow())
        with pytest.raises(Forbidden):
            line_services.dismiss_line(db_session, user, line.id, reason="x", now=utcnow())
        with pytest.raises(Forbidden):
            line_services.list_lines(db_session, user, line_services.LineFilters())
    with pytest.raises(NotFound):
        line_services.get_line(db_session, admin, 2**31 - 1)


def test_a_malformed_file_adds_nothing(db_session, admin):
    before = db_session.scalar(select(func.count()).select_from(BankStatement))
    with pytest.raises(statement_services.InvalidStatementFile) as refused:
        statement_services.import_statement(db_session, admin, b"<not-xml", file_name="x.xml", now=utcnow())
    assert refused.value.status == 422 and refused.value.code == "xml_malformed"
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == before


def test_lines_other_than_booked_euro_credits_stay_out_of_matching(db_session, admin, declare):
    contribution = declare()
    ref = contribution.structured_reference
    result = _import(db_session, admin, camt([
        Entry("1800.00", acct_svcr_ref="R-1", reversal=True, txs=[Tx(reference=ref)]),
        Entry("1800.00", acct_svcr_ref="R-2", status="PDNG", txs=[Tx(reference=ref)]),
        Entry("1800.00", acct_svcr_ref="R-3", currency="USD", txs=[Tx(reference=ref)]),
    ]))
    assert [(line.status, line.ignore_reason) for line in result.statements[0].new_lines] == [
        ("ignored", "reversal"), ("ignored", "not_booked"), ("ignored", "currency")]
    assert _refresh(db_session, contribution) == ["due"]
    assert line_services.unmatched_money(db_session, from_on=NOV_20, to_on=NOV_20) == (0, 0)


def test_a_batch_whose_parts_do_not_add_up_stays_one_line(db_session, admin, declare):
    contribution = declare()
    result = _import(db_session, admin, camt([
        Entry("2000.00", acct_svcr_ref="B-1", txs=[Tx(amount="1800.00", reference=contribution.structured_reference),
                                                   Tx(amount="100.00")]),
    ]))
    (line,) = result.statements[0].new_lines
    assert (line.amount_cents, line.tx_index, line.status, line.structured_reference) == (200000, 0, "unmatched", None)
    assert _refresh(db_session, contribution) == ["due"]


def test_statements_without_bank_references_are_known_by_their_place(db_session, admin):
    data = camt([Entry("5.00"), Entry("5.00")], statement_id="NOREF", sequence=None)
    first = _import(db_session, admin, data)
    assert len(first.statements[0].new_lines) == 2  # two equal payments are two payments
    assert _import(db_session, admin, data).duplicate
    # The same statement id with another sequence number is another statement.
    other = _import(db_session, admin, camt([Entry("5.00")], statement_id="NOREF", sequence="2"))
    assert not other.duplicate and len(other.statements[0].new_lines) == 1


@pytest.mark.parametrize("name", [p.name for p in sorted(SAMPLES.glob("*.xml"))])
def test_every_sample_imports_once(db_session, admin, name):
    data = (SAMPLES / name).read_bytes()
    first = _import(db_session, admin, data, name)
    assert not first.duplicate
    lines = first.statements[0].new_lines
    assert lines and all(line.id for line in lines)
    again = _import(db_session, admin, data, name)
    assert again.duplicate
    assert db_session.scalar(select(func.count()).select_from(BankLine)) == len(lines)


def test_the_monthly_sample_keeps_every_credit_as_unmatched_money(db_session, admin):
    _import(db_session, admin, (SAMPLES / "subite_BE68793230773034-202411.xml").read_bytes())
    # Its 4 credits carry no Belgian reference: 180,000.00 EUR waits in the queue; debits are left out.
    assert line_services.unmatched_money(db_session, from_on=date(2024, 11, 1), to_on=date(2024, 11, 30)) == (
        4, 18_000_000)
    assert line_services.unmatched_money(db_session, from_on=date(2024, 12, 1), to_on=date(2024, 12, 31)) == (0, 0)
