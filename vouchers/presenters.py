"""Turn requests and vouchers into the plain dicts the API and the pages show."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.fund_settings import rules_on
from vouchers import domain
from vouchers.models import Voucher, VoucherRequest
from vouchers.services.requests import clock_for, timeline, waiting_list_position
from vouchers.services.vouchers import voucher_figures


def request_dict(session: Session, request: VoucherRequest, *, today: date, with_timeline: bool = True) -> dict[str, Any]:
    rules = rules_on(session, request.submitted_on or today)
    clock = clock_for(request, today, rules)
    voucher_id = session.scalar(select(Voucher.id).where(Voucher.request_id == request.id))
    data: dict[str, Any] = {
        "id": request.id,
        "status": request.status,
        "route": request.route,
        "submitted_on": request.submitted_on,
        "decision_due_on": request.decision_due_on,
        "days_left": clock.days_left if clock else None,
        "clock_state": clock.state if clock else None,
        "is_overdue": bool(clock and clock.state == "overdue"),
        "provider_id": request.provider_id,
        "insurer_code": request.insurer_code,
        "initiative": request.initiative,
        "decided_on": request.decided_on,
        "decision_reason": request.decision_reason,
        "appeal_by_on": domain.appeal_deadline(request.decided_on, rules)
        if request.status == "rejected" and request.decided_on else None,
        "waiting_list_position": waiting_list_position(session, request),
        "voucher_id": voucher_id,
    }
    if with_timeline:
        data["timeline"] = timeline(session, request)
    return data


def voucher_dict(session: Session, voucher: Voucher) -> dict[str, Any]:
    figures = voucher_figures(session, voucher)
    mix = None
    if voucher.individual_hours is not None:
        mix = {
            "individual_hours": voucher.individual_hours,
            "collective_sessions": voucher.collective_sessions,
            "individual_unit_cents": voucher.individual_unit_cents,
            "collective_unit_cents": voucher.collective_unit_cents,
        }
    return {
        "id": voucher.id,
        "code": voucher.code,
        "status": voucher.status,
        "value_cents": figures.value_cents,
        "spent_cents": figures.spent_cents,
        "committed_cents": figures.committed_cents,
        "balance_cents": figures.balance_cents,
        "valid_from_on": voucher.valid_from_on,
        "valid_until_on": voucher.valid_until_on,
        "provider_id": voucher.provider_id,
        "pending_provider_id": voucher.pending_provider_id,
        "mix": mix,
        "individual_minutes_used": figures.individual_minutes_used,
        "collective_sessions_used": figures.collective_sessions_used,
        "request_id": voucher.request_id,
    }
