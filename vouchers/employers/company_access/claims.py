"""Proving that one acts for an enterprise: the claim, the fund's letter with its code, the code typed back.

A claim opens when someone registers an enterprise (or registers one that is known already: they get their own
claim, never the company). Its letter is due once the person's e-mail address is confirmed: the fund is told,
prints the letter (``letters.py``) to the enterprise's registered office and marks it sent; the person is told.
The right code, typed within ``CODE_VALID_DAYS`` and ``MAX_WRONG_CODES`` tries, makes the account one of the
company's users (``users.employer_id``). Services flush and never commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import User
from portal.auth.passwords import hash_password, verify_password
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.notifications.services import fund_admins, notify, page
from portal.permissions import Permission, can
from vouchers.employers.company_access import domain
from vouchers.employers.company_access.models import PENDING_STATUSES, OwnershipClaim
from vouchers.employers.models import Employer

NOT_FOUND = N_("This request to act for a company does not exist.")
#: What a registrant typed about the company that becomes the company's if they are its first user.
DETAIL_FIELDS = ("company_name", "onss_number", "email", "phone", "iban")


def _pending(user_id: int, employer_id: int):
    return select(OwnershipClaim).where(OwnershipClaim.user_id == user_id, OwnershipClaim.employer_id == employer_id,
                                        OwnershipClaim.status.in_(PENDING_STATUSES))


def open_claim(session: Session, user: User, employer: Employer, details: dict[str, str], *,
               now: datetime) -> OwnershipClaim:
    """The person's pending claim for the enterprise: a new one with a new code, or the one already pending."""
    claim = session.scalar(_pending(user.id, employer.id))
    if claim is not None:
        return claim
    code = domain.new_code()
    claim = OwnershipClaim(employer_id=employer.id, user_id=user.id, status="awaiting_email", code=code,
                           code_hash=hash_password(code), created_at=now,
                           details=json.dumps({k: v for k, v in details.items() if k in DETAIL_FIELDS}))
    try:
        with session.begin_nested():
            session.add(claim)
            session.flush()
    except IntegrityError:  # the same person asked twice at the same moment
        return session.scalars(_pending(user.id, employer.id)).one()
    audit.record(session, actor=user, object_type="employer", object_id=employer.id, action="ownership_claimed",
                 to_state=claim.status, reason=f"claim {claim.id}", now=now)
    if user.is_confirmed:
        make_letter_due(session, claim, now=now)
    return claim


def make_letter_due(session: Session, claim: OwnershipClaim, *, now: datetime) -> bool:
    """The person's address is confirmed: the fund is told that the letter is to be sent."""
    if claim.status != "awaiting_email":
        return False
    claim.status, claim.letter_due_at = "letter_due", now
    employer = session.get(Employer, claim.employer_id)
    assert employer is not None
    notify(session, fund_admins(session), "ownership_letter_due", key=f"ownership-letter-due-{claim.id}",
           link=page("employer_fund_letters.letters_page"), object_type="employer", object_id=employer.id,
           company=employer.company_name, number=domain.formatted_enterprise_number(employer.enterprise_number))
    session.flush()
    return True


def letters_due_after_confirmation(session: Session, user: User, *, now: datetime) -> int:
    """Every claim that waited for this person's address to be confirmed now waits for its letter."""
    if not user.is_confirmed:
        return 0
    waiting = session.scalars(select(OwnershipClaim).where(OwnershipClaim.user_id == user.id,
                                                           OwnershipClaim.status == "awaiting_email"))
    return sum(make_letter_due(session, claim, now=now) for claim in list(waiting))


@dataclass(frozen=True)
class ClaimView:
    """A claim as its person sees it."""

    id: int
    employer_id: int
    company_name: str
    enterprise_number: str
    address: str
    status: str
    created_at: datetime
    letter_sent_at: datetime | None
    expires_at: datetime | None
    attempts_left: int
    may_ask_new_letter: bool


