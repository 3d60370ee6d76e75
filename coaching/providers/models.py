from __future__ import annotations

import secrets
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, and_, or_
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

    def offered_on(self, today: date) -> bool:
        """Open to beneficiaries on ``today``: listed, and its quality label not expired (an expired label
        takes it out of search and of new requests until the fund records the renewed one)."""
        return self.is_listed and (self.label_valid_until_on is None or self.label_valid_until_on >= today)

    @classmethod
    def offered_on_clause(cls, today: date):  # type: ignore[no-untyped-def]
        return and_(cls.listed_at.is_not(None), cls.delisted_at.is_(None),
                    or_(cls.label_valid_until_on.is_(None), cls.label_valid_until_on >= today))


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
