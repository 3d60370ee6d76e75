"""Voucher requests: drafts, submission, the fund's decisions, the waiting list, withdrawal."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coaching.providers.models import Provider
from portal import audit
from portal.clock import today_in_brussels
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, Role, can
from portal.rules import FundRules
from vouchers.ledger.services import entries as ledger
from vouchers.requests import domain
from vouchers.requests.models import Beneficiary, Voucher, VoucherRequest
from vouchers.requests.reads import RequestRead, request_reads
from vouchers.requests.services import notices
from vouchers.requests.services.registration import ensure_email_confirmed

# Letters and digits that cannot be confused when read aloud or typed (no 0/O, 1/I/L, U).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_voucher_code() -> str:
    """TNW-XXXX-XXXX: 40 bits of randomness, unique by a database constraint."""
    body = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    return f"TNW-{body[:4]}-{body[4:]}"


@dataclass
class RequestData:
    """What a beneficiary submits (API.md's POST /voucher-requests body)."""

    provider_id: int | None = None
    insurer_code: int | None = None
    initiative: str = "own"
    force_majeure: bool | None = None
    contract_end_on: date | None = None
    incapacity_start_on: date | None = None
    benefits_scheme: str | None = None
    in_approved_retraining: bool = False
    in_professional_rehabilitation: bool = False
    planned_start_on: date | None = None
    planned_end_on: date | None = None
    address: dict[str, Any] = field(default_factory=dict)


REQUEST_FIELDS = (
    "provider_id", "insurer_code", "initiative", "force_majeure", "contract_end_on", "incapacity_start_on",
    "benefits_scheme", "in_approved_retraining", "in_professional_rehabilitation", "planned_start_on",
    "planned_end_on",
)


ADDRESS_FIELDS = {"street": "street", "number": "house_number", "box": "box", "postcode": "postcode",
                  "municipality": "municipality", "country": "country"}


def beneficiary_of(session: Session, actor: Any) -> Beneficiary:
    if not can(actor, Permission.REQUEST_CREATE):
        raise Forbidden(N_("Only beneficiaries can ask for a voucher."))
    profile = session.scalar(select(Beneficiary).where(Beneficiary.user_id == actor.id))
    if profile is None:
        raise Forbidden(N_("Your account has no beneficiary profile."))
    return profile


def listed_provider(session: Session, provider_id: int | None) -> Provider | None:
    if provider_id is None:
        return None
    provider = session.get(Provider, provider_id)
    if provider is None or not provider.offered_on(today_in_brussels()):
        return None  # delisted, or its quality label expired: no new requests until it is renewed
    return provider


def eligibility_facts(data: RequestData | VoucherRequest) -> domain.EligibilityFacts:
    return domain.EligibilityFacts(
        force_majeure=bool(data.force_majeure),
        contract_end_on=data.contract_end_on,
        incapacity_start_on=data.incapacity_start_on,
        benefits_scheme=data.benefits_scheme,
        in_approved_retraining=bool(data.in_approved_retraining),
        in_professional_rehabilitation=bool(data.in_professional_rehabilitation),
    )


def _completeness_problems(session: Session, data: RequestData) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if listed_provider(session, data.provider_id) is None:
        problems["provider_id"] = [N_("Choose one of the listed coaching providers.")]
    if data.insurer_code not in domain.INSURERS:
        problems["insurer_code"] = [N_("Choose your mutual insurer.")]
    if data.initiative not in ("own", "coordinator"):
        problems["initiative"] = [N_("Say whether you ask on your own initiative or in your coordinator's plan.")]
    if data.force_majeure is None:
        problems["force_majeure"] = [N_("Say whether your employer ended your contract for medical force majeure.")]
    if data.planned_start_on and data.planned_end_on and data.planned_end_on < data.planned_start_on:
        problems["planned_end_on"] = [N_("The planned end cannot be before the planned start.")]
    for name in ("street", "number", "postcode", "municipality"):
        if not str(data.address.get(name) or "").strip():
            problems.setdefault("address", []).append(N_("Please fill in your full address."))
            break
    return problems


def _open_voucher_exists(session: Session, beneficiary_id: int) -> bool:
    return session.scalar(
        select(Voucher.id).where(Voucher.beneficiary_id == beneficiary_id,
                                 Voucher.status.in_(domain.OPEN_VOUCHER_STATES))
    ) is not None


def _transition(session: Session, obj: VoucherRequest | Voucher, target: str, *, actor: Any, now: datetime,
                reason: str | None = None) -> None:
    machine = domain.REQUEST_TRANSITIONS if isinstance(obj, VoucherRequest) else domain.VOUCHER_TRANSITIONS
    try:
        domain.check_transition(machine, obj.status, target)
    except domain.IllegalTransition as exc:
        raise Conflict(N_("This change is not possible in the current state."), code="illegal_transition",
                       extra={"from_status": obj.status, "to_status": target}) from exc
    previous = obj.status
    obj.status = target
    audit.record(session, actor=actor, object_type="voucher_request" if isinstance(obj, VoucherRequest) else "voucher",
                 object_id=obj.id, action="status_changed", from_state=previous, to_state=target, reason=reason,
                 now=now)


def _apply(request: VoucherRequest, data: RequestData) -> None:
    for name in REQUEST_FIELDS:
        setattr(request, name, getattr(data, name))
    for source, column in ADDRESS_FIELDS.items():
        value = data.address.get(source)
        setattr(request, column, (str(value).strip() if value is not None else None) if source == "box"
                else str(value or ("BE" if source == "country" else "")).strip())


def _flush_or_conflict(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("You already have an open request or voucher."), code="open_request_exists") from exc
    except StaleDataError as exc:
        raise Conflict(N_("Someone changed this request at the same time. Please reload it."),
                       code="concurrent_change") from exc


def current_draft(session: Session, actor: Any) -> VoucherRequest | None:
    beneficiary = beneficiary_of(session, actor)
    return session.scalar(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id,
                                                       VoucherRequest.status == "draft"))


