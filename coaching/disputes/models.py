from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class SessionDispute(db.Model):
    """A beneficiary's dispute of a logged session (one seat), and how it ended.

    It goes to the provider first: the provider accepts it (the seat is corrected: ``upheld``) or
    escalates it to the fund with a note; the fund then upholds it or dismisses it (the log stands).
    Either way the seat ends confirmed, as logged or as corrected, and only an attended seat is
    claimable.
    """

    __tablename__ = "session_disputes"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'escalated', 'upheld', 'dismissed')", name="status_known"),
        CheckConstraint("status IN ('open', 'upheld') OR escalated_at IS NOT NULL", name="fund_after_escalation"),
        CheckConstraint("status IN ('open', 'escalated') OR resolved_at IS NOT NULL", name="resolved_when"),
        CheckConstraint("corrected_attendance IS NULL OR corrected_attendance IN ('attended', 'no_show', "
                        "'late_cancel')", name="corrected_attendance_known"),
        Index("ix_session_disputes_provider_status", "provider_id", "status", "id"),
        Index("ix_session_disputes_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("session_seats.id", ondelete="RESTRICT"), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The provider's side, for the fund (never the session's sensitive note).
    escalation_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    # What the seat was corrected to when the dispute was upheld.
    corrected_attendance: Mapped[str | None] = mapped_column(String(20))
    corrected_minutes: Mapped[int | None]
