"""Imported bank statements and their lines.

A statement is known by the bank's identity for it (account, ``Stmt/Id``, electronic sequence), so
importing it again adds nothing. A line is known by a key that survives a second import and an
overlapping statement (the bank's ``AcctSvcrRef`` of the entry when it gives one), so the same money
is never counted twice. What a line's money became is its ``status``:

- ``matched``: recorded as payments of one or several contributions: its ``allocations`` (one row per
  contribution, to the cent; ``contribution_payments`` holds the money), ``contribution_id`` being the first;
- ``unmatched``: a credit waiting in the queue for a person (the "unmatched money"), or a debit that gives a
  credit back (``returns_credit``) whose credit was not found for sure;
- ``dismissed``: a person decided it is no contribution, with a reason;
- ``ignored``: not money in for a contribution (a debit, a reversal of a debit, not booked, another currency).

A debit that gives a credit back (a reversal, ``RvslInd``, or a return) is ``returns_credit``: matching it
undoes what that credit paid, with negative allocations (counter-entries; nothing is deleted), and
``reverses_line_id`` names the credit when the import found it.

An unmatched line may be *held* (``hold_reason``): it carried a contribution's reference, but a person
must decide. ``possible_duplicate``: it looks like money already imported with another statement
(``possible_duplicate_of``), so booking it would count the money twice; ``amount_too_large``: far more
than the contribution asks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db import UTCDateTime, db

LINE_STATUSES = ("unmatched", "matched", "dismissed", "ignored")


DIRECTIONS = ("credit", "debit")


#: How a matched line was found: its structured reference; its payer's enterprise number and amount (the only open
#: contribution owing it); a person; or the credit it gives back.
MATCH_METHODS = ("reference", "enterprise", "manual", "reversal")


IGNORE_REASONS = ("debit", "reversal", "not_booked", "currency")


HOLD_REASONS = ("possible_duplicate", "amount_too_large")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


#: A statement read in the background (a large file) is ``importing`` until its lines are all in, or ``failed``
#: (with nothing of it booked: the import is all or nothing); one read at upload is ``imported`` at once.
STATEMENT_STATUSES = ("importing", "imported", "failed")


class BankStatementFile(db.Model):
    """An uploaded statement file waiting for its background import, which deletes it when it ends."""

    __tablename__ = "bank_statement_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str | None] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BankStatement(db.Model):
    __tablename__ = "bank_statements"
    __table_args__ = (
        # The bank's identity of a statement: a second import of it is a duplicate.
        UniqueConstraint("account", "statement_ref", "sequence", name="uq_bank_statements_identity"),
        CheckConstraint(f"status IN ({_in(STATEMENT_STATUSES)})", name="status_known"),
        CheckConstraint("status <> 'failed' OR failure_reason IS NOT NULL", name="failed_has_reason"),
        CheckConstraint("(status = 'importing') = (file_id IS NOT NULL)", name="importing_has_file"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The statement's account: its IBAN (or the bank's other id of it), without spaces.
    account: Mapped[str] = mapped_column(String(34))
    # Stmt/Id, and ElctrncSeqNb ("" when the bank gives none, so the unique constraint still holds).
    statement_ref: Mapped[str] = mapped_column(String(35))
    sequence: Mapped[str] = mapped_column(String(35), default="")
    legal_sequence: Mapped[str | None] = mapped_column(String(35))
    message_id: Mapped[str | None] = mapped_column(String(35))
    version: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str | None] = mapped_column(String(3))
    issued_on: Mapped[date | None]
    from_on: Mapped[date | None]
    to_on: Mapped[date | None]
    opening_balance_cents: Mapped[int | None] = mapped_column(BigInteger)
    closing_balance_cents: Mapped[int | None] = mapped_column(BigInteger)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # Whether the file passed the camt.053.001.02 XSD (None: not checked). Information only.
    schema_valid: Mapped[bool | None] = mapped_column(Boolean)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default="imported", server_default="imported")
    # While importing: the statement's lines in the file, and how many are done (the page's progress bar). The
    # background import writes lines_done on a connection of its own, so it is seen before its transaction ends.
    lines_total: Mapped[int | None]
    lines_done: Mapped[int | None]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("bank_statement_files.id", ondelete="SET NULL"),
                                                index=True)


class BankLine(db.Model):
    __tablename__ = "bank_lines"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(LINE_STATUSES)})", name="status_known"),
        CheckConstraint(f"direction IN ({_in(DIRECTIONS)})", name="direction_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("(status = 'matched') = (contribution_id IS NOT NULL)", name="matched_has_contribution"),
        CheckConstraint(f"match_method IS NULL OR match_method IN ({_in(MATCH_METHODS)})", name="method_known"),
        CheckConstraint("(status = 'matched') = (match_method IS NOT NULL)", name="matched_has_method"),
        CheckConstraint("status <> 'dismissed' OR decision_reason IS NOT NULL", name="dismissed_has_reason"),
        CheckConstraint("(status = 'ignored') = (ignore_reason IS NOT NULL)", name="ignored_has_reason"),
        CheckConstraint(f"ignore_reason IS NULL OR ignore_reason IN ({_in(IGNORE_REASONS)})", name="ignore_known"),
        CheckConstraint(f"hold_reason IS NULL OR hold_reason IN ({_in(HOLD_REASONS)})", name="hold_known"),
        CheckConstraint("(COALESCE(hold_reason, '') = 'possible_duplicate') = (possible_duplicate_of IS NOT NULL)",
                        name="duplicate_has_original"),
        # Only credits can be money for a contribution, and only debits giving a credit back can undo it.
        CheckConstraint("direction = 'credit' OR status = 'ignored' OR returns_credit", name="debits_ignored"),
        CheckConstraint("direction = 'debit' OR NOT returns_credit", name="returns_are_debits"),
        CheckConstraint("direction = 'credit' OR NOT is_return", name="return_is_credit"),
        # The queue and the period's unmatched money.
        Index("ix_bank_lines_status_booked", "status", "booked_on", "id"),
        Index("ix_bank_lines_statement", "statement_id", "id"),
        Index("ix_bank_lines_contribution", "contribution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("bank_statements.id", ondelete="RESTRICT"))
    # Position in the statement: the entry (Ntry, from 1) and its payment (TxDtls, from 1; 0 = the whole entry).
    entry_index: Mapped[int]
    tx_index: Mapped[int]
    # Stable identity of the money, across imports and overlapping statements (see services.line_key).
    line_key: Mapped[str] = mapped_column(String(200), unique=True)
    direction: Mapped[str] = mapped_column(String(6))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    booked_on: Mapped[date]
    value_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10))
    ignore_reason: Mapped[str | None] = mapped_column(String(12))
    entry_reference: Mapped[str | None] = mapped_column(String(35))
    tx_reference: Mapped[str | None] = mapped_column(String(35))
    end_to_end_id: Mapped[str | None] = mapped_column(String(35))
    # A valid OGM/VCS found in the line (12 digits); reference_text is what the line carried, even if invalid.
    structured_reference: Mapped[str | None] = mapped_column(String(12), index=True)
    # The other valid ones when the payer named several contributions (12 digits each, space-separated).
    more_references: Mapped[str | None] = mapped_column(String(130))
    reference_text: Mapped[str | None] = mapped_column(String(140))
    remittance_text: Mapped[str | None] = mapped_column(String(1000))
    # The other party: the payer of a credit, the payee of a debit.
    counterparty_name: Mapped[str | None] = mapped_column(String(140))
    counterparty_iban: Mapped[str | None] = mapped_column(String(34))
    counterparty_id: Mapped[str | None] = mapped_column(String(70))
    # A valid BCE/KBO number found in the payer's identification, name or free text.
    enterprise_number: Mapped[str | None] = mapped_column(String(10), index=True)  # the fund searches by it
    # Why the import left this line for a person although it carried a contribution's reference (HOLD_REASONS),
    # and, for a possible duplicate, the line imported before that seems to be the same money.
    hold_reason: Mapped[str | None] = mapped_column(String(20))
    possible_duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"))
    contribution_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id", ondelete="RESTRICT"))
    # A debit that gives a credit back (a reversal or a return), and the credit it undoes when that was found.
    returns_credit: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    reverses_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"), index=True)
    # A credit bringing back money the fund sent (a returned transfer: CAMT RtrInf or a return's bank transaction
    # code, a CODA R-transaction): never an employer's contribution, so never matched to one automatically. And
    # the bank's reason for a return, on any line (ISO code, e.g. AC04: ``pain002.REASON_WORDS`` has the words).
    is_return: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    return_reason_code: Mapped[str | None] = mapped_column(String(35))
    match_method: Mapped[str | None] = mapped_column(String(10))
    # Who matched or dismissed it by hand, when and why (automatic matches have no person).
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    statement: Mapped[BankStatement] = relationship()
    allocations: Mapped[list[BankLineAllocation]] = relationship(order_by="BankLineAllocation.id",
                                                                 back_populates="line")

    @property
    def references(self) -> list[str]:
        """Every valid structured reference the line carried, in the payer's order."""
        first = [self.structured_reference] if self.structured_reference else []
        return first + (self.more_references or "").split()

    @property
    def external_id(self) -> str:
        """The id in ``contribution_payments`` of the line's (first) payment."""
        return self.part_external_id(1)

    def part_external_id(self, part: int) -> str:
        """The id in ``contribution_payments`` of the line's ``part``-th allocation (from 1): one bank line pays
        each contribution at most once. The first keeps the id a line had before lines could be split."""
        return f"bank-line-{self.id}" if part == 1 else f"bank-line-{self.id}-{part}"


