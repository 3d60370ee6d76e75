"""The audit log: every state change (who, when, from, to, why), append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.auth.models import User
from portal.clock import utcnow
from portal.db import UTCDateTime, db
from portal.errors import N_, Forbidden
from portal.permissions import Permission, can


class AuditEntry(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id", "id"),
        Index("ix_audit_log_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # For agents (a social secretariat acting for an employer): on whose behalf.
    on_behalf_of: Mapped[str | None] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(50))
    object_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(50))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str | None] = mapped_column(Text)


def record(
    session: Session,
    *,
    actor: Any,
    object_type: str,
    object_id: int,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    on_behalf_of: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=getattr(actor, "id", None),
        object_type=object_type,
        object_id=object_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        on_behalf_of=on_behalf_of,
    )
    session.add(entry)
    return entry


def record_read(session: Session, *, actor: Any, object_type: str, object_id: int, owner_user_id: int | None = None,
                now: datetime | None = None) -> AuditEntry | None:
    """A read of someone's personal or health data by somebody else (fund or provider staff), logged as
    ``viewed`` so that the fund can answer "who looked at my file?". The person reading their own data is
    not logged."""
    if owner_user_id is not None and getattr(actor, "id", None) == owner_user_id:
        return None
    return record(session, actor=actor, object_type=object_type, object_id=object_id, action="viewed", now=now)


#: Object types written to the audit log today; the audit page's filter offers them in words (``words.py``).
KNOWN_AUDIT_OBJECT_TYPES: Final[tuple[str, ...]] = (
    "bank_line", "bank_statement", "catalogue_theme", "claim", "coach", "coaching_session", "contact_point",
    "contribution", "contribution_refund", "dismissal_declaration", "employer", "ledger_entry", "offer",
    "payout_batch", "payout_status_report", "payout_transfer", "provider", "session_dispute", "session_seat", "user",
    "voucher", "voucher_request",
)


def audit_trail(session: Session, admin: Any, *, object_type: str | None = None, object_id: int | None = None,
                actor_id: int | None = None, limit: int = 50, before_id: int | None = None) -> list[AuditEntry]:
    """Audit entries, newest first, filtered by object (type, and id) and by the person who acted.

    Keyset-paged on the id (``before_id``), which the log's indexes on (object_type, object_id, id)
    and (actor_id, id) serve directly.
    """
    if not can(admin, Permission.ADMIN_AUDIT_VIEW):
        raise Forbidden(N_("Only the fund's administrators may do this."))
    query = select(AuditEntry)
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEntry.object_id == object_id)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


def user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(User.by_email(email))
