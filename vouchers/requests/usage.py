"""What a voucher has used: an append-only ledger of hours and euros per voucher.

Scheduling a session books its cost (``scheduled``); logging it releases the
booking (``released``) and records what was delivered (``delivered``). A dispute
upheld after logging reverses what was delivered (``corrected``, negative
amounts) before the corrected delivery, if any, is written. Totals are sums,
never stored counters. Entries are written while the voucher row is
locked, so two coaches logging at once cannot overspend it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, case, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.clock import utcnow
from portal.db import UTCDateTime, db


class UsageEntry(db.Model):
    __tablename__ = "voucher_usage"
    __table_args__ = (
        CheckConstraint("kind IN ('scheduled', 'released', 'delivered', 'corrected')", name="kind_known"),
        Index("ix_voucher_usage_voucher", "voucher_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"))
    coaching_session_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(20))
    individual_minutes: Mapped[int] = mapped_column(default=0)
    collective_sessions: Mapped[int] = mapped_column(default=0)
    amount_cents: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@dataclass(frozen=True)
class UsageTotals:
    spent_cents: int = 0
    scheduled_cents: int = 0
    individual_minutes: int = 0
    collective_sessions: int = 0
    scheduled_individual_minutes: int = 0
    scheduled_collective_sessions: int = 0


def usage_totals(session: Session, voucher_id: int) -> UsageTotals:
    return usage_totals_of(session, [voucher_id])[voucher_id]


def usage_totals_of(session: Session, voucher_ids: list[int]) -> dict[int, UsageTotals]:
    """The totals of several vouchers in one grouped query (a list page shows hundreds); zeros for a voucher
    without entries."""
    delivered = UsageEntry.kind.in_(("delivered", "corrected"))
    booked = UsageEntry.kind.in_(("scheduled", "released"))

    def total(column, condition):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0)

    totals = {voucher_id: UsageTotals() for voucher_id in voucher_ids}
    if not voucher_ids:
        return totals
    rows = session.execute(
        select(
            UsageEntry.voucher_id,
            total(UsageEntry.amount_cents, delivered),
            total(UsageEntry.amount_cents, booked),
            total(UsageEntry.individual_minutes, delivered),
            total(UsageEntry.collective_sessions, delivered),
            total(UsageEntry.individual_minutes, booked),
            total(UsageEntry.collective_sessions, booked),
        ).where(UsageEntry.voucher_id.in_(voucher_ids)).group_by(UsageEntry.voucher_id)
    )
    for voucher_id, *values in rows:
        totals[voucher_id] = UsageTotals(*(int(value) for value in values))
    return totals
