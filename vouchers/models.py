"""People and organisations on the money-in side: beneficiaries and employers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class Beneficiary(db.Model):
    """A person who may request a voucher. Holds identity, never medical details."""

    __tablename__ = "beneficiaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    # NISS or BIS number, 11 digits. Null once the account is anonymised.
    niss: Mapped[str | None] = mapped_column(String(11), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Employer(db.Model):
    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_name: Mapped[str] = mapped_column(String(200))
    # BCE/KBO number, 10 digits, as python-stdnum compacts it.
    enterprise_number: Mapped[str] = mapped_column(String(10), unique=True)
    onss_number: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40))
    iban: Mapped[str] = mapped_column(String(34))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
