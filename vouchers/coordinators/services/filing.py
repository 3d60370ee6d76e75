"""A coordinator files a voucher request on a member's behalf, with the member's consent.

The request goes through the same checks as a member's own (complete, eligible: 422 with every reason; an open
voucher or request: the same 409s) and starts the same 45-day clock. No account is made for the member: their
identity, as typed, goes on an invitation, and the request belongs to that invitation until the member accepts
it through the e-mailed link (``invitations``). A typed NISS finds nothing and binds nothing: it only keeps a
member from getting a second open request or voucher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.services import normalise_email, plausible_email
from portal.errors import N_, Conflict, ValidationFailed
from vouchers.coordinators.services.staff import LANGUAGES, insurer_of
from vouchers.requests import domain
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)
from vouchers.requests.services.accounts import clean_niss
from vouchers.requests.services.requests import (
    RequestData,
    _completeness_problems,
    _flush_or_conflict,
    checked_verdict,
    start_clock,
)

#: Requests that keep a member from having another one (a draft does not: it is not sent).
WAITING_STATES = tuple(sorted(domain.OPEN_REQUEST_STATES - {"draft"}))


@dataclass(frozen=True)
class Member:
    """The member as the coordinator identifies them (API.md: ``beneficiary``)."""

    niss: str
    first_name: str
    last_name: str
    email: str
    language: str = "fr"


def _member_problems(member: Member, consent_on: date | None, data: RequestData, insurer_code: int, *,
                     today: date) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    try:
        clean_niss(member.niss)
    except ValidationFailed as error:
        problems["beneficiary.niss"] = error.fields["niss"]
    for name in ("first_name", "last_name"):
        value = (getattr(member, name) or "").strip()
        if not value or len(value) > 100:
            problems[f"beneficiary.{name}"] = [N_("Please enter the member's name (at most 100 characters).")]
    address = normalise_email(member.email or "")
    if not plausible_email(address) or len(address) > 254:
        problems["beneficiary.email"] = [N_("Enter the member's e-mail address: the invitation goes there.")]
    if member.language not in LANGUAGES:
        problems["beneficiary.language"] = [N_("Choose the member's language.")]
    if consent_on is None:
        problems["consent_on"] = [N_("Give the day the member consented to this request.")]
    elif consent_on > today:
        problems["consent_on"] = [N_("The member's consent cannot be dated in the future.")]
    if data.initiative != "coordinator":
        problems["initiative"] = [N_("A request you file is part of your return-to-work plan: its initiative is "
                                     "\"coordinator\".")]
    if data.insurer_code is not None and data.insurer_code != insurer_code:
        problems["insurer_code"] = [N_("You can only file for members of your own mutual insurer.")]
    return problems


def refuse_open_items(session: Session, niss: str) -> None:
    """The same 409s as the member's own request: an open voucher, or a request waiting for a decision
    (their own, or one a coordinator filed for the same NISS that is still waiting for them)."""
    beneficiary_id = session.scalar(select(Beneficiary.id).where(Beneficiary.niss == niss))
    if beneficiary_id is not None:
        if session.scalar(select(Voucher.id).where(Voucher.beneficiary_id == beneficiary_id,
                                                   Voucher.status.in_(domain.OPEN_VOUCHER_STATES))) is not None:
            raise Conflict(N_("This member already has an open voucher."), code="open_voucher_exists")
        if session.scalar(select(VoucherRequest.id).where(VoucherRequest.beneficiary_id == beneficiary_id,
                                                          VoucherRequest.status.in_(WAITING_STATES))) is not None:
            raise Conflict(N_("This member already has an open request."), code="open_request_exists")
    waiting = (select(VoucherRequest.id).join(MemberInvitation, MemberInvitation.id == VoucherRequest.invitation_id)
               .where(MemberInvitation.niss == niss, VoucherRequest.beneficiary_id.is_(None),
                      VoucherRequest.status.in_(WAITING_STATES)))
    if session.scalar(waiting.limit(1)) is not None:
        raise Conflict(N_("This member already has an open request."), code="open_request_exists")


def file_for_member(session: Session, coordinator: Any, member: Member, data: RequestData, *,
                    consent_on: date | None, today: date, now: datetime) -> VoucherRequest:
    """Submit a request for ``member``: checked like their own, then an invitation waits for them.
    The caller e-mails the invitation (``emails.send_member_invitation``)."""
    insurer_code = insurer_of(coordinator)
    problems = _member_problems(member, consent_on, data, insurer_code, today=today)
    problems.update(_completeness_problems(session, data))
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    verdict, rules = checked_verdict(session, data, today=today)
    niss = clean_niss(member.niss)
    refuse_open_items(session, niss)
    invitation = MemberInvitation(coordinator_id=coordinator.id, niss=niss, first_name=member.first_name.strip(),
                                  last_name=member.last_name.strip(), email=normalise_email(member.email),
                                  language=member.language, created_at=now, sent_at=now)
    session.add(invitation)
    session.flush()
    request = VoucherRequest(invitation_id=invitation.id, coordinator_id=coordinator.id, consent_on=consent_on,
                             member_niss=niss, status="draft", created_at=now)
    session.add(request)
    try:
        _flush_or_conflict(session)
    except Conflict as exc:  # another coordinator filed for the same member in the same moment
        raise Conflict(N_("This member already has an open request."), code="open_request_exists") from exc
    audit.record(session, actor=coordinator, object_type="voucher_request", object_id=request.id,
                 action="filed_for_member", reason=f"by the coordinator of mutual insurer {insurer_code}, with the "
                 f"member's consent of {consent_on.isoformat() if consent_on else '?'}; invitation {invitation.id}",
                 now=now)
    start_clock(session, coordinator, request, data, verdict, rules, today=today, now=now)
    return request
