"""Providers listed by the fund."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time

from sqlalchemy import BigInteger, and_, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class Provider(db.Model):
    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enterprise_number: Mapped[str] = mapped_column(String(10), unique=True)
    quality_label: Mapped[str] = mapped_column(String(100), default="")
    label_valid_until_on: Mapped[date | None]
    iban: Mapped[str] = mapped_column(String(34), default="")
    # Comma-separated region codes and language codes, kept simple until search needs more.
    regions: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    delisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @hybrid_property
    def is_listed(self) -> bool:
        """On the fund's list now: listed once and not delisted since (also usable in queries)."""
        return self.listed_at is not None and self.delisted_at is None

    @is_listed.inplace.expression
    @classmethod
    def _is_listed_expression(cls):  # type: ignore[no-untyped-def]
        return and_(cls.listed_at.is_not(None), cls.delisted_at.is_(None))


class Coach(db.Model):
    """A coach works for one provider, keeps a calendar in their own time zone."""

    __tablename__ = "coaches"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Brussels")
    # The secret of the iCalendar feed URL; resetting it cuts off old subscriptions.
    calendar_token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(24))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Offer(db.Model):
    """What a provider offers for a voucher: a mix of individual hours and collective sessions."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("individual_hours >= 0 AND individual_hours <= 12", name="individual_hours_capped"),
        CheckConstraint("collective_sessions >= 0", name="collective_sessions_positive"),
        CheckConstraint("individual_unit_cents > 0 AND collective_unit_cents > 0", name="unit_prices_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    individual_hours: Mapped[int]
    collective_sessions: Mapped[int]
    individual_unit_cents: Mapped[int]
    collective_unit_cents: Mapped[int]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def cost_cents(self) -> int:
        return self.individual_hours * self.individual_unit_cents + self.collective_sessions * self.collective_unit_cents


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


class Availability(db.Model):
    """A coach's weekly availability, in the coach's local time (so it follows daylight saving)."""

    __tablename__ = "coach_availability"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_known"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    start_time: Mapped[time]
    end_time: Mapped[time]


class AvailabilityException(db.Model):
    """Days off, hours off or extra hours that override the weekly pattern, from ``on_date`` to
    ``until_on`` (inclusive), in the coach's local time. No times: the whole day is off."""

    __tablename__ = "coach_availability_exceptions"
    __table_args__ = (
        CheckConstraint("until_on >= on_date", name="days_in_order"),
        CheckConstraint("(start_time IS NULL AND end_time IS NULL) OR "
                        "(start_time IS NOT NULL AND end_time IS NOT NULL AND end_time > start_time)",
                        name="times_paired"),
        CheckConstraint("NOT available OR start_time IS NOT NULL", name="extra_hours_have_times"),
        Index("ix_coach_availability_exceptions_coach_days", "coach_id", "until_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coaches.id", ondelete="CASCADE"))
    on_date: Mapped[date]
    until_on: Mapped[date]
    available: Mapped[bool] = mapped_column(default=False)
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]
    reason: Mapped[str] = mapped_column(String(200), default="")


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
