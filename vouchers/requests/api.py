"""JSON API of the vouchers package (API.md)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from coaching.calendar.services import seats
from portal import audit
from portal.api_views import endpoint
from portal.auth.ratelimits import confirmation_resend_limits, registration_limits
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.errors import Conflict, json_error
from portal.fund_settings import rules_on
from portal.mail import commit
from portal.permissions import Permission, any_of
from vouchers.decisions.services import QueueFilters, list_requests_for_fund
from vouchers.employers.services.declarations import dismissal_declared_for
from vouchers.requests import domain
from vouchers.requests.emails import (
    queue_beneficiary_confirmation,
    queue_registration_mail,
)
from vouchers.requests.models import Voucher
from vouchers.requests.presenters import (
    request_dict,
    request_read_dicts,
    voucher_dict,
    voucher_read_dict,
)
from vouchers.requests.schemas import (
    COMPLETE_PARTIAL,
    AdminRequestPageSchema,
    AdminRequestQuerySchema,
    BeneficiaryRegisteredSchema,
    BeneficiaryRegistrationSchema,
    CompleteRequestSchema,
    ConfirmationSentSchema,
    DecisionResultSchema,
    DecisionSchema,
    DeclaredDismissalSchema,
    EligibilityQuerySchema,
    EligibilityVerdictSchema,
    VoucherRequestCreatedSchema,
    VoucherRequestCreateSchema,
    VoucherRequestSchema,
    VoucherSchema,
    VoucherWithdrawSchema,
    WithdrawSchema,
)
from vouchers.requests.services import accounts, answers, registration
from vouchers.requests.services import requests as request_services
from vouchers.requests.services import vouchers as voucher_services
from vouchers.requests.services.requests import RequestData
from vouchers.search import read_search

blp = Blueprint("vouchers_api", __name__, description="Beneficiaries, employers and vouchers")


REGISTERED_MESSAGE = ("We sent an e-mail to this address. Sign in with POST /auth/token and the password given. A "
                      "request is decided only once the address is confirmed with the link in that e-mail.")


@endpoint(blp, "/beneficiaries", method="POST", public=True, body=BeneficiaryRegistrationSchema,
          response=(201, BeneficiaryRegisteredSchema), response_description=(
              "Registered. The body is the same whether or not the address already had an account, and carries no "
              "id: otherwise anyone could learn who has an account (and so who asked the fund for help) by trying "
              "addresses. What happened is told only to the mailbox."),
          refusals={422: "Invalid input, e.g. a wrong NISS or a weak password; every field's problem at once",
                    429: (None, "Too many registrations from this address, or to this e-mail address")},
          limits=(registration_limits,), commits=False)  # the view commits the account and its mail
def register_beneficiary(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Self-registration of a beneficiary.

    A new address gets its account at once: it signs in right away (`POST /auth/token`, the password given here)
    and may submit a request. Its address is not confirmed yet: a link is e-mailed to it (in the language given),
    and the fund decides no request of the account's until it is followed (`409 email_not_confirmed`;
    `POST /beneficiary/confirmation-email` sends the link again). An address that already has an account gets an
    e-mail saying so, and nothing is created or changed. The answer is the same either way (see 201). A national
    number typed here proves nothing: nothing an employer declared about it is shown until the person proves it by
    signing in with itsme or eID on the web.
    """
    registered = registration.register(db.session, accounts.BeneficiaryRegistration(**data), now=utcnow())
    queue_registration_mail(db.session, registered)
    commit()
    return {"email": registered.email, "status": "registered", "message": REGISTERED_MESSAGE}


@endpoint(blp, "/beneficiary/confirmation-email", method="POST", access=(Permission.REQUEST_VIEW_OWN,),
          response=(202, ConfirmationSentSchema),
          refusals={409: "The address is confirmed already (`already_confirmed`)", 429: "Sent again too often"},
          limits=(confirmation_resend_limits,), commits=False)  # the view commits the mail
