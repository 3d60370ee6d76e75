"""Booking bank lines to contributions, automatically at import or for a person.

- A credit carrying contributions' structured references pays them: one reference takes all of it; several
  split it to the cent in the payer's order (``domain.split_by_dues``), each taking what it still owes and the
  last one any rest. References that are no contribution's are passed over; a line naming none waits.
- A debit that gives a credit back (a reversal or a return) undoes what that credit paid, when the import finds
  the credit for sure (``domain.reversed_credit``) and its contributions still hold that money; else it waits
  for a person.

Each part is one allocation row and one payment through ``vouchers.employers.services.payments``, which writes
the ledger entry (a negative one for a reversal: a counter-entry, nothing deleted) and moves the contribution's
status. Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal import audit
from portal.db import lock_row
from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankLineAllocation, BankStatement
from vouchers.banking.services.duplicates import line_facts
from vouchers.employers import domain as employer_domain
from vouchers.employers.models import Contribution
from vouchers.employers.services import payments as payment_services
from vouchers.employers.services.contributions import payment_sums, payment_sums_for

Part = tuple[int, int]  # (contribution_id, cents), cents > 0


def holdings(session: Session, contribution_ids: Iterable[int]) -> dict[int, int]:
    """The money each contribution holds now (every source, net of refunds and reversals)."""
    ids = sorted(set(contribution_ids))
    sums: dict[int, employer_domain.PaymentSums] = {}
    for start in range(0, len(ids), 500):
        sums.update(payment_sums_for(session, ids[start:start + 500]))
    return {cid: sums.get(cid, employer_domain.PaymentSums()).net_cents for cid in ids}


def lock_contributions(session: Session, contribution_ids: Iterable[int]) -> None:
    """Row locks on the contributions, in id order (two callers never wait on each other in a circle)."""
    for contribution in session.scalars(select(Contribution).where(Contribution.id.in_(sorted(set(contribution_ids))))
                                        .order_by(Contribution.id)):
        lock_row(session, contribution)


def describe(parts: Sequence[Part]) -> str:
    return ", ".join(f"contribution {cid}: {cents} cents" for cid, cents in parts)


def apply_allocations(session: Session, line: BankLine, parts: Sequence[Part], *, method: str, actor: Any,
                      reason: str, now: datetime, reverses_line_id: int | None = None) -> None:
    """Record ``parts`` of an unmatched line as its contributions' money (taken back, for a line that gives a
    credit back), and mark the line matched. The caller has checked the parts add up to the line's amount."""
    sign = -1 if line.returns_credit else 1
    for index, (contribution_id, cents) in enumerate(parts, start=1):
        external_id = line.part_external_id(index)
        payment_services.record_bank_payment(session, contribution_id, amount_cents=sign * cents,
                                              external_id=external_id, booked_on=line.booked_on, now=now)
        line.allocations.append(BankLineAllocation(contribution_id=contribution_id, amount_cents=sign * cents,
                                                   external_id=external_id, created_at=now))
    if sign < 0:
        session.flush()
        for contribution_id, _cents in parts:
            _status_after_reversal(session, contribution_id, now=now)
    audit.record(session, actor=actor, object_type="bank_line", object_id=line.id, action="matched",
                 from_state=line.status, to_state="matched", reason=f"{describe(parts)}: {reason}"[:2000], now=now)
    line.status = "matched"
    line.contribution_id = parts[0][0]
    line.match_method = method
    line.reverses_line_id = reverses_line_id
    if actor is not None:
        line.decided_by = actor.id
        line.decided_at = now
        line.decision_reason = reason
    session.flush()


def _status_after_reversal(session: Session, contribution_id: int, *, now: datetime) -> None:
    """A reversal means the money never stayed: the contribution is due (or partly paid) again, not "refunded",
    which the payments' sums alone would say (a refund is money the fund gave back of its own accord)."""
    contribution = session.get(Contribution, contribution_id)
    assert contribution is not None  # record_bank_payment has just found it
    taken_back = -int(sum(session.scalars(select(BankLineAllocation.amount_cents).where(
        BankLineAllocation.contribution_id == contribution_id, BankLineAllocation.amount_cents < 0))))
    sums = payment_sums(session, contribution_id)
    as_if_never_received = employer_domain.PaymentSums(sums.received_cents - taken_back,
                                                       sums.refunded_cents - taken_back)
    status = employer_domain.contribution_status(contribution.amount_cents, as_if_never_received,
                                                 in_flight=contribution.status == "processing")
    if status != contribution.status:
        audit.record(session, actor=None, object_type="contribution", object_id=contribution.id,
                     action="status_changed", from_state=contribution.status, to_state=status,
                     reason="bank reversal", now=now)
        contribution.status = status
        contribution.updated_at = now


