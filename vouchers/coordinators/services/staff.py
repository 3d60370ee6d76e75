"""Coordinators' accounts: each works for one mutual insurer. The fund invites them from its pages (the account
gets a password-reset link as its invitation, like a provider's first administrator); an operator makes one with
``flask --app portal create-user --role coordinator --insurer-code C``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user, normalise_email, plausible_email
from portal.errors import N_, Conflict, Forbidden, ValidationFailed
from portal.permissions import Permission, Role, can
from vouchers.requests.domain import INSURERS
from vouchers.requests.models import VoucherRequest

LANGUAGES = ("fr", "nl", "de", "en")


def clean_insurer_code(value: Any) -> int:
    """One of the mutual insurers' numbers (100, 200, ... 900), else a 422 on ``insurer_code``."""
    try:
        code = int(value)
    except (TypeError, ValueError):
        code = None
    if isinstance(value, bool) or code not in INSURERS:
        message = N_("Choose one of the mutual insurers.")
        raise ValidationFailed(message, code="unknown_insurer", fields={"insurer_code": [message]})
    return code


def insurer_of(actor: Any) -> int:
    """The mutual insurer a coordinator files for; anyone else may not (403)."""
    if not can(actor, Permission.COORDINATOR_FILE) or getattr(actor, "insurer_code", None) is None:
        raise Forbidden(N_("Only a mutual insurer's return-to-work coordinator can do this."),
                        code="not_a_coordinator")
    return int(actor.insurer_code)


def make_coordinator(session: Session, *, email: str, password: str, insurer_code: Any, first_name: str = "",
                     last_name: str = "", language: str = "fr", confirmed_at: datetime | None = None) -> User:
    """A coordinator's account, bound to one mutual insurer. 422 for an unknown insurer, 409 for a taken address."""
    code = clean_insurer_code(insurer_code)
    user = create_user(session, email=email, password=password, role=Role.COORDINATOR, first_name=first_name,
                       last_name=last_name, language=language, confirmed_at=confirmed_at)
    user.insurer_code = code
    session.flush()
    return user


def invite_coordinator(session: Session, admin: Any, *, email: str, first_name: str, last_name: str,
                       insurer_code: Any, language: str, now: datetime) -> User:
    """The fund gives a coordinator an account; nobody knows its password until the invitation's link sets it.
    The caller queues that invitation (a password-reset e-mail: its link also confirms the address)."""
    if not can(admin, Permission.ADMIN_USERS_MANAGE):
        raise Forbidden(N_("Only the fund's administrators may do this."))
    problems: dict[str, list[str]] = {}
    address = normalise_email(email or "")
    if not plausible_email(address) or len(address) > 254:
        problems["email"] = [N_("This e-mail address is not valid.")]
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if not (value or "").strip() or len(value.strip()) > 100:
            problems[name] = [N_("Please enter the name (at most 100 characters).")]
    if language not in LANGUAGES:
        problems["language"] = [N_("Choose one of the portal's languages.")]
    try:
        clean_insurer_code(insurer_code)
    except ValidationFailed as error:
        problems.update(error.fields)
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    try:
        user = make_coordinator(session, email=address, password=secrets.token_urlsafe(24),
                                insurer_code=insurer_code, first_name=first_name.strip(),
                                last_name=last_name.strip(), language=language)
    except Conflict as error:
        message = N_("An account with this e-mail address already exists.")
        raise Conflict(message, code=error.code, fields={"email": [message]}) from error
    audit.record(session, actor=admin, object_type="user", object_id=user.id, action="invited",
                 reason=f"return-to-work coordinator of mutual insurer {user.insurer_code}", now=now)
    return user


@dataclass(frozen=True)
class CoordinatorRow:
    id: int
    name: str
    email: str
    insurer_code: int
    joined: bool
    active: bool
    filed: int


def list_coordinators(session: Session, admin: Any) -> list[CoordinatorRow]:
    """Every coordinator, by insurer then name, with how many requests each filed (one query)."""
    if not can(admin, Permission.ADMIN_USERS_MANAGE):
        raise Forbidden(N_("Only the fund's administrators may do this."))
    filed = (select(VoucherRequest.coordinator_id, func.count(VoucherRequest.id).label("filed"))
             .where(VoucherRequest.coordinator_id.is_not(None)).group_by(VoucherRequest.coordinator_id).subquery())
    rows = session.execute(
        select(User, func.coalesce(filed.c.filed, 0)).outerjoin(filed, filed.c.coordinator_id == User.id)
        .where(User.role == Role.COORDINATOR).order_by(User.insurer_code, User.last_name, User.first_name, User.id))
    return [CoordinatorRow(user.id, user.display_name, user.email, user.insurer_code or 0,
                           user.last_login_at is not None, user.is_active, int(count)) for user, count in rows]
