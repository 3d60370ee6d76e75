"""Inviting a social secretariat to act as an employer's agent, and accepting.

An employer's user types an e-mail address; the portal answers the same whatever that address is
(unknown, a beneficiary's, another employer's account) and e-mails a signed link to it. Whether an
address has an account, and of which kind, is never told to the employer: a beneficiary's address
is health data (a person unable to work). The employer already knows its own users and its linked
agents, so those two get their own clear answer. No account is created when inviting: the person
who opens the link logs in with an employer account for that address, or creates one then (the
link proves the address), and only then becomes the employer's agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user, normalise_email, plausible_email
from portal.errors import N_, Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from portal.permissions import Role
from vouchers.employers.agents import managed_employer_id
from vouchers.employers.models import EmployerAgent, EmployerAgentInvitation
from vouchers.employers.services import add_agent
from vouchers.models import Employer

#: How long an invitation's link can be used, from the e-mail that carried it.
INVITATION_DAYS = 14
#: Open invitations an employer may have at once: each one sends e-mail to an address it chose.
MAX_OPEN_INVITATIONS = 50
SALT = "employer-agent-invitation"

INVITATION_NOT_FOUND = N_("This invitation is not pending any more.")


@dataclass(frozen=True)
class PendingInvitation:
    """An open invitation, as the employer's users see it."""

    id: int
    email: str
    name: str
    invited_by: str
    created_at: datetime
    sent_at: datetime
    expires_at: datetime

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now


def expires_at(invitation: EmployerAgentInvitation) -> datetime:
    return invitation.sent_at + timedelta(days=INVITATION_DAYS)


def _email_problem(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="agent_not_possible", fields={"email": [message]})


def _open(employer_id: int, email: str):  # noqa: ANN202 - returns a Select
    return select(EmployerAgentInvitation).where(
        EmployerAgentInvitation.employer_id == employer_id, EmployerAgentInvitation.email == email,
        EmployerAgentInvitation.accepted_at.is_(None), EmployerAgentInvitation.cancelled_at.is_(None))


def invite_agent(session: Session, actor: Any, *, email: str, name: str = "", now: datetime
                 ) -> EmployerAgentInvitation:
    """Invite ``email`` to act for the actor's company; the caller e-mails the link (``make_token``).

    The answer is the same for any valid address, except the company's own users (422) and the agents
    already linked (409), which the employer knows anyway. Inviting an address that has an open
    invitation sends it again (the link's validity starts again)."""
    employer_id = managed_employer_id(actor)
    address = normalise_email(email or "")
    if not plausible_email(address) or len(address) > 254:
        raise _email_problem(N_("This e-mail address is not valid."))
    account = session.scalar(User.by_email(address))
    if account is not None and account.employer_id == employer_id:
        raise _email_problem(N_("This person is already a user of your company."))
    if account is not None and session.scalar(select(EmployerAgent.id).where(
            EmployerAgent.employer_id == employer_id, EmployerAgent.agent_user_id == account.id)) is not None:
        raise Conflict(N_("This agent already acts for your company."), code="agent_exists",
                       fields={"email": [N_("This agent already acts for your company.")]})
    name = (name or "").strip()[:200]
    invitation = session.scalar(_open(employer_id, address))
    if invitation is None:
        pending = session.scalar(select(func.count(EmployerAgentInvitation.id)).where(
            EmployerAgentInvitation.employer_id == employer_id, EmployerAgentInvitation.accepted_at.is_(None),
            EmployerAgentInvitation.cancelled_at.is_(None)))
        if (pending or 0) >= MAX_OPEN_INVITATIONS:
            raise Conflict(N_("Your company has too many pending invitations. Cancel those that are no longer "
                              "needed, then invite again."), code="too_many_invitations")
        invitation = EmployerAgentInvitation(employer_id=employer_id, email=address, name=name,
                                             invited_by_id=actor.id, created_at=now, sent_at=now)
        try:
            with session.begin_nested():
                session.add(invitation)
                session.flush()
        except IntegrityError:  # the same invitation, made at the same moment by a colleague
            invitation = session.scalars(_open(employer_id, address)).one()
    invitation.sent_at = now
    if name:
        invitation.name = name
    audit.record(session, actor=actor, object_type="employer", object_id=employer_id, action="agent_invited",
                 reason=f"invitation {invitation.id}", now=now)
    session.flush()
    return invitation


