"""Pending entries and reversals (issue #20).

- A pending entry books nothing; the booked entry that follows it, even under the same bank reference, is
  matched as usual and never dropped as a repeat.
- A reversal or return of a booked credit undoes the payment it reverses: the contribution's money and status
  follow, through a counter-entry in the ledger (nothing is deleted). When the credit cannot be found for sure,
  the line waits for a person, who applies it with the match endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking.models import BankLine
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services.consistency import check_ledger


def _import(db_session, admin, data: bytes) -> statement_services.ImportResult:
    result = statement_services.import_statement(db_session, admin, data, file_name="s.xml", now=utcnow())
    db_session.flush()
    return result


def _money(db_session, contribution: Contribution) -> tuple[str, int, int]:
    db_session.refresh(contribution)
    paid = db_session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                             .where(ContributionPayment.contribution_id == contribution.id))
    cash = db_session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                             .where(LedgerEntry.account == "cash", LedgerEntry.contribution_id == contribution.id))
    return contribution.status, int(paid), int(cash)


def _ledger_rows(db_session, contribution: Contribution) -> list[int]:
    return list(db_session.scalars(select(LedgerEntry.amount_cents).where(LedgerEntry.contribution_id == contribution.id)
                                   .order_by(LedgerEntry.id)))


# --- pending, then booked ---------------------------------------------------------------------------


def test_a_pending_entry_then_the_same_entry_booked_is_matched(db_session, admin, declare):
    contribution = declare()
    tx = Tx(reference=contribution.structured_reference)
    pending = _import(db_session, admin, camt([Entry("1800.00", status="PDNG", acct_svcr_ref="PB-1", txs=[tx])],
                                              statement_id="PEND-1"))
    assert [(line.status, line.ignore_reason) for line in pending.statements[0].new_lines] == [
        ("ignored", "not_booked")]
    assert _money(db_session, contribution) == ("due", 0, 0)

    booked = _import(db_session, admin, camt([Entry("1800.00", acct_svcr_ref="PB-1", txs=[tx])], statement_id="PEND-2"))
    assert booked.statements[0].repeated_lines == 0
    assert [line.status for line in booked.statements[0].new_lines] == ["matched"]
    assert _money(db_session, contribution) == ("paid", 180000, 180000)

    # The booked entry again (an overlapping statement, the same file) books nothing twice; a pending report
    # of it that comes late books nothing either.
    again = _import(db_session, admin, camt([Entry("1800.00", acct_svcr_ref="PB-1", txs=[tx]),
                                             Entry("1800.00", status="PDNG", acct_svcr_ref="PB-1", txs=[tx])],
                                            statement_id="PEND-3"))
    assert again.statements[0].repeated_lines == 2
    assert _money(db_session, contribution) == ("paid", 180000, 180000)


def test_pending_and_booked_in_one_statement(db_session, admin, declare):
    contribution = declare()
    tx = Tx(reference=contribution.structured_reference)
    result = _import(db_session, admin, camt([Entry("1800.00", status="PDNG", acct_svcr_ref="PB-2", txs=[tx]),
                                              Entry("1800.00", acct_svcr_ref="PB-2", txs=[tx])], version="08"))
    assert [line.status for line in result.statements[0].new_lines] == ["ignored", "matched"]
    assert _money(db_session, contribution) == ("paid", 180000, 180000)


# --- reversals and returns --------------------------------------------------------------------------


def _paid_by_bank(db_session, admin, contribution, *, ref: str = "CR-1", amount: str = "1800.00",
                  e2e: str = "E2E-CR-1") -> BankLine:
    result = _import(db_session, admin, camt([Entry(amount, acct_svcr_ref=ref, booked_on="2026-11-20",
                                                    txs=[Tx(reference=contribution.structured_reference,
                                                            end_to_end=e2e)])], statement_id=f"S-{ref}"))
    (line,) = result.statements[0].new_lines
    assert line.status == "matched"
    return line


@pytest.mark.parametrize("how", ["reversal", "return reason", "return code"])
def test_a_reversal_undoes_the_payment_it_reverses(db_session, admin, declare, how):
    contribution = declare()
    original = _paid_by_bank(db_session, admin, contribution)
    assert _money(db_session, contribution) == ("paid", 180000, 180000)

    kwargs = {"reversal": {"reversal": True}, "return reason": {}, "return code": {"family": ("PMNT", "RCDT", "RRTN")}}
    tx = Tx(reference=contribution.structured_reference, end_to_end="E2E-CR-1",
            return_reason="AC04" if how == "return reason" else None)
    data = camt([Entry("1800.00", direction="DBIT", acct_svcr_ref="RV-1", booked_on="2026-11-21", txs=[tx],
                       **kwargs[how])], statement_id="S-RV-1")
    result = _import(db_session, admin, data)
    (line,) = result.statements[0].new_lines
    assert (line.status, line.returns_credit, line.reverses_line_id, line.match_method) == (
        "matched", True, original.id, "reversal")
    assert [(a.contribution_id, a.amount_cents) for a in line.allocations] == [(contribution.id, -180000)]
    # Due again (the money never stayed), and the ledger keeps both movements: nothing deleted, nothing changed.
    assert _money(db_session, contribution) == ("due", 0, 0)
    assert _ledger_rows(db_session, contribution) == [180000, -180000]
    assert check_ledger(db_session) == []

    # Importing the reversal again books nothing twice.
    assert _import(db_session, admin, data).duplicate
    assert _money(db_session, contribution) == ("due", 0, 0)


def test_a_reversal_of_one_of_two_payments_leaves_the_contribution_partly_paid(db_session, admin, declare):
    contribution = declare()
    _paid_by_bank(db_session, admin, contribution, ref="HALF-1", amount="900.00", e2e="E2E-H1")
    second = _paid_by_bank(db_session, admin, contribution, ref="HALF-2", amount="900.00", e2e="E2E-H2")
    assert _money(db_session, contribution)[0] == "paid"
    result = _import(db_session, admin, camt([
        Entry("900.00", direction="DBIT", reversal=True, acct_svcr_ref="HALF-RV", booked_on="2026-11-21",
              txs=[Tx(reference=contribution.structured_reference, end_to_end="E2E-H2")])], statement_id="S-HALF-RV"))
    assert result.statements[0].new_lines[0].reverses_line_id == second.id
    assert _money(db_session, contribution) == ("partially_paid", 90000, 90000)


def test_a_reversal_of_a_split_credit_gives_back_every_part(db_session, admin, declare):
    first, second = declare(), declare()
    text = f"{first.structured_reference} {second.structured_reference}"
    credit = _import(db_session, admin, camt([Entry("3000.00", acct_svcr_ref="SPL-1", txs=[Tx(ustrd=text)])],
                                             statement_id="S-SPL-1")).statements[0].new_lines[0]
    assert [(a.contribution_id, a.amount_cents) for a in credit.allocations] == [(first.id, 180000), (second.id, 120000)]
    result = _import(db_session, admin, camt([
        Entry("3000.00", direction="DBIT", acct_svcr_ref="SPL-RV", booked_on="2026-11-21",
              txs=[Tx(ustrd=text, return_reason="MS03")])], statement_id="S-SPL-RV"))
    (line,) = result.statements[0].new_lines
    assert line.reverses_line_id == credit.id
    assert [(a.contribution_id, a.amount_cents) for a in line.allocations] == [(first.id, -180000), (second.id, -120000)]
    assert _money(db_session, first) == ("due", 0, 0)
    assert _money(db_session, second) == ("due", 0, 0)
    assert check_ledger(db_session) == []


def test_a_plain_debit_undoes_nothing(db_session, admin, declare):
    contribution = declare()
    _paid_by_bank(db_session, admin, contribution)
    result = _import(db_session, admin, camt([
        Entry("1800.00", direction="DBIT", acct_svcr_ref="FEE-1", booked_on="2026-11-21",
              txs=[Tx(reference=contribution.structured_reference, end_to_end="E2E-CR-1")])], statement_id="S-FEE"))
    assert [(line.status, line.ignore_reason) for line in result.statements[0].new_lines] == [("ignored", "debit")]
    assert _money(db_session, contribution) == ("paid", 180000, 180000)


def test_a_reversal_that_cannot_be_found_waits_for_a_person(client, db_session, admin, admin_headers, declare):
    contribution = declare()
    _paid_by_bank(db_session, admin, contribution)
    result = _import(db_session, admin, camt([
        Entry("1800.00", direction="DBIT", reversal=True, acct_svcr_ref="RV-LOST", booked_on="2026-11-21",
              txs=[Tx(ustrd="retour", debtor=None, debtor_iban=None)])], statement_id="S-RV-LOST"))
    (line,) = result.statements[0].new_lines
    assert (line.status, line.returns_credit, line.reverses_line_id) == ("unmatched", True, None)
    assert _money(db_session, contribution) == ("paid", 180000, 180000)

    queue = client.get("/api/v1/admin/bank-lines?status=unmatched", headers=admin_headers).get_json()
    assert [(item["id"], item["returns_credit"]) for item in queue["items"]] == [(line.id, True)]

    # The person says which contribution gave the money back (no 409: a reversal can be matched).
    applied = client.post(f"/api/v1/admin/bank-lines/{line.id}/match", headers=admin_headers, json={
        "allocations": [{"contribution_id": contribution.id, "amount_cents": 180000}], "reason": "The bank's letter"})
    assert applied.status_code == 200, applied.get_json()
    body = applied.get_json()
    assert body["status"] == "matched" and body["allocations"] == [
        {"contribution_id": contribution.id, "amount_cents": -180000}]
    assert _money(db_session, contribution) == ("due", 0, 0)
    assert _ledger_rows(db_session, contribution) == [180000, -180000]

    # A second reversal of the same credit is not applied by itself: that money was already taken back.
    second = _import(db_session, admin, camt([
        Entry("1800.00", direction="DBIT", reversal=True, acct_svcr_ref="RV-AGAIN", booked_on="2026-11-22",
              txs=[Tx(reference=contribution.structured_reference, end_to_end="E2E-CR-1")])], statement_id="S-AGAIN"))
    (again,) = second.statements[0].new_lines
    assert again.status == "unmatched"
    refused = client.post(f"/api/v1/admin/bank-lines/{again.id}/match", headers=admin_headers,
                          json={"contribution_id": contribution.id, "reason": "the bank says so"})
    assert refused.status_code == 422
    assert "allocations.0.amount_cents" in refused.get_json()["error"]["fields"]
    assert _money(db_session, contribution) == ("due", 0, 0)
    assert check_ledger(db_session) == []


def test_the_same_credit_is_reversed_once(db_session, admin, declare):
    contribution = declare()
    _paid_by_bank(db_session, admin, contribution)
    for index in (1, 2):
        _import(db_session, admin, camt([
            Entry("1800.00", direction="DBIT", reversal=True, acct_svcr_ref=f"RV-TWICE-{index}", booked_on="2026-11-21",
                  txs=[Tx(reference=contribution.structured_reference, end_to_end="E2E-CR-1")])],
            statement_id=f"S-TWICE-{index}"))
    statuses = list(db_session.scalars(select(BankLine.status).where(BankLine.returns_credit.is_(True))
                                       .order_by(BankLine.id)))
    assert statuses == ["matched", "unmatched"]
    assert _money(db_session, contribution) == ("due", 0, 0)


def test_a_person_applies_a_reversal_on_the_page(admin_client, db_session, admin, declare):
    import html
    import re

    contribution = declare()
    original = _paid_by_bank(db_session, admin, contribution)
    result = _import(db_session, admin, camt([
        Entry("1800.00", direction="DBIT", reversal=True, acct_svcr_ref="RV-PAGE", booked_on="2026-11-21",
              txs=[Tx(ustrd="storno")])], statement_id="S-RV-PAGE"))
    (line,) = result.statements[0].new_lines
    detail = admin_client.get(f"/admin/fund/bank-lines/{line.id}")
    text = html.unescape(detail.get_data(as_text=True))
    assert detail.status_code == 200
    assert f'id="contribution-{contribution.id}"' in text  # the credit of the same amount it may give back
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text).group(1)
    done = admin_client.post(f"/admin/fund/bank-lines/{line.id}/match", follow_redirects=True, data={
        "csrf_token": token, "contribution_id": str(contribution.id), "reason": "The bank reversed it"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert _money(db_session, contribution) == ("due", 0, 0)
    assert original.status == "matched"  # the credit's own record stays as it was


def test_the_queue_filters_by_statement(client, db_session, admin, admin_headers):
    first = _import(db_session, admin, camt([Entry("5.00", acct_svcr_ref="F-1"), Entry("6.00", acct_svcr_ref="F-2")],
                                            statement_id="FILTER-1"))
    _import(db_session, admin, camt([Entry("7.00", acct_svcr_ref="F-3")], statement_id="FILTER-2"))
    statement_id = first.statements[0].statement.id
    response = client.get(f"/api/v1/admin/bank-lines?statement_id={statement_id}", headers=admin_headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [item["amount_cents"] for item in body["items"]] == [500, 600]
    assert {item["statement_id"] for item in body["items"]} == {statement_id}
    assert body["total_count"] == 2
    assert client.get("/api/v1/admin/bank-lines?statement_id=0", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/admin/bank-lines?statement_id=x", headers=admin_headers).status_code == 422
    assert line_services.list_lines(db_session, admin, line_services.LineFilters(statement_id=statement_id + 99)) == []


def test_the_reconciliation_counts_a_reversed_contribution_as_unpaid(db_session, admin, declare, today):
    from vouchers.ledger.domain import Period
    from vouchers.ledger.services.reconciliation import contribution_figures

    contribution = declare()
    _paid_by_bank(db_session, admin, contribution)
    _import(db_session, admin, camt([
        Entry("1800.00", direction="DBIT", reversal=True, acct_svcr_ref="RV-REC", booked_on="2026-11-21",
              txs=[Tx(reference=contribution.structured_reference, end_to_end="E2E-CR-1")])], statement_id="S-RV-REC"))
    period = Period(contribution.due_on, contribution.due_on)
    figures = contribution_figures(db_session, period, today=max(today, contribution.due_on))
    assert (figures.unpaid.count, figures.refunded.count, figures.paid.count) == (1, 0, 0)
    assert figures.received_cents == 0


def test_the_dutch_samples_reversed_batch_waits_for_a_person(db_session, admin):
    """The real sample's reversed direct-debit batch (DBIT, RvslInd, UPDD, RtrInf) gives money back that no
    booked credit of ours received: its two payments wait for a person; the plain debit stays out of matching."""
    from tests.vouchers.bank_statements.conftest import SAMPLES

    result = _import(db_session, admin, (SAMPLES / "oca_test-camt053.xml").read_bytes())
    lines = result.statements[0].new_lines
    assert [(line.direction, line.amount_cents, line.status, line.returns_credit) for line in lines] == [
        ("debit", 75425, "ignored", False), ("debit", 56405, "unmatched", True), ("debit", 10000, "unmatched", True),
        ("credit", 140531, "unmatched", False)]
    assert line_services.unmatched_money(db_session, from_on=lines[0].booked_on.replace(day=1),
                                         to_on=lines[-1].booked_on) == (1, 140531)  # money in only
