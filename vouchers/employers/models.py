"""Employers' declarations of medical force-majeure dismissals and their contributions.

Money in: each declaration owes one contribution. What was paid is never a
stored counter: it is the sum of the append-only ``ContributionPayment`` rows
(Stripe payments, bank transfers, and refunds as negative amounts). The
``status`` column is a cache of what those sums and the in-flight card payment
say, rewritten only by ``services`` under a row lock.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.clock import utcnow
from portal.db import UTCDateTime, db


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


DECLARATION_STATUSES = ("declared", "cancelled")


# Fixed by API.md: outside systems switch on them. Lateness is the separate flag is_overdue.
CONTRIBUTION_STATUSES = ("due", "processing", "partially_paid", "paid", "overpaid", "refunded")


PAYMENT_SOURCES = ("stripe", "bank")
#: A payment brings money; a refund is money the fund gave back of its own accord; a reversal is a payment the bank
#: took back (returned or reversed), which means the money never stayed and the contribution is owed again.
PAYMENT_KINDS = ("payment", "refund", "reversal")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class EmployerAgent(db.Model):
    """A social-secretariat user allowed to act for an employer (one row per employer it serves)."""

    __tablename__ = "employer_agents"
    __table_args__ = (UniqueConstraint("agent_user_id", "employer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


OPEN_INVITATION_SQL = "accepted_at IS NULL AND cancelled_at IS NULL"


class EmployerAgentInvitation(db.Model):
    """An employer's invitation to an e-mail address to act as its agent.

    The link is made only when the person reading that mailbox accepts, with an employer account
    for that address (or one created then). So inviting tells the employer nothing about the address,
    and creates no account that could keep the address from registering otherwise.
    """

    __tablename__ = "employer_agent_invitations"
    __table_args__ = (
        # One open invitation per employer and address: inviting again re-sends it.
        Index("uq_employer_agent_invitations_open", "employer_id", "email", unique=True,
              sqlite_where=text(OPEN_INVITATION_SQL), postgresql_where=text(OPEN_INVITATION_SQL)),
        CheckConstraint("accepted_at IS NULL OR cancelled_at IS NULL", name="accepted_or_cancelled"),
        CheckConstraint("kind IN ('agent', 'colleague')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    # Lower-cased and stripped, as users.email is.
    email: Mapped[str] = mapped_column(String(254))
    # The contact's name as the employer typed it: shown in its list and offered when an account is created.
    name: Mapped[str] = mapped_column(String(200), default="")
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the latest e-mail went out: its link is valid for a fixed number of days from then.
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "agent": a social secretariat acts for the company; "colleague": the person joins the company's own users.
    kind: Mapped[str] = mapped_column(String(10), default="agent")

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None


class Declaration(db.Model):
    """A contract ended for medical force majeure at the employer's initiative.

    Holds the worker's identity and dates only: never medical content.
    """

    __tablename__ = "dismissal_declarations"
    __table_args__ = (
        # The same worker and end date cannot be declared twice for an employer (409).
        UniqueConstraint("employer_id", "worker_niss", "contract_end_on"),
        CheckConstraint(f"status IN ({_in(DECLARATION_STATUSES)})", name="status_known"),
        CheckConstraint("length(worker_niss) = 11", name="niss_length"),
        # The employer's list, newest first.
        Index("ix_dismissal_declarations_employer_newest", "employer_id", "id"),
        # A worker who registers with the same NISS finds the declaration (pre-filled eligibility).
        Index("ix_dismissal_declarations_worker_niss", "worker_niss"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id", ondelete="RESTRICT"))
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # Set when a social secretariat's user declared for the employer: who acted, for the audit.
    on_behalf_of_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The optional agent's contact, as the employer declares it (DOMAIN.md: name, e-mail, phone).
    agent_name: Mapped[str | None] = mapped_column(String(200))
    agent_email: Mapped[str | None] = mapped_column(String(254))
    agent_phone: Mapped[str | None] = mapped_column(String(40))
    worker_first_name: Mapped[str] = mapped_column(String(100))
    worker_last_name: Mapped[str] = mapped_column(String(100))
    # NISS or BIS number, 11 digits.
    worker_niss: Mapped[str] = mapped_column(String(11))
    contract_end_on: Mapped[date]
    # The occupational physician's definitive-incapacity decision (optional, a date only).
    physician_decision_on: Mapped[date | None]
    declared_on: Mapped[date]
    # Contract end + the declaration days in force: kept as computed on the day it was declared.
    declaration_due_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="declared")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contribution: Mapped[Contribution] = relationship(back_populates="declaration", uselist=False,
                                                      lazy="joined")

    @property
    def is_late(self) -> bool:
        return self.declared_on > self.declaration_due_on


class Contribution(db.Model):
    """The €1,800 (a setting) owed for one declaration, paid by card/Bancontact or bank transfer."""

    __tablename__ = "contributions"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_positive"),
        CheckConstraint(f"status IN ({_in(CONTRIBUTION_STATUSES)})", name="status_known"),
        CheckConstraint("length(structured_reference) = 12", name="reference_length"),
        CheckConstraint("payment_attempt >= 0", name="attempt_positive"),
        # Aging and overdue lists: by status, then due date.
        Index("ix_contributions_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("dismissal_declarations.id", ondelete="RESTRICT"),
                                                unique=True)
    amount_cents: Mapped[int]
    due_on: Mapped[date]
    # Belgian structured reference (OGM/VCS), 12 digits with valid mod-97 check digits.
    structured_reference: Mapped[str] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="due")
    # The latest Stripe PaymentIntent; older ones are still recognised by their metadata.
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Bumped only when the previous PaymentIntent was canceled: the idempotency key is
    # ``contribution-<id>`` for the first and ``contribution-<id>-<n>`` after that.
    payment_attempt: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # When the scheduler reminded the employer that the due day is near (once per contribution).
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the scheduler flagged it overdue and told the employer (once). Lateness itself stays the
    # computed ``is_overdue``; this is the record that the employer was told, kept after a late payment.
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    declaration: Mapped[Declaration] = relationship(back_populates="contribution")

    @property
    def idempotency_key(self) -> str:
        base = f"contribution-{self.id}"
        return base if self.payment_attempt == 0 else f"{base}-{self.payment_attempt}"

    @staticmethod
    def paid_cents_query(contribution_id: int):
        return select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0)).where(
            ContributionPayment.contribution_id == contribution_id)


class ContributionPayment(db.Model):
    """One movement of money for a contribution. Append-only; refunds and reversals are negative.

    ``external_id`` is the Stripe PaymentIntent or Refund id, or the bank line's
    reference: unique, so the same money is never counted twice.
    """

    __tablename__ = "contribution_payments"
    __table_args__ = (
        CheckConstraint(f"source IN ({_in(PAYMENT_SOURCES)})", name="source_known"),
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        CheckConstraint(f"kind IN ({_in(PAYMENT_KINDS)})", name="kind_known"),
        CheckConstraint("(kind = 'payment') = (amount_cents > 0)", name="kind_sign"),
        Index("ix_contribution_payments_contribution", "contribution_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(ForeignKey("contributions.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(10), server_default="payment", default="payment")
    # 64-bit like the bank lines and the ledger: a bank credit of any size can be recorded.
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    booked_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StripeEvent(db.Model):
    """A Stripe event already processed. Inserted in the same transaction as its effect,
    so a replayed event finds its id here and does nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


