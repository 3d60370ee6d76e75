"""What an employer owes and has paid: each contribution's payments, sums and state, for pages, lists and reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Date, and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from portal.db import prepared
from portal.fund_settings import rules_on
from portal.rules import FundRules
from vouchers.employers import domain
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
)

#: Money received (a reversal takes back what it reverses: the money never stayed) and money refunded by the fund.
_SUMS = (
    func.coalesce(func.sum(case((ContributionPayment.kind != "refund", ContributionPayment.amount_cents), else_=0)), 0),
    func.coalesce(func.sum(case((ContributionPayment.kind == "refund", -ContributionPayment.amount_cents), else_=0)), 0),
)


def payment_sums(session: Session, contribution_id: int) -> domain.PaymentSums:
    received, refunded = session.execute(
        select(*_SUMS).where(ContributionPayment.contribution_id == contribution_id)).one()
    return domain.PaymentSums(int(received), int(refunded))


def payment_sums_for(session: Session, contribution_ids: Sequence[int]) -> dict[int, domain.PaymentSums]:
    if not contribution_ids:
        return {}
    rows = session.execute(
        select(ContributionPayment.contribution_id, *_SUMS)
        .where(ContributionPayment.contribution_id.in_(list(contribution_ids)))
        .group_by(ContributionPayment.contribution_id))
    return {cid: domain.PaymentSums(int(r), int(f)) for cid, r, f in rows}


def contribution_summary(contribution: Any, sums: domain.PaymentSums, *, today: date) -> dict[str, Any]:
    return {
        "id": contribution.id,
        "amount_cents": contribution.amount_cents,
        "paid_cents": sums.net_cents,
        "due_on": contribution.due_on,
        "structured_reference": domain.format_structured_reference(contribution.structured_reference),
        "status": contribution.status,
        "is_overdue": domain.is_overdue(contribution.status, contribution.due_on, today),
        "overdue_flagged_at": contribution.overdue_flagged_at,
    }


def declaration_summary(session: Session, declaration: Declaration, *, today: date,
                        sums: domain.PaymentSums | None = None, rules: FundRules | None = None) -> dict[str, Any]:
    contribution = declaration.contribution
    if sums is None:
        sums = payment_sums(session, contribution.id)
    return summary_of(declaration, contribution, sums, today=today,
                      rules=rules or rules_on(session, declaration.contract_end_on))


def summary_of(declaration: Any, contribution: Any, sums: domain.PaymentSums, *, today: date,
               rules: FundRules) -> dict[str, Any]:
    """A declaration as the API gives it: from its ORM objects, or from the plain rows a list reads (the same
    attributes), so that one answer and a page of them cannot drift apart."""
    return {
        "id": declaration.id,
        "employer_id": declaration.employer_id,
        "worker_first_name": declaration.worker_first_name,
        "worker_last_name": declaration.worker_last_name,
        "worker_niss": declaration.worker_niss,
        "contract_end_on": declaration.contract_end_on,
        "physician_decision_on": declaration.physician_decision_on,
        "declared_on": declaration.declared_on,
        "declaration_due_on": declaration.declaration_due_on,
        "is_late": declaration.declared_on > declaration.declaration_due_on,  # Declaration.is_late, for rows too
        "apply_by_on": domain.apply_by_on(declaration.contract_end_on, rules),
        "status": declaration.status,
        "agent_name": declaration.agent_name,
        "agent_email": declaration.agent_email,
        "agent_phone": declaration.agent_phone,
        "contribution": contribution_summary(contribution, sums, today=today),
        "warnings": [{"code": w.code, "message": w.message, "params": w.params} for w in domain.declaration_warnings(
            declaration.contract_end_on, declaration.physician_decision_on, declared_on=declaration.declared_on,
            rules=rules)],
    }


def payments_of(session: Session, contribution_id: int) -> list[ContributionPayment]:
    return list(session.scalars(select(ContributionPayment).where(ContributionPayment.contribution_id == contribution_id)
                                .order_by(ContributionPayment.id)))


def overdue_or_pending(session: Session, employer_ids: Sequence[int], *, today: date) -> dict[str, int]:
    """Counts for the employer's dashboard: due, overdue and paid contributions."""
    if not employer_ids:
        return {"due": 0, "overdue": 0, "paid": 0}
    kinds = dict(session.execute(prepared("overdue_or_pending", _counts_statement),
                                 {"today": today, "employer_ids": list(employer_ids)}).all())
    return {"due": int(kinds.get(_PENDING, 0) + kinds.get(_LATE, 0)), "overdue": int(kinds.get(_LATE, 0)),
            "paid": int(kinds.get(_PAID, 0))}


_PENDING, _LATE, _PAID = 1, 2, 3


def _counts_statement() -> Any:
    """How many of the employers' declarations (their index) have a contribution of each kind, looked up by the
    declaration: to pay, to pay and late, paid (0: none of these). Joined instead, PostgreSQL reads and hashes every
    contribution of the fund (150 ms cold, 10 ms warm at national scale) to count an employer's few hundred."""
    late = and_(Contribution.status.in_(("due", "partially_paid")), Contribution.due_on < bindparam("today", type_=Date))
    kind = (select(case((late, _LATE), (Contribution.status.in_(("due", "partially_paid", "processing")), _PENDING),
                        (Contribution.status.in_(("paid", "overpaid")), _PAID), else_=0))
            .where(Contribution.declaration_id == Declaration.id).scalar_subquery().label("kind"))
    kinds = select(kind).where(Declaration.employer_id.in_(bindparam("employer_ids", expanding=True))).subquery()
    return select(kinds.c.kind, func.count()).group_by(kinds.c.kind)
