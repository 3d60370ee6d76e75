"""The beneficiary (or the coordinator who filed the request) answers the fund's request for information,
and may correct the request with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from portal.db import lock_row
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, any_of, can
from vouchers.requests import domain
from vouchers.requests.models import VoucherRequest
from vouchers.requests.services import notices
from vouchers.requests.services.requests import (
    ADDRESS_FIELDS,
    REQUEST_FIELDS,
    RequestData,
    _apply,
    _completeness_problems,
    _flush_or_conflict,
    _transition,
    eligibility_facts,
    get_request,
)


def as_submitted(request: VoucherRequest) -> RequestData:
    """The request's facts as they stand, to be corrected field by field."""
    address = {source: getattr(request, column) for source, column in ADDRESS_FIELDS.items()}
    return RequestData(**{name: getattr(request, name) for name in REQUEST_FIELDS}, address=address)


def corrected(request: VoucherRequest, changes: dict[str, Any]) -> RequestData:
    """The request with the fields the person corrected (an address is replaced whole)."""
    data = as_submitted(request)
    fields = {name: value for name, value in changes.items() if name in REQUEST_FIELDS}
    if "address" in changes and changes["address"] is not None:
        fields["address"] = dict(changes["address"])
    return replace(data, **fields)


def complete_voucher_request(session: Session, actor: Any, request_id: int, data: RequestData, *, today: date,
                             now: datetime, answer: str = "") -> VoucherRequest:
    """The beneficiary answers the fund and may correct the request: eligibility is judged again on the
    corrected facts (as of the submission day), and the clock restarts where it stood. Ineligible: 422, and
    the request keeps waiting for an answer."""
    request = get_request(session, actor, request_id)
    if not can(actor, any_of(Permission.REQUEST_ANSWER, Permission.COORDINATOR_ANSWER), request):
        raise NotFound(N_("This request does not exist."))
    lock_row(session, request)
    if request.status != "info_requested":
        raise Conflict(N_("This request is not waiting for information."), code="illegal_transition")
    problems = _completeness_problems(session, data)
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    rules = rules_on(session, request.submitted_on or today)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed(N_("Please answer the fund's question."),
                               fields={"answer": [N_("Please answer the fund's question.")]})
    verdict = domain.check_eligibility(eligibility_facts(data), today=request.submitted_on or today, rules=rules)
    if not verdict.eligible:
        raise ValidationFailed(
            N_("With these corrections you cannot get a voucher."), code="not_eligible",
            fields={"eligibility": [r.message for r in verdict.reasons]},
            extra={"reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons]})
    _apply(request, data)
    request.route = verdict.route
    paused = max(0, (today - (request.info_requested_on or today)).days)
    request.paused_days += paused
    request.info_requested_on = None
    assert request.submitted_on is not None
    request.decision_due_on = domain.decision_due_on(request.submitted_on, paused_days=request.paused_days, rules=rules)
    _transition(session, request, "submitted", actor=actor, now=now, reason=f"answer: {answer[:1900]}")
    _flush_or_conflict(session)
    notices.tell_answered(session, request)
    return request
