"""The member takes up the request their coordinator filed: through the signed link e-mailed to the address the
coordinator gave, by registering with that address (the link confirms it) or by logging in with the account that
has it; or, without the link, from an account whose NISS is proven (a sign-in with itsme or eID) and is the one the
coordinator gave. Only then is the request theirs. A typed NISS never binds anything: with the link, the account
must also hold the NISS the coordinator gave, and the address is what proves the person."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.services import normalise_email
from portal.db import lock_row
from portal.errors import N_, Conflict, DomainError, Forbidden, NotFound
from portal.permissions import Role
from vouchers.coordinators.services.filing import WAITING_STATES
from vouchers.requests import domain
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)
from vouchers.requests.services.accounts import (
    BeneficiaryRegistration,
    register_beneficiary,
)
from vouchers.requests.services.requests import (
    _flush_or_conflict,
    _transition,
    get_request,
)

#: How long an invitation's link can be used, from the e-mail that carried it; the coordinator can send a new one.
INVITATION_DAYS = 30

SALT = "member-invitation"


def expires_at(invitation: MemberInvitation) -> datetime:
    return invitation.sent_at + timedelta(days=INVITATION_DAYS)


def _serializer(secret_key: str, now: datetime) -> URLSafeTimedSerializer:
    """Signs and checks against ``now`` rather than the machine's clock, like every other rule here."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=Signer)


def make_token(secret_key: str, invitation: MemberInvitation) -> str:
    """The link's secret: the invitation's id and address, signed when the e-mail is sent."""
    return _serializer(secret_key, invitation.sent_at).dumps({"i": invitation.id, "e": invitation.email})


