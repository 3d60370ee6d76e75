"""Providers listed by the fund."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
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
