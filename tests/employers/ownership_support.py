"""Helpers for the tests of who acts for a company: a registration body, the links and codes the portal sends, and
``prove_ownership``, which gives an account confirmed ownership of a company the way the portal does (a claim, the
fund's letter, the code typed back) rather than by writing ``users.employer_id``."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.clock import utcnow
from portal.mail import OutboxMessage
from portal.permissions import Role
from tests.support.factories import (
    PASSWORD,
    make_user,
    new_enterprise_number,
    new_iban,
    unique,
)
from vouchers.employers.company_access import claims
from vouchers.employers.company_access.models import OwnershipClaim
from vouchers.employers.models import Employer

CONFIRM_LINK = re.compile(r"https?://[^\s/]+(/employer/confirm/\S+)")
EN = {"Accept-Language": "en"}


def registration_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "email": f"{unique('payroll')}@company.example.be", "password": PASSWORD,
        "company_name": unique("Menuiserie "), "enterprise_number": new_enterprise_number(),
        "onss_number": "1234567890", "address": "Rue du Bois 4\n4000 Liège", "phone": "+32 4 123 45 67",
        "iban": new_iban(), "first_name": "Claire", "last_name": "Lambert", "language": "en",
    }
    body.update(overrides)
    return body


def mails_to(session: Session, address: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address.lower())
                                .order_by(OutboxMessage.id)))


def confirmation_path(session: Session, address: str) -> str:
    """The path of the confirmation link in the latest e-mail to ``address``."""
    for mail in reversed(mails_to(session, address)):
        match = CONFIRM_LINK.search(mail.body)
        if match:
            return match.group(1)
    raise AssertionError(f"no confirmation link was e-mailed to {address}")


def account(session: Session, address: str) -> User:
    user = session.scalar(User.by_email(address))
    assert user is not None, address
    return user


def claim_of(session: Session, user: User) -> OwnershipClaim:
    """The person's latest claim."""
    claim = session.scalars(select(OwnershipClaim).where(OwnershipClaim.user_id == user.id)
                            .order_by(OwnershipClaim.id.desc())).first()
    assert claim is not None
    return claim


def fund_admin(session: Session) -> User:
    """A fund administrator reading English (the notices are not translated in these tests)."""
    return make_user(session, Role.FUND_ADMIN, language="en")


def post_letter(session: Session, claim: OwnershipClaim, admin: User | None = None) -> str:
    """The fund prints the letter (the code is read from it) and marks it sent. Returns the code."""
    session.refresh(claim)
    code = claim.code
    assert code is not None and claim.status == "letter_due", claim.status
    claims.mark_sent(session, admin or fund_admin(session), claim.id, now=utcnow())
    return code


def prove_ownership(session: Session, user: User, employer: Employer, admin: User | None = None) -> OwnershipClaim:
    """``user`` (confirmed) becomes one of ``employer``'s users through a claim, the letter and its code."""
    assert user.is_confirmed, "only a confirmed account gets a letter"
    claim = claims.open_claim(session, user, employer, {}, now=utcnow())
    code = post_letter(session, claim, admin)
    proof = claims.prove(session, user, claim.id, code, now=utcnow())
    assert proof.proven
    return claim
