"""Counts for the top of the fund's decision queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from portal.errors import N_, Forbidden
from portal.fund_settings import rules_on
from portal.permissions import Permission, can
from vouchers.models import VoucherRequest


@dataclass(frozen=True)
class QueueCounts:
    submitted: int
    due_soon: int
    overdue: int
    waitlisted: int


def queue_counts(session: Session, actor: Any, *, today: date) -> QueueCounts:
    """How many requests wait for a decision, how many are due soon or overdue, how many wait for money.

    "Due soon" uses the rules in force today: from the warning day (35) through
    day 45, that is a due date between today and today + (45 - 35) days.
    Requests waiting for information are paused and count in none of these.
    """
    if not can(actor, Permission.ADMIN_REQUESTS_VIEW):
        raise Forbidden(N_("Only the fund can see the queue."))
    rules = rules_on(session, today)
    soon_until = today + timedelta(days=rules.decision_days - rules.decision_warning_day)
    submitted = VoucherRequest.status == "submitted"
    due_on = VoucherRequest.decision_due_on

    def count_if(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            count_if(submitted),
            count_if(and_(submitted, due_on >= today, due_on <= soon_until)),
            count_if(and_(submitted, due_on < today)),
            count_if(VoucherRequest.status == "waitlisted"),
        ).where(VoucherRequest.status.in_(("submitted", "waitlisted")))
    ).one()
    return QueueCounts(submitted=int(row[0]), due_soon=int(row[1]), overdue=int(row[2]), waitlisted=int(row[3]))