def _view(claim: OwnershipClaim, employer: Employer, now: datetime) -> ClaimView:
    return ClaimView(claim.id, employer.id, employer.company_name,
                     domain.formatted_enterprise_number(employer.enterprise_number), employer.address,
                     domain.shown_status(claim.status, claim.expires_at, now), claim.created_at, claim.letter_sent_at,
                     claim.expires_at, domain.attempts_left(claim.failed_attempts),
                     domain.may_ask_new_letter(claim.status, claim.expires_at, now))


def claims_of(session: Session, user: Any, *, now: datetime) -> list[ClaimView]:
    """The person's claims, newest first; those replaced by a new letter are left out."""
    rows = session.execute(select(OwnershipClaim, Employer).join(Employer, Employer.id == OwnershipClaim.employer_id)
                           .where(OwnershipClaim.user_id == user.id, OwnershipClaim.status != "replaced")
                           .order_by(OwnershipClaim.id.desc()).limit(20)).all()
    return [_view(claim, employer, now) for claim, employer in rows]


def view_of(session: Session, claim: OwnershipClaim, *, now: datetime) -> ClaimView:
    employer = session.get(Employer, claim.employer_id)
    assert employer is not None
    return _view(claim, employer, now)


def ensure_own(session: Session, user: Any, claim_id: int) -> None:
    """404 unless the claim is the person's: said before anything about the form sent."""
    claim = session.get(OwnershipClaim, claim_id)
    if claim is None or claim.user_id != getattr(user, "id", None):
        raise NotFound(NOT_FOUND)


def _own_claim(session: Session, user: Any, claim_id: int) -> OwnershipClaim:
    """The person's own claim, read under a row lock (tries are counted one at a time); 404 otherwise."""
    claim = session.scalar(select(OwnershipClaim).where(OwnershipClaim.id == claim_id).with_for_update()
                           .execution_options(populate_existing=True))
    if claim is None or claim.user_id != getattr(user, "id", None):
        raise NotFound(NOT_FOUND)
    return claim


CLOSED_STATES = {
    "proven": (N_("You already act for this company."), "already_proven"),
    "replaced": (N_("This letter was replaced by a newer one: use the code of the newest letter."), "claim_closed"),
    "withdrawn": (N_("This request is closed: your account acts for a company now."), "claim_closed"),
    "locked": (N_("Too many wrong codes were typed for this letter. Ask for a new letter."), "too_many_wrong_codes"),
    "awaiting_email": (N_("Confirm your e-mail address first: then the fund sends the letter."), "letter_not_sent"),
    "letter_due": (N_("The fund has not sent the letter yet. You will be told when it is on its way."),
                   "letter_not_sent"),
}


@dataclass(frozen=True)
class Proof:
    claim: OwnershipClaim
    proven: bool
    attempts_left: int


def prove(session: Session, user: Any, claim_id: int, typed_code: str | None, *, now: datetime) -> Proof:
    """Check the code of the letter. A wrong one is counted (the caller commits it, then answers 422); the right
    one makes the account a user of the company."""
    claim = _own_claim(session, user, claim_id)
    if claim.status in CLOSED_STATES:
        message, code = CLOSED_STATES[claim.status]
        raise Conflict(message, code=code)
    if domain.is_expired(claim.status, claim.expires_at, now):
        raise Conflict(N_("This code has expired. Ask for a new letter."), code="code_expired")
    if user.employer_id is not None and user.employer_id != claim.employer_id:
        raise Conflict(N_("Your account already belongs to another company. Register with another e-mail address "
                          "to act for this one."), code="other_company")
    code = domain.normalise_code(typed_code)
    if not code:
        message = N_("Type the code printed on the letter.")
        raise ValidationFailed(message, code="code_required", fields={"code": [message]})
    if len(code) != domain.CODE_LENGTH or not verify_password(claim.code_hash, code):
        claim.failed_attempts += 1
        if domain.attempts_left(claim.failed_attempts) == 0:
            claim.status = "locked"
        audit.record(session, actor=user, object_type="employer", object_id=claim.employer_id,
                     action="ownership_code_refused", to_state=claim.status, reason=f"claim {claim.id}", now=now)
        session.flush()
        return Proof(claim, False, domain.attempts_left(claim.failed_attempts))
    _become_user_of_company(session, user, claim, now=now)
    return Proof(claim, True, domain.attempts_left(claim.failed_attempts))


