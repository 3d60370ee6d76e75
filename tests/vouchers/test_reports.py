"""The fund's reports: each figure to the cent or the unit from data built through the services,
the CSV exports (header, euros, formula injection), the pages with their charts and tables, the
API's 404 and 422."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta

import pytest

from portal.clock import BRUSSELS, utcnow
from portal.errors import Forbidden, NotFound
from portal.fund_settings import set_rule
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer, login
from tests.vouchers.test_reconciliation import MARCH, D, build_march, declare
from vouchers.ledger.domain import Period
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services import report_tables as report_tables
from vouchers.ledger.services import reports
from vouchers.ledger.services.reconciliation import Figure
from vouchers.requests.services.answers import complete_voucher_request
from vouchers.requests.services.requests import (
    RequestData,
    decide_voucher_request,
    serve_waiting_list,
    submit_voucher_request,
    withdraw_voucher_request,
)
from vouchers.requests.services.vouchers import expire_vouchers

ADDRESS = {"street": "Rue Haute", "number": "12", "postcode": "1000", "municipality": "Bruxelles"}


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


# --- money in and out --------------------------------------------------------------------------


def test_money_in_and_out_per_month(db_session, admin):
    build_march(db_session, admin)
    report = reports.money_in_out(db_session, Period(D(2026, 2, 1), D(2026, 4, 30)))
    feb, mar, apr = report.months
    assert [m.month for m in report.months] == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]
    assert (feb.received, feb.funding, feb.paid_out) == (Figure(1, 180_000), Figure(1, 1_800_000), Figure())
    assert feb.money_in_cents == feb.net_cents == 1_980_000
    assert mar.received == Figure(6, 790_000) and mar.refunds == Figure(1, 180_000)
    assert mar.funding == Figure(1, 500_000) and mar.paid_out == Figure(3, 97_500)
    assert mar.money_in_cents == 790_000 - 180_000 + 500_000 == 1_110_000
    assert mar.net_cents == 1_110_000 - 97_500
    assert apr.received == Figure(1, 180_000) and apr.net_cents == 180_000
    total = report.total
    assert total.received == Figure(8, 1_150_000) and total.net_cents == 1_980_000 + 1_012_500 + 180_000
    # The months add up to the movement of the cash account over the period.
    start = ledger.fund_position(db_session, on=D(2026, 1, 31)).cash_cents
    end = ledger.fund_position(db_session, on=D(2026, 4, 30)).cash_cents
    assert start + total.net_cents == end


def test_money_in_and_out_as_csv(client, db_session, admin):
    build_march(db_session, admin)
    rows = csv_rows(client.get("/api/v1/admin/reports/money-in-out.csv?from_on=2026-02-01&to_on=2026-04-30",
                               headers=bearer(client, admin.email)))
    assert list(rows[0]) == [
        "month", "contributions_received_count", "contributions_received_cents", "contributions_received_euros",
        "refunds_count", "refunds_cents", "refunds_euros", "funding_cents", "funding_euros", "money_in_cents",
        "money_in_euros", "claims_paid_count", "money_out_cents", "money_out_euros", "net_cents", "net_euros"]
    march = rows[1]
    assert march["month"] == "2026-03" and march["contributions_received_cents"] == "790000"
    assert march["contributions_received_euros"] == "7900.00" and march["money_out_cents"] == "97500"
    assert march["money_out_euros"] == "975.00" and march["net_cents"] == "1012500"
    assert [r["month"] for r in rows] == ["2026-02", "2026-03", "2026-04"]


# --- aging -------------------------------------------------------------------------------------


def test_aging_of_unpaid_contributions(db_session, admin):
    march = build_march(db_session, admin)
    user = march.employer_user
    declare(db_session, user, due_on=D(2026, 2, 20))  # 39 days late on 03-31
    declare(db_session, user, due_on=D(2026, 2, 10))  # 49 days
    declare(db_session, user, due_on=D(2025, 12, 1))  # 120 days
    aging = reports.contribution_aging(db_session, on=MARCH.to_on, today=D(2026, 11, 25))
    buckets = {b.key: (b.count, b.outstanding_cents) for b in aging.buckets}
    assert buckets == {
        "not_yet_due": (1, 180_000),  # c6, due that very day
        "1_30": (3, 130_000 + 180_000 + 180_000),  # c2 (partly paid), c5, c7 (paid only in April)
        "31_45": (1, 180_000), "46_90": (1, 180_000), "over_90": (1, 180_000)}
    assert (aging.total.count, aging.total.outstanding_cents) == (7, 1_210_000)
    assert (aging.overdue.count, aging.overdue.outstanding_cents) == (6, 1_030_000)
    assert aging.oldest_due_on == D(2025, 12, 1)
    # On 04-30, c7 is paid and the others are a month older.
    later = {b.key: b.count for b in reports.contribution_aging(db_session, on=D(2026, 4, 30),
                                                                 today=D(2026, 11, 25)).buckets}
    assert later == {"not_yet_due": 0, "1_30": 1, "31_45": 1, "46_90": 3, "over_90": 1}


def test_a_contribution_declared_later_is_not_yet_owed(db_session, admin, today):
    user = make_user(db_session, Role.EMPLOYER, language="en")
    contribution = declare(db_session, user, due_on=D(2026, 3, 20))
    declared_on = contribution.declaration.declared_on
    before = reports.contribution_aging(db_session, on=declared_on - timedelta(days=1), today=today)
    after = reports.contribution_aging(db_session, on=declared_on, today=today)
    assert before.total.count == 0 and after.total.count == 1


def test_aging_as_csv(client, db_session, admin):
    build_march(db_session, admin)
    rows = csv_rows(client.get("/api/v1/admin/reports/contribution-aging.csv?on=2026-03-31",
                               headers=bearer(client, admin.email)))
    assert [(r["bucket"], r["count"], r["outstanding_cents"], r["outstanding_euros"]) for r in rows] == [
        ("not_yet_due", "1", "180000", "1800.00"), ("1_30", "3", "490000", "4900.00"), ("31_45", "0", "0", "0.00"),
        ("46_90", "0", "0", "0.00"), ("over_90", "0", "0", "0.00"), ("total", "4", "670000", "6700.00")]
    assert rows[1]["days_past_due_from"] == "1" and rows[1]["days_past_due_to"] == "30"
    assert rows[4]["days_past_due_to"] == "" and {r["on"] for r in rows} == {"2026-03-31"}


# --- 45-day decision compliance ----------------------------------------------------------------


def noon(day: date) -> datetime:
    """The instant the audit log records for something done on ``day``."""
    return datetime.combine(day, time(12), tzinfo=BRUSSELS)


def _submit(db_session, provider, on: date, *, route: str = "A"):
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    if route == "A":
        data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                           contract_end_on=on - timedelta(days=10), address=ADDRESS)
    else:
        data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=False,
                           incapacity_start_on=on - timedelta(days=400), benefits_scheme="employee", address=ADDRESS)
    return submit_voucher_request(db_session, person, data, today=on, now=noon(on)), person, data


@pytest.fixture
def decisions(db_session, admin, provider):
    """Requests of January and February 2026 decided on time, late, after a pause, from the waiting list."""
    def decide(request, decision, on, reason=None):
        return decide_voucher_request(db_session, admin, request.id, decision, reason, today=on, now=noon(on))

    r1, _, _ = _submit(db_session, provider, D(2026, 1, 5))
    decide(r1, "approve", D(2026, 1, 20))  # day 15: on time
    r2, _, _ = _submit(db_session, provider, D(2026, 1, 10))
    decide(r2, "reject", D(2026, 3, 1), "not eligible")  # due 02-24: late
    r3, _, _ = _submit(db_session, provider, D(2026, 1, 15), route="B")
    decide(r3, "approve", D(2026, 1, 30))  # the fund has no money: waiting list, on time
    assert r3.status == "waitlisted"
    ledger.record_funding(db_session, amount_cents=360_000, booked_on=D(2026, 4, 1), memo="budget")  # r1 holds half
    served = serve_waiting_list(db_session, admin, today=D(2026, 4, 1), now=noon(D(2026, 4, 1)))
    assert [v.request_id for v in served] == [r3.id] and r3.decided_on == D(2026, 4, 1)
    r4, person4, data4 = _submit(db_session, provider, D(2026, 2, 2))
    decide(r4, "request_info", D(2026, 2, 10), "the contract's end")
    complete_voucher_request(db_session, person4, r4.id, data4, today=D(2026, 2, 20), now=noon(D(2026, 2, 20)),
                             answer="Here is the date.")
    assert r4.decision_due_on == D(2026, 3, 29)  # 45 days and the 10 it stood still
    decide(r4, "approve", D(2026, 3, 25))
    _submit(db_session, provider, D(2026, 2, 5))  # r5: never decided, due 03-22
    r6, person6, _ = _submit(db_session, provider, D(2026, 2, 7))
    withdraw_voucher_request(db_session, person6, r6.id, now=noon(D(2026, 2, 8)))
    r7, _, _ = _submit(db_session, provider, D(2026, 2, 20))
    decide(r7, "request_info", D(2026, 2, 25), "a missing piece")  # paused: waiting, not late
    db_session.flush()


def test_decision_compliance_per_month(db_session, decisions):
    report = reports.decision_compliance(db_session, Period(D(2026, 1, 1), D(2026, 2, 28)), today=D(2026, 11, 25))
    jan, feb = report.months
    assert (jan.submitted, jan.on_time, jan.late, jan.open_overdue, jan.open_in_time, jan.withdrawn) == (3, 2, 1, 0, 0, 0)
    assert jan.compliance_percent == 67
    assert (feb.submitted, feb.on_time, feb.late, feb.open_overdue, feb.open_in_time, feb.withdrawn) == (4, 1, 0, 1, 1, 1)
    assert feb.compliance_percent == 50
    total = report.total
    assert (total.submitted, total.on_time, total.late, total.open_overdue) == (7, 3, 1, 1)
    assert total.compliance_percent == 60
    # Seen on 2026-03-01, February's waiting request was not late yet.
    early = reports.decision_compliance(db_session, Period(D(2026, 2, 1), D(2026, 2, 28)), today=D(2026, 3, 1))
    assert (early.months[0].open_overdue, early.months[0].open_in_time) == (0, 2)


def test_decision_compliance_as_csv(client, admin, decisions):
    rows = csv_rows(client.get("/api/v1/admin/reports/decision-compliance.csv?from_on=2026-01-01&to_on=2026-02-28",
                               headers=bearer(client, admin.email)))
    assert [list(r.values()) for r in rows] == [
        ["2026-01", "3", "2", "1", "0", "0", "0", "67"],
        ["2026-02", "4", "1", "0", "1", "1", "1", "50"],
        ["total", "7", "3", "1", "1", "1", "1", "60"]]
    assert list(rows[0]) == ["month", "submitted", "decided_on_time", "decided_late", "open_overdue",
                             "open_in_time", "withdrawn_before_decision", "compliance_percent"]


# --- provider volumes --------------------------------------------------------------------------


def test_provider_volumes_and_outcomes(db_session, admin):
    march = build_march(db_session, admin)
    course = march.course
    course.today = D(2026, 3, 2)
    voucher, person = course.voucher()
    for _ in range(6):  # the whole 12-hour mix: the voucher is completed
        course.session(voucher, person, minutes=120)
    assert voucher.status == "completed"
    expired = expire_vouchers(db_session, today=D(2026, 9, 30), now=utcnow())
    assert len(expired) == 5
    quiet = make_provider(db_session, name="=cmd|' /C calc'!A0")
    db_session.flush()
    report = reports.provider_volumes(db_session, MARCH)
    by_id = {p.provider_id: p for p in report.providers}
    assert set(by_id) == {course.provider.id, quiet.id}
    p = by_id[course.provider.id]
    assert (p.vouchers_issued, p.voucher_value_cents) == (5, 900_000)  # a, b, c, the rejected claim's, the completed
    assert (p.open, p.completed, p.expired, p.withdrawn, p.completion_percent) == (0, 1, 4, 0, 20)
    assert (p.sessions_held, p.attendances) == (11, 11)  # 1 + 2 + 1 + 1 + 6
    assert p.claims_approved == Figure(3, 105_000) and p.claims_paid == Figure(3, 97_500)
    q = by_id[quiet.id]
    assert (q.vouchers_issued, q.sessions_held, q.completion_percent, q.claims_paid) == (0, 0, None, Figure())
    assert report.total.vouchers_issued == 5 and report.total.claims_paid == Figure(3, 97_500)
    february = reports.provider_volumes(db_session, Period(D(2026, 2, 1), D(2026, 2, 28)))
    assert {p.provider_id: (p.vouchers_issued, p.sessions_held, p.claims_approved) for p in february.providers} == {
        course.provider.id: (1, 1, Figure(1, 15_000)), quiet.id: (0, 0, Figure())}


def test_provider_volumes_as_csv_defuse_formulas(client, db_session, admin):
    build_march(db_session, admin)
    make_provider(db_session, name="=cmd|' /C calc'!A0")
    make_provider(db_session, name="@SUM(1+1)")
    response = client.get("/api/v1/admin/reports/provider-volumes.csv?from_on=2026-03-01&to_on=2026-03-31",
                          headers=bearer(client, admin.email))
    text = response.get_data(as_text=True)
    rows = csv_rows(response)
    names = [r["provider"] for r in rows]
    assert "'=cmd|' /C calc'!A0" in names and "'@SUM(1+1)" in names and names[-1] == "total"
    assert not re.search(r"(^|,)[=@+]", text, re.MULTILINE)
    total = rows[-1]
    assert total["claims_paid_cents"] == "97500" and total["claims_paid_euros"] == "975.00"
    assert total["vouchers_issued"] == "4" and total["completion_percent"] == ""


def test_safe_cells():
    assert report_tables.safe_cell("=1+1") == "'=1+1"
    assert report_tables.safe_cell("-2") == "'-2" and report_tables.safe_cell("+32 2") == "'+32 2"
    assert report_tables.safe_cell("\tx") == "'\tx" and report_tables.safe_cell("Fonds") == "Fonds"
    assert report_tables.safe_cell(-5000) == -5000  # numbers stay numbers


# --- the waiting list --------------------------------------------------------------------------


def test_the_waiting_list(db_session, admin, provider):
    set_rule(db_session, "voucher_value_cents", 150_000, valid_from_on=D(2026, 2, 1))
    first, _, _ = _submit(db_session, provider, D(2026, 1, 15), route="B")
    second, _, _ = _submit(db_session, provider, D(2026, 2, 3), route="B")
    for request, on in ((first, D(2026, 1, 20)), (second, D(2026, 2, 10))):
        decide_voucher_request(db_session, admin, request.id, "approve", None, today=on, now=utcnow())
        assert request.status == "waitlisted"
    ledger.record_funding(db_session, amount_cents=50_000, booked_on=D(2026, 3, 1), memo="budget")
    db_session.flush()
    waiting = reports.waiting_list(db_session, today=D(2026, 3, 15))
    assert (waiting.count, waiting.value_cents) == (2, 180_000 + 150_000)
    assert waiting.oldest_on == D(2026, 1, 15) and waiting.oldest_days == 59
    assert waiting.available_cents == 50_000 and waiting.shortfall_cents == 280_000
    assert [(m.month, m.count, m.value_cents) for m in waiting.months] == [
        (D(2026, 1, 1), 1, 180_000), (D(2026, 2, 1), 1, 150_000)]


def test_an_empty_waiting_list(db_session, today):
    waiting = reports.waiting_list(db_session, today=today)
    assert (waiting.count, waiting.value_cents, waiting.oldest_on, waiting.months) == (0, 0, None, [])


# --- the API and the pages ---------------------------------------------------------------------


def test_every_report_exports_and_unknown_ones_are_404(client, admin, db_session):
    build_march(db_session, admin)
    headers = bearer(client, admin.email)
    for name in reports.REPORTS:
        rows = csv_rows(client.get(f"/api/v1/admin/reports/{name}.csv", headers=headers))
        assert rows, name
    missing = client.get("/api/v1/admin/reports/salaries.csv", headers=headers)
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    for query in ("from_on=2026-03-01", "from_on=2026-03-31&to_on=2026-03-01", "from_on=2025-01-01&to_on=2026-12-31",
                  "on=1900-01-01", "on=yesterday"):
        refused = client.get(f"/api/v1/admin/reports/money-in-out.csv?{query}", headers=headers)
        assert refused.status_code == 422, query
        assert refused.get_json()["error"]["fields"], query


def test_the_exports_are_for_the_fund_only(client, db_session):
    assert client.get("/api/v1/admin/reports/money-in-out.csv").status_code == 401
    headers = bearer(client, make_user(db_session, Role.PROVIDER_ADMIN).email)
    assert client.get("/api/v1/admin/reports/money-in-out.csv", headers=headers).status_code == 403
    with pytest.raises(Forbidden):
        report_tables.report_table(db_session, make_user(db_session, Role.COACH), "waiting-list", today=D(2026, 3, 1))
    with pytest.raises(NotFound):
        report_tables.report_table(db_session, make_user(db_session, Role.FUND_ADMIN), "nope", today=D(2026, 3, 1))


@pytest.mark.parametrize(("name", "query", "table", "chart"), [
    ("money-in-out", "from_on=2026-02-01&to_on=2026-04-30", "money", "money-chart"),
    ("contribution-aging", "on=2026-03-31", "aging", "aging-chart"),
    ("decision-compliance", "from_on=2026-01-01&to_on=2026-03-31", "compliance", "compliance-chart"),
    ("provider-volumes", "from_on=2026-03-01&to_on=2026-03-31", "volumes", "volumes-chart"),
    ("waiting-list", "", "waiting", "waiting-chart"),
])
def test_each_report_page_has_a_chart_a_table_and_its_csv(client, db_session, admin, name, query, table, chart):
    build_march(db_session, admin)
    login(client, admin.email)
    index = client.get("/admin/fund/reports").get_data(as_text=True)
    assert f'href="/admin/fund/reports/{name}"' in index and f'href="/api/v1/admin/reports/{name}.csv"' in index
    response = client.get(f"/admin/fund/reports/{name}?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if name == "waiting-list":
        assert 'id="waiting-count">0<' in html and "Nobody is on the waiting list." in html
        return
    assert f'<svg id="{chart}" role="img" aria-labelledby="{chart}-title {chart}-desc"' in html
    assert f'<title id="{chart}-title">' in html and f'<desc id="{chart}-desc">' in html
    assert f'<table id="{table}"' in html and '<th scope="col">' in html
    assert f'href="/api/v1/admin/reports/{name}.csv?{query.replace("&", "&amp;")}"' in html


def test_report_pages_show_the_figures(client, db_session, admin):
    build_march(db_session, admin)
    login(client, admin.email)
    money = client.get("/admin/fund/reports/money-in-out?from_on=2026-03-01&to_on=2026-03-31").get_data(as_text=True)
    assert 'id="total-in">€11,100.00<' in money and 'id="total-out">€975.00<' in money
    assert "2026-03: Money in €11,100.00, Money out €975.00." in money  # the chart's description
    aging = client.get("/admin/fund/reports/contribution-aging?on=2026-03-31").get_data(as_text=True)
    assert 'id="count-1_30">3<' in aging and 'id="cents-total">€6,700.00<' in aging
    bad = client.get("/admin/fund/reports/money-in-out?from_on=2026-03-01&to_on=2028-03-01")
    assert bad.status_code == 422 and "A period covers at most 366 days." in bad.get_data(as_text=True)
    bad_day = client.get("/admin/fund/reports/contribution-aging?on=31-03-2026")
    assert bad_day.status_code == 422 and 'id="aging"' not in bad_day.get_data(as_text=True)
    assert client.get("/admin/fund/reports/salaries").status_code == 404
    assert client.get("/admin/fund/reports/reconciliation?from_on=2026-03-01&to_on=2026-03-31").status_code == 302


def test_the_waiting_list_page(client, db_session, admin, provider):
    _submit(db_session, provider, D(2026, 1, 15), route="B")
    request, _, _ = _submit(db_session, provider, D(2026, 2, 3), route="B")
    decide_voucher_request(db_session, admin, request.id, "approve", None, today=D(2026, 2, 10), now=utcnow())
    login(client, admin.email)
    html = client.get("/admin/fund/reports/waiting-list").get_data(as_text=True)
    assert 'id="waiting-count">1<' in html and 'id="waiting-value">€1,800.00<' in html
    assert '<svg id="waiting-chart" role="img"' in html and "2026-02: Requests waiting 1." in html
