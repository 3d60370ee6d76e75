"""Self-registration of a beneficiary (web or API), which answers the same whether or not the address is known.

Registration is part of the short path to a request (issue 16), so a new address gets its account at once: the
person signs in straight away and may fill in and submit a request. Their address is not confirmed yet: a link is
e-mailed to it, and the fund decides no request of theirs until it is followed (``ensure_email_confirmed``).

An address that has an account already gets an e-mail saying so (with the login and password-reset links), and
nothing is created or changed for it: whoever typed the form has not shown that the address is theirs. The API
answers both alike; only the web page differs (it logs a new person in; it cannot log in someone who gave a known
address), which README's "Identity" section documents. Both branches hash the password once, so the time of the
answer does not tell them apart either. The form's own mistakes (a NISS that is not one, a weak password) are told
at once, all together: they depend on nothing stored.

A typed NISS is not unique (services/accounts.py): a number someone else typed never blocks its owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.auth.services import check_new_password, normalise_email, plausible_email
from portal.errors import N_, Conflict, ValidationFailed
from vouchers.requests.models import Beneficiary
from vouchers.requests.services.accounts import (
    BeneficiaryRegistration,
    clean_niss,
    register_beneficiary,
)

EMAIL_NOT_CONFIRMED = N_("The person has not confirmed their e-mail address yet. Their request can be decided once "
                         "they have followed the link we e-mailed them.")


@dataclass(frozen=True)
class Registered:
    """For the caller's e-mail and page only, never for the API's answer: the account the address belongs to, and
    whether it was made now."""

    email: str
    user: User
    created: bool


def check_form(data: BeneficiaryRegistration) -> tuple[str, str]:
    """Every mistake in the form at once (422), judged on the form alone. Returns the NISS and the address."""
    problems: dict[str, list[str]] = {}
    niss = ""
    try:
        niss = clean_niss(data.niss)
    except ValidationFailed as error:
        problems.update(error.fields)
    email = normalise_email(data.email)
    if not plausible_email(email) or len(email) > 254:
        problems["email"] = [N_("Please enter a valid e-mail address.")]
    try:
        check_new_password(data.password, email)
    except ValidationFailed as error:
        problems.update(error.fields)
    for name in ("first_name", "last_name"):
        if not getattr(data, name).strip():
            problems[name] = [N_("Please fill in this field.")]
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    return niss, email


def register(session: Session, data: BeneficiaryRegistration, *, now: datetime) -> Registered:
    """Make the account of a new address (unconfirmed, with its typed NISS), or nothing for a known one; the caller
    e-mails the confirmation link or the note that the address has an account."""
    niss, email = check_form(data)
    # Hashed whatever happens next, so that the answer takes as long for a known address as for a new one.
    password_hash = hash_password(data.password)
    existing = session.scalar(User.by_email(email))
    if existing is not None:
        return Registered(email, existing, created=False)
    try:
        user = register_beneficiary(session, BeneficiaryRegistration(
            email=email, password="", first_name=data.first_name.strip()[:100],
            last_name=data.last_name.strip()[:100], niss=niss, language=data.language), now=now,
            password_hash=password_hash)
    except Conflict as error:
        if error.code != "email_taken":
            raise
        # An account for this address was made at the same moment: it is told, like any known address.
        return Registered(email, session.scalars(User.by_email(email)).one(), created=False)
    return Registered(email, user, created=True)


def email_confirmed(session: Session, beneficiary_id: int | None) -> bool:
    """Whether the beneficiary's account has confirmed its address (a request filed for a member who has no account
    yet has no beneficiary: its own rule applies, ``member_not_joined``)."""
    if beneficiary_id is None:
        return True
    confirmed_at = session.scalar(select(User.confirmed_at).join(Beneficiary, Beneficiary.user_id == User.id)
                                  .where(Beneficiary.id == beneficiary_id))
    return confirmed_at is not None


def ensure_email_confirmed(session: Session, request: Any) -> None:
    """A request is processed only once its beneficiary's address is confirmed (issue 16): 409 until then."""
    if not email_confirmed(session, request.beneficiary_id):
        raise Conflict(EMAIL_NOT_CONFIRMED, code="email_not_confirmed")
