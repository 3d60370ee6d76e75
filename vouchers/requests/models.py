"""People and organisations on the money-in side: beneficiaries and employers."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.clock import utcnow
from portal.db import UTCDateTime, db

PROVEN_NISS_SQL = "niss_proven_at IS NOT NULL"


class Beneficiary(db.Model):
    """A person who may request a voucher. Holds identity, never medical details.

    A NISS typed by hand proves nothing (DOMAIN.md, "Identity"): several accounts may have typed the same one,
    and none of them sees what an employer declared about it. A NISS read from the federal authentication
    service (FAS: itsme, eID) is proven (``niss_proven_at``): one account at most holds it, and it takes the
    number from every account that had only typed it."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        Index("uq_beneficiaries_proven_niss", "niss", unique=True,
              sqlite_where=text(PROVEN_NISS_SQL), postgresql_where=text(PROVEN_NISS_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    # NISS or BIS number, 11 digits. Null once the account is anonymised, or once another person proved it.
    niss: Mapped[str | None] = mapped_column(String(11), index=True)
    # When the person proved this NISS by signing in through FAS; null while it is only typed.
    niss_proven_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Loaded when used (its row carries the password hash): lists read the names they show by a join instead.
    user: Mapped[User] = relationship()

    @property
    def niss_proven(self) -> bool:
        return self.niss is not None and self.niss_proven_at is not None


class MemberInvitation(db.Model):
    """A member for whom a return-to-work coordinator filed a request, invited by e-mail to take it up.

    No account is made for the member: until they accept through the signed link (registering with this
    address, or logging in with it), their identity as the coordinator typed it lives here only, and the
    request points here instead of at a beneficiary. A typed NISS never binds a request to an account."""

    __tablename__ = "member_invitations"
    __table_args__ = (CheckConstraint("language IN ('fr', 'nl', 'de', 'en')", name="language_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coordinator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # As the coordinator typed them; blanked when the member closes their account.
    niss: Mapped[str | None] = mapped_column(String(11), index=True)
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(2), default="fr")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the last link was e-mailed: its validity runs from here.
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiaries.id", ondelete="RESTRICT"))

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


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
        # A request filed by a coordinator waits for its member to accept the invitation: it belongs to them
        # (beneficiary_id) from then on, and until then to the invitation only.
        CheckConstraint("beneficiary_id IS NOT NULL OR invitation_id IS NOT NULL", name="has_a_member"),
        CheckConstraint("coordinator_id IS NULL OR consent_on IS NOT NULL", name="consent_recorded"),
        # A coordinator's caseload, newest first.
        Index("ix_voucher_requests_caseload", "coordinator_id", "id"),
        # One waiting request per invited member, whatever the race between two coordinators filing for the same
        # NISS: until the member accepts, the request knows them only by the NISS their coordinator typed.
        Index("uq_voucher_requests_open_per_invited_niss", "member_niss", unique=True,
              sqlite_where=text(f"beneficiary_id IS NULL AND {OPEN_REQUEST_SQL}"),
              postgresql_where=text(f"beneficiary_id IS NULL AND {OPEN_REQUEST_SQL}")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("beneficiaries.id", ondelete="RESTRICT"),
                                                       index=True)
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
    # Filed on the member's behalf by a mutual insurer's return-to-work coordinator, with the member's
    # consent given on consent_on; the member is invited through invitation_id.
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    consent_on: Mapped[date | None]
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("member_invitations.id", ondelete="RESTRICT"),
                                                      unique=True)
    # The NISS the coordinator typed, while the member has not accepted (cleared when they do): it keeps a second
    # coordinator from filing for the same member meanwhile (the index above), and binds nothing.
    member_niss: Mapped[str | None] = mapped_column(String(11))

    # None while a coordinator's request waits for its member to accept the invitation.
    beneficiary: Mapped[Beneficiary | None] = relationship(lazy="joined")
    invitation: Mapped[MemberInvitation | None] = relationship(lazy="selectin")
    coordinator: Mapped[User | None] = relationship(lazy="select")

    __mapper_args__ = {"version_id_col": version}

    @property
    def member_name(self) -> str:
        """The person the request is about, as their account says, or as their coordinator typed it."""
        if self.beneficiary is not None:
            return f"{self.beneficiary.user.first_name} {self.beneficiary.user.last_name}".strip()
        return self.invitation.name if self.invitation is not None else ""


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
