"""Money imported twice under two statements: a new credit that looks like a line imported with another
statement of the same account is *held* for a person (``hold_reason = "possible_duplicate"``), never booked."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankStatement


def line_facts(line: BankLine) -> domain.LineFacts:
    return domain.LineFacts(direction=line.direction, amount_cents=line.amount_cents, booked_on=line.booked_on,
                            structured_reference=line.structured_reference, end_to_end_id=line.end_to_end_id,
                            counterparty_iban=line.counterparty_iban, counterparty_name=line.counterparty_name)


def hold_possible_duplicates(session: Session, statement: BankStatement, lines: Sequence[BankLine]) -> None:
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
    facts = line_facts(line)
    for other in candidates:
        if not (line.entry_reference and other.entry_reference) and domain.likely_same_payment(facts, line_facts(other)):
            return other
    return None


def _same_booking(line: BankLine, other: BankLine) -> bool:
    """Whether two entries of the same day and total may be one booking: their bank references agree when
    both have one."""
    return not (line.entry_reference and other.entry_reference) or line.entry_reference == other.entry_reference
