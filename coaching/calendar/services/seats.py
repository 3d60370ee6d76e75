"""Seats of a planned collective session (a provider adds or removes a beneficiary), and a beneficiary
giving up their voucher, which frees every seat still booked for it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import notices
from coaching.calendar.services.sessions import (
    _lock_vouchers,
    _release,
    cancel_booked,
    check_fits,
    get_session_for_staff,
    seat_cost,
)
from portal import audit
from portal.clock import BRUSSELS
from portal.db import lock_row
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.notifications.services import notify, page, provider_admins
from portal.permissions import Permission, can
from vouchers.requests.models import Voucher
from vouchers.requests.services.vouchers import release_undelivered
from vouchers.requests.usage import UsageEntry


def _planned_collective(session: Session, actor: Any, session_id: int) -> CoachingSession:
    booked = get_session_for_staff(session, actor, session_id)
    lock_row(session, booked)
    if booked.kind != "collective":
        raise Conflict(N_("Only a group session has seats to add or remove."), code="not_collective")
    if booked.status != "scheduled":
        raise Conflict(N_("Seats change only while the session is planned."), code="illegal_transition")
    return booked


def add_seat(session: Session, actor: Any, session_id: int, voucher_id: int, *, now: datetime) -> SessionSeat:
    """One more beneficiary in a planned group session: places, the voucher's balance and its validity apply."""
    booked = _planned_collective(session, actor, session_id)
    [voucher] = _lock_vouchers(session, booked.provider_id, [voucher_id])
    seats = session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)).all()
    if any(seat.voucher_id == voucher.id for seat in seats):
        raise Conflict(N_("This beneficiary already has a seat in this session."), code="already_seated")
    if len(seats) >= booked.capacity:
        raise Conflict(N_("This session is full."), code="session_full", extra={"capacity": booked.capacity})
    if voucher.status not in ("approved", "in_progress"):
        raise Conflict(N_("This voucher is no longer open."), code="voucher_closed")
    day = booked.starts_at.astimezone(BRUSSELS).date()
    if not voucher.valid_from_on <= day <= voucher.valid_until_on:
        message = N_("The session must take place while the voucher is valid.")
        raise ValidationFailed(message, fields={"voucher_id": [message]})
    check_fits(session, voucher, booked.kind, booked.duration_minutes, rules=rules_on(session, day))
    cost = seat_cost(voucher, booked.kind, booked.duration_minutes)
    seat = SessionSeat(session_id=booked.id, voucher_id=voucher.id, cost_cents=cost)
    session.add(seat)
    session.add(UsageEntry(voucher_id=voucher.id, coaching_session_id=booked.id, kind="scheduled",
                           individual_minutes=0, collective_sessions=1, amount_cents=cost))
    session.flush()
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="added",
                 reason=f"voucher {voucher.id} joins session {booked.id}", now=now)
    notices.tell_booked(session, booked, [voucher])
    return seat


def remove_seat(session: Session, actor: Any, session_id: int, voucher_id: int, *, now: datetime) -> None:
    """A beneficiary leaves a planned group session: what it had booked on their voucher is released."""
    booked = _planned_collective(session, actor, session_id)
    seat = session.scalar(select(SessionSeat).where(SessionSeat.session_id == booked.id,
                                                    SessionSeat.voucher_id == voucher_id))
    if seat is None:
        raise NotFound(N_("This beneficiary has no seat in this session."))
    voucher = session.get(Voucher, voucher_id)
    assert voucher is not None
    _free(session, actor, booked, seat, now=now, reason="removed by the provider")
    notices.tell_cancelled(session, booked, [voucher])


def _free(session: Session, actor: Any, booked: CoachingSession, seat: SessionSeat, *, now: datetime,
          reason: str) -> None:
    _release(session, booked, seat, booked.kind)
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="removed",
                 reason=reason, now=now)
    session.delete(seat)
    session.flush()


def withdraw_voucher(session: Session, actor: Any, voucher_id: int, reason: str | None, *,
                     now: datetime) -> Voucher:
    """The beneficiary gives up an open voucher. Sessions still planned are cancelled (an individual one
    whole, a group one for this seat only) and their coach told; what was not delivered goes back to the
    fund; sessions already delivered stay claimable by the provider."""
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or not can(actor, Permission.VOUCHER_VIEW_OWN, voucher):
        raise NotFound(N_("This voucher does not exist."))
    lock_row(session, voucher)
    if voucher.status not in ("approved", "in_progress"):
        raise Conflict(N_("This voucher is no longer open."), code="illegal_transition",
                       extra={"from_status": voucher.status})
    planned = session.execute(
        select(SessionSeat, CoachingSession).join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
        .where(SessionSeat.voucher_id == voucher.id, CoachingSession.status == "scheduled")
        .order_by(CoachingSession.id)).all()
    for seat, booked in planned:
        lock_row(session, booked)
        if booked.kind == "individual":
            cancel_booked(session, actor, booked, now=now, reason="the beneficiary gave up the voucher")
        else:
            _free(session, actor, booked, seat, now=now, reason="the beneficiary gave up the voucher")
        notices.tell_coach_seat_freed(session, booked, voucher)
    previous = voucher.status
    voucher.status = "withdrawn"
    audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id, action="status_changed",
                 from_state=previous, to_state="withdrawn", reason=(reason or "").strip()[:500] or None, now=now)
    session.flush()
    release_undelivered(session, voucher, today=now.astimezone(BRUSSELS).date(), memo="withdrawn")
    notify(session, provider_admins(session, voucher.provider_id), "voucher_withdrawn",
           link=page("providers.voucher", voucher_id=voucher.id), object_type="voucher", object_id=voucher.id,
           code=voucher.code)
    return voucher
