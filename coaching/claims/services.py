"""Provider claims: confirmed sessions paid once, never beyond the voucher's value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.claims import domain
from coaching.claims.models import Claim, ClaimLine
from coaching.claims.reads import claims_found
from coaching.providers.models import Coach, Provider
from coaching.providers.services.listing import _require
from coaching.providers.services.offers import provider_of
from portal import audit
from portal.clock import today_in_brussels
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.notifications.services import notify, page, provider_admins
from portal.permissions import Permission, can
from vouchers.ledger.services import entries as ledger
from vouchers.requests.models import Voucher
from vouchers.requests.services.vouchers import ENDED_STATES
from vouchers.search import Search


@dataclass(frozen=True)
class ClaimedSession:
    session: CoachingSession
    seat: SessionSeat
    coach_name: str
    amount_cents: int | None  # the claim line's amount; None for a session that is not in the claim


@dataclass(frozen=True)
class ClaimDetail:
    """A claim with what the fund needs to decide it: its sessions with attendance and
    confirmation, and every dispute on the same voucher. Session notes are not included:
    they may reveal health and are for the provider and the beneficiary only."""

    claim: Claim
    provider: Provider
    voucher: Voucher
    beneficiary_name: str
    lines: list[ClaimedSession]
    disputes: list[ClaimedSession]
    claimed_before_cents: int


def claim_detail(session: Session, admin: Any, claim_id: int) -> ClaimDetail:
    _require(admin, Permission.ADMIN_CLAIMS_DECIDE)
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(N_("This claim does not exist."))
    provider = session.get(Provider, claim.provider_id)
    voucher = session.get(Voucher, claim.voucher_id)
    assert provider is not None and voucher is not None
    rows = session.execute(
        select(SessionSeat, CoachingSession, Coach.display_name, ClaimLine.amount_cents)
        .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
        .join(Coach, Coach.id == CoachingSession.coach_id)
        .outerjoin(ClaimLine, (ClaimLine.seat_id == SessionSeat.id) & (ClaimLine.claim_id == claim.id))
        .where(SessionSeat.voucher_id == voucher.id)
        .order_by(CoachingSession.starts_at, SessionSeat.id)).all()
    lines = [ClaimedSession(booked, seat, coach, amount) for seat, booked, coach, amount in rows if amount is not None]
    disputes = [ClaimedSession(booked, seat, coach, amount) for seat, booked, coach, amount in rows
                if seat.confirmation == "disputed"]
    before = session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0)).where(
        Claim.voucher_id == voucher.id, Claim.id != claim.id, Claim.status.in_(("approved", "paid"))))
    user = voucher.beneficiary.user
    return ClaimDetail(claim, provider, voucher, f"{user.first_name} {user.last_name}".strip(), lines, disputes,
                       int(before or 0))


OPEN_OR_PAID = ("submitted", "approved", "paid")


def claimed_cents(session: Session, voucher_id: int) -> int:
    total = session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0))
                           .where(Claim.voucher_id == voucher_id, Claim.status.in_(OPEN_OR_PAID)))
    return int(total or 0)


def submit_claim(session: Session, actor: Any, voucher_id: int, seat_session_ids: list[int], *,
                 now: datetime) -> Claim:
    """Claim payment for delivered, confirmed sessions of one voucher (after delivery, each session once)."""
    provider_id = provider_of(actor, Permission.CLAIM_SUBMIT)
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.provider_id != provider_id:
        raise NotFound(N_("This voucher does not exist."))
    lock_row(session, voucher)  # two claims at once on the same voucher queue here
    if not seat_session_ids:
        raise ValidationFailed(N_("Choose the sessions to claim."), fields={"session_ids": [N_("Choose the sessions to claim.")]})
    seats = session.execute(
        select(SessionSeat, CoachingSession).join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
        .where(SessionSeat.voucher_id == voucher.id, SessionSeat.session_id.in_(seat_session_ids))).all()
    found = {booked.id for _, booked in seats}
    problems = [f"session {sid}: not a session of this voucher" for sid in seat_session_ids if sid not in found]
    for seat, booked in seats:
        if seat.attendance != "attended":
            problems.append(f"session {booked.id}: not attended")
        elif seat.confirmation != "confirmed":
            problems.append(f"session {booked.id}: not confirmed by the beneficiary yet")
    if problems:
        raise Conflict(N_("Only delivered and confirmed sessions can be claimed."), code="not_claimable",
                       fields={"session_ids": problems})
    already = claimed_cents(session, voucher.id)
    amount = domain.claim_amount_cents([seat.cost_cents for seat, _ in seats], already_claimed_cents=already,
                                       voucher_value_cents=voucher.value_cents)
    try:
        # All or nothing: a refused claim leaves no row behind, even in a session that goes on.
        with session.begin_nested():
            claim = Claim(provider_id=provider_id, voucher_id=voucher.id, amount_cents=amount, status="submitted",
                          submitted_by=actor.id, submitted_at=now)
            session.add(claim)
            session.flush()
            for seat, _ in seats:
                session.add(ClaimLine(claim_id=claim.id, seat_id=seat.id, amount_cents=seat.cost_cents))
            session.flush()
    except IntegrityError as exc:  # the seat's unique line: a session is paid at most once
        raise Conflict(N_("One of these sessions is already claimed."), code="already_claimed") from exc
    if voucher.status in ENDED_STATES and amount:
        # Sessions delivered before the voucher ended stay payable: commit their value again.
        ledger.post(session, account="committed", kind="voucher_recommitted", amount_cents=amount,
                    booked_on=today_in_brussels(now), voucher_id=voucher.id, claim_id=claim.id,
                    memo=f"claim after the voucher {voucher.status}")
    audit.record(session, actor=actor, object_type="claim", object_id=claim.id, action="submitted",
                 to_state="submitted", reason=f"{len(seats)} sessions, {amount} cents", now=now)
    return claim


def get_claim(session: Session, actor: Any, claim_id: int) -> Claim:
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound(N_("This claim does not exist."))
    if can(actor, Permission.ADMIN_CLAIMS_DECIDE):
        return claim
    if can(actor, Permission.CLAIM_SUBMIT) and actor.provider_id == claim.provider_id:
        return claim
    raise NotFound(N_("This claim does not exist."))


def _decide(session: Session, admin: Any, claim_id: int, target: str, reason: str | None, *, today: date,
            now: datetime) -> Claim:
    if not can(admin, Permission.ADMIN_CLAIMS_DECIDE):
        raise Forbidden(N_("Only the fund decides claims."))
    claim = get_claim(session, admin, claim_id)
    lock_row(session, claim)
    if claim.status != "submitted":
        raise Conflict(N_("This claim was already decided."), code="illegal_transition",
                       extra={"from_status": claim.status})
    claim.status = target
    claim.decided_at = now
    claim.decision_reason = reason
    if target == "approved":
        # The promise to the voucher becomes a debt to the provider.
        ledger.post(session, account="committed", kind="claim_approved", amount_cents=-claim.amount_cents,
                    booked_on=today, voucher_id=claim.voucher_id, claim_id=claim.id)
        ledger.post(session, account="payable", kind="claim_approved", amount_cents=claim.amount_cents,
                    booked_on=today, voucher_id=claim.voucher_id, claim_id=claim.id)
    else:
        for line in session.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim.id)):
            session.delete(line)  # the sessions may be claimed again, correctly
        voucher = session.get(Voucher, claim.voucher_id)
        if voucher is not None and voucher.status in ENDED_STATES:
            # An ended voucher kept this claim's share committed until now: release it.
            ledger.post(session, account="committed", kind="voucher_released", amount_cents=-claim.amount_cents,
                        booked_on=today, voucher_id=claim.voucher_id, claim_id=claim.id,
                        memo="claim rejected after expiry")
    audit.record(session, actor=admin, object_type="claim", object_id=claim.id, action="status_changed",
                 from_state="submitted", to_state=target, reason=reason, now=now)
    session.flush()
    tell_provider(session, claim, "claim_approved" if target == "approved" else "claim_rejected")
    return claim


def tell_provider(session: Session, claim: Claim, kind: str) -> None:
    """The provider's administrators hear what became of a claim (approved, rejected with why, paid)."""
    notify(session, provider_admins(session, claim.provider_id), kind, link=page("claims.claims"),
           object_type="claim", object_id=claim.id, number=claim.id, amount_cents=claim.amount_cents,
           reason=claim.decision_reason or "")


