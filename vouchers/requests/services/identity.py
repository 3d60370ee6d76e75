"""A NISS proven through the federal authentication service (FAS: itsme, eID), and its precedence over typed ones.

DOMAIN.md, "Identity": a NISS typed by hand is not proof of identity; until a beneficiary's NISS is proven, nothing
an employer declared about it is shown to them, and another person who proves that NISS takes precedence. So:
- one account at most holds a NISS as proven (a partial unique index keeps it so under races);
- proving a NISS takes it off every account that had only typed it: those accounts keep everything else, are told
  (notice ``niss_proven_elsewhere``), and the audit log says who proved it;
- a person proves a NISS for the account they are logged in to (their typed number, or a wrong one, is replaced),
  or signs in with it: into the account that holds it proven, else into a new account made for them.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user, normalise_email, plausible_email
from portal.errors import N_, Conflict, Forbidden, ValidationFailed
from portal.notifications.services import notify, page
from portal.permissions import Role
from vouchers.requests.models import Beneficiary, MemberInvitation
from vouchers.requests.services.accounts import clean_niss

PROVEN_ELSEWHERE = N_("This national register number is already proven by another account. Log out, then sign in "
                      "with itsme or eID to use that account.")


def proven_holder(session: Session, niss: str) -> Beneficiary | None:
    return session.scalar(select(Beneficiary).where(Beneficiary.niss == niss, Beneficiary.niss_proven_at.is_not(None)))


def typed_holders(session: Session, niss: str, *, besides: int | None = None) -> list[Beneficiary]:
    """The accounts that typed this NISS without proving it (but ``besides``)."""
    query = select(Beneficiary).where(Beneficiary.niss == niss, Beneficiary.niss_proven_at.is_(None))
    if besides is not None:
        query = query.where(Beneficiary.id != besides)
    return list(session.scalars(query.order_by(Beneficiary.id)))


def identity_of(session: Session, user: Any) -> dict[str, Any] | None:
    """What a beneficiary's own page says about their number: whether it is proven, its last four digits, and, once
    proven, the coordinators' invitations naming it that the person can take up without the e-mailed link. One
    statement, proven or not (the dashboard's budget)."""
    if getattr(user, "role", None) != Role.BENEFICIARY:
        return None
    waiting = and_(MemberInvitation.niss == Beneficiary.niss, Beneficiary.niss_proven_at.is_not(None),
                   MemberInvitation.accepted_at.is_(None))
    rows = session.execute(select(Beneficiary.niss, Beneficiary.niss_proven_at, MemberInvitation.id)
                           .outerjoin(MemberInvitation, waiting).where(Beneficiary.user_id == user.id)
                           .order_by(MemberInvitation.id)).all()
    if not rows:
        return None
    first = rows[0]
    return {"proven": first.niss is not None and first.niss_proven_at is not None, "niss_tail": (first.niss or "")[-4:],
            "invitation_ids": [row.id for row in rows if row.id is not None]}


def account_for_sign_in(session: Session, niss: str) -> User | None:
    """The account a FAS sign-in with this NISS opens, if one holds it proven. A closed account opens nothing."""
    holder = proven_holder(session, clean_niss(niss))
    if holder is None:
        return None
    if not holder.user.is_active:
        raise Forbidden(N_("The account that holds this national register number is closed. Contact the fund."),
                        code="account_closed")
    return holder.user


def prove(session: Session, user: Any, niss: str, *, now: datetime) -> Beneficiary:
    """The beneficiary logged in as ``user`` proved ``niss``: their account holds it from now on, proven."""
    niss = clean_niss(niss)
    if getattr(user, "role", None) != Role.BENEFICIARY:
        raise Forbidden(N_("Only a beneficiary's own account can hold a national register number. Log out, then "
                           "sign in with itsme or eID."), code="not_a_beneficiary")
    beneficiary = session.scalars(select(Beneficiary).where(Beneficiary.user_id == user.id)).one()
    if beneficiary.niss_proven_at is not None and beneficiary.niss == niss:
        return beneficiary
    if beneficiary.niss_proven_at is not None and beneficiary.niss is not None:
        raise Conflict(N_("Your account already holds another national register number, proven with itsme or eID."),
                       code="other_niss_proven")
    holder = proven_holder(session, niss)
    if holder is not None:
        raise Conflict(PROVEN_ELSEWHERE, code="niss_proven_elsewhere")
    typed = beneficiary.niss
    beneficiary.niss, beneficiary.niss_proven_at = niss, now
    _flush_or_conflict(session)
    _take_precedence(session, beneficiary, now=now)
    reason = "through the federal authentication service (itsme, eID)"
    if typed is not None and typed != niss:
        reason += "; it replaces the number typed at registration"
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="niss_proven", reason=reason,
                 now=now)
    return beneficiary


def create_proven_account(session: Session, *, niss: str, email: str, language: str, first_name: str,
                          last_name: str, now: datetime) -> User:
    """The account of a person who signed in through FAS with a NISS no account holds proven. They sign in with FAS
    (or choose a password later, through "forgot your password"); their address is confirmed by its e-mail link."""
    niss = clean_niss(niss)
    email = normalise_email(email)
    problems: dict[str, list[str]] = {}
    if not plausible_email(email) or len(email) > 254:
        problems["email"] = [N_("Please enter a valid e-mail address.")]
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        if not value.strip():
            problems[name] = [N_("Please fill in this field.")]
    if problems:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    if proven_holder(session, niss) is not None:
        raise Conflict(PROVEN_ELSEWHERE, code="niss_proven_elsewhere")
    user = create_user(session, email=email, password=secrets.token_urlsafe(32), role=Role.BENEFICIARY,
                       first_name=first_name[:100], last_name=last_name[:100], language=language)
    beneficiary = Beneficiary(user_id=user.id, niss=niss, niss_proven_at=now, created_at=now)
    session.add(beneficiary)
    _flush_or_conflict(session)
    _take_precedence(session, beneficiary, now=now)
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="registered",
                 reason="with a national register number proven through the federal authentication service", now=now)
    return user


def _take_precedence(session: Session, keeper: Beneficiary, *, now: datetime) -> None:
    """The accounts that only typed the keeper's NISS lose it, and are told."""
    assert keeper.niss is not None
    for other in typed_holders(session, keeper.niss, besides=keeper.id):
        other.niss = None
        audit.record(session, actor=keeper.user, object_type="user", object_id=other.user_id, action="niss_removed",
                     reason=f"the number typed at registration was proven by user {keeper.user_id} through the "
                     "federal authentication service", now=now)
        notify(session, [other.user], "niss_proven_elsewhere", link=page("vouchers.dashboard"),
               object_type="user", object_id=other.user_id)
    session.flush()


def _flush_or_conflict(session: Session) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the same NISS proven at the same moment by another account
        raise Conflict(PROVEN_ELSEWHERE, code="niss_proven_elsewhere") from exc
