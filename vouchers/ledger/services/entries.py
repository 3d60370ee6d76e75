"""The fund's money ledger: post entries, and read balances as sums over them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from vouchers.ledger.models import LedgerEntry


def post(session: Session, *, account: str, kind: str, amount_cents: int, booked_on: date,
         voucher_id: int | None = None, contribution_id: int | None = None, claim_id: int | None = None,
         memo: str | None = None, corrects_entry_id: int | None = None) -> LedgerEntry:
    """Append one entry. Entries are never changed or deleted (the database refuses): a correction is another
    entry, naming the one it corrects (``services.corrections``)."""
    entry = LedgerEntry(account=account, kind=kind, amount_cents=amount_cents, booked_on=booked_on,
                        voucher_id=voucher_id, contribution_id=contribution_id, claim_id=claim_id, memo=memo,
                        corrects_entry_id=corrects_entry_id)
    session.add(entry)
    return entry


def post_many(session: Session, entries: Sequence[dict[str, Any]]) -> int:
    """Append many entries at once (``post``'s arguments, one dict each), in one INSERT sent as a batch and no
    objects to track: a statement's import books thousands. Returns how many."""
    if entries:
        names = sorted({name for entry in entries for name in entry})  # every row with the same columns: one batch
        session.execute(insert(LedgerEntry.__table__), [{name: entry.get(name) for name in names} for entry in entries])
    return len(entries)


@dataclass(frozen=True)
class FundPosition:
    cash_cents: int
    committed_cents: int
    payable_cents: int

    @property
    def available_cents(self) -> int:
        """What new vouchers may still draw on: money held, less what is promised or owed."""
        return self.cash_cents - self.committed_cents - self.payable_cents


def fund_position(session: Session, *, on: date | None = None) -> FundPosition:
    query = select(LedgerEntry.account, func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).group_by(
        LedgerEntry.account
    )
    if on is not None:
        query = query.where(LedgerEntry.booked_on <= on)
    sums = {account: int(total) for account, total in session.execute(query)}
    return FundPosition(sums.get("cash", 0), sums.get("committed", 0), sums.get("payable", 0))


def committed_for_voucher(session: Session, voucher_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
            LedgerEntry.voucher_id == voucher_id, LedgerEntry.account == "committed"
        )
    )
    return int(total or 0)


def record_funding(session: Session, *, amount_cents: int, booked_on: date, memo: str) -> LedgerEntry:
    """Money the fund receives besides contributions (its budget allocation)."""
    if amount_cents <= 0:
        raise ValueError("funding must be positive")
    return post(session, account="cash", kind="funding", amount_cents=amount_cents, booked_on=booked_on, memo=memo)
