from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class LedgerEntry(db.Model):
    """One movement of money, in integer cents. Append-only: balances are sums.

    Accounts: ``cash`` (money the fund holds), ``committed`` (voucher value
    promised but not yet claimed), ``payable`` (approved claims not yet paid).
    Available to new vouchers = cash - committed - payable.

    The database refuses to change or delete an entry (triggers, migration f0b000000021). A correction is a
    new entry of the same account, kind and record, for the difference, naming the entry it corrects
    (``corrects_entry_id``), so every sum by account or kind takes it in.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("account IN ('cash', 'committed', 'payable')", name="account_known"),
        Index("ix_ledger_entries_account_on", "account", "booked_on"),
        Index("ix_ledger_entries_voucher", "voucher_id"),
        Index("ix_ledger_entries_corrects", "corrects_entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booked_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    account: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"))
    contribution_id: Mapped[int | None]
    claim_id: Mapped[int | None]
    memo: Mapped[str | None] = mapped_column(String(200))
    corrects_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id", ondelete="RESTRICT"))
