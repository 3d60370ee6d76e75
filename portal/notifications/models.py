"""A notice to one person, shown in the portal and e-mailed through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    # The words are not stored but the facts: the kind's text is rendered from them in the language the
    # person reads in at the time (the page's, or their e-mail language), so a change of language applies
    # to past notices too. ``params`` is JSON (see ``services.encode_params``).
    params: Mapped[str] = mapped_column(Text, default="{}")
    # The page where the person acts: an endpoint and its values (JSON), built into a path when shown.
    link_endpoint: Mapped[str] = mapped_column(String(80))
    link_values: Mapped[str] = mapped_column(Text, default="{}")
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A notice from a scheduled job carries a key, so it is written once however often the job runs.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)


class NotificationOptOut(db.Model):
    """A kind this person chose not to receive (only kinds that are not ``always``)."""

    __tablename__ = "notification_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
