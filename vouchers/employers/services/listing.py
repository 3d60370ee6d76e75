"""A page of an employer's declarations, as the dashboard and ``GET /dismissals`` list them: one statement for
the declarations, their contributions and what was paid on each, whatever the page holds.

The employers an actor acts for (its own, and those it serves as an agent) are a short list: the dashboard has their
ids already (it shows their names), the API looks them up in the same statement. Either way each employer's
declarations are read newest first from its index (``ix_dismissal_declarations_employer_newest``) until the page is
full. Written as ``employer_id = :own OR employer_id IN (agents)``, the filter could use no index: PostgreSQL walked
every declaration of the fund backwards, testing each (15-25 ms at national scale, 95 ms for the overdue ones).
The rows are plain (no ORM objects): a list only reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Date, Integer, and_, bindparam, case, func, select, union_all
from sqlalchemy.orm import Session

from portal.db import prepared, read
from portal.fund_settings import rules_book
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Role
from vouchers.employers import domain
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    Employer,
    EmployerAgent,
)
from vouchers.employers.services.contributions import summary_of
from vouchers.employers.services.declarations import DeclarationFilters


class ContributionRead(NamedTuple):
    """What ``contributions.contribution_summary`` reads of a contribution, from a listed row."""

    id: int
    amount_cents: int
    due_on: date
    structured_reference: str
    status: str
    overdue_flagged_at: datetime | None


_DECLARATION_COLUMNS = (Declaration.id, Declaration.employer_id, Declaration.worker_first_name,
                        Declaration.worker_last_name, Declaration.worker_niss, Declaration.contract_end_on,
                        Declaration.physician_decision_on, Declaration.declared_on, Declaration.declaration_due_on,
                        Declaration.status, Declaration.agent_name, Declaration.agent_email, Declaration.agent_phone)
_CONTRIBUTION_COLUMNS = (Contribution.id.label("contribution_id"), Contribution.amount_cents, Contribution.due_on,
                         Contribution.structured_reference, Contribution.status.label("contribution_status"),
                         Contribution.overdue_flagged_at)
#: Where the contribution's columns start in a row, then the two sums (received, refunded).
_C = len(_DECLARATION_COLUMNS)
_SUMS = _C + len(_CONTRIBUTION_COLUMNS)


def declaration_page(session: Session, actor: Any, filters: DeclarationFilters, *, today: date, limit: int = 50,
                     cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The actor's declarations (every employer it acts for: its own, and those it serves as an agent), newest
    first, in keyset pages, and the cursor of the next page: each as ``GET /dismissals/{id}`` gives it, with its
    warnings and the day by which the worker may apply (the fund's settings, read once)."""
    rows, next_cursor = declaration_rows(session, actor, filters, today=today, limit=limit, cursor=cursor)
    book = rules_book(session)  # read at the first rule asked for: not at all for an empty page
    items = []
    for row in rows:
        items.append(summary_of(row, ContributionRead(*row[_C:_SUMS]), sums_of(row), today=today,
                                rules=book.on(row.contract_end_on)))
    return items, next_cursor


def sums_of(row: Any) -> domain.PaymentSums:
    return domain.PaymentSums(int(row[_SUMS]), int(row[_SUMS + 1]))


