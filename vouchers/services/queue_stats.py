"""Counts for the top of the fund's decision queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
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
    due_on = VoucherRequest.decision_due_on

    def count(*conditions: Any) -> int:
        # Each count is a range of the (status, decision_due_on, id) index: an index-only scan.
        return int(session.scalar(select(func.count()).select_from(VoucherRequest).where(*conditions)) or 0)

    submitted = VoucherRequest.status == "submitted"
    return QueueCounts(
        submitted=count(submitted),
        due_soon=count(submitted, due_on >= today, due_on <= soon_until),
        overdue=count(submitted, due_on < today),
        waitlisted=count(VoucherRequest.status == "waitlisted"),
    )