def save_draft(session: Session, actor: Any, data: RequestData, *, step: int, now: datetime) -> VoucherRequest:
    """Keep what was typed between the steps of the form; nothing is checked yet but the shape."""
    beneficiary = beneficiary_of(session, actor)
    request = current_draft(session, actor)
    if request is None:
        if session.scalar(select(VoucherRequest.id).where(
                VoucherRequest.beneficiary_id == beneficiary.id,
                VoucherRequest.status.in_(domain.OPEN_REQUEST_STATES))) is not None:
            raise Conflict(N_("You already have an open request. Follow it on your page."), code="open_request_exists")
        request = VoucherRequest(beneficiary_id=beneficiary.id, status="draft", created_at=now)
        session.add(request)
    _apply(request, data)
    request.draft_step = max(request.draft_step or 1, step)
    _flush_or_conflict(session)
    return request


def submit_voucher_request(session: Session, actor: Any, data: RequestData, *, today: date, now: datetime,
                           draft_id: int | None = None) -> VoucherRequest:
    """Submit a complete request. The day of submission starts the 45-day clock.

    422 with every reason when the request is incomplete or the person is not
    eligible; 409 when an open voucher or another open request exists.
    """
    beneficiary = beneficiary_of(session, actor)
    verdict, rules = checked_verdict(session, data, today=today)
    if _open_voucher_exists(session, beneficiary.id):
        raise Conflict(N_("You already have an open voucher."), code="open_voucher_exists")
    request = None
    if draft_id is not None:
        request = session.get(VoucherRequest, draft_id)
        if request is None or request.beneficiary_id != beneficiary.id or request.status != "draft":
            raise NotFound(N_("This request does not exist."))
    else:
        request = session.scalar(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id,
                                                              VoucherRequest.status == "draft"))
    if request is None:
        request = VoucherRequest(beneficiary_id=beneficiary.id, status="draft", created_at=now)
        session.add(request)
        _flush_or_conflict(session)
    start_clock(session, actor, request, data, verdict, rules, today=today, now=now)
    return request