def invitee_account(session: Session, invitation: EmployerAgentInvitation) -> User | None:
    """The account with the invited address, if any: for its language, and to send the invitee to log in.
    Never shown to the employer."""
    return session.scalar(User.by_email(invitation.email))


def list_invitations(session: Session, actor: Any) -> list[PendingInvitation]:
    """The company's open invitations, oldest first (at most ``MAX_OPEN_INVITATIONS``)."""
    employer_id = managed_employer_id(actor)
    rows = session.execute(
        select(EmployerAgentInvitation, User.first_name, User.last_name, User.email)
        .outerjoin(User, User.id == EmployerAgentInvitation.invited_by_id)
        .where(EmployerAgentInvitation.employer_id == employer_id, EmployerAgentInvitation.accepted_at.is_(None),
               EmployerAgentInvitation.cancelled_at.is_(None))
        .order_by(EmployerAgentInvitation.id)).all()
    return [PendingInvitation(inv.id, inv.email, inv.name, f"{first or ''} {last or ''}".strip() or (email or ""),
                              inv.created_at, inv.sent_at, expires_at(inv)) for inv, first, last, email in rows]


def cancel_invitation(session: Session, actor: Any, invitation_id: int, *, now: datetime
                      ) -> EmployerAgentInvitation:
    """The link in the e-mail stops working. Only an open invitation of the actor's company (else 404)."""
    employer_id = managed_employer_id(actor)
    invitation = session.get(EmployerAgentInvitation, invitation_id)
    if invitation is None or invitation.employer_id != employer_id:
        raise NotFound(INVITATION_NOT_FOUND)
    closed = session.execute(
        update(EmployerAgentInvitation)
        .where(EmployerAgentInvitation.id == invitation.id, EmployerAgentInvitation.accepted_at.is_(None),
               EmployerAgentInvitation.cancelled_at.is_(None))
        .values(cancelled_at=now)).rowcount
    if not closed:
        raise Conflict(N_("This invitation was already accepted or cancelled."), code="invitation_closed")
    session.refresh(invitation)
    audit.record(session, actor=actor, object_type="employer", object_id=employer_id,
                 action="agent_invitation_cancelled", reason=f"invitation {invitation.id}", now=now)
    session.flush()
    return invitation


# --- the link ------------------------------------------------------------------------------------

def _serializer(secret_key: str, now: datetime) -> URLSafeTimedSerializer:
    """Signs and checks against ``now`` rather than the machine's clock, like every other rule here."""

    class Signer(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now.timestamp())

    return URLSafeTimedSerializer(secret_key, salt=SALT, signer=Signer)


def make_token(secret_key: str, invitation: EmployerAgentInvitation) -> str:
    """The link's secret: the invitation's id, signed at the time the e-mail is sent."""
    return _serializer(secret_key, invitation.sent_at).dumps({"i": invitation.id})


