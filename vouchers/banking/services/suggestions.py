"""What a waiting line may be: for a credit, the open contributions it might pay (its payer's, found by
enterprise number or IBAN, and others owing exactly its amount); for a line that gives a credit back, the
contributions that booked credits of exactly its amount (not given back yet), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankLineAllocation
from vouchers.employers.domain import UNPAID_STATUSES, PaymentSums
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    Employer,
)
from vouchers.employers.services import contributions


@dataclass(frozen=True)
class SuggestionView:
    contribution_id: int
    declaration_id: int
    employer_name: str
    enterprise_number: str
    structured_reference: str
    amount_cents: int
    owed_cents: int
    due_on: date
    status: str
    reason: str


def suggestions_for(session: Session, line: BankLine, *, limit: int = 10) -> list[SuggestionView]:
    """Open contributions this credit might pay: its payer's (found by enterprise number or IBAN), and
    others owing exactly its amount. Only for lines still waiting."""
    if line.status != "unmatched":
        return []
    if line.returns_credit:
        return _given_back(session, line, limit)
    payer = []
    if line.enterprise_number:
        payer.append(Employer.enterprise_number == line.enterprise_number)
    if line.counterparty_iban:
        payer.append(Employer.iban == line.counterparty_iban)
    employer_ids = set(session.scalars(select(Employer.id).where(or_(*payer)))) if payer else set()
    base = (select(Contribution.id).join(Declaration, Declaration.id == Contribution.declaration_id)
            .where(Declaration.status == "declared", Contribution.status.in_(sorted(UNPAID_STATUSES))))
    ids: set[int] = set()
    if employer_ids:
        ids.update(session.scalars(base.where(Declaration.employer_id.in_(employer_ids))
                                   .order_by(Contribution.due_on).limit(50)))
    ids.update(session.scalars(base.where(Contribution.status == "due", Contribution.amount_cents == line.amount_cents)
                               .order_by(Contribution.due_on).limit(50)))
    paid = (select(ContributionPayment.contribution_id, func.sum(ContributionPayment.amount_cents).label("net"))
            .group_by(ContributionPayment.contribution_id).subquery())
    ids.update(session.scalars(base.join(paid, paid.c.contribution_id == Contribution.id)
                               .where(Contribution.status == "partially_paid",
                                      Contribution.amount_cents - paid.c.net == line.amount_cents)
                               .order_by(Contribution.due_on).limit(50)))
    employers, views = _views(session, ids)
    candidates = [domain.Candidate(v.contribution_id, v.owed_cents, v.due_on, employers[v.contribution_id] in employer_ids)
                  for v in views.values()]
    return [_with_reason(views[s.contribution_id], s.reason)
            for s in domain.rank_suggestions(line.amount_cents, candidates, limit=limit)]


def _given_back(session: Session, line: BankLine, limit: int) -> list[SuggestionView]:
    given_back = select(BankLine.reverses_line_id).where(BankLine.reverses_line_id.is_not(None))
    ids = list(dict.fromkeys(session.scalars(
        select(BankLineAllocation.contribution_id).join(BankLine, BankLine.id == BankLineAllocation.line_id)
        .where(BankLine.direction == "credit", BankLine.status == "matched", BankLine.amount_cents == line.amount_cents,
               BankLine.booked_on <= line.booked_on, BankLine.id.not_in(given_back), BankLineAllocation.amount_cents > 0)
        .order_by(BankLine.booked_on.desc(), BankLine.id.desc()).limit(limit * 5))))[:limit]
    _employers, views = _views(session, set(ids))
    return [_with_reason(views[cid], "returned_payment") for cid in ids if cid in views]


def _with_reason(view: SuggestionView, reason: str) -> SuggestionView:
    return SuggestionView(**{**view.__dict__, "reason": reason})


def _views(session: Session, ids: set[int]) -> tuple[dict[int, int], dict[int, SuggestionView]]:
    """``(employer id, view without a reason)`` of each contribution, by contribution id."""
    if not ids:
        return {}, {}
    rows = session.execute(select(Contribution, Declaration.employer_id, Employer.company_name,
                                  Employer.enterprise_number)
                           .join(Declaration, Declaration.id == Contribution.declaration_id)
                           .join(Employer, Employer.id == Declaration.employer_id)
                           .where(Contribution.id.in_(ids))).tuples().all()
    sums = contributions.payment_sums_for(session, [c.id for c, *_rest in rows])
    views = {c.id: SuggestionView(contribution_id=c.id, declaration_id=c.declaration_id, employer_name=name,
                                  enterprise_number=number, structured_reference=c.structured_reference,
                                  amount_cents=c.amount_cents,
                                  owed_cents=c.amount_cents - sums.get(c.id, PaymentSums()).net_cents,
                                  due_on=c.due_on, status=c.status, reason="")
             for c, _employer_id, name, number in rows}
    return {c.id: employer_id for c, employer_id, *_rest in rows}, views


