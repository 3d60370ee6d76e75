"""The employers' 45-day duty, kept by the scheduler: remind before the contribution's due day,
flag it overdue after, and tell the employer's people once each.

Why only the contribution: a declaration exists in the portal only once it is made, so the
portal cannot remind anyone of a dismissal it has not been told about. A late declaration is
flagged when it is made (``Declaration.is_late`` and the ``late_declaration`` warning); its
contribution, due 45 days after the contract end as well, is then usually overdue at once and
gets the overdue notice from the next run.

Each contribution is marked with a conditional UPDATE (``... WHERE reminder_sent_at IS NULL``),
so a payment recorded at the same moment, or a second run, never gets a notice it should not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.fund_settings import rules_on
from portal.permissions import Role
from vouchers.employers import domain
from vouchers.employers.models import Contribution, Declaration, Employer, EmployerAgent

UNPAID = ("due", "partially_paid")


@dataclass(frozen=True)
class Notice:
    """One contribution to tell its employer about."""

    contribution: Contribution
    declaration: Declaration
    employer: Employer


def _declared():  # type: ignore[no-untyped-def] - a correlated EXISTS
    return exists().where(Declaration.id == Contribution.declaration_id, Declaration.status == "declared")


def _claim(session: Session, condition, column, *, now: datetime) -> list[int]:  # type: ignore[no-untyped-def]
    """Set ``column`` to ``now`` on every unpaid contribution matching ``condition`` that has not got it yet.

    The WHERE is checked again on each row as it is updated, so a contribution paid meanwhile is skipped."""
    statement = (update(Contribution)
                 .where(Contribution.status.in_(UNPAID), column.is_(None), condition, _declared())
                 .values({column: now})
                 .returning(Contribution.id))
    return sorted(session.scalars(statement))


def _notices(session: Session, ids: list[int]) -> list[Notice]:
    if not ids:
        return []
    rows = session.execute(select(Contribution, Declaration, Employer)
                           .join(Declaration, Declaration.id == Contribution.declaration_id)
                           .join(Employer, Employer.id == Declaration.employer_id)
                           .where(Contribution.id.in_(ids)).order_by(Contribution.id))
    return [Notice(c, d, e) for c, d, e in rows]


def remind_due_soon(session: Session, *, today: date, now: datetime) -> list[Notice]:
    """Unpaid contributions whose due day is within the reminder days (7 by default), not reminded yet."""
    first, last = domain.reminder_window(today, rules_on(session, today))
    ids = _claim(session, Contribution.due_on.between(first, last), Contribution.reminder_sent_at, now=now)
    return _notices(session, ids)


def flag_overdue(session: Session, *, today: date, now: datetime) -> list[Notice]:
    """Unpaid contributions past their due day (``is_overdue``), flagged once, with an audit entry each.

    A card payment Stripe is still processing is not overdue; it is looked at again once Stripe answers."""
    ids = _claim(session, Contribution.due_on < today, Contribution.overdue_flagged_at, now=now)
    notices = _notices(session, ids)
    for notice in notices:
        audit.record(session, actor=None, object_type="contribution", object_id=notice.contribution.id,
                     action="overdue_flagged", reason=f"unpaid after {notice.contribution.due_on.isoformat()}",
                     now=now)
    session.flush()
    return notices


def people_to_tell(session: Session, employer_id: int) -> list[User]:
    """The employer's own active users and the active users of the social secretariats acting for it."""
    agents = select(EmployerAgent.agent_user_id).where(EmployerAgent.employer_id == employer_id)
    return list(session.scalars(select(User).where(
        User.role == Role.EMPLOYER, User.active.is_(True), User.anonymised_at.is_(None),
        (User.employer_id == employer_id) | User.id.in_(agents)).order_by(User.id)))
