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
        # A month's entries, every account: what closing a month and summing the open one read.
        Index("ix_ledger_entries_booked_on", "booked_on"),
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


class LedgerPeriodClosing(db.Model):
    """A closed month of the ledger: its entries' totals are stored (``LedgerClosingTotal``) so that a period's
    figures read one row per month and account/kind instead of summing every entry since the fund began.

    A month is closed by ``services.closings`` (the nightly job, or lazily by the reconciliation) and counts the
    entries *booked* in it (``booked_on``, the day every figure is judged by), whenever they were written. An entry
    written later into a closed month (a bank line matched late is booked on the line's own day) reopens that month:
    an AFTER INSERT trigger on ``ledger_entries`` (migration f4a000000030) deletes its closing, in the same
    transaction, and the month is closed again later. A closing is never changed in place (a trigger refuses
    UPDATE): recomputing one is deleting it and closing the month again.

    A month with no entries is closed too (no totals): a missing closing then always means "not closed yet or
    reopened", never "nothing to count".
    """

    __tablename__ = "ledger_period_closings"
    __table_args__ = (
        CheckConstraint("entry_count >= 0", name="entry_count_not_negative"),
        # month_on is the first day of its month (how each dialect says it).
        CheckConstraint("extract(day from month_on) = 1", name="month_on_first_day")
        .ddl_if(dialect="postgresql"),
        CheckConstraint("strftime('%d', month_on) = '01'", name="month_on_first_day").ddl_if(dialect="sqlite"),
    )

    month_on: Mapped[date] = mapped_column(primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    entry_count: Mapped[int] = mapped_column(BigInteger)  # every entry booked in the month, all accounts


class LedgerClosingTotal(db.Model):
    """What one account and kind of entries add up to in a closed month: their number and their sum in cents.
    Rows exist only for the pairs that have entries; they go with their month's closing (ON DELETE CASCADE)."""

    __tablename__ = "ledger_period_closing_totals"
    __table_args__ = (
        CheckConstraint("account IN ('cash', 'committed', 'payable')", name="account_known"),
        CheckConstraint("entry_count > 0", name="entry_count_positive"),
    )

    month_on: Mapped[date] = mapped_column(
        ForeignKey("ledger_period_closings.month_on", ondelete="CASCADE"), primary_key=True)
    account: Mapped[str] = mapped_column(String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    entry_count: Mapped[int] = mapped_column(BigInteger)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