def checked_verdict(session: Session, data: RequestData, *, today: date) -> tuple[domain.EligibilityVerdict, FundRules]:
    """What every submission passes, whoever files it: complete, then eligible (422 with every reason)."""
    problems = _completeness_problems(session, data)
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    rules = rules_on(session, today)
    verdict = domain.check_eligibility(eligibility_facts(data), today=today, rules=rules)
    if not verdict.eligible:
        raise ValidationFailed(
            N_("You cannot get a voucher with these answers."), code="not_eligible",
            fields={"eligibility": [r.message for r in verdict.reasons]},
            extra={"reasons": [{"code": r.code, "message": r.message} for r in verdict.reasons]},
        )
    return verdict, rules


def start_clock(session: Session, actor: Any, request: VoucherRequest, data: RequestData, verdict: domain.EligibilityVerdict,
                rules: FundRules, *, today: date, now: datetime) -> None:
    """The draft becomes the submitted request: its facts, its route, and the 45-day clock from today."""
    _apply(request, data)
    request.route = verdict.route
    request.submitted_on = today
    request.paused_days = 0
    request.decision_due_on = domain.decision_due_on(today, rules=rules)
    _transition(session, request, "submitted", actor=actor, now=now)
    _flush_or_conflict(session)
    notices.tell_submitted(session, request)


#: Who reads a request by which right: the member their own, a coordinator those they filed, the fund all.
VIEW_PERMISSION = {Role.BENEFICIARY: Permission.REQUEST_VIEW_OWN, Role.COORDINATOR: Permission.COORDINATOR_CASELOAD}


def get_request(session: Session, actor: Any, request_id: int) -> VoucherRequest:
    """The request if the actor may see it; otherwise 404, never a hint that it exists."""
    request = session.get(VoucherRequest, request_id)
    if request is None or not can(actor, VIEW_PERMISSION.get(actor.role, Permission.ADMIN_REQUESTS_VIEW), request):
        raise NotFound(N_("This request does not exist."))
    return request


def read_request(session: Session, actor: Any, request_id: int) -> RequestRead:
    """The request read as a row with its voucher and waiting-list place (one statement), for showing; 404 as
    ``get_request``."""
    found = request_reads(session, "by_id", lambda: select(VoucherRequest.id).where(
        VoucherRequest.id == bindparam("request_id")), {"request_id": request_id})
    if not found or not can(actor, VIEW_PERMISSION.get(actor.role, Permission.ADMIN_REQUESTS_VIEW), found[0]):
        raise NotFound(N_("This request does not exist."))
    return found[0]


def withdraw_voucher_request(session: Session, actor: Any, request_id: int, *, now: datetime,
                             reason: str | None = None) -> VoucherRequest:
    request = get_request(session, actor, request_id)
    if not can(actor, Permission.REQUEST_WITHDRAW, request):
        raise NotFound(N_("This request does not exist."))
    lock_row(session, request)
    _transition(session, request, "withdrawn", actor=actor, now=now, reason=reason or "withdrawn by the beneficiary")
    _flush_or_conflict(session)
    return request


DECISIONS = ("approve", "reject", "request_info")


