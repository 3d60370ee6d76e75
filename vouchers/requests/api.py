"""JSON API of the vouchers package (API.md)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from coaching.calendar.services import seats
from portal import audit
from portal.auth.emails import queue_confirmation
from portal.auth.schemas import ApiErrorSchema
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.fund_settings import rules_on
from portal.mail import commit
from portal.permissions import Permission, any_of, api_access
from portal.private_cache import private_page
from portal.schema_fields import BEARER
from vouchers.decisions.services import QueueFilters, list_requests_for_fund
from vouchers.requests import domain
from vouchers.requests.models import Voucher
from vouchers.requests.presenters import request_dict, request_dicts, voucher_dict
from vouchers.requests.schemas import (
    COMPLETE_PARTIAL,
    AdminRequestPageSchema,
    AdminRequestQuerySchema,
    BeneficiaryRegistrationSchema,
    CompleteRequestSchema,
    DecisionResultSchema,
    DecisionSchema,
    EligibilityQuerySchema,
    EligibilityVerdictSchema,
    EmployerRegistrationSchema,
    RegisteredAccountSchema,
    VoucherRequestCreatedSchema,
    VoucherRequestCreateSchema,
    VoucherRequestSchema,
    VoucherSchema,
    VoucherWithdrawSchema,
    WithdrawSchema,
)
from vouchers.requests.services import accounts, answers
from vouchers.requests.services import requests as request_services
from vouchers.requests.services import vouchers as voucher_services
from vouchers.requests.services.requests import RequestData

blp = Blueprint("vouchers_api", __name__, description="Beneficiaries, employers and vouchers")


@blp.route("/beneficiaries", methods=["POST"])
@api_access(public=True)
@blp.arguments(BeneficiaryRegistrationSchema)
@blp.response(201, RegisteredAccountSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="E-mail or national number already registered")
@blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input, e.g. a wrong NISS")
def register_beneficiary(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Self-registration of a beneficiary. The account must confirm its e-mail address."""
    user = accounts.register_beneficiary(db.session, accounts.BeneficiaryRegistration(**data), now=utcnow())
    queue_confirmation(db.session, user)
    commit()
    return user


