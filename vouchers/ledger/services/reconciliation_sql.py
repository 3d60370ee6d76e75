"""The SQL the reconciliation is made of (``reconciliation.py``): what each contribution received by a day, its
state on that day, the contributions due in a period, and a period made of bind parameters for the statements built
once per process."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, bindparam, case, false, func, select

from vouchers.banking.models import BankLineAllocation
from vouchers.employers.models import Contribution, ContributionPayment, Declaration
from vouchers.ledger.domain import Period


def payments_until(as_of: date, *, due_in: Period | None = None) -> Any:
    """Per contribution: money received and refunded (as a positive amount), booked up to ``as_of``;
    with ``due_in``, only for the contributions due in that period (a month reads a month's payments).
    A bank reversal or return is money that never stayed: it lessens what was received, it is no refund."""
    amount = ContributionPayment.amount_cents
    given_back = ContributionPayment.external_id.in_(
        select(BankLineAllocation.external_id).where(BankLineAllocation.amount_cents < 0))
    query = (select(ContributionPayment.contribution_id.label("contribution_id"),
                    func.sum(case((amount > 0, amount), (given_back, amount), else_=0)).label("received"),
                    func.sum(case((and_(amount < 0, ~given_back), -amount), else_=0)).label("refunded"))
             .where(ContributionPayment.booked_on <= as_of))
    if due_in is not None:
        query = query.where(ContributionPayment.contribution_id.in_(
            select(Contribution.id).where(Contribution.due_on >= due_in.from_on, Contribution.due_on <= due_in.to_on)))
    return query.group_by(ContributionPayment.contribution_id).subquery()


def state_expression(amount: Any, received: Any, refunded: Any, in_flight: Any) -> ColumnElement[str]:
    """``domain.contribution_status`` in SQL (``due`` is called ``unpaid`` here), so the database
    can count and filter by it; a test checks both agree on every case."""
    net = received - refunded
    return case(
        (and_(refunded > 0, net <= 0), "refunded"),
        (and_(net <= 0, in_flight), "processing"),
        (net <= 0, "unpaid"),
        (net < amount, "partially_paid"),
        (net == amount, "paid"),
        else_="overpaid",
    )


def contribution_cohort(period: Period, as_of: date, today: date, *, running: bool | None = None) -> Any:
    """The contributions due in the period with their state and sums on ``as_of`` (a subquery). ``running``: the
    period is still under way (``as_of`` is today), when the days are bind parameters that Python cannot compare."""
    sums = payments_until(as_of, due_in=period)
    received = func.coalesce(sums.c.received, 0)
    refunded = func.coalesce(sums.c.refunded, 0)
    # The stored status knows about a card payment in flight only for the present.
    in_flight = Contribution.status == "processing" if (as_of >= today if running is None else running) else false()
    state = state_expression(Contribution.amount_cents, received, refunded, in_flight)
    return (select(Contribution.id.label("id"), Contribution.declaration_id.label("declaration_id"),
                   Contribution.amount_cents.label("amount"), Contribution.due_on.label("due_on"),
                   Contribution.structured_reference.label("reference"), received.label("received"),
                   refunded.label("refunded"), state.label("state"))
            .join(Declaration, Declaration.id == Contribution.declaration_id)
            .outerjoin(sums, sums.c.contribution_id == Contribution.id)
            .where(Contribution.due_on >= period.from_on, Contribution.due_on <= period.to_on,
                   Declaration.status == "declared")
            .subquery())


def overdue_condition(cohort: Any, as_of: date) -> ColumnElement[bool]:
    return and_(cohort.c.state.in_(("unpaid", "partially_paid")), cohort.c.due_on < as_of)


def period_parameters() -> tuple[Any, Any]:
    """A period and an as-of day made of bind parameters (``from_on``, ``to_on``, ``as_of``), for the statements
    built once per process (``portal.db.prepared``)."""
    return Period(bindparam("from_on", type_=Date), bindparam("to_on", type_=Date)), bindparam("as_of", type_=Date)