class BankLineAllocation(db.Model):
    """What one bank line paid one contribution, to the cent: negative when a reversal took it back. Written
    with its payment (``external_id``, the same in ``contribution_payments``), never changed."""

    __tablename__ = "bank_line_allocations"
    __table_args__ = (
        UniqueConstraint("line_id", "contribution_id", name="uq_bank_line_allocations_line_contribution"),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        Index("ix_bank_line_allocations_contribution", "contribution_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("bank_lines.id", ondelete="RESTRICT"))
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    line: Mapped[BankLine] = relationship(back_populates="allocations")


#: ``created`` while any of its transfers waits for the bank; ``paid`` once none waits and the bank paid at least
#: one (some may have been rejected, or returned since); ``rejected`` when the bank refused every transfer.
BATCH_STATUSES = ("created", "paid", "rejected")


class PayoutBatch(db.Model):
    """One pain.001 file sent to the bank, and whether the bank has paid it. What became of each of its transfers
    (one per claim) is ``payout_models.PayoutTransfer``."""

    __tablename__ = "payout_batches"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(BATCH_STATUSES)})", name="status_known"),
        CheckConstraint("total_cents >= 0", name="total_positive"),
        CheckConstraint("claim_count >= 1", name="not_empty"),
        CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name="paid_on_when_paid"),
        Index("ix_payout_batches_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    total_cents: Mapped[int] = mapped_column(BigInteger)
    claim_count: Mapped[int]
    status: Mapped[str] = mapped_column(String(10), default="created")
    # The day the bank is asked to execute the transfers (ReqdExctnDt).
    execution_on: Mapped[date]
    paid_on: Mapped[date | None]
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # GrpHdr/MsgId of the file: banks refuse a message id they have already seen.
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    xml: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
