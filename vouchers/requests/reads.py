"""Vouchers and requests read for pages and API lists: one statement each, rows instead of ORM objects.

A page of 50 vouchers is one SELECT that brings each voucher's usage totals, its providers' names and its
holder's name along (no beneficiary or user objects, no password hashes, no query per row). Writes keep using
the models; these reads are for showing.

Who may see what is the same rule as for the models (``ownership.py``): the objects here carry what it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, case, func, literal, select, tuple_, union_all
from sqlalchemy.orm import Session, aliased

from coaching.providers.models import Provider
from portal.auth.models import User
from portal.db import prepared, read
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)
from vouchers.requests.usage import UsageTotals, usage_totals_select


@dataclass(frozen=True, slots=True)
class VoucherRead:
    """A voucher as pages and the API show it, with what it has used and who holds it."""

    id: int
    code: str
    request_id: int
    status: str
    value_cents: int
    valid_from_on: date
    valid_until_on: date
    issued_on: date
    provider_id: int
    pending_provider_id: int | None
    offer_id: int | None
    individual_hours: int | None
    collective_sessions: int | None
    individual_unit_cents: int | None
    collective_unit_cents: int | None
    provider_name: str
    pending_provider_name: str | None
    owner_user_id: int
    beneficiary_name: str
    filed_by: int | None  # the coordinator who filed the request, if one did
    totals: UsageTotals


def voucher_reads(session: Session, key: Hashable, chosen: Callable[[], Select[Any]], params: dict[str, Any],
                  *order_by: Any) -> list[VoucherRead]:
    """The vouchers whose ids ``chosen()`` selects (filtered, ordered and limited by the caller, its varying
    parts as bind parameters given in ``params``), in ``order_by`` order, in one statement. The statement is
    built once per ``key`` (``portal.db.prepared``)."""
    statement = prepared(("voucher_reads", key), lambda: _voucher_statement(chosen(), order_by))
    return [VoucherRead(*row[:17], owner_user_id=row[17], beneficiary_name=f"{row[18]} {row[19]}".strip(),
                        filed_by=row[20], totals=UsageTotals(*(int(value) for value in row[21:])))
            for row in read(session, statement, params)]


def _voucher_statement(chosen: Select[Any], order_by: tuple[Any, ...]) -> Select[Any]:
    picked = chosen.cte("picked")
    usage = usage_totals_select(select(picked.c.id)).subquery("usage")
    pending = aliased(Provider)
    holder = aliased(User)
    totals = [func.coalesce(column, 0) for column in usage.c if column.key != "voucher_id"]
    return (select(Voucher.id, Voucher.code, Voucher.request_id, Voucher.status, Voucher.value_cents,
                   Voucher.valid_from_on, Voucher.valid_until_on, Voucher.issued_on, Voucher.provider_id,
                   Voucher.pending_provider_id, Voucher.offer_id, Voucher.individual_hours,
                   Voucher.collective_sessions, Voucher.individual_unit_cents, Voucher.collective_unit_cents,
                   Provider.name, pending.name, Beneficiary.user_id, holder.first_name, holder.last_name,
                   VoucherRequest.coordinator_id, *totals)
            .join(picked, picked.c.id == Voucher.id)
            .join(Provider, Provider.id == Voucher.provider_id)
            .outerjoin(pending, pending.id == Voucher.pending_provider_id)
            .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
            .join(holder, holder.id == Beneficiary.user_id)
            .join(VoucherRequest, VoucherRequest.id == Voucher.request_id)
            .outerjoin(usage, usage.c.voucher_id == Voucher.id)
            .order_by(*order_by))


def voucher_read(session: Session, voucher_id: int) -> VoucherRead | None:
    found = voucher_reads(session, "by_id", lambda: select(Voucher.id).where(Voucher.id == bindparam("voucher_id")),
                          {"voucher_id": voucher_id})
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class RequestRead:
    """A voucher request as lists show it, with its voucher, its member's name and its place on the waiting
    list. It has the attributes the 45-day clock reads (``services.requests.clock_for``)."""

    id: int
    status: str
    route: str | None
    submitted_on: date | None
    decision_due_on: date | None
    paused_days: int
    info_requested_on: date | None
    decided_on: date | None
    decision_reason: str | None
    provider_id: int | None
    insurer_code: int | None
    initiative: str
    coordinator_id: int | None
    consent_on: date | None
    owner_user_id: int | None
    member_name: str
    voucher_id: int | None
    waiting_list_position: int | None
    #: The member's account has not confirmed its e-mail address yet: no decision until it has.
    awaiting_email_confirmation: bool = False


#: Every request's route is one of these (the CHECK ``route_known``): the waiting list is read route by route.
_ROUTES = ("A", "B", None)


def _waiting_list_places(picked: Any) -> Any:
    """(id, place) for the waitlisted requests among ``picked``: 1 for the one served next (oldest submission, then
    lowest id), as one set instead of a count per row.

    A page's waitlisted requests lie between its first and its last in the waiting list's order: the place of each
    is how many wait before the first (one count) plus its rank from the first (``row_number`` over that stretch
    only). Both are read in the (status, route, submitted_on, id) index's own ranges, route by route, bounded by a
    row comparison ``(submitted_on, id) < (first's)`` or between first's and last's. A page without a waitlisted
    request reads none of the waiting list."""
    page = aliased(VoucherRequest)
    on_page = (select(page.submitted_on, page.id).join(picked, picked.c.id == page.id)
               .where(page.status == "waitlisted", page.submitted_on.is_not(None)).cte("waiting_on_page"))
    first = select(on_page).order_by(on_page.c.submitted_on, on_page.c.id).limit(1).cte("first_waiting")
    last = (select(on_page).order_by(on_page.c.submitted_on.desc(), on_page.c.id.desc()).limit(1)
            .cte("last_waiting"))
    before, stretch = [], []
    for route in _ROUTES:
        earlier, among = aliased(VoucherRequest), aliased(VoucherRequest)
        before.append(select(earlier.id)
                      .join(first, tuple_(earlier.submitted_on, earlier.id) < tuple_(first.c.submitted_on, first.c.id))
                      .where(earlier.status == "waitlisted", _on_route(earlier, route)))
        stretch.append(select(among.id, among.submitted_on)
                       .join(first, tuple_(among.submitted_on, among.id) >= tuple_(first.c.submitted_on, first.c.id))
                       .join(last, tuple_(among.submitted_on, among.id) <= tuple_(last.c.submitted_on, last.c.id))
                       .where(among.status == "waitlisted", _on_route(among, route)))
    ahead = select(func.count()).select_from(union_all(*before).subquery("ahead")).scalar_subquery()
    waiting = union_all(*stretch).subquery("waiting")
    return select(waiting.c.id, (ahead + func.row_number().over(order_by=(waiting.c.submitted_on, waiting.c.id)))
                  .label("place")).subquery("places")


def _on_route(request: Any, route: str | None) -> Any:
    return request.route.is_(None) if route is None else request.route == route


def request_reads(session: Session, key: Hashable, chosen: Callable[[], Select[Any]], params: dict[str, Any],
                  *order_by: Any, places: bool = True) -> list[RequestRead]:
    """The requests whose ids ``chosen()`` selects, in ``order_by`` order, in one statement (built once per
    ``key``, as ``voucher_reads``). ``places=False``: for a list that does not show the waiting-list places (each
    row's ``waiting_list_position`` is then None), the statement does not read the waiting list at all."""
    statement = prepared(("request_reads", key, places), lambda: _request_statement(chosen(), order_by, places))
    return [RequestRead(*row[:15], member_name=_name(row), voucher_id=row[19],
                        waiting_list_position=None if row[20] is None else int(row[20]),
                        awaiting_email_confirmation=row[14] is not None and row[21] is None)
            for row in read(session, statement, params)]


def _request_statement(chosen: Select[Any], order_by: tuple[Any, ...], with_places: bool) -> Select[Any]:
    picked = chosen.cte("picked")
    member = aliased(User)
    places = _waiting_list_places(picked) if with_places else None
    # A waitlisted request not yet submitted (none should be) has place 0, as a count of those ahead gave it.
    place = (case((VoucherRequest.status == "waitlisted", func.coalesce(places.c.place, 0)), else_=literal(None))
             if places is not None else literal(None))
    statement = (select(VoucherRequest.id, VoucherRequest.status, VoucherRequest.route, VoucherRequest.submitted_on,
                        VoucherRequest.decision_due_on, VoucherRequest.paused_days, VoucherRequest.info_requested_on,
                        VoucherRequest.decided_on, VoucherRequest.decision_reason, VoucherRequest.provider_id,
                        VoucherRequest.insurer_code, VoucherRequest.initiative, VoucherRequest.coordinator_id,
                        VoucherRequest.consent_on, Beneficiary.user_id, member.first_name, member.last_name,
                        MemberInvitation.first_name, MemberInvitation.last_name, Voucher.id, place,
                        member.confirmed_at)
                 .join(picked, picked.c.id == VoucherRequest.id)
                 .outerjoin(Beneficiary, Beneficiary.id == VoucherRequest.beneficiary_id)
                 .outerjoin(member, member.id == Beneficiary.user_id)
                 .outerjoin(MemberInvitation, MemberInvitation.id == VoucherRequest.invitation_id)
                 .outerjoin(Voucher, Voucher.request_id == VoucherRequest.id)
                 .order_by(*order_by))
    return statement.outerjoin(places, places.c.id == VoucherRequest.id) if places is not None else statement


def _name(row: Any) -> str:
    """The member as their account says, or as their coordinator typed it until they join."""
    if row[14] is not None:
        return f"{row[15]} {row[16]}".strip()
    return f"{row[17] or ''} {row[18] or ''}".strip()
