"""What a voucher has used: an append-only ledger of hours and euros per voucher.

Scheduling a session books its cost (``scheduled``); logging it releases the
booking (``released``) and records what was delivered (``delivered``). A dispute
upheld after logging reverses what was delivered (``corrected``, negative
amounts) before the corrected delivery, if any, is written. Totals are sums,
never stored counters. Entries are written while the voucher row is
locked, so two coaches logging at once cannot overspend it. The database
refuses to change or delete an entry (a trigger, migration f0b000000021).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Select,
    String,
    case,
    func,
    select,
)
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
    totals = {voucher_id: UsageTotals() for voucher_id in voucher_ids}
    if not voucher_ids:
        return totals
    for voucher_id, *values in session.execute(usage_totals_select(voucher_ids)):
        totals[voucher_id] = UsageTotals(*(int(value) for value in values))
    return totals


def usage_totals_select(voucher_ids: Any) -> Select[Any]:
    """The totals of the vouchers ``voucher_ids`` (a list, or a select of ids) as a grouped SELECT, for a read
    that joins them to its rows (``vouchers.requests.reads``); columns in ``UsageTotals`` order after
    ``voucher_id``. Vouchers without entries have no row."""
    delivered = UsageEntry.kind.in_(("delivered", "corrected"))
    booked = UsageEntry.kind.in_(("scheduled", "released"))

    def total(column, condition, name):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((condition, column), else_=0)), 0).label(name)

    return (select(UsageEntry.voucher_id,
                   total(UsageEntry.amount_cents, delivered, "spent_cents"),
                   total(UsageEntry.amount_cents, booked, "scheduled_cents"),
                   total(UsageEntry.individual_minutes, delivered, "individual_minutes"),
                   total(UsageEntry.collective_sessions, delivered, "collective_sessions"),
                   total(UsageEntry.individual_minutes, booked, "scheduled_individual_minutes"),
                   total(UsageEntry.collective_sessions, booked, "scheduled_collective_sessions"))
            .where(UsageEntry.voucher_id.in_(voucher_ids)).group_by(UsageEntry.voucher_id))
