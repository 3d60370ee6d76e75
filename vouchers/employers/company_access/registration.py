"""An employer's registration, which answers the same whatever is known already.

Input that is wrong on its face (a bad enterprise number, a short password) is refused field by field, as that
says nothing about anyone. Beyond that the answer never changes: "check your mailbox". What happened is said only
to the mailbox:
- a new address gets an account that acts for no company yet, a claim to the enterprise (``claims.py``) and the
  link to confirm the address; the enterprise is created if the portal does not know it, never taken over if it
  does;
- an address that has an account already is told so (or, for an employer account still unconfirmed, gets its
  link again); nothing is created or changed for it, as whoever typed the form did not prove they own it.
Both take the same work (one password hash), so the time of the answer does not tell them apart either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.auth.services import (
    check_new_password,
    create_user,
    normalise_email,
    plausible_email,
)
from portal.errors import N_, Conflict, ValidationFailed
from portal.permissions import Role
from vouchers.employers.company_access.claims import open_claim
from vouchers.employers.models import Employer
from vouchers.requests.services.accounts import (
    clean_enterprise_number,
    clean_iban,
    clean_onss_number,
)

LANGUAGES = ("fr", "nl", "de", "en")


@dataclass(frozen=True)
class EmployerRegistration:
    email: str
    password: str
    company_name: str
    enterprise_number: str
    onss_number: str
    address: str
    phone: str
    iban: str
    first_name: str = ""
    last_name: str = ""
    language: str = "fr"


@dataclass(frozen=True)
class Registered:
    """For the caller's e-mail only, never for its answer: the account the address belongs to, and whether it was
    made now."""

    user: User
    created: bool


def _checked(data: EmployerRegistration) -> tuple[dict[str, str], str]:
    """Every problem of the form at once (422), or the cleaned company fields and the address."""
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, cleaner in (("enterprise_number", clean_enterprise_number), ("iban", clean_iban),
                          ("onss_number", clean_onss_number)):
        try:
            cleaned[name] = cleaner(getattr(data, name))
        except ValidationFailed as error:
            problems.update(error.fields)
    for name, message, limit in (("company_name", N_("Please enter the company name."), 200),
                                 ("address", N_("Please enter the address."), 500),
                                 ("phone", N_("Please enter a phone number."), 40)):
        value = (getattr(data, name) or "").strip()
        if not value:
            problems[name] = [message]
        elif len(value) > limit:
            problems[name] = [N_("This is too long.")]
        cleaned[name] = value
    email = normalise_email(data.email or "")
    if not plausible_email(email) or len(email) > 254:
        problems["email"] = [N_("This e-mail address is not valid.")]
    if data.language not in LANGUAGES:
        problems["language"] = [N_("Choose French, Dutch, German or English.")]
    try:
        check_new_password(data.password or "", email)
    except ValidationFailed as error:
        problems.update(error.fields)
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    return cleaned, email


def _employer(session: Session, cleaned: dict[str, str], email: str, *, now: datetime) -> tuple[Employer, bool]:
    """The enterprise as the portal knows it, or a new one with what the form says (its first claimant's); and
    whether it is new."""
    number = cleaned["enterprise_number"]
    employer = session.scalar(select(Employer).where(Employer.enterprise_number == number))
    if employer is not None:
        return employer, False
    employer = Employer(company_name=cleaned["company_name"], enterprise_number=number,
                        onss_number=cleaned["onss_number"], address=cleaned["address"], email=email,
                        phone=cleaned["phone"], iban=cleaned["iban"], created_at=now)
    try:
        with session.begin_nested():
            session.add(employer)
            session.flush()
    except IntegrityError:  # registered at the same moment by someone else: claimed by both, owned by neither
        return session.scalars(select(Employer).where(Employer.enterprise_number == number)).one(), False
    return employer, True


def register_employer(session: Session, data: EmployerRegistration, *, now: datetime) -> Registered:
    """Register, or not, as the module says; the caller sends the e-mail that fits and answers the same."""
    cleaned, email = _checked(data)
    existing = session.scalar(User.by_email(email))
    if existing is not None:
        hash_password(data.password)  # the work a new account takes
        return Registered(existing, created=False)
    try:
        with session.begin_nested():
            employer, new_company = _employer(session, cleaned, email, now=now)
            user = create_user(session, email=email, password=data.password, role=Role.EMPLOYER,
                               first_name=(data.first_name or "")[:100], last_name=(data.last_name or "")[:100],
                               language=data.language)
            audit.record(session, actor=user, object_type="user", object_id=user.id, action="registered", now=now)
            if new_company:
                audit.record(session, actor=user, object_type="employer", object_id=employer.id,
                             action="registered", now=now)
            open_claim(session, user, employer, {**cleaned, "email": email}, now=now)
    except Conflict as error:
        if error.code != "email_taken":
            raise
        # An account for this address was made at the same moment: it is told, like any known address.
        existing = session.scalars(User.by_email(email)).one()
        return Registered(existing, created=False)
    return Registered(user, created=True)