def _become_user_of_company(session: Session, user: Any, claim: OwnershipClaim, *, now: datetime) -> None:
    employer = session.get(Employer, claim.employer_id)
    assert employer is not None
    first = session.scalar(select(func.count(User.id)).where(User.employer_id == employer.id)) == 0
    claim.status, claim.proven_at, claim.closed_at = "proven", now, now
    user.employer_id = employer.id
    session.flush()
    if first:  # what the first proven user typed is the company's; a stranger's earlier typing is not kept
        for name, value in json.loads(claim.details or "{}").items():
            if name in DETAIL_FIELDS and value:
                setattr(employer, name, value)
    withdraw_pending_claims(session, user, now=now)
    audit.record(session, actor=user, object_type="employer", object_id=employer.id, action="ownership_proven",
                 to_state="proven", reason=f"claim {claim.id}, user {user.id}", now=now)
    session.flush()


def withdraw_pending_claims(session: Session, user: Any, *, now: datetime) -> int:
    """The account belongs to a company now (proven, or joined through a colleague's invitation): its other
    requests are moot, as an account acts for one company."""
    return session.execute(update(OwnershipClaim).where(
        OwnershipClaim.user_id == user.id, OwnershipClaim.status.in_(PENDING_STATUSES))
        .values(status="withdrawn", closed_at=now, code=None)).rowcount


def ask_letter(session: Session, user: Any, claim_id: int, *, now: datetime) -> OwnershipClaim:
    """Ask the fund for the letter: the first one, once the address is confirmed (if that happened elsewhere than
    through our link), or a new one once the last one's code can no longer be used. Else 409."""
    claim = _own_claim(session, user, claim_id)
    if claim.status == "awaiting_email":
        if not user.is_confirmed:
            message, code = CLOSED_STATES[claim.status]
            raise Conflict(message, code=code)
        make_letter_due(session, claim, now=now)
        return claim
    if not domain.may_ask_new_letter(claim.status, claim.expires_at, now):
        if claim.status in ("proven", "replaced", "withdrawn"):
            message, code = CLOSED_STATES[claim.status]
            raise Conflict(message, code=code)
        raise Conflict(N_("A letter is on its way or its code still works: a new one can be asked once it has "
                          "expired."), code="letter_pending")
    claim.status, claim.closed_at = "replaced", now
    session.flush()
    employer = session.get(Employer, claim.employer_id)
    assert employer is not None
    return open_claim(session, user, employer, json.loads(claim.details or "{}"), now=now)


# --- the fund's side ----------------------------------------------------------------------------------------------


def _fund_only(actor: Any) -> None:
    if not can(actor, Permission.ADMIN_USERS_MANAGE):
        raise Forbidden(N_("Only the fund's administrators may do this."))


@dataclass(frozen=True)
class Letter:
    """A letter as the fund sees it in its list."""

    claim_id: int
    employer_id: int
    company_name: str
    enterprise_number: str
    kbo_url: str
    address: str
    claimant: str
    claimant_email: str
    language: str
    status: str
    asked_at: datetime
    sent_at: datetime | None
    #: Other people waiting to act for the same company: the fund may want to call before sending.
    others_pending: int
    company_users: int


def _letters(session: Session, query: Any, *, now: datetime) -> list[Letter]:
    rows = session.execute(query).all()
    employer_ids = {employer.id for _claim, employer, _user in rows}
    pending = dict(session.execute(select(OwnershipClaim.employer_id, func.count(OwnershipClaim.id)).where(
        OwnershipClaim.employer_id.in_(employer_ids), OwnershipClaim.status.in_(PENDING_STATUSES))
        .group_by(OwnershipClaim.employer_id)).all()) if employer_ids else {}
    users = dict(session.execute(select(User.employer_id, func.count(User.id)).where(
        User.employer_id.in_(employer_ids)).group_by(User.employer_id)).all()) if employer_ids else {}
    letters = []
    for claim, employer, user in rows:
        mine = 1 if claim.status in PENDING_STATUSES else 0
        letters.append(Letter(
            claim.id, employer.id, employer.company_name, domain.formatted_enterprise_number(employer.enterprise_number),
            domain.kbo_url(employer.enterprise_number), employer.address, user.display_name, user.email,
            user.language, domain.shown_status(claim.status, claim.expires_at, now), claim.letter_due_at or claim.created_at,
            claim.letter_sent_at, pending.get(employer.id, 0) - mine, users.get(employer.id, 0)))
    return letters