@blp.route("/employers", methods=["POST"])
@api_access(public=True)
@blp.arguments(EmployerRegistrationSchema)
@blp.response(201, RegisteredAccountSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="E-mail or enterprise already registered")
@blp.alt_response(422, schema=ApiErrorSchema, description="Invalid input, e.g. a wrong enterprise number or IBAN")
def register_employer(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Registration of an employer and its first user."""
    user = accounts.register_employer(db.session, accounts.EmployerRegistration(**data), now=utcnow())
    queue_confirmation(db.session, user)
    commit()
    return user


def _request_data(data: dict[str, Any]) -> RequestData:
    return RequestData(**{k: v for k, v in data.items() if k != "address"}, address=dict(data["address"]))


@blp.route("/eligibility", methods=["POST"])
@api_access(public=True)
@blp.arguments(EligibilityQuerySchema)
@blp.response(200, EligibilityVerdictSchema)
def check_eligibility(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Check eligibility as of today (Brussels time). No account needed; nothing is stored.

    `reasons` lists every condition that fails, in plain words; it is empty when eligible.
    """
    today = today_in_brussels()
    rules = rules_on(db.session, today)
    verdict = domain.check_eligibility(domain.EligibilityFacts(**data), today=today, rules=rules)
    return {"eligible": verdict.eligible, "route": verdict.route, "apply_by_on": verdict.apply_by_on,
            "reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons]}


@blp.route("/voucher-requests", methods=["POST"])
@api_access(Permission.REQUEST_CREATE)
@blp.arguments(VoucherRequestCreateSchema)
@blp.response(201, VoucherRequestCreatedSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="An open voucher or another open request exists")
@blp.alt_response(422, schema=ApiErrorSchema, description="Incomplete, or not eligible: `error.reasons` lists why")
@blp.doc(security=[{"bearerAuth": []}])
def submit_request(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Submit a complete voucher request. Its submission day starts the fund's 45-day clock."""
    request = request_services.submit_voucher_request(db.session, current_user, _request_data(data),
                                                      today=today_in_brussels(), now=utcnow())
    commit()
    return request


@blp.route("/voucher-requests/<int:request_id>", methods=["GET"])
@api_access()
@blp.response(200, VoucherRequestSchema)
@blp.doc(security=[{"bearerAuth": []}])
def get_request(request_id: int):  # type: ignore[no-untyped-def]
    """A request: status, timeline of transitions, days left to the decision."""
    request = request_services.get_request(db.session, current_user, request_id)
    # Somebody else than the beneficiary (the fund, the member's coordinator) reading the file is logged.
    owner_user_id = request.beneficiary.user_id if request.beneficiary is not None else None
    if audit.record_read(db.session, actor=current_user, object_type="voucher_request", object_id=request_id,
                         owner_user_id=owner_user_id, now=utcnow()) is not None:
        commit()
    return request_dict(db.session, request, today=today_in_brussels())


@blp.route("/voucher-requests/<int:request_id>/withdraw", methods=["POST"])
@api_access(Permission.REQUEST_WITHDRAW)
@blp.arguments(WithdrawSchema)
@blp.response(200, VoucherRequestSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="The request is no longer open")
@blp.doc(security=[{"bearerAuth": []}])
def withdraw_request(data: dict[str, Any], request_id: int):  # type: ignore[no-untyped-def]
    """Withdraw an open request (the body and its `reason` are optional)."""
    request = request_services.withdraw_voucher_request(db.session, current_user, request_id, now=utcnow(),
                                                        reason=data.get("reason"))
    commit()
    return request_dict(db.session, request, today=today_in_brussels())


@blp.route("/voucher-requests/<int:request_id>/complete", methods=["POST"])
@api_access(any_of(Permission.REQUEST_ANSWER, Permission.COORDINATOR_ANSWER))
@blp.arguments(CompleteRequestSchema(partial=COMPLETE_PARTIAL))
@blp.response(200, VoucherRequestSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="The request is not waiting for information")
@blp.alt_response(422, schema=ApiErrorSchema,
                  description="No answer, or the corrected facts make the person ineligible (`error.reasons`); "
                              "the request then keeps waiting for an answer")
@blp.doc(security=BEARER)
def complete_request(data: dict[str, Any], request_id: int):  # type: ignore[no-untyped-def]
    """Answer the fund's request for information (the beneficiary, or the coordinator who filed the request),
    correcting any field of the request. Eligibility is judged
    again on the corrected facts, as of the submission day. The request goes back to `submitted`; the days
    it waited do not count toward the 45 (an answer the same day pauses 0 days)."""
    request = request_services.get_request(db.session, current_user, request_id)
    request = answers.complete_voucher_request(db.session, current_user, request_id,
                                               answers.corrected(request, data), today=today_in_brussels(),
                                               now=utcnow(), answer=data["answer"])
    commit()
    return request_dict(db.session, request, today=today_in_brussels())


@blp.route("/vouchers/<int:voucher_id>/withdraw", methods=["POST"])
@api_access(Permission.VOUCHER_WITHDRAW)
@blp.arguments(VoucherWithdrawSchema)
@blp.response(200, VoucherSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="The voucher is no longer open")
@blp.doc(security=BEARER)
def withdraw_voucher(data: dict[str, Any], voucher_id: int):  # type: ignore[no-untyped-def]
    """Give up an open voucher (`reason` optional): planned sessions are cancelled and their coach told, the
    value not delivered goes back to the fund, and sessions already delivered stay claimable."""
    voucher = seats.withdraw_voucher(db.session, current_user, voucher_id, data.get("reason"), now=utcnow())
    commit()
    return voucher_dict(db.session, voucher)


@blp.route("/vouchers/<int:voucher_id>", methods=["GET"])
@api_access()
@private_page
@blp.response(200, VoucherSchema)
@blp.doc(security=[{"bearerAuth": []}])
def get_voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    """A voucher with its balance (the beneficiary's own, or one assigned to the caller's provider)."""
    voucher = voucher_services.get_voucher(db.session, current_user, voucher_id)
    return voucher_dict(db.session, voucher)


@blp.route("/admin/voucher-requests", methods=["GET"])
@api_access(Permission.ADMIN_REQUESTS_VIEW)
@private_page
@blp.arguments(AdminRequestQuerySchema, location="query")
@blp.response(200, AdminRequestPageSchema)
@blp.doc(security=[{"bearerAuth": []}])
def admin_list_requests(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The fund's queue, soonest due first, paged with `next_cursor`."""
    today = today_in_brussels()
    filters = QueueFilters(status=query["status"], route=query["route"], overdue=query["overdue"],
                           due_before=query["due_before"], initiative=query["initiative"],
                           insurer_code=query["insurer_code"])
    rows, next_cursor = list_requests_for_fund(db.session, current_user, filters, today=today, limit=query["limit"],
                                               cursor=query["cursor"])
    items = request_dicts(db.session, rows, today=today)
    for item, request in zip(items, rows, strict=True):
        item["beneficiary_name"] = request.member_name
        item["coordinator_id"], item["consent_on"] = request.coordinator_id, request.consent_on
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/admin/voucher-requests/<int:request_id>/decision", methods=["POST"])
@api_access(Permission.ADMIN_REQUESTS_DECIDE)
@blp.arguments(DecisionSchema)
@blp.response(200, DecisionResultSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already decided, or decided by someone else at the same time")
@blp.alt_response(422, schema=ApiErrorSchema, description="A rejection or information request needs a reason")
@blp.doc(security=[{"bearerAuth": []}])
def decide_request(data: dict[str, Any], request_id: int):  # type: ignore[no-untyped-def]
    """Approve, reject or ask for information. Route B goes to `waitlisted` when the fund balance is short."""
    today = today_in_brussels()
    request = request_services.decide_voucher_request(
        db.session, current_user, request_id, data["decision"], data.get("reason"), today=today, now=utcnow(),
        medical_check_ok=data.get("medical_check_ok"),
    )
    commit()
    result = request_dict(db.session, request, today=today)
    voucher = db.session.scalar(select(Voucher).where(Voucher.request_id == request.id))
    result["voucher"] = voucher_dict(db.session, voucher) if voucher else None
    return result
