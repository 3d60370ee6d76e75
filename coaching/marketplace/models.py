from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from coaching.marketplace.domain import (
    LANGUAGE_CODES,
    REGION_CODES,
    THEME_KINDS,
    THEME_TOPICS,
    split_codes,
)
from portal.clock import utcnow
from portal.db import UTCDateTime, db


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class ContactPoint(db.Model):
    """A place where a provider meets beneficiaries (or from which it coaches online)."""

    __tablename__ = "contact_points"
    __table_args__ = (
        CheckConstraint(f"region IN ({_in(REGION_CODES)})", name="region_known"),
        CheckConstraint("onsite OR online", name="some_mode"),
        # Search: "a provider with a contact point in this region" is an index-only probe.
        Index("ix_contact_points_region", "region", "provider_id"),
        Index("ix_contact_points_postcode", "postcode"),
        Index("ix_contact_points_municipality_key", "municipality_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    street: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(4))
    municipality: Mapped[str] = mapped_column(String(100))
    # The municipality folded to lower case without accents, so "liege" finds "Liège" through an index.
    municipality_key: Mapped[str] = mapped_column(String(100))
    # Derived from the postcode when saved (DOMAIN.md "Places") and stored so search can index it.
    region: Mapped[str] = mapped_column(String(20))
    # Comma-separated language codes in LANGUAGE_CODES order, e.g. "fr,nl".
    languages: Mapped[str] = mapped_column(String(20))
    onsite: Mapped[bool] = mapped_column(Boolean, default=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def language_list(self) -> list[str]:
        return split_codes(self.languages)


class CatalogueTheme(db.Model):
    """One kind of action session in a provider's catalogue (job search, self-knowledge, well-being...)."""

    __tablename__ = "catalogue_themes"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in(THEME_KINDS)})", name="kind_known"),
        CheckConstraint(f"topic IN ({_in(THEME_TOPICS)})", name="topic_known"),
        CheckConstraint(f"language IN ({_in(LANGUAGE_CODES)})", name="language_known"),
        Index("ix_catalogue_themes_topic", "topic", "provider_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str] = mapped_column(String(20), default="other")
    kind: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