class InvitationUnusable(NotFound):
    """The link cannot be used: ``reason`` is ``invalid``, ``expired``, ``accepted`` or ``cancelled``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message, code=f"invitation_{reason}")
        self.reason = reason


def invitation_for_token(session: Session, secret_key: str, token: str, *, now: datetime
                         ) -> EmployerAgentInvitation:
    """The open invitation a link stands for, or ``InvitationUnusable`` saying why not."""
    try:
        data = _serializer(secret_key, now).loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise InvitationUnusable("expired", N_("This invitation has expired. Ask the employer to invite you "
                                               "again.")) from None
    except BadSignature:
        data = None
    invitation = session.get(EmployerAgentInvitation, data.get("i")) if isinstance(data, dict) and isinstance(
        data.get("i"), int) else None
    if invitation is None:
        raise InvitationUnusable("invalid", N_("This invitation link is not valid. Check that you opened the whole "
                                               "link from the e-mail."))
    if invitation.accepted_at is not None:
        raise InvitationUnusable("accepted", N_("This invitation was already accepted."))
    if invitation.cancelled_at is not None:
        raise InvitationUnusable("cancelled", N_("The employer cancelled this invitation."))
    return invitation


# --- accepting -----------------------------------------------------------------------------------

WRONG_ADDRESS = N_("This invitation was sent to another e-mail address than the one of the account you are logged "
                   "in with. Log out, then open the link again.")
CANNOT_ACT = N_("This account cannot act for an employer. To act as an agent, use an employer account with "
                "another e-mail address, and ask the employer to invite that address.")


def acceptance_problem(invitation: EmployerAgentInvitation, user: Any) -> DomainError | None:
    """Why ``user`` cannot accept ``invitation``, or None. Only the invitee ever sees these answers."""
    if normalise_email(user.email) != invitation.email:
        return Forbidden(WRONG_ADDRESS, code="invitation_other_address")
    if user.role != Role.EMPLOYER or not user.is_active:
        return Forbidden(CANNOT_ACT, code="invitation_wrong_account")
    if user.employer_id == invitation.employer_id:
        return Conflict(N_("You are already a user of this company."), code="invitation_own_company")
    return None



def accept_invitation(session: Session, invitation: EmployerAgentInvitation, user: Any, *, now: datetime,
                      account_created: bool = False) -> EmployerAgent:
    """``user`` (the invitee, logged in or just registered) now acts for the inviting employer."""
    problem = acceptance_problem(invitation, user)
    if problem is not None:
        raise problem
    closed = session.execute(
        update(EmployerAgentInvitation)
        .where(EmployerAgentInvitation.id == invitation.id, EmployerAgentInvitation.accepted_at.is_(None),
               EmployerAgentInvitation.cancelled_at.is_(None))
        .values(accepted_at=now)).rowcount
    if not closed:
        raise InvitationUnusable("accepted", N_("This invitation was already accepted or cancelled."))
    session.refresh(invitation)
    link = add_agent(session, agent_user_id=user.id, employer_id=invitation.employer_id)
    audit.record(session, actor=user, object_type="employer", object_id=invitation.employer_id,
                 action="agent_linked", reason=f"invitation {invitation.id} accepted by user {user.id}"
                 + (" (account created)" if account_created else ""), now=now)
    session.flush()
    return link


def register_and_accept(session: Session, invitation: EmployerAgentInvitation, *, first_name: str, last_name: str,
                        password: str, language: str, now: datetime) -> User:
    """Create the invitee's employer account (no company of its own; the link confirmed the address), then accept.

    An account created for this address meanwhile is a 409: the caller sends the person to log in."""
    user = create_user(session, email=invitation.email, password=password, role=Role.EMPLOYER,
                       first_name=first_name.strip()[:100], last_name=last_name.strip()[:100], language=language,
                       confirmed_at=now)
    accept_invitation(session, invitation, user, now=now, account_created=True)
    return user


def company_name(session: Session, invitation: EmployerAgentInvitation) -> str:
    company = session.get(Employer, invitation.employer_id)
    assert company is not None
    return company.company_name


__all__ = ["INVITATION_DAYS", "MAX_OPEN_INVITATIONS", "PendingInvitation", "InvitationUnusable", "invite_agent",
           "invitee_account", "list_invitations", "cancel_invitation", "make_token", "invitation_for_token",
           "acceptance_problem", "accept_invitation", "register_and_accept", "company_name", "expires_at"]