def declaration_rows(session: Session, actor: Any, filters: DeclarationFilters, *, today: date, limit: int = 50,
                     cursor: str | None = None, employer_ids: Sequence[int] | None = None) -> tuple[list[Any], str | None]:
    """The rows of ``declaration_page`` (the declaration's columns by name, then ``contribution_id``,
    ``amount_cents``, ``due_on``, ``structured_reference``, ``contribution_status``, ``overdue_flagged_at``, and the
    sums received and refunded) and the next page's cursor. ``employer_ids``: the employers the actor acts for,
    when the caller has them already (else they are looked up in the same statement)."""
    if getattr(actor, "role", None) != Role.EMPLOYER:
        return [], None
    after_id = decode_id_cursor(cursor)
    params: dict[str, Any] = {"status": filters.status, "today": today, "after_id": after_id, "limit": limit + 1}
    if employer_ids is not None:
        ids = [i for i in employer_ids if filters.employer_id is None or i == filters.employer_id]
        if not ids:
            return [], None
        params["ids"] = ids
        one_employer = False
    else:
        params.update(own=actor.employer_id, user_id=actor.id, employer_id=filters.employer_id)
        one_employer = filters.employer_id is not None
    shape = (filters.status is not None, filters.overdue, one_employer, after_id is not None, employer_ids is not None)
    rows = read(session, prepared(("declaration_rows", shape), lambda: _page_statement(*shape)), params).all()
    next_cursor = encode_cursor([rows[limit - 1].id]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _acts_for() -> Any:
    """The ids of the employers ``:user_id`` acts for: its own ``:own`` (none for a social secretariat's user) and
    those it is an agent for, a short list (``employer_id IN`` it reads each one's rows by index; ``= :own OR IN
    (...)`` could not)."""
    return select(bindparam("own", type_=Integer)).union_all(
        select(EmployerAgent.employer_id).where(EmployerAgent.agent_user_id == bindparam("user_id", type_=Integer)))


def _page_statement(by_status: bool, overdue: bool | None, one_employer: bool, after: bool, ids_given: bool) -> Any:
    """For one combination of filters, its values bind parameters (built once per combination)."""
    paid = ContributionPayment.amount_cents

    def paid_sum(amount: Any) -> Any:
        return (select(func.coalesce(func.sum(amount), 0))
                .where(ContributionPayment.contribution_id == Contribution.id).scalar_subquery())

    def newest(of_employers: Any) -> Any:
        """The ids of the newest declarations of ``of_employers`` that pass the filters: read from the employers'
        index newest first, each contribution looked up by its declaration until the page is full. The filters
        are a subquery per declaration on purpose: joined, PostgreSQL may read every contribution of the fund in
        that state and hash them (15 ms at national scale) to find an employer's few."""
        query = select(Declaration.id).where(of_employers)
        if one_employer:
            query = query.where(Declaration.employer_id == bindparam("employer_id", type_=Integer))
        passes = []
        if by_status:
            passes.append(Contribution.status == bindparam("status"))
        unpaid_and_late = and_(Contribution.status.in_(("due", "partially_paid")),
                               Contribution.due_on < bindparam("today", type_=Date))
        if overdue is True:
            passes.append(unpaid_and_late)
        elif overdue is False:
            passes.append(~unpaid_and_late)
        if passes:
            query = query.where(select(Contribution.id).where(Contribution.declaration_id == Declaration.id, *passes)
                                .scalar_subquery().is_not(None))
        else:
            query = query.join(Contribution, Contribution.declaration_id == Declaration.id)
        if after:
            query = query.where(Declaration.id < bindparam("after_id", type_=Integer))
        return query.order_by(Declaration.id.desc()).limit(bindparam("limit", type_=Integer))

    if ids_given:  # one employer's rows come newest first from its index; a few employers' are sorted together
        candidates = newest(Declaration.employer_id.in_(bindparam("ids", expanding=True)))
    else:
        # Not known yet: its own employer's newest (none for a social secretariat's user) and those of the
        # employers it is an agent for (usually none), each read by index, then the page's rows among them. One
        # ``employer_id IN (own, agents...)`` would read every row of its own employer and sort them.
        own = newest(Declaration.employer_id == bindparam("own", type_=Integer)).subquery()
        agent_of = select(EmployerAgent.employer_id).where(EmployerAgent.agent_user_id == bindparam("user_id",
                                                                                                    type_=Integer))
        agents = newest(Declaration.employer_id.in_(agent_of)).subquery()
        candidates = union_all(select(own.c.id), select(agents.c.id))
    return (select(*_DECLARATION_COLUMNS, *_CONTRIBUTION_COLUMNS, paid_sum(case((paid > 0, paid), else_=0)),
                   paid_sum(case((paid < 0, -paid), else_=0)))
            .join_from(Declaration, Contribution, Contribution.declaration_id == Declaration.id)
            .where(Declaration.id.in_(candidates))
            .order_by(Declaration.id.desc()).limit(bindparam("limit", type_=Integer)))


def employer_names_for(session: Session, actor: Any) -> dict[int, str]:
    """The employers the actor acts for (``declarations.employers_for``) as {id: name}, by name: what the dashboard
    shows of them, read as plain rows."""
    if getattr(actor, "role", None) != Role.EMPLOYER:
        return {}

    def build() -> Any:
        return (select(Employer.id, Employer.company_name).where(Employer.id.in_(_acts_for()))
                .order_by(Employer.company_name))

    return dict(read(session, prepared("employer_names_for", build), {"user_id": actor.id, "own": actor.employer_id})
                .all())