def decide_voucher_request(session: Session, admin: Any, request_id: int, decision: str, reason: str | None, *,
                           today: date, now: datetime, medical_check_ok: bool | None = None) -> VoucherRequest:
    """Approve, reject (with reasons and the appeal route) or ask for information.

    Approval of route B goes to the waiting list when the fund cannot cover it.
    Two decisions at once leave exactly one (version check on the row).
    Nothing is decided before the beneficiary has confirmed their e-mail address (409 ``email_not_confirmed``).
    """
    if not can(admin, Permission.ADMIN_REQUESTS_DECIDE):
        raise Forbidden(N_("Only the fund can decide requests."))
    request = session.get(VoucherRequest, request_id)
    if request is None or request.status == "draft":
        raise NotFound(N_("This request does not exist."))
    lock_row(session, request)  # a second decision waits here, then finds it decided
    if decision not in DECISIONS:
        raise ValidationFailed(N_("Choose approve, reject or request information."),
                               fields={"decision": [N_("Choose approve, reject or request information.")]})
    reason = (reason or "").strip()
    if decision in ("reject", "request_info") and not reason:
        raise ValidationFailed(N_("Please give the reason."), fields={"reason": [N_("Please give the reason.")]})
    if request.status != "submitted":
        raise Conflict(N_("This request was already decided or is not ready for a decision."),
                       code="illegal_transition", extra={"from_status": request.status})
    ensure_email_confirmed(session, request)
    if medical_check_ok is not None:
        request.medical_check_ok = medical_check_ok
    if decision == "reject":
        rules = rules_on(session, today)
        request.decided_on = today
        request.decision_reason = reason
        appeal_by = domain.appeal_deadline(today, rules)
        _transition(session, request, "rejected", actor=admin, now=now,
                    reason=f"{reason} (appeal to the labour court by {appeal_by.isoformat()})")
        notices.tell_rejected(session, request, appeal_until_on=appeal_by)
    elif decision == "request_info":
        request.info_requested_on = today
        request.decision_reason = reason
        _transition(session, request, "info_requested", actor=admin, now=now, reason=reason)
        notices.tell_info_requested(session, request)
    else:
        if request.beneficiary_id is None:  # a voucher is personal: it waits for the member's own account
            raise Conflict(N_("The member has not accepted their coordinator's invitation yet: this request can be "
                              "approved once they have."), code="member_not_joined")
        # No answer is not a yes: an own-initiative request needs the fund's explicit medical "yes".
        if request.initiative == "own" and request.medical_check_ok is False:
            raise Conflict(N_("The medical compatibility check was not passed; this request cannot be approved."),
                           code="medical_check_failed")
        if request.initiative == "own" and request.medical_check_ok is not True:
            message = N_("Record the medical compatibility check (yes or no) before approving this request.")
            raise ValidationFailed(message, code="medical_check_required", fields={"medical_check_ok": [message]})
        _approve_or_waitlist(session, admin, request, today=today, now=now, reason=reason or None)
    _flush_or_conflict(session)
    return request


def _approve_or_waitlist(session: Session, actor: Any, request: VoucherRequest, *, today: date, now: datetime,
                         reason: str | None) -> None:
    rules = rules_on(session, request.submitted_on or today)
    value = rules.voucher_value_cents
    if request.route == "B" and (_older_route_b_waiting(session, request)
                                 or ledger.fund_position(session).available_cents < value):
        request.decided_on = today
        _transition(session, request, "waitlisted", actor=actor, now=now,
                    reason=reason or "route B: the fund's balance cannot cover it now")
        notices.tell_waitlisted(session, request)
        return
    issue_voucher(session, actor, request, value_cents=value, rules=rules, today=today, now=now, reason=reason)


def _older_route_b_waiting(session: Session, request: VoucherRequest) -> bool:
    """The waiting list is never overtaken: a route-B request queues behind any older one still waiting."""
    order = (VoucherRequest.submitted_on, VoucherRequest.id)
    older = select(VoucherRequest.id).where(
        VoucherRequest.status == "waitlisted", VoucherRequest.route == "B",
        (VoucherRequest.submitted_on < request.submitted_on)
        | ((VoucherRequest.submitted_on == request.submitted_on) & (VoucherRequest.id < request.id)))
    return session.scalar(older.order_by(*order).limit(1)) is not None


