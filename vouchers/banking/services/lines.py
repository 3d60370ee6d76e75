from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Permission, can
from portal.schema_fields import MAX_ID
from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankStatement
from vouchers.employers.domain import UNPAID_STATUSES, PaymentSums
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    Employer,
)
from vouchers.employers.services import contributions
from vouchers.employers.services import payments as payment_services

MAX_REASON = 2000


def _facts(line: BankLine) -> domain.LineFacts:
    return domain.LineFacts(direction=line.direction, amount_cents=line.amount_cents, booked_on=line.booked_on,
                            structured_reference=line.structured_reference, end_to_end_id=line.end_to_end_id,
                            counterparty_iban=line.counterparty_iban, counterparty_name=line.counterparty_name)


def _hold_possible_duplicates(session: Session, statement: BankStatement, lines: Sequence[BankLine]) -> None:
    """Hold for a person each new credit that looks like money already imported with another statement
    of the same account, so it is never booked twice:

    - when one of the two lines has no bank reference (``AcctSvcrRef``), and ``domain.likely_same_payment``
      (same day, amount, and reference / end-to-end id / payer);
    - when the same booking was split into its payments in one statement and kept whole in the other:
      an entry of the same day and total, made of another number of lines, whose bank reference (if
      both have one) is the same.

    Two lines of the same statement are never duplicates of each other: a bank books each payment once."""
    waiting = [line for line in lines if line.status == "unmatched" and line.direction == "credit"]
    if not waiting:
        return
    days = sorted({line.booked_on for line in waiting})
    earlier = list(session.scalars(
        select(BankLine).join(BankStatement, BankStatement.id == BankLine.statement_id)
        .where(BankStatement.account == statement.account, BankStatement.id != statement.id,
               BankLine.status.in_(("unmatched", "matched", "dismissed")), BankLine.booked_on.in_(days),
               BankLine.direction == "credit")
        .order_by(BankLine.id)))
    if not earlier:
        return
    by_payment: dict[tuple[date, int], list[BankLine]] = defaultdict(list)
    earlier_entries: dict[tuple[int, int], list[BankLine]] = defaultdict(list)
    for line in earlier:
        by_payment[(line.booked_on, line.amount_cents)].append(line)
        earlier_entries[(line.statement_id, line.entry_index)].append(line)
    by_entry_total: dict[tuple[date, int], list[list[BankLine]]] = defaultdict(list)
    for parts in earlier_entries.values():
        by_entry_total[(parts[0].booked_on, sum(part.amount_cents for part in parts))].append(parts)
    new_entries: dict[int, list[BankLine]] = defaultdict(list)
    for line in lines:
        new_entries[line.entry_index].append(line)

    for line in waiting:
        original = _same_payment(line, by_payment[(line.booked_on, line.amount_cents)])
        if original is None:
            entry = new_entries[line.entry_index]
            total = sum(part.amount_cents for part in entry)
            original = next((parts[0] for parts in by_entry_total[(line.booked_on, total)]
                             if len(parts) != len(entry) and _same_booking(line, parts[0])), None)
        if original is not None:
            line.hold_reason = "possible_duplicate"
            line.possible_duplicate_of = original.id
    session.flush()


def _same_payment(line: BankLine, candidates: Sequence[BankLine]) -> BankLine | None:
    """The first earlier line that is likely the same payment, unless both carry the bank's reference
    (then ``line_key`` already told: another reference is another booking)."""
    facts = _facts(line)
    for other in candidates:
        if not (line.entry_reference and other.entry_reference) and domain.likely_same_payment(facts, _facts(other)):
            return other
    return None


def _same_booking(line: BankLine, other: BankLine) -> bool:
    """Whether two entries of the same day and total may be one booking: their bank references agree when
    both have one."""
    return not (line.entry_reference and other.entry_reference) or line.entry_reference == other.entry_reference


def _match_by_reference(session: Session, lines: Sequence[BankLine], *, now: datetime) -> int:
    """Record each unmatched credit whose structured reference is a contribution's, in booking order,
    so a partial payment and its top-up move the contribution step by step. Lines held for a person
    are left alone; a credit far larger than its contribution is held instead of booked."""
    candidates = [line for line in lines
                  if line.status == "unmatched" and line.structured_reference and not line.hold_reason]
    if not candidates:
        return 0
    references = sorted({line.structured_reference for line in candidates if line.structured_reference})
    owners = {reference: (contribution_id, amount) for reference, contribution_id, amount in session.execute(
        select(Contribution.structured_reference, Contribution.id, Contribution.amount_cents)
        .where(Contribution.structured_reference.in_(references)))}
    matched = 0
    for line in sorted(candidates, key=lambda item: (item.booked_on, item.id)):
        owner = owners.get(line.structured_reference or "")
        if owner is None:
            continue
        contribution_id, contribution_cents = owner
        if not domain.may_match_automatically(line.amount_cents, contribution_cents):
            line.hold_reason = "amount_too_large"
            continue
        _apply_match(session, line, contribution_id, method="reference", actor=None,
                     reason=f"structured reference {line.structured_reference}", now=now)
        matched += 1
    return matched