def match_by_reference(session: Session, lines: Sequence[BankLine], *, now: datetime) -> int:
    """Book each unmatched credit whose structured references are contributions', in booking order, so a partial
    payment and its top-up move a contribution step by step. Lines held for a person are left alone; a credit far
    larger than what it names is held instead of booked. Returns how many lines were booked."""
    candidates = [line for line in lines if line.status == "unmatched" and not line.returns_credit
                  and line.structured_reference and not line.hold_reason]
    if not candidates:
        return 0
    references = sorted({reference for line in candidates for reference in line.references})
    owners: dict[str, tuple[int, int]] = {}
    for start in range(0, len(references), 500):
        owners.update({reference: (cid, amount) for reference, cid, amount in session.execute(
            select(Contribution.structured_reference, Contribution.id, Contribution.amount_cents)
            .where(Contribution.structured_reference.in_(references[start:start + 500])))})
    amounts = dict(owners.values())
    owed = {cid: amounts[cid] - held for cid, held in holdings(session, amounts).items()}
    matched = 0
    for line in sorted(candidates, key=lambda item: (item.booked_on, item.id)):
        named: list[int] = []
        for reference in line.references:
            owner = owners.get(reference)
            if owner is not None and owner[0] not in named:
                named.append(owner[0])
        if not named:
            continue
        if not domain.may_match_automatically(line.amount_cents, sum(amounts[cid] for cid in named)):
            line.hold_reason = "amount_too_large"
            continue
        parts = domain.split_by_dues(line.amount_cents, [(cid, owed[cid]) for cid in named])
        apply_allocations(session, line, parts, method="reference", actor=None, now=now,
                          reason="structured reference " + " ".join(line.references))
        for cid, cents in parts:
            owed[cid] -= cents
        matched += 1
    return matched


def apply_reversals(session: Session, account: str, lines: Sequence[BankLine], *, now: datetime) -> int:
    """Undo, for each new line that gives a credit back, what that credit paid, when the credit is found for sure
    among the account's booked credits not yet given back, and its contributions still hold that money (a person
    may have taken it back already). The rest waits for a person. Returns how many were applied."""
    applied = 0
    waiting = [line for line in lines if line.status == "unmatched" and line.returns_credit and not line.hold_reason]
    for line in sorted(waiting, key=lambda item: (item.booked_on, item.id)):
        credit = _reversed_credit(session, account, line)
        if credit is None:
            continue
        # Under the credit's and its contributions' row locks: another import or a person may be giving it back.
        original = session.get(BankLine, credit.line_id)
        assert original is not None
        lock_row(session, original)
        if session.scalar(select(BankLine.id).where(BankLine.reverses_line_id == original.id).limit(1)):
            continue
        lock_contributions(session, [cid for cid, _cents in credit.parts])
        held = holdings(session, [cid for cid, _cents in credit.parts])
        if any(held[cid] < cents for cid, cents in credit.parts):
            continue
        apply_allocations(session, line, list(credit.parts), method="reversal", actor=None, now=now,
                          reason=f"gives back bank line {credit.line_id}", reverses_line_id=credit.line_id)
        applied += 1
    return applied


def _reversed_credit(session: Session, account: str, line: BankLine) -> domain.BookedCredit | None:
    signals = []
    if line.structured_reference:
        signals.append(BankLine.structured_reference == line.structured_reference)
    end_to_end = domain.meaningful_end_to_end(line.end_to_end_id)
    if end_to_end:
        signals.append(BankLine.end_to_end_id == end_to_end)
    if not signals:
        return None
    given_back = select(BankLine.reverses_line_id).where(BankLine.reverses_line_id.is_not(None))
    rows = session.scalars(
        select(BankLine).join(BankStatement, BankStatement.id == BankLine.statement_id)
        .where(BankStatement.account == account, BankLine.direction == "credit", BankLine.status == "matched",
               BankLine.amount_cents == line.amount_cents, BankLine.booked_on <= line.booked_on,
               BankLine.id.not_in(given_back), signals[0] if len(signals) == 1 else (signals[0] | signals[1]))
        .options(selectinload(BankLine.allocations)).order_by(BankLine.id).limit(20))
    credits = [domain.BookedCredit(row.id, line_facts(row),
                                   tuple((a.contribution_id, a.amount_cents) for a in row.allocations))
               for row in rows if row.allocations and all(a.amount_cents > 0 for a in row.allocations)]
    return domain.reversed_credit(line_facts(line), credits)
