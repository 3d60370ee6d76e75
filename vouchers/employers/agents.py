"""Social secretariats acting as agents: an employer's own users list and remove its agents; an agent
acts for every employer that linked it.

Only the employer's own users (``user.employer_id``) manage its agents: an agent cannot add
other agents. Agents are added by invitation only (``agent_invitations``): the employer never
learns whether an address has an account. Every link and removal is in the audit log with who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.errors import N_, Forbidden, NotFound
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission, has_permission
from vouchers.employers.models import EmployerAgent
from vouchers.employers.services import employers_for
from vouchers.models import Employer

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


__all__ = ["AgentLink", "managed_employer_id", "list_agents", "acting_for", "remove_agent"]
