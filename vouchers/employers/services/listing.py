"""A page of an employer's declarations, as the dashboard and ``GET /dismissals`` list them: one statement for
the declarations, their contributions and what was paid on each, whatever the page holds."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from portal.db import prepared
from portal.fund_settings import rules_book
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Role
from vouchers.employers import domain
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    EmployerAgent,
)
from vouchers.employers.services.contributions import declaration_summary
from vouchers.employers.services.declarations import DeclarationFilters


def declaration_page(session: Session, actor: Any, filters: DeclarationFilters, *, today: date, limit: int = 50,
                     cursor: str | None = None, full: bool = True) -> tuple[list[dict[str, Any]], str | None]:
    """The actor's declarations (every employer it acts for: its own, and those it serves as an agent), newest
    first, in keyset pages, and the cursor of the next page. ``full``: each with its warnings and the day by which
    the worker may apply (the fund's settings, read once); without it, what a list shows of each."""
    if getattr(actor, "role", None) != Role.EMPLOYER:
        return [], None
    after_id = decode_id_cursor(cursor)
    shape = (filters.status is not None, filters.overdue, filters.employer_id is not None, after_id is not None)
    rows = session.execute(prepared(("declaration_page", shape), lambda: _page_statement(*shape)),
                           {"own": actor.employer_id, "user_id": actor.id, "status": filters.status,
                            "employer_id": filters.employer_id, "today": today, "after_id": after_id,
                            "limit": limit + 1}).all()
    next_cursor = encode_cursor([rows[limit - 1][0].id]) if len(rows) > limit else None
    book = rules_book(session) if full else None
    items = []
    for declaration, received, refunded in rows[:limit]:
        sums = domain.PaymentSums(int(received), int(refunded))
        if book is not None:
            items.append(declaration_summary(session, declaration, today=today, sums=sums,
                                             rules=book.on(declaration.contract_end_on)))
        else:
            items.append(_listed(declaration, sums, today))
    return items, next_cursor


def _listed(declaration: Declaration, sums: domain.PaymentSums, today: date) -> dict[str, Any]:
    contribution = declaration.contribution
    return {"id": declaration.id, "employer_id": declaration.employer_id,
            "worker_first_name": declaration.worker_first_name, "worker_last_name": declaration.worker_last_name,
            "contract_end_on": declaration.contract_end_on, "declared_on": declaration.declared_on,
            "contribution": {"id": contribution.id, "amount_cents": contribution.amount_cents,
                             "paid_cents": sums.net_cents, "due_on": contribution.due_on,
                             "status": contribution.status,
                             "is_overdue": domain.is_overdue(contribution.status, contribution.due_on, today)}}


def _page_statement(by_status: bool, overdue: bool | None, one_employer: bool, after: bool) -> Any:
    """For one combination of filters, its values bind parameters (built once per combination)."""
    agent_of = select(EmployerAgent.employer_id).where(EmployerAgent.agent_user_id == bindparam("user_id",
                                                                                                type_=Integer))
    paid = ContributionPayment.amount_cents

    def paid_sum(amount: Any) -> Any:
        return (select(func.coalesce(func.sum(amount), 0))
                .where(ContributionPayment.contribution_id == Contribution.id).scalar_subquery())

    query = (select(Declaration, paid_sum(case((paid > 0, paid), else_=0)), paid_sum(case((paid < 0, -paid), else_=0)))
             .join(Contribution, Contribution.declaration_id == Declaration.id)
             .options(contains_eager(Declaration.contribution))
             .where(or_(Declaration.employer_id == bindparam("own", type_=Integer),
                        Declaration.employer_id.in_(agent_of))))
    if one_employer:
        query = query.where(Declaration.employer_id == bindparam("employer_id", type_=Integer))
    if by_status:
        query = query.where(Contribution.status == bindparam("status"))
    unpaid_and_late = and_(Contribution.status.in_(("due", "partially_paid")),
                           Contribution.due_on < bindparam("today", type_=Date))
    if overdue is True:
        query = query.where(unpaid_and_late)
    elif overdue is False:
        query = query.where(~unpaid_and_late)
    if after:
        query = query.where(Declaration.id < bindparam("after_id", type_=Integer))
    return query.order_by(Declaration.id.desc()).limit(bindparam("limit", type_=Integer))