def approve_claim(session: Session, admin: Any, claim_id: int, *, today: date, now: datetime) -> Claim:
    return _decide(session, admin, claim_id, "approved", None, today=today, now=now)


def reject_claim(session: Session, admin: Any, claim_id: int, reason: str, *, today: date, now: datetime) -> Claim:
    if not (reason or "").strip():
        raise ValidationFailed(N_("Please give the reason."), fields={"reason": [N_("Please give the reason.")]})
    return _decide(session, admin, claim_id, "rejected", reason.strip(), today=today, now=now)


def list_claims(session: Session, actor: Any, *, status: str | None = None, limit: int = 50,
                after_id: int | None = None, search: Search | None = None) -> list[Claim]:
    query = select(Claim)
    if can(actor, Permission.ADMIN_CLAIMS_DECIDE):
        pass
    elif can(actor, Permission.CLAIM_SUBMIT):
        query = query.where(Claim.provider_id == actor.provider_id)
    else:
        raise Forbidden(N_("Not allowed."))
    if status:
        query = query.where(Claim.status == status)
    if after_id:
        query = query.where(Claim.id > after_id)
    if search is not None:  # what a search finds (``reads.claims_found``)
        query = query.where(claims_found(*search.shape)).params(**search.params())
    return list(session.scalars(query.order_by(Claim.id).limit(limit)))