class InvitationUnusable(NotFound):
    """The link cannot be used: ``reason`` is ``invalid``, ``expired`` or ``accepted``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, code=f"invitation_{reason}")
        self.reason = reason


def invitation_for_token(session: Session, secret_key: str, token: str, *, now: datetime) -> MemberInvitation:
    """The open invitation a link stands for, or ``InvitationUnusable`` saying why not."""
    try:
        data = _serializer(secret_key, now).loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise InvitationUnusable("expired", N_("This invitation has expired. Ask your coordinator to send you a new "
                                               "one.")) from None
    except BadSignature:
        data = None
    invitation = None
    if isinstance(data, dict) and isinstance(data.get("i"), int) and not isinstance(data.get("i"), bool):
        invitation = session.get(MemberInvitation, data["i"])
        if invitation is not None and invitation.email != data.get("e"):
            invitation = None
    if invitation is None:
        raise InvitationUnusable("invalid", N_("This invitation link is not valid. Check that you opened the whole "
                                               "link from the e-mail."))
    if invitation.accepted_at is not None:
        raise InvitationUnusable("accepted", N_("This invitation was already accepted: log in to follow your "
                                                "request."))
    return invitation


def request_of(session: Session, invitation: MemberInvitation) -> VoucherRequest:
    request = session.scalar(select(VoucherRequest).where(VoucherRequest.invitation_id == invitation.id))
    assert request is not None
    return request


def invitee_account(session: Session, invitation: MemberInvitation) -> User | None:
    """The account with the invited address, if any: its owner accepts after logging in."""
    return session.scalar(User.by_email(invitation.email))


WRONG_ADDRESS = N_("This invitation was sent to another e-mail address than the one of the account you are logged "
                   "in with. Log out, then open the link again.")


def acceptance_problem(session: Session, invitation: MemberInvitation, user: Any, *,
                       by_proven_niss: bool = False) -> DomainError | None:
    """Why ``user`` cannot take up the request, or None. Only the invitee ever sees these answers.

    ``by_proven_niss``: without the e-mailed link, so the account's NISS must be proven (FAS) and be the one the
    coordinator gave; the address does not matter then."""
    if not by_proven_niss and normalise_email(user.email) != invitation.email:
        return Forbidden(WRONG_ADDRESS, code="invitation_other_address")
    if user.role != Role.BENEFICIARY or not user.is_active:
        return Forbidden(N_("This invitation is for a beneficiary's own account. Ask your coordinator to send it "
                            "to the address of your personal account."), code="invitation_wrong_account")
    beneficiary = session.scalar(select(Beneficiary).where(Beneficiary.user_id == user.id))
    if beneficiary is None or beneficiary.niss is None or beneficiary.niss != invitation.niss:
        return Conflict(N_("The national register number your coordinator gave is not the one of your account. Ask "
                           "your coordinator to check it."), code="invitation_other_niss")
    if by_proven_niss and beneficiary.niss_proven_at is None:
        return Forbidden(N_("Prove your national register number with itsme or eID first, or open the link in the "
                            "e-mail your coordinator sent."), code="invitation_niss_not_proven")
    return None


def accept_invitation(session: Session, invitation: MemberInvitation, user: Any, *, now: datetime,
                      account_created: bool = False, by_proven_niss: bool = False) -> VoucherRequest:
    """The request becomes ``user``'s own: they see it on their page, may answer the fund and withdraw it. A draft
    they had started is set aside (withdrawn); an open request or voucher of theirs is a 409."""
    problem = acceptance_problem(session, invitation, user, by_proven_niss=by_proven_niss)
    if problem is not None:
        raise problem
    beneficiary = session.scalars(select(Beneficiary).where(Beneficiary.user_id == user.id)).one()
    request = request_of(session, invitation)
    if request.status in WAITING_STATES:
        _refuse_open_items(session, beneficiary)
    closed = session.execute(update(MemberInvitation).where(
        MemberInvitation.id == invitation.id, MemberInvitation.accepted_at.is_(None)).values(
        accepted_at=now, beneficiary_id=beneficiary.id)).rowcount
    if not closed:
        raise InvitationUnusable("accepted", N_("This invitation was already accepted."))
    session.refresh(invitation)
    for draft in session.scalars(select(VoucherRequest).where(VoucherRequest.beneficiary_id == beneficiary.id,
                                                              VoucherRequest.status == "draft")):
        _transition(session, draft, "withdrawn", actor=user, now=now,
                    reason="set aside: the request filed by the coordinator replaces it")
    lock_row(session, request)
    request.beneficiary_id = beneficiary.id
    request.member_niss = None  # the member is known by their account from now on
    if user.confirmed_at is None and not by_proven_niss:  # the link was e-mailed to this address: it is confirmed
        user.confirmed_at = now
    _flush_or_conflict(session)
    session.refresh(request)
    audit.record(session, actor=user, object_type="voucher_request", object_id=request.id, action="member_joined",
                 reason=f"invitation {invitation.id} accepted by user {user.id}"
                 + (" (account created)" if account_created else "")
                 + (" with a national register number proven through FAS" if by_proven_niss else ""), now=now)
    session.flush()
    return request


def _refuse_open_items(session: Session, beneficiary: Beneficiary) -> None:
    if session.scalar(select(Voucher.id).where(Voucher.beneficiary_id == beneficiary.id,
                                               Voucher.status.in_(domain.OPEN_VOUCHER_STATES))) is not None:
        raise Conflict(N_("You already have an open voucher, so this request cannot be added to your account. Tell "
                          "your coordinator."), code="open_voucher_exists")
    if session.scalar(select(VoucherRequest.id).where(VoucherRequest.beneficiary_id == beneficiary.id,
                                                      VoucherRequest.status.in_(WAITING_STATES))) is not None:
        raise Conflict(N_("You already have an open request, so this one cannot be added to your account. Tell "
                          "your coordinator."), code="open_request_exists")


def register_and_accept(session: Session, invitation: MemberInvitation, *, first_name: str, last_name: str,
                        password: str, language: str, now: datetime) -> tuple[User, VoucherRequest]:
    """The member without an account makes one with the invited address and the NISS their coordinator gave (the
    link confirmed the address), then takes up the request. An address or NISS taken meanwhile is a 409."""
    user = register_beneficiary(session, BeneficiaryRegistration(
        email=invitation.email, password=password, first_name=first_name.strip()[:100],
        last_name=last_name.strip()[:100], niss=invitation.niss or "", language=language), now=now)
    user.confirmed_at = now
    return user, accept_invitation(session, invitation, user, now=now, account_created=True)


def resend_invitation(session: Session, coordinator: Any, request_id: int, *, now: datetime) -> MemberInvitation:
    """A new link for a member who has not accepted yet (the old one still works until it expires)."""
    request = get_request(session, coordinator, request_id)
    invitation = request.invitation
    if invitation is None or invitation.accepted_at is not None or request.coordinator_id != coordinator.id:
        raise Conflict(N_("The member has already accepted the invitation."), code="invitation_accepted")
    invitation.sent_at = now
    audit.record(session, actor=coordinator, object_type="voucher_request", object_id=request.id,
                 action="member_invited_again", reason=f"invitation {invitation.id}", now=now)
    session.flush()
    return invitation