def send_confirmation_again():  # type: ignore[no-untyped-def]
    """Send the link that confirms the account's e-mail address again. Until it is followed, the fund's decision on
    the account's requests answers `409 email_not_confirmed`."""
    if current_user.is_confirmed:
        raise Conflict("This e-mail address is confirmed already.", code="already_confirmed")
    queue_beneficiary_confirmation(db.session, current_user)
    commit()
    return {"status": "check_your_mailbox", "message": "We sent the link again."}


@endpoint(blp, "/beneficiary/declared-dismissal", access=(Permission.REQUEST_CREATE,),
          response=(200, DeclaredDismissalSchema),
          refusals={404: "No declaration, or the caller's NISS is not proven"})
def declared_dismissal():  # type: ignore[no-untyped-def]
    """The latest dismissal for medical force majeure an employer declared about the caller's own NISS: a starting
    point for `POST /voucher-requests`. Only for a NISS proven by signing in with itsme or eID; a typed one gets
    the same 404 as a NISS nobody declared anything about."""
    declared = dismissal_declared_for(db.session, current_user)
    if declared is None:
        return json_error(404, "No declaration to start from.", "not_found")
    return {"force_majeure": True, "contract_end_on": declared.contract_end_on, "declared_on": declared.declared_on}


def _request_data(data: dict[str, Any]) -> RequestData:
    return RequestData(**{k: v for k, v in data.items() if k != "address"}, address=dict(data["address"]))


@endpoint(blp, "/eligibility", method="POST", public=True, body=EligibilityQuerySchema,
          response=(200, EligibilityVerdictSchema), bearer=False, commits=False)
