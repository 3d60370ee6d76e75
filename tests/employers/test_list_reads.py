"""The employer's lists read as plain rows (services/listing.py, presenters.py): the same declarations, in the same
order, with the same fields as the ORM objects and the schema give them, for someone who acts for its own employer
and, as an agent, for another."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from tests.support.factories import new_niss
from tests.support.web import login
from vouchers.employers.api import DismissalSchema
from vouchers.employers.models import Declaration
from vouchers.employers.presenters import dismissal_json
from vouchers.employers.services import contributions
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import payments as payment_services
from vouchers.employers.services.declarations import DeclarationFilters
from vouchers.employers.services.listing import (
    declaration_page,
    declaration_rows,
    employer_names_for,
)


def _declare(session, actor, today, *, ended_days_ago, employer_id=None, physician_days_before=None, name="Jan"):
    end = today - timedelta(days=ended_days_ago)
    data = declaration_services.DeclarationData(
        worker_first_name=name, worker_last_name="Janssens", worker_niss=new_niss(), contract_end_on=end,
        physician_decision_on=end - timedelta(days=physician_days_before) if physician_days_before else None,
        agent_name="Secretariat" if ended_days_ago % 2 else None)
    return declaration_services.declare_dismissal(session, actor, data, employer_id=employer_id, today=today,
                                                  now=utcnow()).declaration


@pytest.fixture
def acting(db_session, employer_user, other_employer_user, today):
    """``employer_user`` declares for its own employer and, as an agent, for the other one: due, late (and flagged),
    partly paid, paid and overpaid contributions, with and without warnings."""
    made = []
    for n in range(14):
        own = n % 3 != 0
        made.append(_declare(db_session, employer_user if own else other_employer_user, today,
                             ended_days_ago=[3, 60, 120, 10][n % 4], name=f"Worker{n}",
                             physician_days_before=10 if n % 5 == 0 else (40 if n % 5 == 1 else None)))
    declaration_services.add_agent(db_session, agent_user_id=employer_user.id,
                                   employer_id=other_employer_user.employer_id)
    now = utcnow()
    for n, declaration in enumerate(made):
        contribution = declaration.contribution
        if n % 4 == 1:
            contribution.overdue_flagged_at = now
        paid = {2: 90_000, 3: contribution.amount_cents, 6: contribution.amount_cents + 5_000}.get(n)
        if paid:
            payment_services.record_bank_payment(db_session, contribution.id, amount_cents=paid,
                                                 external_id=f"camt-{n}", booked_on=today, now=now)
    db_session.flush()
    return made


def _expected(db_session, employer_ids, today):
    declarations = db_session.scalars(select(Declaration).where(Declaration.employer_id.in_(employer_ids))
                                      .order_by(Declaration.id.desc())).all()
    return [contributions.declaration_summary(db_session, d, today=today) for d in declarations]


@pytest.mark.parametrize("status, overdue", [(None, None), ("due", None), ("paid", None), ("partially_paid", None),
                                             (None, True), (None, False), ("due", True)])
def test_each_page_is_what_the_orm_objects_give(db_session, employer_user, other_employer_user, today, acting,
                                                status, overdue):
    employers = [employer_user.employer_id, other_employer_user.employer_id]
    expected = [s for s in _expected(db_session, employers, today)
                if (status is None or s["contribution"]["status"] == status)
                and (overdue is None or s["contribution"]["is_overdue"] == overdue)]
    filters = DeclarationFilters(status=status, overdue=overdue)
    found, cursor = [], None
    while True:  # pages of 3: the cursor goes on where the page ended, whichever employer the rows are of
        items, cursor = declaration_page(db_session, employer_user, filters, today=today, limit=3, cursor=cursor)
        found += items
        if cursor is None:
            break
    assert found == expected
    # The dashboard's read, the employers' ids given, finds the same rows.
    rows, _next = declaration_rows(db_session, employer_user, filters, today=today, limit=50, employer_ids=employers)
    assert [r.id for r in rows] == [s["id"] for s in expected]


def test_one_employer_only_and_only_ones_own(db_session, employer_user, other_employer_user, today, acting):
    other = other_employer_user.employer_id
    expected = [s["id"] for s in _expected(db_session, [other], today)]
    items, _next = declaration_page(db_session, employer_user, DeclarationFilters(employer_id=other), today=today)
    assert [i["id"] for i in items] == expected and expected
    # The other employer's own user does not act for the first one: it sees its own declarations only.
    items, _next = declaration_page(db_session, other_employer_user, DeclarationFilters(), today=today)
    assert [i["id"] for i in items] == expected
    items, _next = declaration_page(db_session, other_employer_user,
                                    DeclarationFilters(employer_id=employer_user.employer_id), today=today)
    assert items == []


def test_the_api_writes_each_item_as_the_schema_dumps_it(db_session, employer_user, today, acting):
    items, _next = declaration_page(db_session, employer_user, DeclarationFilters(), today=today)
    assert len(items) == 14
    assert any(i["warnings"] for i in items) and any(i["physician_decision_on"] is None for i in items)
    assert any(i["contribution"]["overdue_flagged_at"] for i in items)
    assert [dismissal_json(i) for i in items] == DismissalSchema(many=True).dump(items)


def test_the_dashboards_counts(db_session, employer_user, other_employer_user, today, acting):
    for employer_ids in ([employer_user.employer_id], [employer_user.employer_id, other_employer_user.employer_id]):
        summaries = [s["contribution"] for s in _expected(db_session, employer_ids, today)]
        assert contributions.overdue_or_pending(db_session, employer_ids, today=today) == {
            "due": sum(c["status"] in ("due", "partially_paid", "processing") for c in summaries),
            "overdue": sum(c["is_overdue"] for c in summaries),
            "paid": sum(c["status"] in ("paid", "overpaid") for c in summaries)}
    assert contributions.overdue_or_pending(db_session, [], today=today) == {"due": 0, "overdue": 0, "paid": 0}


def test_the_employers_one_acts_for(db_session, employer_user, other_employer_user, acting):
    assert employer_names_for(db_session, employer_user) == {
        e.id: e.company_name for e in declaration_services.employers_for(db_session, employer_user)}
    assert list(employer_names_for(db_session, other_employer_user)) == [other_employer_user.employer_id]


def test_the_dashboard_lists_both_employers_and_one_when_asked(client, db_session, employer_user,
                                                              other_employer_user, today, acting):
    login(client, employer_user.email)
    page = client.get("/employer/").get_data(as_text=True)
    assert page.count('href="/employer/declarations/') == 14
    other = other_employer_user.employer_id
    page = client.get(f"/employer/?employer_id={other}&overdue=true").get_data(as_text=True)
    expected = [s["id"] for s in _expected(db_session, [other], today) if s["contribution"]["is_overdue"]]
    assert [int(i) for i in re.findall(r'href="/employer/declarations/(\d+)"', page)] == expected
    assert expected and 'badge--overdue' in page
