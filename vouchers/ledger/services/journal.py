"""The accounting journal: every ledger entry of a period as a booking for the fund's accounting system.

Each entry is one line: its ledger account with the amount on the debit or the credit side, and its
counter-account, which takes the same amount on the other side (``domain.booking``). Every line thus balances
by itself, and a period's debits equal its credits. Corrections are lines like any other, naming the entry they
correct. Lines are in booking order (day, then entry number), so an export of consecutive periods never repeats
or skips an entry.

A year holds a few million entries: the CSV is written as the rows are read, in batches, never held whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, select, tuple_
from sqlalchemy.orm import Session

from vouchers.employers.models import Contribution
from vouchers.ledger.domain import ACCOUNT_CODES, Booking, Period, booking
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services.reconciliation import require_reports
from vouchers.ledger.services.report_tables import euros, safe_cell
from vouchers.requests.models import Voucher

HEADER = ["entry_id", "booked_on", "kind", "account", "account_code", "debit_cents", "debit_euros",
          "credit_cents", "credit_euros", "counter_account", "counter_account_code", "voucher_id", "voucher_code",
          "contribution_id", "structured_reference", "claim_id", "corrects_entry_id", "memo", "recorded_at"]


#: Rows read from the database at a time while the CSV is written.
BATCH = 2000


@dataclass(frozen=True)
class JournalLine:
    entry_id: int
    booked_on: date
    kind: str
    booking: Booking
    amount_cents: int
    voucher_id: int | None
    voucher_code: str | None
    contribution_id: int | None
    structured_reference: str | None
    claim_id: int | None
    corrects_entry_id: int | None
    memo: str | None
    recorded_at: datetime

    def row(self) -> list[Any]:
        b = self.booking
        return [self.entry_id, self.booked_on.isoformat(), self.kind, b.account, ACCOUNT_CODES[b.account],
                b.debit_cents, euros(b.debit_cents), b.credit_cents, euros(b.credit_cents), b.counter,
                ACCOUNT_CODES[b.counter], self.voucher_id or "", self.voucher_code or "", self.contribution_id or "",
                self.structured_reference or "", self.claim_id or "", self.corrects_entry_id or "", self.memo or "",
                self.recorded_at.isoformat()]


def _lines_query(period: Period) -> Select[Any]:
    return (select(LedgerEntry.id, LedgerEntry.booked_on, LedgerEntry.kind, LedgerEntry.account,
                   LedgerEntry.amount_cents, LedgerEntry.voucher_id, Voucher.code, LedgerEntry.contribution_id,
                   Contribution.structured_reference, LedgerEntry.claim_id, LedgerEntry.corrects_entry_id,
                   LedgerEntry.memo, LedgerEntry.created_at)
            .outerjoin(Voucher, Voucher.id == LedgerEntry.voucher_id)
            .outerjoin(Contribution, Contribution.id == LedgerEntry.contribution_id)
            .where(LedgerEntry.booked_on >= period.from_on, LedgerEntry.booked_on <= period.to_on))


def _line(row: Any) -> JournalLine:
    (entry_id, booked_on, kind, account, amount, voucher_id, code, contribution_id, reference, claim_id,
     corrects, memo, created_at) = row
    return JournalLine(entry_id, booked_on, kind, booking(account, kind, int(amount)), int(amount), voucher_id, code,
                       contribution_id, reference, claim_id, corrects, memo, created_at)


def journal_lines(session: Session, actor: Any, period: Period, *, limit: int | None = None,
                  after: tuple[date, int] | None = None) -> Iterator[JournalLine]:
    """The period's lines in booking order; ``after`` (a day and an entry id) and ``limit`` page them."""
    require_reports(actor)
    query = _lines_query(period)
    if after is not None:
        query = query.where(tuple_(LedgerEntry.booked_on, LedgerEntry.id) > tuple_(*after))
    query = query.order_by(LedgerEntry.booked_on, LedgerEntry.id)
    if limit is not None:
        return (_line(row) for row in session.execute(query.limit(limit)).all())
    return (_line(row) for row in session.execute(query.execution_options(yield_per=BATCH)))


def journal_csv(session: Session, actor: Any, period: Period) -> Iterator[str]:
    """The period's journal as UTF-8 CSV text, in pieces of about ``BATCH`` lines (a streamed download).
    The permission is checked before the first piece, so a refusal is an answer, not a broken download."""
    lines = journal_lines(session, actor, period)

    def pieces() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(HEADER)
        for count, line in enumerate(lines, start=1):
            writer.writerow([safe_cell(value) for value in line.row()])
            if count % BATCH == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return pieces()


@dataclass(frozen=True)
class AccountTotal:
    """What the period's journal books on one account: the trial balance's line."""

    account: str
    debit_cents: int
    credit_cents: int

    @property
    def code(self) -> str:
        return ACCOUNT_CODES[self.account]

    @property
    def balance_cents(self) -> int:
        return self.debit_cents - self.credit_cents


@dataclass(frozen=True)
class JournalTotals:
    entries: int
    accounts: list[AccountTotal]

    @property
    def debit_cents(self) -> int:
        return sum(a.debit_cents for a in self.accounts)

    @property
    def credit_cents(self) -> int:
        return sum(a.credit_cents for a in self.accounts)


def journal_totals(session: Session, actor: Any, period: Period) -> JournalTotals:
    """Per account (the ledger's and the counter-accounts), the period's debits and credits, from one grouped
    query: what an accountant checks the imported journal against."""
    require_reports(actor)
    sign = case((LedgerEntry.amount_cents < 0, -1), else_=1)  # a group's sum keeps its lines' side
    rows = session.execute(
        select(LedgerEntry.account, LedgerEntry.kind, sign, func.count(), func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.booked_on >= period.from_on, LedgerEntry.booked_on <= period.to_on)
        .group_by(LedgerEntry.account, LedgerEntry.kind, sign))
    debits = dict.fromkeys(ACCOUNT_CODES, 0)
    credits = dict.fromkeys(ACCOUNT_CODES, 0)
    entries = 0
    for account, kind, _sign, count, total in rows:
        entries += int(count)
        line = booking(account, kind, int(total))
        debits[line.account] += line.debit_cents
        credits[line.account] += line.credit_cents
        debits[line.counter] += line.credit_cents
        credits[line.counter] += line.debit_cents
    return JournalTotals(entries, [AccountTotal(key, debits[key], credits[key]) for key in ACCOUNT_CODES
                                   if debits[key] or credits[key]])
