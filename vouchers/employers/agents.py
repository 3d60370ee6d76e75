"""Social secretariats acting as agents: an employer's own users link an agent's account by e-mail,
list and remove its agents; an agent acts for every employer that linked it.

Only the employer's own users (``user.employer_id``) manage its agents: an agent cannot add
other agents. Linking an address without an account creates an employer-role account with no
company of its own (the secretariat's clerk), which the caller then invites to choose a
password. Every link and removal is in the audit log with who did it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user, normalise_email
from portal.errors import N_, Forbidden, NotFound, ValidationFailed
from portal.pagination import decode_cursor, encode_cursor
from portal.permissions import Permission, Role, has_permission
from vouchers.employers.models import EmployerAgent
from vouchers.employers.services import add_agent, employers_for
from vouchers.models import Employer

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOT_FOUND = N_("This agent is not linked to your company.")


@dataclass(frozen=True)
class AgentLink:
    """One agent of an employer, as its users see it."""

    id: int
    agent_user_id: int
    email: str
    name: str
    created_at: datetime


@dataclass(frozen=True)
class LinkResult:
    link: EmployerAgent
    agent: User
    #: True when the account was created now: the caller sends the "choose a password" e-mail.
    invited: bool


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
    after = decode_cursor(cursor, 1)
    if after is not None:
        if not isinstance(after[0], int):
            raise ValidationFailed(N_("The cursor is not valid."), fields={"cursor": ["not valid"]})
        query = query.where(EmployerAgent.id > after[0])
    rows = session.execute(query.order_by(EmployerAgent.id).limit(limit + 1)).all()
    links = [AgentLink(link_id, user_id, email, f"{first} {last}".strip(), created)
             for link_id, user_id, email, first, last, created in rows[:limit]]
    return links, encode_cursor([links[-1].id]) if len(rows) > limit else None


def acting_for(session: Session, actor: Any) -> list[Employer]:
    """The employers ``actor`` declares for as an agent (its own company left out)."""
    return [e for e in employers_for(session, actor) if e.id != getattr(actor, "employer_id", None)]


def _email_problem(message: str) -> ValidationFailed:
    return ValidationFailed(message, code="agent_not_possible", fields={"email": [message]})


def link_agent(session: Session, actor: Any, *, email: str, name: str = "", now: datetime) -> LinkResult:
    """Let the account with this e-mail act for the actor's company; create it when there is none.

    Refused (422) for the company's own users and for accounts that are not employer accounts;
    a second link of the same agent is a conflict (409)."""
    employer_id = managed_employer_id(actor)
    address = normalise_email(email or "")
    if not _EMAIL.match(address) or len(address) > 254:
        raise _email_problem(N_("This e-mail address is not valid."))
    agent = session.scalar(User.by_email(address))
    invited = agent is None
    if agent is None:
        first, _, last = (name or "").strip().partition(" ")
        agent = create_user(session, email=address, password=secrets.token_urlsafe(24), role=Role.EMPLOYER,
                            first_name=first[:100], last_name=last[:100], language=actor.language)
    elif agent.role != Role.EMPLOYER or not agent.is_active:
        raise _email_problem(N_("This address belongs to an account that cannot act for an employer. Ask the "
                                "social secretariat for the address of its employer account."))
    elif agent.employer_id == employer_id:
        raise _email_problem(N_("This person is already a user of your company."))
    link = add_agent(session, agent_user_id=agent.id, employer_id=employer_id)
    audit.record(session, actor=actor, object_type="employer", object_id=employer_id, action="agent_linked",
                 reason=f"agent user {agent.id}" + (" (account created)" if invited else ""), now=now)
    session.flush()
    return LinkResult(link, agent, invited)


def remove_agent(session: Session, actor: Any, link_id: int, *, now: datetime) -> User:
    """The agent no longer acts for the actor's company. What it declared stays, with its name on it."""
    employer_id = managed_employer_id(actor)
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


__all__ = ["AgentLink", "LinkResult", "managed_employer_id", "list_agents", "acting_for", "link_agent",
           "remove_agent"]
