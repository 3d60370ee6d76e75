"""Money out followed to the bank: each transfer of our pain.001 files (claims paid to providers, contributions
refunded to employers), the bank's pain.002 status reports about them, and the refunds themselves.

The payout batch (the file of claims) is ``banking.models.PayoutBatch``; what became of each of its transfers is
here, so a claim whose transfer came back can be paid again in a later batch while the first one keeps its history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


#: ``pending``: in a file, nothing known from the bank yet; ``paid``: the bank executed it (the fund's statement
#: debit, a positive pain.002, or a person); ``rejected``: the bank refused it before paying; ``returned``: it was
#: paid, or on its way, and the money came back (a credit on the fund's statement, or a pain.002 rejection after
#: acceptance).
TRANSFER_STATUSES = ("pending", "paid", "rejected", "returned")


#: A claim or refund has at most one transfer that may still be, or has been, paid.
LIVE_TRANSFER_SQL = "status IN ('pending', 'paid')"


class PayoutTransfer(db.Model):
    """One credit transfer of a pain.001 file, followed to the bank: a claim paid to its provider (in a payout
    batch), or a contribution refunded to its employer. ``end_to_end_id`` is the file's ``EndToEndId``, unique, so
    the bank's statement lines and status reports name the transfer. A failed transfer stays as it was, and the
    claim is paid by a new transfer in a later batch; a zero claim has a transfer of 0 that is in no file."""

    __tablename__ = "payout_transfers"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(TRANSFER_STATUSES)})", name="status_known"),
        CheckConstraint("amount_cents >= 0", name="amount_positive"),
        CheckConstraint("(claim_id IS NULL) <> (refund_id IS NULL)", name="pays_one_thing"),
        CheckConstraint("(claim_id IS NULL) = (batch_id IS NULL)", name="claims_in_batches"),
        CheckConstraint("status <> 'paid' OR paid_on IS NOT NULL", name="paid_has_day"),
        CheckConstraint("status NOT IN ('rejected', 'returned') OR failed_on IS NOT NULL", name="failed_has_day"),
        Index("uq_payout_transfers_live_claim", "claim_id", unique=True,
              sqlite_where=text(f"claim_id IS NOT NULL AND {LIVE_TRANSFER_SQL}"),
              postgresql_where=text(f"claim_id IS NOT NULL AND {LIVE_TRANSFER_SQL}")),
        Index("ix_payout_transfers_batch", "batch_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id", ondelete="RESTRICT"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("contribution_refunds.id", ondelete="RESTRICT"),
                                                  unique=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    creditor_name: Mapped[str] = mapped_column(String(140))
    creditor_iban: Mapped[str] = mapped_column(String(34))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    paid_on: Mapped[date | None]
    # The fund's statement debit that shows it paid, and the credit that brought it back.
    paid_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id", ondelete="RESTRICT"), index=True)
    failed_on: Mapped[date | None]
    return_line_id: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id", ondelete="RESTRICT"),
                                                       index=True)
    # Why the bank refused or returned it: the ISO reason code (AC04: account closed...) and its words.
    reason_code: Mapped[str | None] = mapped_column(String(35))
    reason: Mapped[str | None] = mapped_column(String(500))
    # The last pain.002 status report that told us something about it.
    status_report_id: Mapped[int | None] = mapped_column(ForeignKey("payout_status_reports.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class PayoutStatusReport(db.Model):
    """A pain.002 payment status report from the fund's bank about one of our pain.001 files, as uploaded. The
    same report twice (same bytes, or the bank's same message id) changes nothing."""

    __tablename__ = "payout_status_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    original_message_id: Mapped[str] = mapped_column(String(35), index=True)
    version: Mapped[str] = mapped_column(String(20))
    # OrgnlGrpInfAndSts/GrpSts: the whole file's status, when the bank gives one (ACCP, RJCT, PART...).
    group_status: Mapped[str | None] = mapped_column(String(4))
    created_at_bank: Mapped[datetime | None] = mapped_column(UTCDateTime())
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("payout_batches.id", ondelete="RESTRICT"), index=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("contribution_refunds.id", ondelete="RESTRICT"),
                                                  index=True)
    # What it changed: transfers it showed paid, refused, returned; those it left as they were; and the end-to-end
    # ids it named that are no transfer of that file (space-separated).
    paid_count: Mapped[int] = mapped_column(default=0)
    rejected_count: Mapped[int] = mapped_column(default=0)
    returned_count: Mapped[int] = mapped_column(default=0)
    unchanged_count: Mapped[int] = mapped_column(default=0)
    unknown_ids: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


#: ``proposed`` by a fund administrator; ``refused`` by one (the proposer may withdraw it); ``approved`` by another
#: administrator, which makes its pain.001 file; ``paid`` once the bank executed it (the contribution's money and
#: the ledger follow then); ``returned`` when the bank refused it or gave it back.
REFUND_STATUSES = ("proposed", "refused", "approved", "paid", "returned")


OPEN_REFUND_STATUSES = ("proposed", "approved")


OPEN_REFUND_SQL = f"status IN ({_in(OPEN_REFUND_STATUSES)})"


class ContributionRefund(db.Model):
    """Money an employer paid too much, given back by transfer to the employer's IBAN: proposed by one fund
    administrator, approved by another (four eyes: the database refuses one person doing both)."""

    __tablename__ = "contribution_refunds"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(REFUND_STATUSES)})", name="status_known"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("status IN ('proposed', 'refused') OR message_id IS NOT NULL", name="approved_has_file"),
        CheckConstraint("status <> 'refused' OR decision_reason IS NOT NULL", name="refused_has_reason"),
        CheckConstraint("status IN ('proposed', 'refused') OR decided_by <> proposed_by", name="four_eyes"),
        # One refund at a time per contribution: a second proposal waits until the first is decided and paid.
        Index("uq_contribution_refunds_open", "contribution_id", unique=True,
              sqlite_where=text(OPEN_REFUND_SQL), postgresql_where=text(OPEN_REFUND_SQL)),
        Index("ix_contribution_refunds_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="RESTRICT"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # The employer's account as it was when proposed: what the approver sees is what the file pays.
    iban: Mapped[str] = mapped_column(String(34))
    account_name: Mapped[str] = mapped_column(String(140))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    proposed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The pain.001 file made at approval (GrpHdr/MsgId, the XML, the execution day asked).
    message_id: Mapped[str | None] = mapped_column(String(35), unique=True)
    xml: Mapped[str | None] = mapped_column(Text)
    execution_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}
