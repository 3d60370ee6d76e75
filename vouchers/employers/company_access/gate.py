"""Whether an employer account may act (declare, import, pay, invite) at all, before any rule about what it acts on.

Two things stop it:
- its e-mail address is not confirmed (``email_not_confirmed``);
- it acts for no company yet, and is waiting to prove that it acts for one (``ownership_not_proven``).
Reading stays possible. The services call ``ensure_may_act``; the pages send the person where they can fix it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import N_, Forbidden
from portal.permissions import Role
from vouchers.employers.company_access.models import PENDING_STATUSES, OwnershipClaim
from vouchers.employers.models import EmployerAgent

EMAIL_NOT_CONFIRMED = "email_not_confirmed"
OWNERSHIP_NOT_PROVEN = "ownership_not_proven"

MESSAGES = {
    EMAIL_NOT_CONFIRMED: N_("Confirm your e-mail address first, with the link we sent you. Until then your account "
                            "cannot declare, pay or invite."),
    OWNERSHIP_NOT_PROVEN: N_("Your account does not act for a company yet: enter the code of the letter the fund "
                             "sends to your company's registered office, or ask a colleague to invite you."),
}


#: How the API documents the refusal (403) on the calls where one acts.
API_REFUSAL = ("The account may not act yet: `email_not_confirmed` (confirm the e-mail address first; "
               "`POST /employer/confirmation-email` sends the link again) or `ownership_not_proven` (it acts for no "
               "company until it types the code of the fund's letter: `/employer/ownership-claims`)")


def has_pending_claim(session: Session, user: Any) -> bool:
    return session.scalar(select(OwnershipClaim.id).where(OwnershipClaim.user_id == user.id,
                                                          OwnershipClaim.status.in_(PENDING_STATUSES))
                          .limit(1)) is not None


def _acts_for_a_company(session: Session, user: Any) -> bool:
    if user.employer_id is not None:
        return True
    return session.scalar(select(EmployerAgent.id).where(EmployerAgent.agent_user_id == user.id).limit(1)) is not None


def acting_problem(session: Session, user: Any) -> str | None:
    """``email_not_confirmed``, ``ownership_not_proven`` or None (may act, or is no employer account)."""
    if getattr(user, "role", None) != Role.EMPLOYER:
        return None
    if not user.is_confirmed:
        return EMAIL_NOT_CONFIRMED
    if not _acts_for_a_company(session, user) and has_pending_claim(session, user):
        return OWNERSHIP_NOT_PROVEN
    return None


def ensure_may_act(session: Session, user: Any) -> None:
    """403 with the reason's code, or nothing."""
    problem = acting_problem(session, user)
    if problem is not None:
        raise Forbidden(MESSAGES[problem], code=problem)
