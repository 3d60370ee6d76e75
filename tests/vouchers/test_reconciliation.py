"""The reconciliation of a period: every figure to the cent, built through the real services
(declarations, bank and card payments, refunds, vouchers, claims, payout batches, a bank statement),
the same figures through the API and as CSV, each figure's rows, and bad periods refused."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import literal, select

from coaching.claims.models import Claim
from coaching.claims.services import reject_claim
from portal.clock import utcnow
from portal.errors import Forbidden, ValidationFailed
from portal.payments import FakeGateway
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.web import bearer, login
from tests.vouchers.test_payouts import DEBTOR, start_course
from vouchers.banking.services import payouts
from vouchers.employers import domain as employer_domain
from vouchers.employers.models import Contribution
from vouchers.employers.services import declarations as employers_declarations
from vouchers.employers.services import payments as employers_payments
from vouchers.ledger.domain import Period, check_period, month_of
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services import reconciliation, reconciliation_sql
from vouchers.ledger.services.reconciliation import Figure, reconcile

MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
MARCH_ARGS = "from_on=2026-03-01&to_on=2026-03-31"
D = date


def declare(db_session, employer_user, *, due_on: date) -> Contribution:
    """A declaration through the employers' service whose contribution (180,000 cents) is due on ``due_on``."""
    contract_end = due_on - timedelta(days=45)
    data = employers_declarations.DeclarationData(worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
                                     contract_end_on=contract_end)
    result = employers_declarations.declare_dismissal(db_session, employer_user, data, today=contract_end + timedelta(days=1),
                                         now=utcnow())
    db_session.flush()
    contribution = result.declaration.contribution
    assert contribution.due_on == due_on and contribution.amount_cents == 180_000
    return contribution


def pay_by_bank(db_session, contribution: Contribution, cents: int, on: date) -> None:
    assert employers_payments.record_bank_payment(db_session, contribution.id, amount_cents=cents,
                                         external_id=f"bank-test-{contribution.id}-{on}-{cents}", booked_on=on,
                                         now=utcnow())


@dataclass
class March:
    contributions: dict[str, Contribution]
    claims: dict[str, Claim]
    employer_user: Any
    course: Any


