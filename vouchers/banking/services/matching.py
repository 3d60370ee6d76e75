"""Booking bank lines to contributions, automatically at import or for a person.

- A credit carrying contributions' structured references pays them: one reference takes all of it; several
  split it to the cent in the payer's order (``domain.split_by_dues``), each taking what it still owes and the
  last one any rest. References that are no contribution's are passed over.
- A credit without a usable reference is matched by its amount and the payer's enterprise number (any number the
  line names: a social secretariat paying for a client names the client's) only when exactly one open contribution
  of the employers it names still owes exactly that amount (``domain.single_fit``); else it waits for a person,
  who sees those contributions as suggestions.
- A credit that brings back money the fund sent (a returned transfer: ``is_return``) is no employer's payment,
  whatever reference or enterprise number it names: it is never matched automatically. The fund's own transfers
  take it (``services.outgoing``), or it waits for a person.
- A debit that gives a credit back (a reversal or a return) undoes what that credit paid, when the import finds
  the credit for sure (``domain.reversed_credit``) and its contributions still hold that money; else it waits
  for a person. Every debit line of an import goes through ``book_debit_lines``.

Each part is one allocation row and one payment through ``vouchers.employers.services.bank_payments``, which writes
the ledger entry (a negative one for a reversal: a counter-entry, nothing deleted) and moves the contribution's
status. An import plans its lines first (``plan_automatic``, reading in batches) and books them in batches
(``book``), so the statements it sends do not grow with its lines. Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from portal import audit
from portal.audit import AuditEntry
from portal.db import lock_row
from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankLineAllocation, BankStatement
from vouchers.banking.services.duplicates import line_facts
from vouchers.employers import domain as employer_domain
from vouchers.employers.models import Contribution, Declaration, Employer
from vouchers.employers.services import bank_payments
from vouchers.employers.services.contributions import payment_sums, payment_sums_for

Part = tuple[int, int]  # (contribution_id, cents), cents > 0

#: Ids per ``IN (...)``.
CHUNK = 500

#: Contributions a transfer may pay without a person: not those being paid by card right now.
_OPEN_FOR_TRANSFER = ("due", "partially_paid")


@dataclass
class Planned:
    """What a line will book: its parts, how they were found, and why."""

    line: BankLine
    parts: list[Part]
    method: str
    reason: str
    actor: Any = None
    reverses_line_id: int | None = None


def _chunks(values: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def holdings(session: Session, contribution_ids: Iterable[int]) -> dict[int, int]:
    """The money each contribution holds now (every source, net of refunds and reversals)."""
    ids = sorted(set(contribution_ids))
    sums: dict[int, employer_domain.PaymentSums] = {}
    for chunk in _chunks(ids):
        sums.update(payment_sums_for(session, chunk))
    return {cid: sums.get(cid, employer_domain.PaymentSums()).net_cents for cid in ids}


def lock_contributions(session: Session, contribution_ids: Iterable[int]) -> None:
    """Row locks on the contributions, in id order (two callers never wait on each other in a circle)."""
    bank_payments.lock_contributions(session, contribution_ids)


def describe(parts: Sequence[Part]) -> str:
    return ", ".join(f"contribution {cid}: {cents} cents" for cid, cents in parts)


def book(session: Session, planned: Sequence[Planned], *, now: datetime) -> None:
    """Record each planned line's parts as its contributions' money (taken back, for a line that gives a credit
    back), in the order given, and mark the lines matched. The caller has checked the parts add up to each line's
    amount."""
    payments = []
    for item in planned:
        sign = -1 if item.line.returns_credit else 1
        payments.extend(bank_payments.BankPayment(cid, sign * cents, item.line.part_external_id(index),
                                                  item.line.booked_on)
                        for index, (cid, cents) in enumerate(item.parts, start=1))
    # A person's match tells the employer by e-mail at once; an import's thousands go with the outbox job.
    bank_payments.record_bank_payments(session, payments, now=now,
                                       send_now=any(item.actor is not None for item in planned))
    allocations, matched = [], []
    for item in planned:
        line, sign = item.line, -1 if item.line.returns_credit else 1
        allocations.extend({"line_id": line.id, "contribution_id": contribution_id, "amount_cents": sign * cents,
                            "external_id": line.part_external_id(index), "created_at": now}
                           for index, (contribution_id, cents) in enumerate(item.parts, start=1))
        matched.append({"at": now, "actor_id": getattr(item.actor, "id", None), "object_type": "bank_line",
                        "object_id": line.id, "action": "matched", "from_state": line.status, "to_state": "matched",
                        "reason": f"{describe(item.parts)}: {item.reason}"[:2000]})
        line.status = "matched"
        line.contribution_id = item.parts[0][0]
        line.match_method = item.method
        line.reverses_line_id = item.reverses_line_id
        if item.actor is not None:
            line.decided_by = item.actor.id
            line.decided_at = now
            line.decision_reason = item.reason
    if planned:  # plain batched INSERTs (Core: no ORM work per row), like the payments'
        session.execute(insert(BankLineAllocation.__table__), allocations)
        session.execute(insert(AuditEntry.__table__), matched)
    session.flush()
    for item in planned:
        session.expire(item.line, ["allocations"])  # read again when asked: they were inserted without objects
    for item in planned:
        if item.line.returns_credit:
            for contribution_id, _cents in item.parts:
                _status_after_reversal(session, contribution_id, now=now)


def apply_allocations(session: Session, line: BankLine, parts: Sequence[Part], *, method: str, actor: Any,
                      reason: str, now: datetime, reverses_line_id: int | None = None) -> None:
    """``book`` for one line (a person's match, or a reversal found at import)."""
    book(session, [Planned(line, list(parts), method, reason, actor, reverses_line_id)], now=now)


def _status_after_reversal(session: Session, contribution_id: int, *, now: datetime) -> None:
    """A reversal means the money never stayed: the contribution is due (or partly paid) again, not "refunded"
    (a refund is money the fund gave back of its own accord; the payments' kinds tell them apart)."""
    contribution = session.get(Contribution, contribution_id)
    assert contribution is not None  # the payment has just been recorded for it
    status = employer_domain.contribution_status(contribution.amount_cents, payment_sums(session, contribution_id),
                                                 in_flight=contribution.status == "processing")
    if status != contribution.status:
        audit.record(session, actor=None, object_type="contribution", object_id=contribution.id,
                     action="status_changed", from_state=contribution.status, to_state=status,
                     reason="bank reversal", now=now)
        contribution.status = status
        contribution.updated_at = now


# --- automatic matching of a statement's credits ------------------------------------------------------------------


def _waiting_credits(lines: Sequence[BankLine]) -> list[BankLine]:
    return sorted((line for line in lines if line.status == "unmatched" and not line.returns_credit
                   and not line.hold_reason and not line.is_return), key=lambda item: (item.booked_on, item.id))


def plan_automatic(session: Session, lines: Sequence[BankLine]) -> list[Planned]:
    """What the import books for the new credits, in booking order (a partial payment and its top-up move a
    contribution step by step): by structured reference first, then by enterprise number and amount among what the
    references left open. A credit far larger than the contributions it names is held instead
    (``hold_reason``). Reads in batches; writes nothing but the holds."""
    waiting = _waiting_credits(lines)
    references = sorted({reference for line in waiting for reference in line.references})
    owners: dict[str, tuple[int, int]] = {}
    for chunk in _chunks(references):
        owners.update({reference: (cid, amount) for reference, cid, amount in session.execute(
            select(Contribution.structured_reference, Contribution.id, Contribution.amount_cents)
            .where(Contribution.structured_reference.in_(chunk)))})
    amounts = dict(owners.values())
    owed = {cid: amounts[cid] - held for cid, held in holdings(session, amounts).items()}
    planned: list[Planned] = []
    for line in waiting:
        named = list(dict.fromkeys(owners[r][0] for r in line.references if r in owners))
        if not named:
            continue
        if not domain.may_match_automatically(line.amount_cents, sum(amounts[cid] for cid in named)):
            line.hold_reason = "amount_too_large"
            continue
        parts = domain.split_by_dues(line.amount_cents, [(cid, owed[cid]) for cid in named])
        planned.append(Planned(line, parts, "reference", "structured reference " + " ".join(line.references)))
        for cid, cents in parts:
            owed[cid] -= cents
    booked = {id(item.line) for item in planned}
    planned.extend(_plan_by_enterprise_number(session, [line for line in waiting if id(line) not in booked
                                                        and not line.hold_reason], owed))
    planned.sort(key=lambda item: (item.line.booked_on, item.line.id))
    return planned


def _numbers(line: BankLine) -> list[str]:
    return domain.find_enterprise_numbers([line.counterparty_id, line.counterparty_name, line.remittance_text])


def _plan_by_enterprise_number(session: Session, lines: Sequence[BankLine], owed: dict[int, int]) -> list[Planned]:
    """Credits naming employers (by enterprise number) of whose open contributions exactly one still owes exactly
    the credit's amount, after what the references booked (``owed``, updated here)."""
    named = {id(line): _numbers(line) for line in lines}
    numbers = sorted({number for found in named.values() for number in found})
    if not numbers:
        return []
    employer_of: dict[str, int] = {}
    for chunk in _chunks(numbers):
        employer_of.update({number: employer_id for number, employer_id in session.execute(
            select(Employer.enterprise_number, Employer.id).where(Employer.enterprise_number.in_(chunk)))})
    open_by_employer: dict[int, list[tuple[int, int, Any]]] = {}
    employer_ids = sorted(set(employer_of.values()))
    for chunk in _chunks(employer_ids):
        for employer_id, cid, amount, due_on in session.execute(
                select(Declaration.employer_id, Contribution.id, Contribution.amount_cents, Contribution.due_on)
                .join(Declaration, Declaration.id == Contribution.declaration_id)
                .where(Declaration.employer_id.in_(chunk), Declaration.status == "declared",
                       Contribution.status.in_(_OPEN_FOR_TRANSFER))).tuples():
            open_by_employer.setdefault(employer_id, []).append((cid, amount, due_on))
    unknown = sorted({cid for rows in open_by_employer.values() for cid, _a, _d in rows} - set(owed))
    held = holdings(session, unknown)
    for rows in open_by_employer.values():
        for cid, amount, _due_on in rows:
            owed.setdefault(cid, amount - held.get(cid, 0))
    planned = []
    for line in lines:
        employers = list(dict.fromkeys(employer_of[n] for n in named[id(line)] if n in employer_of))
        candidates = [(cid, owed[cid]) for employer_id in employers for cid, _a, _d in open_by_employer.get(employer_id, [])]
        fit = domain.single_fit(line.amount_cents, candidates)
        if fit is None:
            continue
        owed[fit] -= line.amount_cents
        planned.append(Planned(line, [(fit, line.amount_cents)], "enterprise",
                               "enterprise number and amount: the only open contribution owing it"))
    return planned


def match_automatically(session: Session, lines: Sequence[BankLine], *, now: datetime) -> int:
    """Plan and book the new credits at once (a small statement). Returns how many lines were booked."""
    planned = plan_automatic(session, lines)
    book(session, planned, now=now)
    return len(planned)


# --- debits ----------------------------------------------------------------------------------------------------------


def book_debit_lines(session: Session, account: str, lines: Sequence[BankLine], *, now: datetime) -> int:
    """What an import does with its new debit lines (after the credits: a credit and its reversal may come in the
    same statement): a debit that gives a credit back undoes it (``apply_reversals``); other debits stay out of
    matching. Returns how many lines were booked."""
    return apply_reversals(session, account, lines, now=now)


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