def _apply_match(session: Session, line: BankLine, contribution_id: int, *, method: str, actor: Any,
                 reason: str, now: datetime) -> None:
    payment_services.record_bank_payment(session, contribution_id, amount_cents=line.amount_cents,
                                          external_id=line.external_id, booked_on=line.booked_on, now=now)
    audit.record(session, actor=actor, object_type="bank_line", object_id=line.id, action="matched",
                 from_state=line.status, to_state="matched", reason=f"contribution {contribution_id}: {reason}",
                 now=now)
    line.status = "matched"
    line.contribution_id = contribution_id
    line.match_method = method
    if actor is not None:
        line.decided_by = actor.id
        line.decided_at = now
        line.decision_reason = reason
    session.flush()


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        message = N_("Please give the reason.")
        raise ValidationFailed(message, code="reason_required", fields={"reason": [message]})
    if len(text) > MAX_REASON:
        message = N_("At most 2000 characters.")
        raise ValidationFailed(message, code="reason_too_long", fields={"reason": [message]})
    return text


def _target(session: Session, contribution_id: int | None, reference: str | None) -> Contribution:
    """The contribution chosen by its number or by its structured reference (exactly one of them)."""
    if contribution_id is not None and (reference or "").strip():
        message = N_("Choose a contribution or type its structured reference, not both.")
        raise ValidationFailed(message, code="one_target", fields={"structured_reference": [message]})
    if contribution_id is not None:
        contribution = session.get(Contribution, contribution_id) if 1 <= contribution_id <= MAX_ID else None
        if contribution is None:
            message = N_("No contribution has this number.")
            raise ValidationFailed(message, code="contribution_unknown", fields={"contribution_id": [message]})
        return contribution
    if not (reference or "").strip():
        message = N_("Choose a suggested contribution, or type its structured reference.")
        raise ValidationFailed(message, code="target_required", fields={"structured_reference": [message]})
    digits = domain.clean_reference(reference)
    if digits is None:
        message = N_("This is not a valid structured reference (+++123/4567/89012+++, 12 digits).")
        raise ValidationFailed(message, code="reference_invalid", fields={"structured_reference": [message]})
    contribution = session.scalar(select(Contribution).where(Contribution.structured_reference == digits))
    if contribution is None:
        message = N_("No contribution has this structured reference.")
        raise ValidationFailed(message, code="reference_unknown", fields={"structured_reference": [message]})
    return contribution


def get_line(session: Session, actor: Any, line_id: int) -> BankLine:
    _require(actor)
    line = session.get(BankLine, line_id)
    if line is None:
        raise NotFound(N_("This bank line does not exist."))
    return line


def _refuse_if_closed(line: BankLine) -> None:
    if line.status == "matched":
        raise Conflict(N_("This line is already matched to another contribution."), code="line_already_matched")
    if line.status == "dismissed":
        raise Conflict(N_("This line was dismissed: it can no longer be matched."), code="line_dismissed")
    if line.status == "ignored":
        raise Conflict(N_("Only booked credits in euros can pay a contribution: this line stays out of matching."),
                       code="line_not_matchable")


def match_line(session: Session, actor: Any, line_id: int, *, contribution_id: int | None = None,
               reference: str | None = None, reason: str | None, now: datetime) -> tuple[BankLine, bool]:
    """Record an unmatched credit as a payment of the chosen contribution, under the line's row lock.

    Returns ``(line, changed)``: matching again to the same contribution changes nothing (False);
    a line matched elsewhere, dismissed or not a credit is a 409.
    """
    line = get_line(session, actor, line_id)
    reason = _clean_reason(reason)
    contribution = _target(session, contribution_id, reference)
    lock_row(session, line)
    if line.status == "matched" and line.contribution_id == contribution.id:
        return line, False
    _refuse_if_closed(line)
    _apply_match(session, line, contribution.id, method="manual", actor=actor, reason=reason, now=now)
    return line, True