def build_march(db_session, admin) -> March:
    """A year's slice: what happened around March 2026 (all dates passed to the services).

    Contributions due in March (expected: 7 x 180,000 = 1,260,000):
      c1 due 03-05, paid by bank 03-02                            -> paid 180,000
      c2 due 03-10, 50,000 by bank 03-08                          -> partially paid, overdue (130,000 owed)
      c3 due 03-15, 180,000 on 03-14 and 20,000 on 03-16          -> overpaid 200,000 (excess 20,000)
      c4 due 03-20, card 03-18, refunded in full 03-25            -> refunded 180,000
      c5 due 03-25, nothing                                       -> unpaid, overdue
      c6 due 03-31, nothing                                       -> unpaid, not overdue (due the last day)
      c7 due 03-12, paid by bank on 04-05 (after the period)      -> unpaid and overdue on 03-31
    Outside the cohort: c8 due 04-10 but paid 03-20 (cash in March); c0 due 02-15 paid 02-14.
    Funding: 1,800,000 on 02-20 (the course's budget) and 500,000 on 03-01.
    Claims: 15,000 approved 02-20; 22,500 and 60,000 approved 03-10; the three paid 03-20;
    22,500 approved 03-28 (unpaid); one claim rejected 03-28.
    """
    employer_user = make_user(db_session, Role.EMPLOYER, language="en")
    due = {"c0": D(2026, 2, 15), "c1": D(2026, 3, 5), "c2": D(2026, 3, 10), "c3": D(2026, 3, 15),
           "c4": D(2026, 3, 20), "c5": D(2026, 3, 25), "c6": D(2026, 3, 31), "c7": D(2026, 3, 12),
           "c8": D(2026, 4, 10)}
    c = {key: declare(db_session, employer_user, due_on=on) for key, on in due.items()}
    pay_by_bank(db_session, c["c0"], 180_000, D(2026, 2, 14))
    pay_by_bank(db_session, c["c1"], 180_000, D(2026, 3, 2))
    pay_by_bank(db_session, c["c2"], 50_000, D(2026, 3, 8))
    pay_by_bank(db_session, c["c3"], 180_000, D(2026, 3, 14))
    pay_by_bank(db_session, c["c3"], 20_000, D(2026, 3, 16))
    pay_by_bank(db_session, c["c7"], 180_000, D(2026, 4, 5))
    pay_by_bank(db_session, c["c8"], 180_000, D(2026, 3, 20))
    gateway = FakeGateway()
    intent = employers_payments.start_card_payment(db_session, employer_user, c["c4"].declaration_id, gateway,
                                          today=D(2026, 3, 17), now=utcnow())
    gateway.succeed(intent.id)
    employers_payments.sync_payment_intent(db_session, gateway, intent.id, today=D(2026, 3, 18), now=utcnow())
    gateway.refund(intent.id)
    employers_payments.sync_refunds(db_session, gateway, intent.id, today=D(2026, 3, 25), now=utcnow())
    ledger.record_funding(db_session, amount_cents=500_000, booked_on=D(2026, 3, 1), memo="budget March")

    course = start_course(db_session, admin, D(2026, 2, 20))  # books 1,800,000 funding on 02-20
    claims = {"feb": course.claim(minutes=60)}  # 15,000 approved 02-20
    course.today = D(2026, 3, 10)
    claims["a"] = course.claim(minutes=90)  # 22,500
    claims["b"] = course.claim(minutes=120, sessions=2)  # 2 x 30,000
    batch = payouts.create_payout_batch(db_session, admin, today=D(2026, 3, 20), now=utcnow(), **DEBTOR)
    payouts.mark_batch_paid(db_session, admin, batch.id, today=D(2026, 3, 20), now=utcnow())
    course.today = D(2026, 3, 28)
    claims["c"] = course.claim(minutes=90)  # 22,500, approved, not paid
    claims["rejected"] = course.claim(approve=False)
    reject_claim(db_session, admin, claims["rejected"].id, "not our voucher", today=D(2026, 3, 28), now=utcnow())
    db_session.flush()
    assert {k: v.status for k, v in c.items()} == {
        "c0": "paid", "c1": "paid", "c2": "partially_paid", "c3": "overpaid", "c4": "refunded", "c5": "due",
        "c6": "due", "c7": "paid", "c8": "paid"}
    return March(c, claims, employer_user, course)


@pytest.fixture
def march(db_session, admin) -> March:
    return build_march(db_session, admin)


# --- the figures -------------------------------------------------------------------------------


