"""The fund's decision queue: filtered, sorted by due date, paged by keyset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from portal.errors import N_, Forbidden, ValidationFailed
from portal.fund_settings import rules_on
from portal.pagination import decode_cursor, encode_cursor
from portal.permissions import Permission, can
from portal.schema_fields import MAX_ID
from vouchers.requests.models import VoucherRequest


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None
    route: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    #: "own", or "coordinator" (the coordinator's plan, filed by the member or by a coordinator)
    initiative: str | None = None
    insurer_code: int | None = None


def list_requests_for_fund(session: Session, actor: Any, filters: QueueFilters, *, today: date, limit: int = 50,
                           cursor: str | None = None) -> tuple[list[VoucherRequest], str | None]:
    """Requests in the fund's queue, soonest due first. Drafts are the beneficiary's own and never listed."""
    if not can(actor, Permission.ADMIN_REQUESTS_VIEW):
        raise Forbidden(N_("Only the fund can see the queue."))
    query = select(VoucherRequest).where(VoucherRequest.status != "draft")
    if filters.status:
        query = query.where(VoucherRequest.status == filters.status)
    if filters.route:
        query = query.where(VoucherRequest.route == filters.route)
    if filters.overdue is True:
        query = query.where(VoucherRequest.status == "submitted", VoucherRequest.decision_due_on < today)
    elif filters.overdue is False:
        query = query.where(or_(VoucherRequest.status != "submitted", VoucherRequest.decision_due_on >= today))
    if filters.due_before:
        query = query.where(VoucherRequest.decision_due_on < filters.due_before)
    if filters.initiative:
        query = query.where(VoucherRequest.initiative == filters.initiative)
    if filters.insurer_code:
        query = query.where(VoucherRequest.insurer_code == filters.insurer_code)
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            due_on, last_id = date.fromisoformat(after[0]), after[1]
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(N_("The cursor is not valid."), fields={"cursor": ["not valid"]}) from exc
        if isinstance(last_id, bool) or not isinstance(last_id, int) or not 1 <= last_id <= MAX_ID:
            raise ValidationFailed(N_("The cursor is not valid."), fields={"cursor": ["not valid"]})
        query = query.where(or_(VoucherRequest.decision_due_on > due_on,
                                and_(VoucherRequest.decision_due_on == due_on, VoucherRequest.id > last_id)))
    rows = list(session.scalars(query.order_by(VoucherRequest.decision_due_on, VoucherRequest.id).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([last.decision_due_on.isoformat() if last.decision_due_on else None, last.id])
    return rows, next_cursor


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
