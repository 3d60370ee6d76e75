"""A coordinator's caseload: only the requests they filed, each with where it stands on the 45-day clock, what
the fund asked for, and once approved the voucher's status, hours used and balance. Never session notes, never
the fund's reasons for a refusal (they may touch the medical check): a coordinator sees nothing medical.

The list reads a fixed number of statements whatever its size (a coordinator follows some 300 members)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal import audit
from portal.errors import N_, Forbidden
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission, can
from vouchers.requests.models import Beneficiary, Voucher, VoucherRequest
from vouchers.requests.presenters import request_dicts
from vouchers.requests.services.requests import get_request
from vouchers.requests.services.vouchers import figures_from
from vouchers.requests.usage import usage_totals_of

#: The statuses the caseload can be filtered on (API.md's request statuses, drafts aside).
STATUSES = ("submitted", "info_requested", "approved", "waitlisted", "rejected", "withdrawn")


@dataclass(frozen=True)
class CaseloadFilters:
    status: str | None = None
    #: Only requests whose member has (True) or has not (False) accepted the invitation yet.
    joined: bool | None = None


def _require(actor: Any) -> None:
    if not can(actor, Permission.COORDINATOR_CASELOAD):
        raise Forbidden(N_("Only a mutual insurer's return-to-work coordinator can do this."),
                        code="not_a_coordinator")


def _member(request: VoucherRequest) -> dict[str, Any]:
    invitation = request.invitation
    # A member who joined with itsme/eID has proven their NISS but not yet their address: until they confirm it,
    # the fund cannot decide (409 ``email_not_confirmed``), and their coordinator should know why nothing moves.
    confirmed = False
    if request.beneficiary is not None:
        user = request.beneficiary.user
        first, last, email = user.first_name, user.last_name, user.email
        confirmed = user.confirmed_at is not None
    else:
        first, last, email = (invitation.first_name, invitation.last_name, invitation.email) if invitation else (
            "", "", "")
    return {"first_name": first, "last_name": last, "email": email, "joined": request.beneficiary_id is not None,
            "email_confirmed": confirmed,
            "invited_at": invitation.sent_at if invitation is not None else None,
            "joined_at": invitation.accepted_at if invitation is not None else None}


def _voucher(voucher: Voucher | None, totals: Any) -> dict[str, Any] | None:
    if voucher is None:
        return None
    figures = figures_from(voucher, totals)
    return {"id": voucher.id, "code": voucher.code, "status": voucher.status, "valid_from_on": voucher.valid_from_on,
            "valid_until_on": voucher.valid_until_on, "value_cents": figures.value_cents,
            "spent_cents": figures.spent_cents, "committed_cents": figures.committed_cents,
            "balance_cents": figures.balance_cents, "individual_minutes_used": figures.individual_minutes_used,
            "individual_hours_used": round(figures.individual_minutes_used / 60, 2),
            "collective_sessions_used": figures.collective_sessions_used}


def case_rows(session: Session, requests: list[VoucherRequest], *, today: date) -> list[dict[str, Any]]:
    """The requests as their coordinator sees them, in a fixed number of statements."""
    vouchers = {v.request_id: v for v in session.scalars(
        select(Voucher).where(Voucher.request_id.in_([r.id for r in requests])))} if requests else {}
    totals = usage_totals_of(session, [v.id for v in vouchers.values()])
    rows = []
    for request, data in zip(requests, request_dicts(session, requests, today=today), strict=True):
        voucher = vouchers.get(request.id)
        rows.append({
            **{name: data[name] for name in ("id", "status", "route", "submitted_on", "decision_due_on", "days_left",
                                             "clock_state", "is_overdue", "provider_id", "insurer_code", "initiative",
                                             "decided_on", "waiting_list_position")},
            # What the fund asked for, while it waits for an answer; a refusal's reasons stay the member's.
            "decision_reason": request.decision_reason if request.status == "info_requested" else None,
            "info_requested_on": request.info_requested_on if request.status == "info_requested" else None,
            "appeal_by_on": data["appeal_by_on"],
            "consent_on": request.consent_on,
            "member": _member(request),
            "voucher": _voucher(voucher, totals[voucher.id]) if voucher is not None else None,
        })
    return rows


def list_caseload(session: Session, coordinator: Any, filters: CaseloadFilters, *, today: date, limit: int = 50,
                  cursor: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The requests ``coordinator`` filed, newest first, in keyset pages."""
    _require(coordinator)
    # The members' names are shown on every row: their accounts come in the same statement.
    query = (select(VoucherRequest).options(joinedload(VoucherRequest.beneficiary).joinedload(Beneficiary.user))
             .where(VoucherRequest.coordinator_id == coordinator.id, VoucherRequest.status != "draft"))
    if filters.status:
        query = query.where(VoucherRequest.status == filters.status)
    if filters.joined is True:
        query = query.where(VoucherRequest.beneficiary_id.is_not(None))
    elif filters.joined is False:
        query = query.where(VoucherRequest.beneficiary_id.is_(None))
    before = decode_id_cursor(cursor)
    if before is not None:
        query = query.where(VoucherRequest.id < before)
    requests = list(session.scalars(query.order_by(VoucherRequest.id.desc()).limit(limit + 1)))
    next_cursor = encode_cursor([requests[limit - 1].id]) if len(requests) > limit else None
    return case_rows(session, requests[:limit], today=today), next_cursor


def open_case(session: Session, coordinator: Any, request_id: int, *, today: date, now: datetime
              ) -> tuple[VoucherRequest, dict[str, Any]]:
    """One request the coordinator filed (another's is a 404), its read written to the audit log."""
    _require(coordinator)
    request = get_request(session, coordinator, request_id)
    owner = request.beneficiary.user_id if request.beneficiary is not None else None
    audit.record_read(session, actor=coordinator, object_type="voucher_request", object_id=request.id,
                      owner_user_id=owner, now=now)
    return request, case_rows(session, [request], today=today)[0]