def test_every_figure_of_march_to_the_cent(db_session, admin, march, today):
    figures = reconcile(db_session, admin, MARCH, today=today)
    c = figures.contributions
    assert figures.as_of_on == MARCH.to_on
    assert c.expected == Figure(7, 1_260_000)
    assert c.paid == Figure(1, 180_000)
    assert c.partially_paid == Figure(1, 50_000)
    assert c.overpaid == Figure(1, 200_000)
    assert c.refunded == Figure(1, 180_000)
    assert c.unpaid == Figure(3, 540_000)  # c5, c6, c7 (c7's money came in April)
    assert c.processing == Figure(0, 0)
    assert c.overdue == Figure(3, 130_000 + 180_000 + 180_000)  # c2, c5, c7; c6 is due on the last day
    assert c.received_cents == 180_000 + 50_000 + 200_000  # c4's card payment was given back
    assert c.outstanding_cents == 130_000 + 3 * 180_000
    assert c.excess_cents == 20_000
    assert sum(getattr(c, s).count for s in reconciliation.CONTRIBUTION_STATES) == c.expected.count

    cash = figures.cash
    assert cash.opening_cents == 180_000 + 1_800_000  # c0 and the course's budget, in February
    assert cash.received == Figure(6, 180_000 + 50_000 + 180_000 + 20_000 + 180_000 + 180_000)  # c1 c2 c3 c3 c4 c8
    assert cash.refunds == Figure(1, 180_000)
    assert cash.funding == Figure(1, 500_000)
    assert cash.paid_out == Figure(3, 15_000 + 22_500 + 60_000)
    assert cash.other_cents == 0
    assert cash.closing_cents == 1_980_000 + 790_000 - 180_000 + 500_000 - 97_500 == 2_992_500
    assert cash.opening_cents + cash.movements_cents == cash.closing_cents

    assert figures.claims_approved == Figure(3, 22_500 + 60_000 + 22_500)  # the February one is not March's
    assert figures.claims_paid == Figure(3, 97_500)
    # Five vouchers of 180,000 (February's, a, b, c, the rejected claim's) less their approved claims.
    assert figures.position.committed_cents == 5 * 180_000 - 15_000 - 22_500 - 60_000 - 22_500 == 780_000
    assert figures.position.payable_cents == 22_500
    assert figures.position.cash_cents == 2_992_500
    assert figures.position.available_cents == 2_992_500 - 780_000 - 22_500
    assert figures.unmatched == Figure(0, 0)


def test_the_balance_agrees_with_the_ledger_and_the_other_days(db_session, admin, march, today):
    on_31 = ledger.fund_position(db_session, on=MARCH.to_on)
    assert reconcile(db_session, admin, MARCH, today=today).position == on_31
    april = reconcile(db_session, admin, Period(D(2026, 4, 1), D(2026, 4, 30)), today=today)
    assert april.cash.opening_cents == on_31.cash_cents
    assert april.cash.received == Figure(1, 180_000)  # c7, late
    assert april.contributions.expected == Figure(1, 180_000)  # c8, paid in advance
    assert april.contributions.paid == Figure(1, 180_000)


def test_a_period_that_has_not_ended_is_judged_today_with_payments_in_flight(db_session, admin, today):
    employer_user = make_user(db_session, Role.EMPLOYER, language="en")
    waiting = declare(db_session, employer_user, due_on=today)
    late = declare(db_session, employer_user, due_on=today - timedelta(days=1))
    gateway = FakeGateway()
    intent = employers_payments.start_card_payment(db_session, employer_user, waiting.declaration_id, gateway, today=today,
                                          now=utcnow())
    gateway.set_status(intent.id, "processing")
    employers_payments.sync_payment_intent(db_session, gateway, intent.id, today=today, now=utcnow())
    assert waiting.status == "processing"
    period = Period(today - timedelta(days=30), today + timedelta(days=30))
    figures = reconcile(db_session, admin, period, today=today)
    assert figures.as_of_on == today
    assert figures.contributions.processing == Figure(1, 180_000)
    assert figures.contributions.unpaid == Figure(1, 180_000)
    assert figures.contributions.overdue == Figure(1, 180_000)
    rows = reconciliation.figure_rows(db_session, admin, period, "overdue", today=today).rows
    assert [r.id for r in rows] == [late.id]
    # Judged on a past day, the in-flight payment is not known: both are simply unpaid.
    past = reconcile(db_session, admin, Period(period.from_on, today - timedelta(days=1)), today=today)
    assert past.contributions.processing == Figure(0, 0)


def test_the_state_in_sql_is_the_domain_rule(db_session):
    """``state_expression`` must say what ``contribution_status`` says, on every kind of case."""
    cases = [(amount, received, refunded, in_flight)
             for amount in (0, 180_000)
             for received in (0, 50_000, 180_000, 200_000)
             for refunded in (0, 50_000, 180_000, 200_000)
             for in_flight in (False, True)]
    for amount, received, refunded, in_flight in cases:
        expression = reconciliation_sql.state_expression(literal(amount), literal(received), literal(refunded),
                                                         literal(in_flight))
        in_sql = db_session.scalar(select(expression))
        expected = employer_domain.contribution_status(
            amount, employer_domain.PaymentSums(received, refunded), in_flight=in_flight)
        assert in_sql == ("unpaid" if expected == "due" else expected), (amount, received, refunded, in_flight)