def dismiss_line(session: Session, actor: Any, line_id: int, *, reason: str | None,
                 now: datetime) -> tuple[BankLine, bool]:
    """Take an unmatched credit out of the queue: it is no contribution (a person says why).
    Dismissing it again changes nothing; a matched line cannot be dismissed (409)."""
    line = get_line(session, actor, line_id)
    reason = _clean_reason(reason)
    lock_row(session, line)
    if line.status == "dismissed":
        return line, False
    _refuse_if_closed(line)
    audit.record(session, actor=actor, object_type="bank_line", object_id=line.id, action="dismissed",
                 from_state=line.status, to_state="dismissed", reason=reason, now=now)
    line.status = "dismissed"
    line.decided_by = actor.id
    line.decided_at = now
    line.decision_reason = reason
    session.flush()
    return line, True


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
    if not ids:
        return []
    rows = session.execute(select(Contribution, Declaration.employer_id, Employer.company_name,
                                  Employer.enterprise_number)
                           .join(Declaration, Declaration.id == Contribution.declaration_id)
                           .join(Employer, Employer.id == Declaration.employer_id)
                           .where(Contribution.id.in_(ids))).tuples().all()
    sums = contributions.payment_sums_for(session, [c.id for c, *_rest in rows])
    owed = {c.id: c.amount_cents - sums.get(c.id, PaymentSums()).net_cents for c, *_rest in rows}
    candidates = [domain.Candidate(c.id, owed[c.id], c.due_on, employer_id in employer_ids)
                  for c, employer_id, _name, _number in rows]
    by_id = {c.id: (c, name, number) for c, _employer_id, name, number in rows}
    out = []
    for suggestion in domain.rank_suggestions(line.amount_cents, candidates, limit=limit):
        c, name, number = by_id[suggestion.contribution_id]
        out.append(SuggestionView(contribution_id=c.id, declaration_id=c.declaration_id, employer_name=name,
                                  enterprise_number=number, structured_reference=c.structured_reference,
                                  amount_cents=c.amount_cents, owed_cents=owed[c.id], due_on=c.due_on,
                                  status=c.status, reason=suggestion.reason))
    return out


@dataclass(frozen=True)
class LineFilters:
    status: str | None = None
    from_on: date | None = None
    to_on: date | None = None
    statement_id: int | None = None


def _filtered(query: Select, filters: LineFilters) -> Select:
    if filters.status:
        query = query.where(BankLine.status == filters.status)
    if filters.from_on is not None:
        query = query.where(BankLine.booked_on >= filters.from_on)
    if filters.to_on is not None:
        query = query.where(BankLine.booked_on <= filters.to_on)
    if filters.statement_id is not None:
        query = query.where(BankLine.statement_id == filters.statement_id)
    return query


def list_lines(session: Session, actor: Any, filters: LineFilters, *, limit: int = 50,
               after_id: int | None = None) -> list[BankLine]:
    """Lines in import order (the queue: oldest first), filtered; keyset pages after ``after_id``."""
    _require(actor)
    query = _filtered(select(BankLine), filters)
    if after_id is not None:
        query = query.where(BankLine.id > after_id)
    return list(session.scalars(query.order_by(BankLine.id).limit(limit)))


def list_lines_of(session: Session, actor: Any, statement_ids: Sequence[int]) -> list[BankLine]:
    """Every line of the given statements, in import order (an upload's answer)."""
    _require(actor)
    if not statement_ids:
        return []
    return list(session.scalars(select(BankLine).where(BankLine.statement_id.in_(list(statement_ids)))
                                .order_by(BankLine.id)))


def line_totals(session: Session, actor: Any, filters: LineFilters) -> tuple[int, int]:
    """``(count, total_cents)`` of the lines the filters select."""
    _require(actor)
    count, total = session.execute(_filtered(select(func.count(), func.coalesce(func.sum(BankLine.amount_cents), 0)),
                                             filters)).one()
    return int(count), int(total)


def unmatched_lines_query(from_on: date, to_on: date) -> Select:
    """The credit lines booked in ``[from_on, to_on]`` that are still unmatched (neither matched nor
    dismissed): the period's unmatched money, row by row."""
    return (select(BankLine)
            .where(BankLine.status == "unmatched", BankLine.direction == "credit",
                   BankLine.booked_on >= from_on, BankLine.booked_on <= to_on)
            .order_by(BankLine.booked_on, BankLine.id))


def unmatched_money(session: Session, *, from_on: date, to_on: date) -> tuple[int, int]:
    """``(count, total_cents)`` of the period's unmatched money (see ``unmatched_lines_query``)."""
    lines = unmatched_lines_query(from_on, to_on).order_by(None).subquery()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(lines.c.amount_cents), 0))).one()
    return int(count), int(total)


def matched_payments_total(session: Session, line_ids: Sequence[int]) -> int:
    """What the given lines were recorded as (money in ``contribution_payments``): for checks and tests."""
    if not line_ids:
        return 0
    external = [f"bank-line-{line_id}" for line_id in line_ids]
    return int(session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                              .where(ContributionPayment.external_id.in_(external))) or 0)


def _require(actor: Any) -> None:
    if not can(actor, Permission.ADMIN_RECONCILE):
        raise Forbidden(N_("Only the fund's administrators may do this."))
