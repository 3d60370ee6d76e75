"""A person's claim to act for an enterprise, proven by the code of a letter sent to its registered office."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db

# Fixed names: the API shows them (``expired`` is computed from ``letter_sent`` and ``expires_at``).
CLAIM_STATUSES = ("awaiting_email", "letter_due", "letter_sent", "proven", "locked", "replaced", "withdrawn")
#: A claim still waiting on something: the person's e-mail, the fund's letter, the code, or a new letter.
PENDING_STATUSES = ("awaiting_email", "letter_due", "letter_sent", "locked")

_PENDING_SQL = "status IN ('awaiting_email', 'letter_due', 'letter_sent', 'locked')"


class OwnershipClaim(db.Model):
    """Someone registered (or asked again) to act for an enterprise and does not yet.

    ``users.employer_id`` is set only once the code is entered: until then the account acts for nothing. The code
    is kept readable only until the letter is sent (the fund prints it), and afterwards as an argon2 hash only.
    """

    __tablename__ = "employer_ownership_claims"
    __table_args__ = (
        CheckConstraint("status IN ('awaiting_email', 'letter_due', 'letter_sent', 'proven', 'locked', 'replaced', "
                        "'withdrawn')", name="status_known"),
        # The printable code never outlives the letter that carries it.
        CheckConstraint("code IS NULL OR status IN ('awaiting_email', 'letter_due')", name="code_only_until_sent"),
        CheckConstraint("failed_attempts >= 0", name="attempts_positive"),
        # One pending claim per person and enterprise: registering or asking again does not make letters pile up.
        Index("uq_employer_ownership_claims_pending", "employer_id", "user_id", unique=True,
              sqlite_where=text(_PENDING_SQL), postgresql_where=text(_PENDING_SQL)),
        # The fund's list of letters to send, oldest first.
        Index("ix_employer_ownership_claims_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="awaiting_email")
    # The company's details as this person typed them at registration (JSON): they become the company's when
    # its first user proves the claim, so what a stranger typed before never sticks.
    details: Mapped[str] = mapped_column(Text, default="{}")
    code: Mapped[str | None] = mapped_column(String(10))
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the fund was told that the letter is to be sent (the person's address was confirmed by then).
    letter_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    letter_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    letter_sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(default=0)
    proven_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
