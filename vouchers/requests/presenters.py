"""Turn requests and vouchers into the plain dicts the API and the pages show."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.fund_settings import RulesBook, rules_book
from vouchers.requests import domain
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.reads import RequestRead, VoucherRead
from vouchers.requests.services.requests import (
    clock_for,
    timeline,
    waiting_list_positions,
)
from vouchers.requests.services.vouchers import VoucherFigures, figures_from
from vouchers.requests.usage import usage_totals_of


def request_dicts(session: Session, requests: list[VoucherRequest], *, today: date,
                  with_timeline: bool = False) -> list[dict[str, Any]]:
    """Many requests with a fixed number of queries (the fund's queue shows 50 at a time)."""
    if not requests:
        return []
    book = rules_book(session)
    ids = [r.id for r in requests]
    voucher_ids = dict(session.execute(select(Voucher.request_id, Voucher.id).where(Voucher.request_id.in_(ids))).all())
    positions = waiting_list_positions(session, [r for r in requests if r.status == "waitlisted"])
    result = []
    for request in requests:
        data = _request_data(request, book, today, voucher_ids.get(request.id), positions.get(request.id))
        if with_timeline:
            data["timeline"] = timeline(session, request)
        result.append(data)
    return result


def request_read_dicts(session: Session, requests: list[RequestRead], *, today: date) -> list[dict[str, Any]]:
    """The same dicts from requests read as rows (``reads.py``), which bring their voucher and waiting-list place:
    no query, but the fund's settings once if a row needs a rule."""
    book = rules_book(session)
    return [_request_data(r, book, today, r.voucher_id, r.waiting_list_position) for r in requests]


# The rules matter only for a running clock or a refusal's appeal deadline: other rows need no settings read.
_RULED_STATUSES = frozenset({"submitted", "info_requested", "rejected"})


def _request_data(request: VoucherRequest | RequestRead, book: RulesBook, today: date, voucher_id: int | None,
                  position: int | None) -> dict[str, Any]:
    rules = book.on(request.submitted_on or today) if request.status in _RULED_STATUSES else None
    clock = clock_for(request, today, rules) if rules is not None else None
    return {
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
        if rules is not None and request.status == "rejected" and request.decided_on else None,
        "waiting_list_position": position,
        "voucher_id": voucher_id,
    }


def request_dict(session: Session, request: VoucherRequest, *, today: date, with_timeline: bool = True) -> dict[str, Any]:
    return request_dicts(session, [request], today=today, with_timeline=with_timeline)[0]


def voucher_dict(session: Session, voucher: Voucher) -> dict[str, Any]:
    return voucher_dicts(session, [voucher])[0]


def voucher_dicts(session: Session, vouchers: list[Voucher]) -> list[dict[str, Any]]:
    """Several vouchers with their balances: one query for all their usage, however many there are."""
    totals = usage_totals_of(session, [voucher.id for voucher in vouchers])
    return [_voucher_data(voucher, figures_from(voucher, totals[voucher.id])) for voucher in vouchers]


def voucher_read_dict(voucher: VoucherRead) -> dict[str, Any]:
    """The same dict from a voucher read with its totals (``reads.py``): no query."""
    return _voucher_data(voucher, figures_from(voucher, voucher.totals))


def _voucher_data(voucher: Voucher | VoucherRead, figures: VoucherFigures) -> dict[str, Any]:
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