def check_eligibility(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Check eligibility as of today (Brussels time). No account needed; nothing is stored.

    `reasons` lists every condition that fails, in plain words; it is empty when eligible.
    """
    today = today_in_brussels()
    rules = rules_on(db.session, today)
    verdict = domain.check_eligibility(domain.EligibilityFacts(**data), today=today, rules=rules)
    return {"eligible": verdict.eligible, "route": verdict.route, "apply_by_on": verdict.apply_by_on,
            "reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons]}


@endpoint(blp, "/voucher-requests", method="POST", access=(Permission.REQUEST_CREATE,),
          body=VoucherRequestCreateSchema, response=(201, VoucherRequestCreatedSchema),
          refusals={409: "An open voucher or another open request exists", 422: "Incomplete, or not eligible: `error.reasons` lists why"})
def submit_request(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Submit a complete voucher request. Its submission day starts the fund's 45-day clock."""
    request = request_services.submit_voucher_request(db.session, current_user, _request_data(data),
                                                      today=today_in_brussels(), now=utcnow())
    return request


@endpoint(blp, "/voucher-requests/<int:request_id>", response=(200, VoucherRequestSchema))
def get_request(request_id: int):  # type: ignore[no-untyped-def]
    """A request: status, timeline of transitions, days left to the decision."""
    request = request_services.read_request(db.session, current_user, request_id)
    # Somebody else than the beneficiary (the fund, the member's coordinator) reading the file is logged.
    if audit.record_read(db.session, actor=current_user, object_type="voucher_request", object_id=request_id,
                         owner_user_id=request.owner_user_id, now=utcnow()) is not None:
        commit()
    data = request_read_dicts(db.session, [request], today=today_in_brussels())[0]
    data["timeline"] = request_services.timeline_of(db.session, request.id, request.voucher_id)
    return data


@endpoint(blp, "/voucher-requests/<int:request_id>/withdraw", method="POST", access=(Permission.REQUEST_WITHDRAW,),
          body=WithdrawSchema, response=(200, VoucherRequestSchema), refusals={409: "The request is no longer open"})
def withdraw_request(data: dict[str, Any], request_id: int):  # type: ignore[no-untyped-def]
    """Withdraw an open request (the body and its `reason` are optional)."""
    request = request_services.withdraw_voucher_request(db.session, current_user, request_id, now=utcnow(),
                                                        reason=data.get("reason"))
    return request_dict(db.session, request, today=today_in_brussels())


@endpoint(blp, "/voucher-requests/<int:request_id>/complete", method="POST",
          access=(any_of(Permission.REQUEST_ANSWER, Permission.COORDINATOR_ANSWER),),
          body=CompleteRequestSchema(partial=COMPLETE_PARTIAL), response=(200, VoucherRequestSchema),
          refusals={409: "The request is not waiting for information", 422: "No answer, or the corrected facts make the person ineligible (`error.reasons`); "
                   "the request then keeps waiting for an answer"})
def complete_request(data: dict[str, Any], request_id: int):  # type: ignore[no-untyped-def]
    """Answer the fund's request for information (the beneficiary, or the coordinator who filed the request),
    correcting any field of the request. Eligibility is judged
    again on the corrected facts, as of the submission day. The request goes back to `submitted`; the days
    it waited do not count toward the 45 (an answer the same day pauses 0 days)."""
    request = request_services.get_request(db.session, current_user, request_id)
    request = answers.complete_voucher_request(db.session, current_user, request_id,
                                               answers.corrected(request, data), today=today_in_brussels(),
                                               now=utcnow(), answer=data["answer"])
    return request_dict(db.session, request, today=today_in_brussels())


@endpoint(blp, "/vouchers/<int:voucher_id>/withdraw", method="POST", access=(Permission.VOUCHER_WITHDRAW,),
          body=VoucherWithdrawSchema, response=(200, VoucherSchema), refusals={409: "The voucher is no longer open"})
def withdraw_voucher(data: dict[str, Any], voucher_id: int):  # type: ignore[no-untyped-def]
    """Give up an open voucher (`reason` optional): planned sessions are cancelled and their coach told, the
    value not delivered goes back to the fund, and sessions already delivered stay claimable."""
    voucher = seats.withdraw_voucher(db.session, current_user, voucher_id, data.get("reason"), now=utcnow())
    return voucher_dict(db.session, voucher)


@endpoint(blp, "/vouchers/<int:voucher_id>", response=(200, VoucherSchema))
def get_voucher(voucher_id: int):  # type: ignore[no-untyped-def]
    """A voucher with its balance (the beneficiary's own, or one assigned to the caller's provider)."""
    return voucher_read_dict(voucher_services.read_voucher(db.session, current_user, voucher_id))


@endpoint(blp, "/admin/voucher-requests", access=(Permission.ADMIN_REQUESTS_VIEW,), query=AdminRequestQuerySchema,
          response=(200, AdminRequestPageSchema))
def admin_list_requests(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The fund's queue, soonest due first, paged with `next_cursor`; `q` searches it (name, national number,
    request or voucher number, voucher code, provider's enterprise number)."""
    today = today_in_brussels()
    filters = QueueFilters(status=query["status"], route=query["route"], overdue=query["overdue"],
                           due_before=query["due_before"], initiative=query["initiative"],
                           insurer_code=query["insurer_code"], search=read_search(query["q"]))
    rows, next_cursor = list_requests_for_fund(db.session, current_user, filters, today=today, limit=query["limit"],
                                               cursor=query["cursor"])
    items = request_read_dicts(db.session, rows, today=today)
    for item, request in zip(items, rows, strict=True):
        item["beneficiary_name"] = request.member_name
        item["coordinator_id"], item["consent_on"] = request.coordinator_id, request.consent_on
    return {"items": items, "next_cursor": next_cursor}


@endpoint(blp, "/admin/voucher-requests/<int:request_id>/decision", method="POST",
          access=(Permission.ADMIN_REQUESTS_DECIDE,), body=DecisionSchema, response=(200, DecisionResultSchema),
          refusals={409: "Already decided, or decided by someone else at the same "
                   "time; `email_not_confirmed`: the beneficiary has not confirmed their e-mail address yet (a request "
                   "is decided only once they have)", 422: "A rejection or information request needs a reason"},
          commits=False)
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
