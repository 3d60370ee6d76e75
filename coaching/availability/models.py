from __future__ import annotations

from datetime import date, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import db


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
