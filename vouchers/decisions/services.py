"""The fund's decision queue: filtered, sorted by due date, paged by keyset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    union,
)
from sqlalchemy.orm import Session, aliased

from coaching.providers.models import Provider
from portal.auth.models import User
from portal.db import prepared, read
from portal.errors import N_, Forbidden, ValidationFailed
from portal.fund_settings import rules_on
from portal.pagination import decode_cursor, encode_cursor
from portal.permissions import Permission, can
from portal.schema_fields import MAX_ID
from portal.search import name_words
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)
from vouchers.requests.reads import RequestRead, request_reads
from vouchers.search import ENTERPRISE, NAME, NISS, NUMBER, VOUCHER_CODE, Search


@dataclass(frozen=True)
class QueueFilters:
    status: str | None = None
    route: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    #: "own", or "coordinator" (the coordinator's plan, filed by the member or by a coordinator)
    initiative: str | None = None
    insurer_code: int | None = None
    #: What was typed in the search box (``vouchers.search``)
    search: Search | None = None


def list_requests_for_fund(session: Session, actor: Any, filters: QueueFilters, *, today: date, limit: int = 50,
                           cursor: str | None = None, places: bool = True) -> tuple[list[RequestRead], str | None]:
    """Requests in the fund's queue, soonest due first, read as rows with their member's name, their voucher and
    their waiting-list place (one statement; ``places=False`` leaves the places out, for a list that does not show
    them). Drafts are the beneficiary's own and never listed."""
    if not can(actor, Permission.ADMIN_REQUESTS_VIEW):
        raise Forbidden(N_("Only the fund can see the queue."))
    params: dict[str, Any] = {"status": filters.status, "route": filters.route, "today": today,
                              "due_before": filters.due_before, "initiative": filters.initiative,
                              "insurer_code": filters.insurer_code, "limit": limit + 1,
                              **(filters.search.params() if filters.search else {})}
    after = decode_cursor(cursor, 2)
    if after is not None:
        try:
            params["after_due_on"], params["after_id"] = date.fromisoformat(after[0]), after[1]
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(N_("The cursor is not valid."), fields={"cursor": ["not valid"]}) from exc
        last_id = params["after_id"]
        if isinstance(last_id, bool) or not isinstance(last_id, int) or not 1 <= last_id <= MAX_ID:
            raise ValidationFailed(N_("The cursor is not valid."), fields={"cursor": ["not valid"]})
    shape = (bool(filters.status), bool(filters.route), filters.overdue, bool(filters.due_before),
             bool(filters.initiative), bool(filters.insurer_code), after is not None,
             filters.search.shape if filters.search else None)
    rows = request_reads(session, ("fund_queue", shape), lambda: _queue_ids(*shape), params,
                         VoucherRequest.decision_due_on, VoucherRequest.id, places=places)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor([last.decision_due_on.isoformat() if last.decision_due_on else None, last.id])
    return rows, next_cursor


def _queue_ids(status: bool, route: bool, overdue: bool | None, due_before: bool, initiative: bool,
               insurer_code: bool, after: bool, search: tuple[str, int] | None) -> Select[Any]:
    """The queue's ids for one combination of filters, each value a bind parameter (built once per combination)."""
    due_on = VoucherRequest.decision_due_on
    query = select(VoucherRequest.id).where(VoucherRequest.status != "draft")
    if status:
        query = query.where(VoucherRequest.status == bindparam("status"))
    if route:
        query = query.where(VoucherRequest.route == bindparam("route"))
    today = bindparam("today", type_=Date)
    if overdue is True:
        query = query.where(VoucherRequest.status == "submitted", due_on < today)
    elif overdue is False:
        query = query.where(or_(VoucherRequest.status != "submitted", due_on >= today))
    if due_before:
        query = query.where(due_on < bindparam("due_before", type_=Date))
    if initiative:
        query = query.where(VoucherRequest.initiative == bindparam("initiative"))
    if insurer_code:
        query = query.where(VoucherRequest.insurer_code == bindparam("insurer_code", type_=Integer))
    if after:
        after_due_on = bindparam("after_due_on", type_=Date)
        query = query.where(or_(due_on > after_due_on,
                                and_(due_on == after_due_on, VoucherRequest.id > bindparam("after_id", type_=Integer))))
    if search:
        query = query.where(_found(*search))
    return query.order_by(due_on, VoucherRequest.id).limit(bindparam("limit", type_=Integer))


def _found(kind: str, words: int) -> Any:
    """The requests a search finds: by its member's name (their account's, or as their coordinator typed it) or
    national number, by the request's number or its voucher's (number or code), or by the enterprise number of
    the provider it names. A reference or anything else finds none."""
    value = bindparam("q_value")
    if kind == NAME:
        return _members_requests(
            select(Beneficiary.id).join(User, User.id == Beneficiary.user_id)
            .where(name_words((User.first_name, User.last_name), words)),
            select(MemberInvitation.id).where(name_words((MemberInvitation.first_name, MemberInvitation.last_name),
                                                         words)))
    if kind == NISS:
        return _members_requests(select(Beneficiary.id).where(Beneficiary.niss == value),
                                 select(MemberInvitation.id).where(MemberInvitation.niss == value))
    if kind == NUMBER:
        return or_(VoucherRequest.id == value, VoucherRequest.id.in_(select(Voucher.request_id).where(Voucher.id == value)))
    if kind == VOUCHER_CODE:
        return VoucherRequest.id.in_(select(Voucher.request_id).where(Voucher.code == value))
    if kind == ENTERPRISE:
        return VoucherRequest.provider_id.in_(select(Provider.id).where(Provider.enterprise_number == value))
    return false()


def _members_requests(members: Select[Any], invited: Select[Any]) -> Any:
    """The requests of these members or invitations: one list of ids, each half read through its own index (the
    people found first, then their requests), rather than every request tested against both."""
    request = aliased(VoucherRequest)
    return VoucherRequest.id.in_(union(select(request.id).where(request.beneficiary_id.in_(members)),
                                       select(request.id).where(request.invitation_id.in_(invited))))


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

    def build() -> Any:
        # One pass over the (status, decision_due_on, id) index for both statuses: an index-only scan.
        due_on, day = VoucherRequest.decision_due_on, bindparam("today", type_=Date)
        submitted = VoucherRequest.status == "submitted"
        return (select(func.count().filter(submitted),
                       func.count().filter(submitted, due_on >= day, due_on <= bindparam("soon_until", type_=Date)),
                       func.count().filter(submitted, due_on < day),
                       func.count().filter(VoucherRequest.status == "waitlisted"))
                .where(VoucherRequest.status.in_(("submitted", "waitlisted"))))

    counts = read(session, prepared("queue_counts", build), {"today": today, "soon_until": soon_until}).one()
    return QueueCounts(*(int(count or 0) for count in counts))