def issue_voucher(session: Session, actor: Any, request: VoucherRequest, *, value_cents: int, rules: FundRules,
                  today: date, now: datetime, reason: str | None = None) -> Voucher:
    if _open_voucher_exists(session, request.beneficiary_id):
        raise Conflict(N_("This person already has an open voucher."), code="open_voucher_exists")
    request.decided_on = today
    request.decision_reason = reason
    _transition(session, request, "approved", actor=actor, now=now, reason=reason)
    valid_from, valid_until = domain.voucher_validity(today, request.planned_start_on, rules=rules)
    assert request.provider_id is not None
    for _ in range(5):
        code = new_voucher_code()
        if session.scalar(select(Voucher.id).where(Voucher.code == code)) is None:
            break
    voucher = Voucher(code=code, request_id=request.id, beneficiary_id=request.beneficiary_id,
                      provider_id=request.provider_id, status="approved", value_cents=value_cents,
                      valid_from_on=valid_from, valid_until_on=valid_until, issued_on=today, created_at=now)
    session.add(voucher)
    _flush_or_conflict(session)
    ledger.post(session, account="committed", kind="voucher_committed", amount_cents=value_cents, booked_on=today,
                voucher_id=voucher.id)
    audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id, action="issued",
                 to_state="approved", reason=f"request {request.id}", now=now)
    notices.tell_issued(session, request, voucher)
    return voucher


def serve_waiting_list(session: Session, actor: Any, *, today: date, now: datetime) -> list[Voucher]:
    """Approve waitlisted route-B requests, oldest first, while the fund can cover them."""
    issued: list[Voucher] = []
    waiting = session.scalars(
        select(VoucherRequest).where(VoucherRequest.status == "waitlisted")
        .order_by(VoucherRequest.submitted_on, VoucherRequest.id)
    ).all()
    for request in waiting:
        rules = rules_on(session, request.submitted_on or today)
        if ledger.fund_position(session).available_cents < rules.voucher_value_cents:
            break  # strictly oldest first: nobody jumps the queue
        if request.beneficiary_id is None or _open_voucher_exists(session, request.beneficiary_id):
            continue
        issued.append(issue_voucher(session, actor, request, value_cents=rules.voucher_value_cents, rules=rules,
                                    today=today, now=now, reason="served from the waiting list"))
    return issued


def waiting_list_positions(session: Session, requests: list[VoucherRequest]) -> dict[int, int]:
    """Each waitlisted request's place in the queue (1 = served next), in one query."""
    if not requests:
        return {}
    ranked = select(
        VoucherRequest.id,
        func.row_number().over(order_by=(VoucherRequest.submitted_on, VoucherRequest.id)).label("place"),
    ).where(VoucherRequest.status == "waitlisted").subquery()
    wanted = [r.id for r in requests]
    return {row.id: int(row.place) for row in session.execute(select(ranked).where(ranked.c.id.in_(wanted)))}


def waiting_list_position(session: Session, request: VoucherRequest) -> int | None:
    return waiting_list_positions(session, [request]).get(request.id) if request.status == "waitlisted" else None


def clock_for(request: VoucherRequest, today: date, rules: FundRules) -> domain.DecisionClock | None:
    if request.submitted_on is None or request.status not in ("submitted", "info_requested"):
        return None
    return domain.decision_clock(request.submitted_on, today, paused_days=request.paused_days,
                                 paused_since=request.info_requested_on if request.status == "info_requested" else None,
                                 rules=rules)


def timeline(session: Session, request: VoucherRequest) -> list[audit.AuditEntry]:
    voucher_id = session.scalar(select(Voucher.id).where(Voucher.request_id == request.id))
    return timeline_of(session, request.id, voucher_id)


def timeline_of(session: Session, request_id: int, voucher_id: int | None) -> list[audit.AuditEntry]:
    """What happened to a request and its voucher (when its id is known already), oldest first."""
    condition = (audit.AuditEntry.object_type == "voucher_request") & (audit.AuditEntry.object_id == request_id)
    if voucher_id is not None:
        condition = condition | ((audit.AuditEntry.object_type == "voucher") & (audit.AuditEntry.object_id == voucher_id))
    return list(session.scalars(select(audit.AuditEntry).where(condition).order_by(audit.AuditEntry.id)))