def test_only_the_fund_sees_the_figures(db_session, march, today):
    for role in (Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH):
        with pytest.raises(Forbidden):
            reconcile(db_session, make_user(db_session, role), MARCH, today=today)
        with pytest.raises(Forbidden):
            reconciliation.figure_rows(db_session, make_user(db_session, role), MARCH, "paid", today=today)


# --- periods -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_on", "to_on", "field"), [
    (None, D(2026, 3, 31), "from_on"),
    (D(2026, 3, 1), None, "to_on"),
    (D(2026, 3, 2), D(2026, 3, 1), "to_on"),
    (D(2025, 1, 1), D(2026, 1, 2), "to_on"),  # 367 days
    (D(1999, 12, 31), D(2000, 1, 1), "from_on"),
    (D(2099, 12, 31), D(2100, 1, 1), "to_on"),
])
def test_bad_periods_are_refused(from_on, to_on, field):
    with pytest.raises(ValidationFailed) as refused:
        check_period(from_on, to_on)
    assert refused.value.status == 422 and field in refused.value.fields


def test_a_leap_year_is_one_period():
    assert check_period(D(2028, 1, 1), D(2028, 12, 31)).days == 366
    assert check_period(D(2026, 3, 1), D(2026, 3, 1)).days == 1
    assert month_of(D(2028, 2, 10)) == Period(D(2028, 2, 1), D(2028, 2, 29))


# --- the API -----------------------------------------------------------------------------------


