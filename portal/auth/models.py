"""Accounts and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    false,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db
from portal.permissions import Role
from portal.plain.reading import new_account_reads_plain

ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),
        CheckConstraint("language IN ('fr', 'nl', 'de', 'en')", name="language_known"),
        # Only a return-to-work coordinator has a mutual insurer (the services give each one exactly one).
        CheckConstraint("insurer_code IS NULL OR role = 'coordinator'", name="insurer_code_of_coordinators"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased so the unique index is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str] = mapped_column(String(2), default="fr")
    # Easy words (portal/plain): the beneficiary's pages and e-mails in plain language. A visitor who pressed the
    # switch before making their own account keeps it on.
    plain_language: Mapped[bool] = mapped_column(default=new_account_reads_plain, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the login id kept in sessions: rotating it (password change,
    # "log out everywhere") revokes every session of this user at once.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # The organisation a provider admin, coach or employer user acts for.
    # Foreign keys to providers/employers are added with those tables.
    provider_id: Mapped[int | None] = mapped_column(index=True)
    employer_id: Mapped[int | None] = mapped_column(index=True)
    # The mutual insurer (its number, e.g. 300) a return-to-work coordinator works for.
    insurer_code: Mapped[int | None]
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Two-step sign-in (TOTP, RFC 6238; portal/auth/two_step.py). The secret is kept as given (base32): the
    # portal must read it to check a code. On from totp_enabled_at; totp_last_step is the last 30-second
    # step whose code was accepted, so a code is usable once.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active and self.anonymised_at is None

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @staticmethod
    def by_email(email: str):
        return select(User).where(User.email == email.strip().lower())

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_active", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCode(db.Model):
    """A single-use code that stands in for the authenticator app (a lost or broken phone). Only its argon2 hash
    is stored, as for passwords; ``lookup`` (the first byte of the code's SHA-256) picks the one hash to check,
    since argon2 is slow on purpose, and tells nothing useful about a 60-bit code (portal/auth/recovery.py)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lookup: Mapped[int] = mapped_column(SmallInteger)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
