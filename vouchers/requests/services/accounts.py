"""Use cases on the money-in side: registration of beneficiaries and employers.

Services check input against the rules, flush, and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum.be import ssn, vat
from stdnum.exceptions import ValidationError as StdnumError

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user
from portal.errors import N_, Conflict, ValidationFailed
from portal.permissions import Role
from vouchers.employers.models import Employer
from vouchers.requests.models import Beneficiary


def clean_niss(value: str) -> str:
    """NISS or BIS number (frontier workers have BIS numbers), as 11 digits."""
    try:
        return ssn.validate(value or "")
    except StdnumError as exc:
        raise ValidationFailed(N_("This national register or BIS number is not valid."), code="invalid_niss",
                               fields={"niss": [N_("This national register or BIS number is not valid.")]}) from exc


def clean_enterprise_number(value: str) -> str:
    try:
        return vat.validate(value or "")
    except StdnumError as exc:
        raise ValidationFailed(N_("This enterprise number (BCE/KBO) is not valid."), code="invalid_enterprise_number",
                               fields={"enterprise_number": [N_("This enterprise number (BCE/KBO) is not valid.")]}) from exc


def clean_iban(value: str) -> str:
    try:
        return stdnum_iban.validate(value or "")
    except StdnumError as exc:
        raise ValidationFailed(N_("This IBAN is not valid."), code="invalid_iban",
                               fields={"iban": [N_("This IBAN is not valid.")]}) from exc


def clean_onss_number(value: str) -> str:
    """The ONSS/RSZ employer number: 9 or 10 digits once separators are removed."""
    digits = re.sub(r"[\s./-]", "", value or "")
    if not digits.isdigit() or len(digits) not in (9, 10):
        raise ValidationFailed(N_("This ONSS number is not valid."), code="invalid_onss_number",
                               fields={"onss_number": [N_("This ONSS number is not valid: it has 9 or 10 digits.")]})
    return digits


@dataclass(frozen=True)
class BeneficiaryRegistration:
    email: str
    password: str
    first_name: str
    last_name: str
    niss: str
    language: str = "fr"


def register_beneficiary(session: Session, data: BeneficiaryRegistration, *, now: datetime) -> User:
    """Self-registration. The NISS is checked here and is unique: one person, one account."""
    niss = clean_niss(data.niss)
    if session.scalar(select(Beneficiary.id).where(Beneficiary.niss == niss)) is not None:
        raise Conflict(N_("An account already exists for this national register number."), code="niss_taken",
                       fields={"niss": [N_("An account already exists for this national register number.")]})
    user = create_user(session, email=data.email, password=data.password, role=Role.BENEFICIARY,
                       first_name=data.first_name, last_name=data.last_name, language=data.language)
    session.add(Beneficiary(user_id=user.id, niss=niss, created_at=now))
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("An account already exists for this national register number."), code="niss_taken",
                       fields={"niss": [N_("An account already exists for this national register number.")]}) from exc
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="registered", now=now)
    return user


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


def register_employer(session: Session, data: EmployerRegistration, *, now: datetime) -> User:
    """An employer's first user registers the company; more users can join it later."""
    problems: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, cleaner in (("enterprise_number", clean_enterprise_number), ("iban", clean_iban),
                          ("onss_number", clean_onss_number)):
        try:
            cleaned[name] = cleaner(getattr(data, name))
        except ValidationFailed as error:
            problems.update(error.fields)
    if not data.company_name.strip():
        problems["company_name"] = [N_("Please enter the company name.")]
    if not data.address.strip():
        problems["address"] = [N_("Please enter the address.")]
    if not data.phone.strip():
        problems["phone"] = [N_("Please enter a phone number.")]
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    if session.scalar(select(Employer.id).where(Employer.enterprise_number == cleaned["enterprise_number"])):
        raise Conflict(N_("This company is already registered. Ask a colleague who has an account to invite you."),
                       code="employer_exists",
                       fields={"enterprise_number": [N_("This company is already registered.")]})
    employer = Employer(
        company_name=data.company_name.strip(),
        enterprise_number=cleaned["enterprise_number"],
        onss_number=cleaned["onss_number"],
        address=data.address.strip(),
        email=data.email.strip().lower(),
        phone=data.phone.strip(),
        iban=cleaned["iban"],
        created_at=now,
    )
    session.add(employer)
    session.flush()
    user = create_user(session, email=data.email, password=data.password, role=Role.EMPLOYER,
                       first_name=data.first_name, last_name=data.last_name, language=data.language,
                       employer_id=employer.id)
    audit.record(session, actor=user, object_type="employer", object_id=employer.id, action="registered", now=now)
    return user