def test_the_api_gives_every_figure(client, admin, march):
    headers = bearer(client, admin.email)
    response = client.get(f"/api/v1/admin/reconciliation?{MARCH_ARGS}", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["from_on"] == "2026-03-01" and body["to_on"] == "2026-03-31" and body["as_of_on"] == "2026-03-31"
    assert body["contributions"] == {
        "basis": "due_on", "expected": {"count": 7, "amount_cents": 1_260_000}, "paid": {"count": 1, "amount_cents": 180_000},
        "partially_paid": {"count": 1, "amount_cents": 50_000}, "overpaid": {"count": 1, "amount_cents": 200_000},
        "refunded": {"count": 1, "amount_cents": 180_000}, "unpaid": {"count": 3, "amount_cents": 540_000},
        "processing": {"count": 0, "amount_cents": 0}, "overdue": {"count": 3, "amount_cents": 490_000},
        "received_cents": 430_000, "outstanding_cents": 670_000, "excess_cents": 20_000}
    assert body["cash"] == {"opening_cents": 1_980_000, "received": {"count": 6, "amount_cents": 790_000},
                            "refunds": {"count": 1, "amount_cents": 180_000}, "funding": {"count": 1, "amount_cents": 500_000},
                            "claims_paid": {"count": 3, "amount_cents": 97_500}, "other_cents": 0,
                            "closing_cents": 2_992_500}
    assert body["claims"] == {"approved": {"count": 3, "amount_cents": 105_000}, "paid": {"count": 3, "amount_cents": 97_500}}
    assert body["balance"] == {"cash_cents": 2_992_500, "committed_cents": 780_000, "payable_cents": 22_500,
                               "fund_balance_cents": 2_190_000}
    assert body["unmatched"]["count"] == 0 and body["unmatched"]["amount_cents"] == 0
    assert body["unmatched"]["queue_url"] == f"/admin/fund/bank-lines?status=unmatched&{MARCH_ARGS}"


@pytest.mark.parametrize("query", [
    "", "from_on=2026-03-01", "to_on=2026-03-31", "from_on=2026-03-31&to_on=2026-03-01",
    "from_on=2025-01-01&to_on=2026-01-02", "from_on=2026-02-30&to_on=2026-03-31", "from_on=soon&to_on=2026-03-31",
    "from_on=0001-01-01&to_on=0001-01-01", "from_on=9999-12-31&to_on=9999-12-31",
])
def test_bad_dates_are_a_422_in_the_api_shape(client, admin, query):
    response = client.get(f"/api/v1/admin/reconciliation?{query}", headers=bearer(client, admin.email))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and error["message"]
    assert set(error["fields"]) <= {"from_on", "to_on"} and error["fields"]


def test_the_api_is_for_the_fund_only(client, db_session):
    assert client.get(f"/api/v1/admin/reconciliation?{MARCH_ARGS}").status_code == 401
    for role in (Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH):
        headers = bearer(client, make_user(db_session, role).email)
        assert client.get(f"/api/v1/admin/reconciliation?{MARCH_ARGS}", headers=headers).status_code == 403
        assert client.get(f"/api/v1/admin/reconciliation/rows?figure=paid&{MARCH_ARGS}",
                          headers=headers).status_code == 403


def test_the_rows_api_pages_through_each_figure(client, admin, march):
    headers = bearer(client, admin.email)
    c = march.contributions
    expected = {"expected": sorted(c[k].id for k in ("c1", "c2", "c3", "c4", "c5", "c6", "c7")),
                "overdue": sorted(c[k].id for k in ("c2", "c5", "c7")), "unpaid": sorted(c[k].id for k in
                                                                                   ("c5", "c6", "c7")),
                "paid": [c["c1"].id], "refunded": [c["c4"].id], "overpaid": [c["c3"].id],
                "partially_paid": [c["c2"].id], "processing": [],
                "claims_approved": sorted(march.claims[k].id for k in ("a", "b", "c")),
                "claims_paid": sorted(march.claims[k].id for k in ("feb", "a", "b"))}
    for figure, ids in expected.items():
        seen, cursor = [], None
        while True:
            url = f"/api/v1/admin/reconciliation/rows?figure={figure}&{MARCH_ARGS}&limit=2"
            page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers).get_json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ids, figure
    overdue = client.get(f"/api/v1/admin/reconciliation/rows?figure=overdue&{MARCH_ARGS}", headers=headers)
    first = overdue.get_json()["items"][0]
    assert first["object_type"] == "contribution" and first["id"] == c["c2"].id
    assert (first["amount_cents"], first["received_cents"], first["outstanding_cents"]) == (180_000, 50_000, 130_000)
    assert first["is_overdue"] is True and first["state"] == "partially_paid"
    assert first["structured_reference"] == c["c2"].structured_reference
    received = client.get(f"/api/v1/admin/reconciliation/rows?figure=received&{MARCH_ARGS}",
                          headers=headers).get_json()["items"]
    assert [i["amount_cents"] for i in received] == [180_000, 50_000, 180_000, 20_000, 180_000, 180_000]
    assert sum(i["amount_cents"] for i in received) == 790_000
    assert {i["kind"] for i in received} == {"contribution_paid"}
    cash = client.get(f"/api/v1/admin/reconciliation/rows?figure=cash&{MARCH_ARGS}&limit=200",
                      headers=headers).get_json()
    assert sum(i["amount_cents"] for i in cash["items"]) == 2_992_500 and cash["next_cursor"] is None
    bad = client.get(f"/api/v1/admin/reconciliation/rows?figure=nonsense&{MARCH_ARGS}", headers=headers)
    assert bad.status_code == 422 and "figure" in bad.get_json()["error"]["fields"]
    bad_cursor = client.get(f"/api/v1/admin/reconciliation/rows?figure=paid&{MARCH_ARGS}&cursor=xyz",
                            headers=headers)
    assert bad_cursor.status_code == 422


# --- the pages ---------------------------------------------------------------------------------


def _cell(page: str, cell_id: str) -> str:
    match = re.search(rf'id="{cell_id}"[^>]*>([^<]*)<', page)
    assert match, cell_id
    return match.group(1).strip()


