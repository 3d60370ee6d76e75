"""Who acts for an employer's declarations and contributions, registered with the portal's permission module."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from portal.permissions import Role, owner_rule
from vouchers.employers.models import Contribution, Declaration, EmployerAgent


def acts_for_employer(user: Any, employer_id: int, obj: Any) -> bool:
    """An employer's own users, and the social secretariats' users linked to it as agents."""
    if user.role != Role.EMPLOYER:
        return False
    if user.employer_id is not None and user.employer_id == employer_id:
        return True
    session = object_session(obj)
    return session is not None and session.scalar(select(EmployerAgent.id).where(
        EmployerAgent.agent_user_id == user.id, EmployerAgent.employer_id == employer_id)) is not None


@owner_rule(Declaration)
def declaration_owner(user: Any, declaration: Declaration) -> bool:
    return acts_for_employer(user, declaration.employer_id, declaration)


@owner_rule(Contribution)
def contribution_owner(user: Any, contribution: Contribution) -> bool:
    return acts_for_employer(user, contribution.declaration.employer_id, contribution)
