"""The accounting journal: every ledger entry of a period, each a booking between its account and its
counter-account that balances by itself; the same lines as CSV (API) and on the page, with totals per account."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coaching.claims.models import Claim
from portal.clock import utcnow
from portal.payments import FakeGateway
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer, login
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from tests.vouchers.test_payouts import DEBTOR, start_course
from vouchers.banking.services import payouts
from vouchers.employers.services import payments
from vouchers.ledger.domain import Period, month_of
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import corrections, journal
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.journal import HEADER


@pytest.fixture
def year(db_session, admin, today, declare, import_statement) -> dict:
    """A slice of the fund's life, all booked today: funding, vouchers, claims approved and paid, a contribution
    paid by transfer, one by card and refunded, a correction; and one entry booked before the period."""
    ledger.record_funding(db_session, amount_cents=99, booked_on=today - timedelta(days=400), memo="long ago")
    course = start_course(db_session, admin, today)
    paid = course.claim()
    batch = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    payouts.mark_batch_paid(db_session, admin, batch.id, today=today, now=utcnow())
    course.claim(minutes=90)  # approved, not paid
    by_bank = declare()
    import_statement(camt([Entry("1800.00", acct_svcr_ref="J-1", txs=[Tx(reference=by_bank.structured_reference)])],
                          statement_id="J-1"))
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    by_card = declare(employer)
    gateway = FakeGateway()
    intent = payments.start_card_payment(db_session, employer, by_card.declaration_id, gateway, today=today,
                                         now=utcnow())
    gateway.succeed(intent.id)
    payments.sync_payment_intent(db_session, gateway, intent.id, today=today, now=utcnow())
    gateway.refund(intent.id)
    payments.sync_refunds(db_session, gateway, intent.id, today=today, now=utcnow())
    odd = ledger.record_funding(db_session, amount_cents=1_000, booked_on=today, memo="=HYPERLINK(\"x\")")
    db_session.flush()
    correction = corrections.correct_entry(db_session, admin, odd.id, amount_cents=100, reason="-10 typed for 1",
                                           today=today, now=utcnow())
    db_session.flush()
    # The transfer is booked on the statement's own day, not today: the period runs from the first day to the last.
    first, last = db_session.execute(select(func.min(LedgerEntry.booked_on), func.max(LedgerEntry.booked_on)).where(
        LedgerEntry.booked_on >= today - timedelta(days=300))).one()
    return {"period": Period(first, last), "paid": paid, "by_bank": by_bank, "by_card": by_card, "odd": odd,
            "correction": correction}


def _lines(db_session, admin, period):
    return list(journal.journal_lines(db_session, admin, period))


def test_every_entry_of_the_period_is_one_balanced_line_with_its_counter_account(db_session, admin, year):
    period = year["period"]
    lines = _lines(db_session, admin, period)
    in_period = db_session.scalars(select(LedgerEntry).where(LedgerEntry.booked_on >= period.from_on,
                                                             LedgerEntry.booked_on <= period.to_on)).all()
    assert sorted(line.entry_id for line in lines) == sorted(e.id for e in in_period)
    assert [(line.booked_on, line.entry_id) for line in lines] == sorted((l.booked_on, l.entry_id) for l in lines)
    assert all(min(line.booking.debit_cents, line.booking.credit_cents) == 0 for line in lines)
    sides = {(line.kind, line.booking.account): (line.booking.counter, "debit" if line.booking.debit_cents else "credit")
             for line in lines if line.corrects_entry_id is None}
    assert sides == {
        ("funding", "cash"): ("funding", "debit"),
        ("voucher_committed", "committed"): ("commitments", "credit"),
        ("claim_approved", "committed"): ("commitments", "debit"),
        ("claim_approved", "payable"): ("coaching", "credit"),
        ("claim_paid", "payable"): ("transfers", "debit"),
        ("claim_paid", "cash"): ("transfers", "credit"),
        ("contribution_paid", "cash"): ("contributions", "debit"),
        ("contribution_refunded", "cash"): ("contributions", "credit"),
    }
    # Per ledger account, the journal's movement is the ledger's own sum (cash grows on the debit side).
    for account, sign in (("cash", 1), ("committed", -1), ("payable", -1)):
        ledger_sum = sum(e.amount_cents for e in in_period if e.account == account)
        moved = sum(l.booking.debit_cents - l.booking.credit_cents for l in lines if l.booking.account == account)
        assert moved == sign * ledger_sum, account
    corrected = next(line for line in lines if line.entry_id == year["correction"].id)
    assert (corrected.corrects_entry_id, corrected.kind, corrected.booking.credit_cents) == (
        year["odd"].id, "funding", 900)


def test_the_totals_per_account_are_the_lines_and_balance(db_session, admin, year):
    lines = _lines(db_session, admin, year["period"])
    totals = journal.journal_totals(db_session, admin, year["period"])
    expected: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        expected[line.booking.account][0] += line.booking.debit_cents
        expected[line.booking.account][1] += line.booking.credit_cents
        expected[line.booking.counter][0] += line.booking.credit_cents
        expected[line.booking.counter][1] += line.booking.debit_cents
    assert {a.account: [a.debit_cents, a.credit_cents] for a in totals.accounts} == dict(expected)
    assert totals.entries == len(lines) and totals.debit_cents == totals.credit_cents > 0
    transfers = next(a for a in totals.accounts if a.account == "transfers")
    assert transfers.balance_cents == 0 and transfers.debit_cents == year["paid"].amount_cents


def test_the_api_streams_the_journal_as_csv(client, db_session, admin, year):
    period = year["period"]
    headers = bearer(client, admin.email)
    response = client.get(f"/api/v1/admin/ledger/journal.csv?from_on={period.from_on}&to_on={period.to_on}",
                          headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="journal_{period.from_on}_{period.to_on}.csv"')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == HEADER
    assert len(rows) == len(_lines(db_session, admin, period))
    bank = next(r for r in rows if r["kind"] == "contribution_paid" and r["contribution_id"] == str(year["by_bank"].id))
    assert (bank["account"], bank["account_code"], bank["debit_cents"], bank["debit_euros"], bank["credit_cents"],
            bank["counter_account"], bank["counter_account_code"]) == (
        "cash", "550000", "180000", "1800.00", "0", "contributions", "730000")
    assert bank["structured_reference"] == year["by_bank"].structured_reference
    odd = next(r for r in rows if r["entry_id"] == str(year["odd"].id))
    assert odd["memo"] == "'=HYPERLINK(\"x\")"  # a spreadsheet does not run it
    fix = next(r for r in rows if r["entry_id"] == str(year["correction"].id))
    assert (fix["corrects_entry_id"], fix["credit_euros"]) == (str(year["odd"].id), "9.00")
    claim = db_session.get(Claim, year["paid"].id)
    paid = [r for r in rows if r["kind"] == "claim_paid" and r["claim_id"] == str(claim.id)]
    assert sorted((r["account"], r["counter_account"]) for r in paid) == [("cash", "transfers"),
                                                                         ("payable", "transfers")]
    assert all(r["voucher_code"] for r in paid)


def test_the_api_refuses_a_bad_period_and_strangers(client, db_session, admin):
    headers = bearer(client, admin.email)
    for query in ("from_on=2026-03-01", "from_on=2026-03-31&to_on=2026-03-01", "from_on=2025-01-01&to_on=2026-12-31",
                  "from_on=yesterday&to_on=2026-01-01"):
        refused = client.get(f"/api/v1/admin/ledger/journal.csv?{query}", headers=headers)
        assert refused.status_code == 422 and refused.get_json()["error"]["fields"], query
    assert client.get("/api/v1/admin/ledger/journal.csv?from_on=2026-03-01&to_on=2026-03-31").status_code == 401
    coach = bearer(client, make_user(db_session, Role.PROVIDER_ADMIN).email)
    assert client.get("/api/v1/admin/ledger/journal.csv?from_on=2026-03-01&to_on=2026-03-31",
                      headers=coach).status_code == 403


def test_the_page_shows_totals_and_pages_through_the_lines(client, db_session, admin, today):
    month = month_of(today)
    for n in range(55):
        ledger.record_funding(db_session, amount_cents=100 + n, booked_on=month.from_on, memo=f"part {n}")
    db_session.flush()
    assert login(client, admin.email).status_code == 302
    first = client.get("/admin/fund/ledger/journal")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "55 entries in the period." in html and 'id="journal-totals"' in html
    assert html.count('href="/admin/fund/ledger/entries/') == 50
    assert f"/api/v1/admin/ledger/journal.csv?from_on={month.from_on}&amp;to_on={month.to_on}" in html
    next_url = html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_url).get_data(as_text=True)
    assert second.count('href="/admin/fund/ledger/entries/') == 5 and "part 54" in second and "part 0<" not in second
    refused = client.get("/admin/fund/ledger/journal?from_on=2026-03-31&to_on=2026-03-01")
    assert refused.status_code == 422 and "The last day must be on or after the first day." in refused.get_data(
        as_text=True)


def test_the_reports_page_and_the_reconciliation_rows_lead_to_the_journal_and_the_entries(client, db_session, admin,
                                                                                         today):
    entry = ledger.record_funding(db_session, amount_cents=700, booked_on=today, memo="budget")
    db_session.flush()
    assert login(client, admin.email).status_code == 302
    assert "/admin/fund/ledger/journal" in client.get("/admin/fund/reports").get_data(as_text=True)
    month = month_of(today)
    rows = client.get(f"/admin/fund/reconciliation/rows?figure=funding&from_on={month.from_on}&to_on={month.to_on}")
    assert f'href="/admin/fund/ledger/entries/{entry.id}"' in rows.get_data(as_text=True)
