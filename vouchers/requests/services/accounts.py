"""Use cases on the money-in side: registration of beneficiaries, and the checks of an employer's numbers (its
registration: vouchers/employers/company_access/registration.py).

Services check input against the rules, flush, and never commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum.be import ssn, vat
from stdnum.exceptions import ValidationError as StdnumError

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user
from portal.errors import N_, ValidationFailed
from portal.permissions import Role
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


def register_beneficiary(session: Session, data: BeneficiaryRegistration, *, now: datetime,
                         password_hash: str | None = None, confirmed_at: datetime | None = None) -> User:
    """The account of a beneficiary whose address is proven (an e-mailed link was followed), with a typed NISS.

    A typed NISS is not unique: it proves nothing (DOMAIN.md, "Identity"), so a person whose number someone else
    typed is never turned away; the one who proves it through FAS takes it (services/identity.py). Self-registration
    goes through services/registration.py, which answers the same whether or not the address or NISS is known."""
    niss = clean_niss(data.niss)
    user = create_user(session, email=data.email, password=data.password, role=Role.BENEFICIARY,
                       first_name=data.first_name, last_name=data.last_name, language=data.language,
                       password_hash=password_hash, confirmed_at=confirmed_at)
    session.add(Beneficiary(user_id=user.id, niss=niss, created_at=now))
    session.flush()
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="registered", now=now)
    return user
