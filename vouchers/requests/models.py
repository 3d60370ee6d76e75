"""People and organisations on the money-in side: beneficiaries and employers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
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

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


REQUEST_STATUSES = ("draft", "submitted", "info_requested", "approved", "waitlisted", "rejected", "withdrawn")


VOUCHER_STATUSES = ("approved", "in_progress", "completed", "expired", "withdrawn")


OPEN_REQUEST_SQL = "status IN ('draft', 'submitted', 'info_requested', 'waitlisted')"


OPEN_VOUCHER_SQL = "status IN ('approved', 'in_progress')"


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class VoucherRequest(db.Model):
    """A beneficiary's request. Stores only dates and yes/no facts, never medical content."""

    __tablename__ = "voucher_requests"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(REQUEST_STATUSES)})", name="status_known"),
        CheckConstraint("route IS NULL OR route IN ('A', 'B')", name="route_known"),
        CheckConstraint("initiative IN ('own', 'coordinator')", name="initiative_known"),
        CheckConstraint("paused_days >= 0", name="paused_days_positive"),
        # One open request per person at a time, whatever the race.
        Index("uq_voucher_requests_open_per_beneficiary", "beneficiary_id", unique=True,
              sqlite_where=text(OPEN_REQUEST_SQL), postgresql_where=text(OPEN_REQUEST_SQL)),
        # The fund's queue: by status, then due date.
        Index("ix_voucher_requests_queue", "status", "decision_due_on", "id"),
        Index("ix_voucher_requests_waitlist", "status", "route", "submitted_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id", ondelete="RESTRICT"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    route: Mapped[str | None] = mapped_column(String(1))
    insurer_code: Mapped[int | None]
    initiative: Mapped[str] = mapped_column(String(20), default="own")
    force_majeure: Mapped[bool | None]
    contract_end_on: Mapped[date | None]
    incapacity_start_on: Mapped[date | None]
    benefits_scheme: Mapped[str | None] = mapped_column(String(20))
    in_approved_retraining: Mapped[bool] = mapped_column(default=False)
    in_professional_rehabilitation: Mapped[bool] = mapped_column(default=False)
    planned_start_on: Mapped[date | None]
    planned_end_on: Mapped[date | None]
    street: Mapped[str] = mapped_column(String(200), default="")
    house_number: Mapped[str] = mapped_column(String(20), default="")
    box: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(10), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(60), default="BE")
    # The 45-day clock: the complete request's date, the days it stood still
    # while information was asked for, and the start of a running pause.
    submitted_on: Mapped[date | None]
    decision_due_on: Mapped[date | None]
    paused_days: Mapped[int] = mapped_column(default=0)
    info_requested_on: Mapped[date | None]
    decided_on: Mapped[date | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # Own-initiative requests need the fund's medical compatibility check: yes/no only.
    medical_check_ok: Mapped[bool | None]
    draft_step: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Optimistic lock: two decisions at once leave exactly one.
    version: Mapped[int] = mapped_column(default=1)

    beneficiary: Mapped[Beneficiary] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}


class Voucher(db.Model):
    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(VOUCHER_STATUSES)})", name="status_known"),
        CheckConstraint("value_cents >= 0", name="value_positive"),
        CheckConstraint("valid_until_on >= valid_from_on", name="validity_ordered"),
        CheckConstraint("individual_hours IS NULL OR (individual_hours >= 0 AND individual_hours <= 12)",
                        name="individual_hours_capped"),
        CheckConstraint("collective_sessions IS NULL OR collective_sessions >= 0", name="collective_positive"),
        # One open voucher per person (DOMAIN.md: "unique voucher").
        Index("uq_vouchers_open_per_beneficiary", "beneficiary_id", unique=True,
              sqlite_where=text(OPEN_VOUCHER_SQL), postgresql_where=text(OPEN_VOUCHER_SQL)),
        Index("ix_vouchers_provider_status", "provider_id", "status", "id"),
        Index("ix_vouchers_expiry", "status", "valid_until_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique and not guessable: it is what a person reads out on the phone.
    code: Mapped[str] = mapped_column(String(20), unique=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("voucher_requests.id", ondelete="RESTRICT"), unique=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id", ondelete="RESTRICT"), index=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="approved")
    value_cents: Mapped[int]
    valid_from_on: Mapped[date]
    valid_until_on: Mapped[date]
    # The mix is fixed by the provider at the first interview (coaching package).
    offer_id: Mapped[int | None]
    individual_hours: Mapped[int | None]
    collective_sessions: Mapped[int | None]
    individual_unit_cents: Mapped[int | None]
    collective_unit_cents: Mapped[int | None]
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A change of provider asked by the beneficiary, waiting for the new provider to accept.
    pending_provider_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id", ondelete="RESTRICT"),
                                                            index=True)  # the provider's list reads it
    issued_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    beneficiary: Mapped[Beneficiary] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
