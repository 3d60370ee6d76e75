"""Test data builders. They flush, never commit, and take dates as arguments."""

from __future__ import annotations

import itertools
import random
from datetime import date

from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.auth.services import create_user
from portal.clock import utcnow
from portal.demo.numbers import belgian_iban, enterprise_number, national_number
from portal.permissions import Role

PASSWORD = "correct horse battery"
#: The TOTP secret of every fund administrator made by ``make_user`` (two-step sign-in is on for them);
#: ``tests.support.web.one_time_code`` gives the code to send.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_counter = itertools.count(1)
_rng = random.Random(7)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def new_niss() -> str:
    n = next(_counter)
    return national_number(date(1970 + n % 30, 1 + n % 12, 1 + n % 28), 1 + (n * 7) % 997)


def new_enterprise_number() -> str:
    return enterprise_number(500_000 + next(_counter))


def new_iban() -> str:
    return belgian_iban(_rng)


def make_provider(session: Session, **overrides: object):
    from coaching.providers.models import Provider

    provider = Provider(name=overrides.pop("name", unique("Provider ")), enterprise_number=new_enterprise_number(),
                        iban=new_iban(), regions="brussels", languages="fr,nl", **overrides)
    session.add(provider)
    session.flush()
    return provider


def make_employer(session: Session):
    from vouchers.employers.models import Employer

    employer = Employer(company_name=unique("Company "), enterprise_number=new_enterprise_number(),
                        onss_number="123456789", address="Rue 1\n1000 Bruxelles", email=f"{unique('hr')}@example.be",
                        phone="+32 2 000 00 00", iban=new_iban())
    session.add(employer)
    session.flush()
    return employer


def make_user(session: Session, role: Role | str = Role.BENEFICIARY, *, confirmed: bool = True,
              password: str = PASSWORD, language: str = "fr", two_step: bool | None = None,
              **links: int | None) -> User:
    """An account. ``two_step`` turns two-step sign-in on with ``TOTP_SECRET``: by default for fund administrators
    only, who may not sign in without it."""
    role = Role(role)
    if role in (Role.PROVIDER_ADMIN, Role.COACH) and "provider_id" not in links:
        links["provider_id"] = make_provider(session).id
    if role == Role.EMPLOYER and "employer_id" not in links:
        links["employer_id"] = make_employer(session).id
    user = create_user(session, email=f"{unique(role.value)}@example.be", password=password, role=role,
                       first_name="Test", last_name=role.value.title(), language=language,
                       confirmed_at=utcnow() if confirmed else None, **links)
    if two_step if two_step is not None else role == Role.FUND_ADMIN:
        # Set directly, not through the service: no audit entry that tests counting the log would see.
        user.totp_secret, user.totp_enabled_at = TOTP_SECRET, utcnow()
        session.flush()
    if role == Role.COORDINATOR:  # a return-to-work coordinator works for one mutual insurer (Solidaris here)
        user.insurer_code = 300
        session.flush()
    if role == Role.BENEFICIARY:
        from vouchers.requests.models import Beneficiary

        session.add(Beneficiary(user_id=user.id, niss=new_niss()))
        session.flush()
    return user