def _with_company_and_person():
    return (select(OwnershipClaim, Employer, User).join(Employer, Employer.id == OwnershipClaim.employer_id)
            .join(User, User.id == OwnershipClaim.user_id))


def letters_to_send(session: Session, actor: Any, *, now: datetime, limit: int = 200) -> list[Letter]:
    """The letters waiting to be printed and posted, oldest request first."""
    _fund_only(actor)
    return _letters(session, _with_company_and_person().where(OwnershipClaim.status == "letter_due")
                    .order_by(OwnershipClaim.id).limit(limit), now=now)


def letters_sent(session: Session, actor: Any, *, now: datetime, limit: int = 50) -> list[Letter]:
    """The letters sent, newest first, with what became of their code."""
    _fund_only(actor)
    return _letters(session, _with_company_and_person().where(OwnershipClaim.letter_sent_at.is_not(None))
                    .order_by(OwnershipClaim.letter_sent_at.desc(), OwnershipClaim.id.desc()).limit(limit), now=now)


def letter_due(session: Session, actor: Any, claim_id: int) -> tuple[OwnershipClaim, Employer, User]:
    """A letter still to send (its code is readable until then); a sent one is a 409, anything else 404."""
    _fund_only(actor)
    claim = session.get(OwnershipClaim, claim_id)
    if claim is None or claim.status in ("awaiting_email",):
        raise NotFound(NOT_FOUND)
    if claim.status != "letter_due" or claim.code is None:
        raise Conflict(N_("This letter was sent already, or is no longer needed: its code cannot be printed "
                          "again."), code="letter_not_due")
    employer, user = session.get(Employer, claim.employer_id), session.get(User, claim.user_id)
    assert employer is not None and user is not None
    return claim, employer, user


def correct_address(session: Session, actor: Any, claim_id: int, address: str, *, now: datetime) -> Employer:
    """The registered office as the Crossroads Bank for Enterprises gives it: the company's address from now on."""
    _claim, employer, _user = letter_due(session, actor, claim_id)
    address = (address or "").strip()
    if not address or len(address) > 500:
        message = N_("Enter the registered office's address (at most 500 characters).")
        raise ValidationFailed(message, code="address_required", fields={"address": [message]})
    if address != employer.address:
        employer.address = address
        audit.record(session, actor=actor, object_type="employer", object_id=employer.id,
                     action="registered_office_corrected", reason=f"claim {claim_id}", now=now)
    session.flush()
    return employer


def mark_sent(session: Session, actor: Any, claim_id: int, *, now: datetime) -> OwnershipClaim:
    """The letter is in the post: its code works for ``CODE_VALID_DAYS`` and is no longer readable; the person is
    told to watch for it."""
    claim, employer, user = letter_due(session, actor, claim_id)
    sent = session.execute(update(OwnershipClaim).where(OwnershipClaim.id == claim.id,
                                                        OwnershipClaim.status == "letter_due")
                           .values(status="letter_sent", letter_sent_at=now, letter_sent_by_id=actor.id,
                                   expires_at=domain.expires_at(now), code=None)).rowcount
    if not sent:
        raise Conflict(N_("This letter was marked as sent at the same time by someone else."), code="letter_not_due")
    session.refresh(claim)
    audit.record(session, actor=actor, object_type="employer", object_id=employer.id, action="ownership_letter_sent",
                 to_state="letter_sent", reason=f"claim {claim.id}", now=now)
    notify(session, [user], "ownership_letter_sent", key=f"ownership-letter-sent-{claim.id}",
           link=page("employer_access.ownership"), object_type="employer", object_id=employer.id,
           company=employer.company_name, expires_at=claim.expires_at)
    return claim
