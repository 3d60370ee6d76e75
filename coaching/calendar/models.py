from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class CoachingSession(db.Model):
    """One appointment in a coach's calendar: individual (one voucher) or collective (several)."""

    __tablename__ = "coaching_sessions"
    __table_args__ = (
        CheckConstraint("kind IN ('individual', 'collective')", name="kind_known"),
        CheckConstraint("mode IN ('onsite', 'online')", name="mode_known"),
        CheckConstraint("status IN ('scheduled', 'logged', 'cancelled')", name="status_known"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index("ix_coaching_sessions_coach_time", "coach_id", "starts_at"),
        Index("ix_coaching_sessions_provider_time", "provider_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10), default="onsite")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int]
    capacity: Mapped[int] = mapped_column(default=1)
    location: Mapped[str] = mapped_column(String(300), default="")
    theme: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    # Filled when the session is logged: the real duration and a short neutral note.
    # The note may reveal health: only the provider and the session's beneficiaries see it.
    logged_minutes: Mapped[int | None]
    note: Mapped[str | None] = mapped_column(Text)
    logged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SessionSeat(db.Model):
    """A voucher's place in a session: attendance, the beneficiary's confirmation, its cost."""

    __tablename__ = "session_seats"
    __table_args__ = (
        UniqueConstraint("session_id", "voucher_id"),
        CheckConstraint("attendance IS NULL OR attendance IN ('attended', 'no_show', 'late_cancel')",
                        name="attendance_known"),
        CheckConstraint("confirmation IN ('pending', 'confirmed', 'disputed')", name="confirmation_known"),
        CheckConstraint("cost_cents >= 0", name="cost_positive"),
        Index("ix_session_seats_voucher", "voucher_id", "confirmation"),
        Index("ix_session_seats_confirm_by", "confirmation", "confirm_by_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("coaching_sessions.id", ondelete="CASCADE"))
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"))
    attendance: Mapped[str | None] = mapped_column(String(20))
    cost_cents: Mapped[int] = mapped_column(default=0)
    confirmation: Mapped[str] = mapped_column(String(20), default="pending")
    confirm_by_on: Mapped[date | None]
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_silence: Mapped[bool] = mapped_column(default=False)
    dispute_reason: Mapped[str | None] = mapped_column(Text)
