"""Social secretariats acting as agents: an employer's own users list and remove its agents; an agent
acts for every employer that linked it.

Only the employer's own users (``user.employer_id``) manage its agents: an agent cannot add
other agents. Agents are added by invitation only (``agent_invitations``): the employer never
learns whether an address has an account. Every link and removal is in the audit log with who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import (
    BadSignature,
    SignatureExpired,
    TimestampSigner,
    URLSafeTimedSerializer,
)
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user, normalise_email, plausible_email
from portal.errors import (
    N_,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission, Role, has_permission
from vouchers.employers.company_access.claims import withdraw_pending_claims
from vouchers.employers.company_access.gate import ensure_may_act
from vouchers.employers.models import Employer, EmployerAgent, EmployerAgentInvitation
from vouchers.employers.services.declarations import add_agent, employers_for

NOT_FOUND = N_("This agent is not linked to your company.")


@dataclass(frozen=True)
class AgentLink:
    """One agent of an employer, as its users see it."""

    id: int
    agent_user_id: int
    email: str
    name: str
    created_at: datetime


def managed_employer_id(actor: Any) -> int:
    """The company whose agents ``actor`` manages: its own. Agents and other roles may not (403)."""
    if not has_permission(actor, Permission.EMPLOYER_AGENTS_MANAGE) or actor.employer_id is None:
        raise Forbidden(N_("Only your company's own users can manage its agents."), code="not_your_company")
    return int(actor.employer_id)


def list_agents(session: Session, actor: Any, *, limit: int = 50,
                cursor: str | None = None) -> tuple[list[AgentLink], str | None]:
    """The employer's agents, oldest link first, in keyset pages."""
    employer_id = managed_employer_id(actor)
    query = (select(EmployerAgent.id, User.id, User.email, User.first_name, User.last_name, EmployerAgent.created_at)
             .join(User, User.id == EmployerAgent.agent_user_id).where(EmployerAgent.employer_id == employer_id))
    after_id = decode_id_cursor(cursor)
    if after_id is not None:
        query = query.where(EmployerAgent.id > after_id)
    rows = session.execute(query.order_by(EmployerAgent.id).limit(limit + 1)).all()
    links = [AgentLink(link_id, user_id, email, f"{first} {last}".strip(), created)
             for link_id, user_id, email, first, last, created in rows[:limit]]
    return links, encode_cursor([links[-1].id]) if len(rows) > limit else None


def acting_for(session: Session, actor: Any) -> list[Employer]:
    """The employers ``actor`` declares for as an agent (its own company left out)."""
    return [e for e in employers_for(session, actor) if e.id != getattr(actor, "employer_id", None)]


def remove_agent(session: Session, actor: Any, link_id: int, *, now: datetime) -> User:
    """The agent no longer acts for the actor's company. What it declared stays, with its name on it."""
    employer_id = managed_employer_id(actor)
    ensure_may_act(session, actor)
    link = session.get(EmployerAgent, link_id)
    if link is None or link.employer_id != employer_id:
        raise NotFound(NOT_FOUND)
    agent = session.get(User, link.agent_user_id)
    assert agent is not None
    session.delete(link)
    audit.record(session, actor=actor, object_type="employer", object_id=employer_id, action="agent_removed",
                 reason=f"agent user {agent.id}", now=now)
    session.flush()
    return agent


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


def _open(employer_id: int, email: str):
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
    ensure_may_act(session, actor)
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


def invite_colleague(session: Session, actor: Any, *, email: str, name: str = "", now: datetime
                     ) -> EmployerAgentInvitation | None:
    """Invite ``email`` to join the actor's company as one of its own users (a payroll colleague).

    The caller answers the same whatever the address (202), so inviting tells nothing about who has an
    account: an address that is already a user of the company gets nothing (None); any other valid address
    gets the link, and whether its account can join is said to the person who opens it."""
    employer_id = managed_employer_id(actor)
    ensure_may_act(session, actor)
    address = normalise_email(email or "")
    if not plausible_email(address) or len(address) > 254:
        raise _email_problem(N_("This e-mail address is not valid."))
    account = session.scalar(User.by_email(address))
    if account is not None and account.employer_id == employer_id:
        return None
    invitation = session.scalar(_open(employer_id, address))
    if invitation is None:
        invitation = EmployerAgentInvitation(employer_id=employer_id, email=address, name=(name or "").strip()[:200],
                                             invited_by_id=actor.id, created_at=now, sent_at=now, kind="colleague")
        try:
            with session.begin_nested():
                session.add(invitation)
                session.flush()
        except IntegrityError:
            invitation = session.scalars(_open(employer_id, address)).one()
    invitation.kind = "colleague"
    invitation.sent_at = now
    audit.record(session, actor=actor, object_type="employer", object_id=employer_id, action="colleague_invited",
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
    ensure_may_act(session, actor)
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
    if invitation.kind == "colleague" and user.employer_id is not None:
        return Conflict(N_("Your account belongs to another company. Ask for the invitation at another e-mail "
                           "address."), code="invitation_other_company")
    return None


def accept_invitation(session: Session, invitation: EmployerAgentInvitation, user: Any, *, now: datetime,
                      account_created: bool = False) -> EmployerAgent | None:
    """``user`` (the invitee, logged in or just registered) now acts for the inviting employer: as its agent,
    or, invited as a colleague, as one of its own users (no agent link then: None)."""
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
    if user.confirmed_at is None:  # the e-mailed link proves the address
        user.confirmed_at = now
    if invitation.kind == "colleague":
        user.employer_id = invitation.employer_id
        withdraw_pending_claims(session, user, now=now)  # an account acts for one company: this one now
        audit.record(session, actor=user, object_type="employer", object_id=invitation.employer_id,
                     action="colleague_joined", reason=f"invitation {invitation.id} accepted by user {user.id}"
                     + (" (account created)" if account_created else ""), now=now)
        session.flush()
        return None
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