def test_the_page_shows_every_figure_and_links_each_to_its_rows(client, admin, march):
    login(client, admin.email)
    page = client.get(f"/admin/fund/reconciliation?{MARCH_ARGS}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _cell(html, "count-expected") == "7" and _cell(html, "cents-expected") == "€12,600.00"
    assert _cell(html, "count-overdue") == "3" and _cell(html, "cents-overdue") == "€4,900.00"
    assert _cell(html, "cents-refunded") == "€1,800.00" and _cell(html, "cents-overpaid") == "€2,000.00"
    assert _cell(html, "cents-opening") == "€19,800.00" and _cell(html, "cents-closing") == "€29,925.00"
    assert _cell(html, "cents-claims_approved") == "€1,050.00" and _cell(html, "cents-claims_paid") == "€975.00"
    assert _cell(html, "cents-committed") == "€7,800.00" and _cell(html, "cents-fund-balance") == "€21,900.00"
    for figure in reconciliation.FIGURES:
        link = f'href="/admin/fund/reconciliation/rows?figure={figure}&amp;from_on=2026-03-01&amp;to_on=2026-03-31"'
        assert link in html, figure
    assert 'href="/admin/fund/bank-lines?status=unmatched&amp;from_on=2026-03-01&amp;to_on=2026-03-31"' in html
    assert 'href="/api/v1/admin/reports/reconciliation.csv?from_on=2026-03-01&amp;to_on=2026-03-31"' in html
    assert 'role="img"' in html and '<title id="cash-chart-title">' in html and '<desc id="cash-chart-desc">' in html

    rows = client.get(f"/admin/fund/reconciliation/rows?figure=overdue&{MARCH_ARGS}").get_data(as_text=True)
    for key in ("c2", "c5", "c7"):
        assert f"Contribution {march.contributions[key].id}<" in rows
    assert f"Contribution {march.contributions['c6'].id}<" not in rows
    claims = client.get(f"/admin/fund/reconciliation/rows?figure=claims_paid&{MARCH_ARGS}").get_data(as_text=True)
    for key in ("feb", "a", "b"):
        assert f'href="/admin/fund/claims/{march.claims[key].id}"' in claims


def test_the_page_starts_with_this_month_and_keeps_bad_input(client, admin, today):
    login(client, admin.email)
    html = client.get("/admin/fund/reconciliation").get_data(as_text=True)
    first = today.replace(day=1)
    assert f'value="{first.isoformat()}"' in html
    assert 'id="contributions"' in html
    refused = client.get("/admin/fund/reconciliation?from_on=2026-03-31&to_on=2026-03-01")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "The last day must be on or after the first day." in html and 'value="2026-03-31"' in html
    assert 'id="contributions"' not in html
    typo = client.get("/admin/fund/reconciliation?from_on=2026-03-01&to_on=31/03/2026")
    assert typo.status_code == 422 and "Enter a date as YYYY-MM-DD" in typo.get_data(as_text=True)
    assert client.get(f"/admin/fund/reconciliation/rows?figure=bogus&{MARCH_ARGS}").status_code == 404
    huge = client.get(f"/admin/fund/reconciliation/rows?figure=paid&{MARCH_ARGS}&after=99999999999999999999")
    assert huge.status_code == 200  # a page number out of range starts at the first page, never a 500


def test_the_rows_page_is_paged(client, admin, march, monkeypatch):
    from vouchers.ledger import views as reconciliation_views

    monkeypatch.setattr(reconciliation_views, "PAGE_SIZE", 2)
    login(client, admin.email)
    html = client.get(f"/admin/fund/reconciliation/rows?figure=expected&{MARCH_ARGS}").get_data(as_text=True)
    ids = sorted(c.id for k, c in march.contributions.items() if k not in ("c0", "c8"))
    assert f"Contribution {ids[0]}<" in html and f"Contribution {ids[2]}<" not in html
    next_url = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert f"after={ids[1]}" in next_url
    second = client.get(next_url).get_data(as_text=True)
    assert f"Contribution {ids[2]}<" in second and f"Contribution {ids[0]}<" not in second


def test_the_pages_are_for_the_fund_only(client, db_session):
    assert client.get("/admin/fund/reconciliation").status_code == 302
    user = make_user(db_session, Role.EMPLOYER, language="en")
    login(client, user.email)
    assert client.get("/admin/fund/reconciliation").status_code == 403
    assert client.get(f"/admin/fund/reconciliation/rows?figure=paid&{MARCH_ARGS}").status_code == 403


def test_the_fund_menu_links_the_reconciliation_and_the_reports(client, admin):
    login(client, admin.email)
    html = client.get("/admin/fund/balance").get_data(as_text=True)
    assert 'href="/admin/fund/reconciliation"' in html and 'href="/admin/fund/reports"' in html


# --- unmatched money ---------------------------------------------------------------------------


def test_unmatched_bank_money_of_the_period(db_session, client, admin, march, today):
    """A statement with lines in March and April: the credit lines no contribution took are March's
    unmatched money; a line matched by its structured reference pays its contribution."""
    from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
    from vouchers.banking.services.statements import import_statement

    c6 = march.contributions["c6"]
    statement = camt([
        Entry("123.45", booked_on="2026-03-10", txs=[Tx(reference="000000000097")]),  # nobody's reference
        Entry("1800.00", booked_on="2026-03-30", txs=[Tx(reference=c6.structured_reference)]),  # pays c6
        Entry("50.00", booked_on="2026-03-31", txs=[Tx(ustrd="a gift")]),
        Entry("99.00", booked_on="2026-04-01", txs=[Tx(ustrd="April's")]),
        Entry("10.00", direction="DBIT", booked_on="2026-03-15", txs=[Tx(creditor="Bank fees")]),
    ], statement_id="STMT-2026-03")
    import_statement(db_session, admin, statement, file_name="march.xml", now=utcnow())
    db_session.flush()
    figures = reconcile(db_session, admin, MARCH, today=today)
    assert figures.unmatched == Figure(2, 12_345 + 5_000)
    assert figures.contributions.paid == Figure(2, 360_000)  # c1, and c6 by the statement
    assert figures.contributions.unpaid == Figure(2, 360_000)
    headers = bearer(client, admin.email)
    body = client.get(f"/api/v1/admin/reconciliation?{MARCH_ARGS}", headers=headers).get_json()
    assert body["unmatched"] == {"count": 2, "amount_cents": 17_345,
                                 "queue_url": f"/admin/fund/bank-lines?status=unmatched&{MARCH_ARGS}"}


# --- CSV ---------------------------------------------------------------------------------------


def test_the_reconciliation_as_csv(client, admin, march):
    response = client.get(f"/api/v1/admin/reports/reconciliation.csv?{MARCH_ARGS}",
                          headers=bearer(client, admin.email))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="reconciliation_2026-03-01_2026-03-31.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == ["from_on", "to_on", "as_of_on", "section", "figure", "count", "cents", "euros"]
    lines = {(r["section"], r["figure"]): (r["count"], r["cents"], r["euros"]) for r in rows}
    assert {r["from_on"] for r in rows} == {"2026-03-01"} and {r["as_of_on"] for r in rows} == {"2026-03-31"}
    assert lines[("contributions", "expected")] == ("7", "1260000", "12600.00")
    assert lines[("contributions", "overdue")] == ("3", "490000", "4900.00")
    assert lines[("contributions", "refunded")] == ("1", "180000", "1800.00")
    assert lines[("cash", "opening")] == ("", "1980000", "19800.00")
    assert lines[("cash", "closing")] == ("", "2992500", "29925.00")
    assert lines[("claims", "approved")] == ("3", "105000", "1050.00")
    assert lines[("balance", "committed")] == ("", "780000", "7800.00")
    assert lines[("balance", "fund_balance")] == ("", "2190000", "21900.00")
    assert lines[("unmatched", "bank_lines")] == ("0", "0", "0.00")
