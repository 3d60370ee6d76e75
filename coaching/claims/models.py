from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class Claim(db.Model):
    """A provider's request for payment of confirmed sessions on one voucher."""

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("status IN ('submitted', 'approved', 'rejected', 'paid')", name="status_known"),
        CheckConstraint("amount_cents >= 0", name="amount_positive"),
        Index("ix_claims_status", "status", "id"),
        Index("ix_claims_provider", "provider_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str | None] = mapped_column(Text)
    payout_batch_id: Mapped[int | None]
    paid_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class ClaimLine(db.Model):
    """One seat claimed. The seat is unique here, so a session is never paid twice.

    A rejected claim frees its seats again by deleting its lines (its audit trail stays).
    """

    __tablename__ = "claim_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("session_seats.id", ondelete="RESTRICT"), unique=True)
    amount_cents: Mapped[int]