#: A large CSV file of declarations is read in the background: ``importing`` until every line is checked and
#: declared (``imported``), or ``failed`` with nothing declared (line problems in ``errors``, or a reason).
IMPORT_STATUSES = ("importing", "imported", "failed")


class DeclarationImport(db.Model):
    """A CSV file of declarations read in the background (``services.background_imports``): its progress, then what
    came of it, shown to the person who sent it. The file itself is kept only until the import ends."""

    __tablename__ = "declaration_imports"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(IMPORT_STATUSES)})", name="status_known"),
        CheckConstraint("phase IN ('checking', 'importing')", name="phase_known"),
        CheckConstraint("(status = 'importing') = (csv_text IS NOT NULL)", name="text_while_importing"),
        Index("ix_declaration_imports_uploaded_by", "uploaded_by", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The employer chosen on the form by someone acting for several (None: the only one they act for).
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employers.id", ondelete="CASCADE"))
    file_name: Mapped[str | None] = mapped_column(String(255))
    csv_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="importing")
    # Lines are checked first (nothing written), then declared: ``lines_done`` of ``lines_total`` in that phase.
    phase: Mapped[str] = mapped_column(String(10), default="checking")
    lines_total: Mapped[int]
    lines_done: Mapped[int] = mapped_column(default=0)
    imported_count: Mapped[int | None]
    # The lines' problems as JSON ``[{line, field, message, params}]`` (English templates, translated when shown).
    errors: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
