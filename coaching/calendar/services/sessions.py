"""Sessions: scheduling, logging, the beneficiary's confirmation, and silence confirming.

Hours and euros come off a voucher through the append-only usage ledger
(``coaching.usage``), always while the voucher rows are locked, so two coaches
booking or logging at once can never overspend a voucher.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from coaching.calendar import domain
from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import notices
from coaching.providers import domain as offer_domain
from coaching.providers.models import Coach
from portal import audit
from portal.clock import BRUSSELS
from portal.db import lock_row
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, Role, can
from vouchers.requests.models import Beneficiary, Voucher
from vouchers.requests.services.vouchers import release_undelivered
from vouchers.requests.usage import UsageEntry, usage_totals

ATTENDANCE = ("attended", "no_show", "late_cancel")


@dataclass
class SessionPlan:
    coach_id: int
    kind: str
    voucher_ids: list[int]
    starts_at: datetime
    duration_minutes: int
    mode: str = "onsite"
    capacity: int | None = None
    location: str = ""
    theme: str = ""


def seat_cost(voucher: Voucher, kind: str, minutes: int) -> int:
    unit = voucher.individual_unit_cents if kind == "individual" else voucher.collective_unit_cents
    return domain.session_cost_cents(kind, minutes, unit or 0)


def _usage_for_checks(session: Session, voucher: Voucher, *, exclude_scheduled: int = 0,
                      exclude_minutes: int = 0, exclude_collective: int = 0) -> domain.VoucherUsage:
    """Delivered plus booked, so that a booking also counts against the balance."""
    totals = usage_totals(session, voucher.id)
    return domain.VoucherUsage(
        individual_minutes_used=totals.individual_minutes + totals.scheduled_individual_minutes - exclude_minutes,
        collective_sessions_used=totals.collective_sessions + totals.scheduled_collective_sessions - exclude_collective,
        spent_cents=totals.spent_cents + totals.scheduled_cents - exclude_scheduled,
    )


def check_fits(session: Session, voucher: Voucher, kind: str, minutes: int, *, rules: Any, **exclude: int) -> None:
    if voucher.individual_hours is None or voucher.collective_sessions is None:
        raise Conflict(N_("The provider has not fixed the mix of this voucher yet."), code="mix_not_fixed")
    mix = offer_domain.Mix(voucher.individual_hours, voucher.collective_sessions)
    unit = voucher.individual_unit_cents if kind == "individual" else voucher.collective_unit_cents
    problems = domain.check_can_log(mix, _usage_for_checks(session, voucher, **exclude), kind, minutes, unit or 0,
                                    voucher.value_cents, rules=rules)
    duration = [p for p in problems if p.code in ("out_of_range", "not_step", "collective_length", "unknown",
                                                   "not_integer")]
    if duration:
        raise ValidationFailed(N_("This duration is not allowed."), code="invalid_duration",
                               fields={"duration_minutes": [p.message for p in duration]})
    if problems:
        raise Conflict(N_("This would go beyond what is left on the voucher."), code="balance_exceeded",
                       fields={"voucher_ids": [f"voucher {voucher.id}: {p.message}" for p in problems]})


def _lock_vouchers(session: Session, provider_id: int, voucher_ids: list[int]) -> list[Voucher]:
    vouchers = []
    for voucher_id in sorted(set(voucher_ids)):  # a fixed order: two bookings never deadlock
        voucher = session.get(Voucher, voucher_id)
        if voucher is None or voucher.provider_id != provider_id:
            raise NotFound(N_("This voucher does not exist."))
        lock_row(session, voucher)
        vouchers.append(voucher)
    return vouchers


def _coach_for(session: Session, actor: Any, coach_id: int) -> Coach:
    from coaching.providers.services.offers import get_coach

    return get_coach(session, actor, coach_id)


def schedule_session(session: Session, actor: Any, plan: SessionPlan, *, now: datetime) -> CoachingSession:
    """Book a session in a coach's calendar for one voucher (individual) or several (collective).

    409 on a double booking of the coach (refused by the database itself) or
    when a voucher's mix or value would be exceeded.
    """
    if not can(actor, Permission.SESSION_SCHEDULE):
        raise NotFound(N_("This coach does not exist."))
    coach = _coach_for(session, actor, plan.coach_id)
    if plan.starts_at.tzinfo is None:
        raise ValidationFailed(N_("Give the start time with its time zone."), fields={"starts_at": [N_("Give the start time with its time zone.")]})
    if plan.kind not in ("individual", "collective"):
        raise ValidationFailed(N_("Choose individual or collective."), fields={"kind": [N_("Choose individual or collective.")]})
    if plan.mode not in ("onsite", "online"):
        raise ValidationFailed(N_("Choose on site or online."), fields={"mode": [N_("Choose on site or online.")]})
    if not plan.voucher_ids:
        raise ValidationFailed(N_("Choose at least one voucher."), fields={"voucher_ids": [N_("Choose at least one voucher.")]})
    capacity = plan.capacity or (1 if plan.kind == "individual" else max(len(plan.voucher_ids), 1))
    if plan.kind == "individual" and len(set(plan.voucher_ids)) != 1:
        raise ValidationFailed(N_("An individual session is for one voucher."), fields={"voucher_ids": [N_("An individual session is for one voucher.")]})
    if len(set(plan.voucher_ids)) > capacity:
        raise ValidationFailed(N_("More people than places."), fields={"capacity": [N_("More people than places.")]})
    today = plan.starts_at.astimezone(BRUSSELS).date()
    rules = rules_on(session, today)
    problems = domain.validate_session_duration(plan.kind, plan.duration_minutes, rules)
    if problems:
        raise ValidationFailed(N_("This duration is not allowed."), code="invalid_duration",
                               fields={"duration_minutes": [p.message for p in problems]})
    vouchers = _lock_vouchers(session, coach.provider_id, plan.voucher_ids)
    for voucher in vouchers:
        if voucher.status not in ("approved", "in_progress"):
            raise Conflict(N_("This voucher is no longer open."), code="voucher_closed")
        if not voucher.valid_from_on <= today <= voucher.valid_until_on:
            raise ValidationFailed(N_("The session must take place while the voucher is valid."),
                                   fields={"starts_at": [N_("The session must take place while the voucher is valid.")]})
        check_fits(session, voucher, plan.kind, plan.duration_minutes, rules=rules)
    booked = CoachingSession(provider_id=coach.provider_id, coach_id=coach.id, kind=plan.kind, mode=plan.mode,
                             starts_at=plan.starts_at, ends_at=plan.starts_at + timedelta(minutes=plan.duration_minutes),
                             duration_minutes=plan.duration_minutes, capacity=capacity, location=plan.location,
                             theme=plan.theme, status="scheduled", created_at=now)
    try:
        with session.begin_nested():  # a refused booking leaves nothing pending in the session
            session.add(booked)
            session.flush()
    except (IntegrityError, DBAPIError) as exc:
        text = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
        if "coach_double_booked" in text or "ex_coaching_sessions_no_overlap" in text or "exclusion" in text:
            raise Conflict(N_("The coach already has a session at that time."), code="double_booking") from exc
        raise
    for voucher in vouchers:
        cost = seat_cost(voucher, plan.kind, plan.duration_minutes)
        seat = SessionSeat(session_id=booked.id, voucher_id=voucher.id, cost_cents=cost)
        session.add(seat)
        session.add(UsageEntry(voucher_id=voucher.id, coaching_session_id=booked.id, kind="scheduled",
                               individual_minutes=plan.duration_minutes if plan.kind == "individual" else 0,
                               collective_sessions=1 if plan.kind == "collective" else 0, amount_cents=cost))
    session.flush()
    audit.record(session, actor=actor, object_type="coaching_session", object_id=booked.id, action="scheduled",
                 to_state="scheduled", now=now)
    notices.tell_booked(session, booked, vouchers)
    return booked


def get_session_for_staff(session: Session, actor: Any, session_id: int) -> CoachingSession:
    booked = session.get(CoachingSession, session_id)
    if booked is None or not can(actor, Permission.SESSION_LOG) or booked.provider_id != actor.provider_id:
        raise NotFound(N_("This session does not exist."))
    if actor.role == Role.COACH:
        coach = session.get(Coach, booked.coach_id)
        if coach is None or coach.user_id != actor.id:
            raise NotFound(N_("This session does not exist."))  # coaches see only their own sessions
    return booked


def _release(session: Session, booked: CoachingSession, seat: SessionSeat, kind: str) -> None:
    scheduled = session.scalars(select(UsageEntry).where(UsageEntry.coaching_session_id == booked.id,
                                                         UsageEntry.voucher_id == seat.voucher_id,
                                                         UsageEntry.kind.in_(("scheduled", "released")))).all()
    minutes = sum(e.individual_minutes for e in scheduled)
    sessions_ = sum(e.collective_sessions for e in scheduled)
    cents = sum(e.amount_cents for e in scheduled)
    if minutes or sessions_ or cents:
        session.add(UsageEntry(voucher_id=seat.voucher_id, coaching_session_id=booked.id, kind="released",
                               individual_minutes=-minutes, collective_sessions=-sessions_, amount_cents=-cents))


def log_session(session: Session, actor: Any, session_id: int, attendance: dict[int, str], duration_minutes: int,
                note: str | None, *, now: datetime) -> CoachingSession:
    """Record who came, the real duration and a short neutral note. Attended seats use the voucher;
    each beneficiary then has 5 Belgian working days to confirm or dispute."""
    booked = get_session_for_staff(session, actor, session_id)
    lock_row(session, booked)
    if booked.status != "scheduled":
        raise Conflict(N_("This session is already logged or cancelled."), code="already_logged")
    if booked.starts_at > now:  # nothing can be confirmed, claimed or paid before it happened
        raise Conflict(N_("A session can be logged once it has started."), code="not_started")
    seats = {s.voucher_id: s for s in session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id))}
    if set(attendance) != set(seats):
        raise ValidationFailed(N_("Give the attendance of every beneficiary of this session."),
                               fields={"attendance": [N_("Give the attendance of every beneficiary of this session.")]})
    if any(value not in ATTENDANCE for value in attendance.values()):
        raise ValidationFailed(N_("Attendance is attended, no_show or late_cancel."),
                               fields={"attendance": [N_("Attendance is attended, no_show or late_cancel.")]})
    if note is not None and len(note) > 2000:
        raise ValidationFailed(N_("Keep the note short."), fields={"note": [N_("Keep the note short (2,000 characters at most).")]})
    logged_on = now.astimezone(BRUSSELS).date()
    rules = rules_on(session, logged_on)
    vouchers = {v.id: v for v in _lock_vouchers(session, booked.provider_id, list(seats))}
    for voucher_id, seat in seats.items():
        voucher = vouchers[voucher_id]
        if attendance[voucher_id] == "attended":
            scheduled_cost = seat.cost_cents
            check_fits(session, voucher, booked.kind, duration_minutes, rules=rules, exclude_scheduled=scheduled_cost,
                        exclude_minutes=booked.duration_minutes if booked.kind == "individual" else 0,
                        exclude_collective=1 if booked.kind == "collective" else 0)
    for voucher_id, seat in seats.items():
        voucher = vouchers[voucher_id]
        _release(session, booked, seat, booked.kind)
        seat.attendance = attendance[voucher_id]
        seat.confirm_by_on = domain.confirmation_deadline(logged_on, rules.confirmation_working_days)
        if seat.attendance == "attended":
            # No-shows and late cancellations use no hours and are not claimable.
            seat.cost_cents = seat_cost(voucher, booked.kind, duration_minutes)
            session.add(UsageEntry(voucher_id=voucher.id, coaching_session_id=booked.id, kind="delivered",
                                   individual_minutes=duration_minutes if booked.kind == "individual" else 0,
                                   collective_sessions=1 if booked.kind == "collective" else 0,
                                   amount_cents=seat.cost_cents))
            if voucher.status == "approved":
                voucher.status = "in_progress"
                audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id,
                             action="status_changed", from_state="approved", to_state="in_progress",
                             reason="first session logged", now=now)
        else:
            seat.cost_cents = 0
    booked.status = "logged"
    booked.logged_minutes = duration_minutes
    booked.note = (note or "").strip() or None
    booked.logged_at = now
    session.flush()
    for voucher in vouchers.values():
        complete_if_used_up(session, actor, voucher, now=now)
    audit.record(session, actor=actor, object_type="coaching_session", object_id=booked.id, action="logged",
                 from_state="scheduled", to_state="logged", now=now)
    notices.tell_logged(session, booked, seats.values(), vouchers)
    return booked


def complete_if_used_up(session: Session, actor: Any, voucher: Voucher, *, now: datetime) -> None:
    """Complete the (locked) voucher once it is really used up: the whole mix, or its value,
    delivered, and no attended seat still waiting for the beneficiary's answer or disputed. A dispute
    can give hours back, and ``completed`` is final (vouchers.domain.VOUCHER_TRANSITIONS), so until
    then the voucher stays in progress. Called when a session is logged, confirmed (by the
    beneficiary or by silence) and when a dispute ends."""
    if voucher.status != "in_progress" or voucher.individual_hours is None:
        return
    totals = usage_totals(session, voucher.id)
    if (totals.individual_minutes >= voucher.individual_hours * 60
            and totals.collective_sessions >= (voucher.collective_sessions or 0)) or totals.spent_cents >= voucher.value_cents:
        unanswered = session.scalar(select(SessionSeat.id).where(
            SessionSeat.voucher_id == voucher.id, SessionSeat.attendance == "attended",
            SessionSeat.confirmation.in_(("pending", "disputed"))).limit(1))
        if unanswered is not None:
            return
        voucher.status = "completed"
        audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id, action="status_changed",
                     from_state="in_progress", to_state="completed", reason="the whole mix was delivered", now=now)
        release_undelivered(session, voucher, today=now.astimezone(BRUSSELS).date(), memo="completed")


def cancel_session(session: Session, actor: Any, session_id: int, *, now: datetime) -> CoachingSession:
    booked = get_session_for_staff(session, actor, session_id)
    lock_row(session, booked)
    if booked.status != "scheduled":
        raise Conflict(N_("Only a scheduled session can be cancelled."), code="illegal_transition")
    seats = cancel_booked(session, actor, booked, now=now)
    session.flush()
    notices.tell_cancelled(session, booked, [session.get(Voucher, seat.voucher_id) for seat in seats])
    return booked


def cancel_booked(session: Session, actor: Any, booked: CoachingSession, *, now: datetime,
                  reason: str | None = None) -> list[SessionSeat]:
    """Cancel a scheduled (locked) session: what each seat booked on its voucher is released. Returns the seats."""
    seats = list(session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)))
    for seat in seats:
        _release(session, booked, seat, booked.kind)
    booked.status = "cancelled"
    audit.record(session, actor=actor, object_type="coaching_session", object_id=booked.id, action="cancelled",
                 from_state="scheduled", to_state="cancelled", reason=reason, now=now)
    return seats


def beneficiary_seat(session: Session, actor: Any, session_id: int) -> SessionSeat:
    if not can(actor, Permission.SESSION_CONFIRM):
        raise NotFound(N_("This session does not exist."))
    seat = session.scalar(
        select(SessionSeat).join(Voucher, Voucher.id == SessionSeat.voucher_id)
        .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
        .where(SessionSeat.session_id == session_id, Beneficiary.user_id == actor.id))
    if seat is None:
        raise NotFound(N_("This session does not exist."))
    return seat


def confirm_session(session: Session, actor: Any, session_id: int, *, now: datetime) -> SessionSeat:
    seat = beneficiary_seat(session, actor, session_id)
    lock_row(session, seat)
    if seat.attendance is None:
        raise Conflict(N_("This session is not logged yet."), code="not_logged")
    if seat.confirmation != "pending":
        raise Conflict(N_("You already answered for this session."), code="already_answered")
    check_answer_in_time(seat, now=now)
    seat.confirmation = "confirmed"
    seat.confirmed_at = now
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="confirmed",
                 from_state="pending", to_state="confirmed", now=now)
    session.flush()
    _complete_after_answers(session, actor, [seat.voucher_id], now=now)
    return seat


def check_answer_in_time(seat: SessionSeat, *, now: datetime) -> None:
    """After the confirm-by day (Brussels) silence has confirmed the session: no answer is taken any more."""
    if seat.confirm_by_on is not None and now.astimezone(BRUSSELS).date() > seat.confirm_by_on:
        raise Conflict(N_("The time to answer for this session has passed: it counts as confirmed. If something "
                          "is wrong, write to your coaching provider."), code="answer_period_over",
                       extra={"confirm_by_on": seat.confirm_by_on.isoformat()})


def _complete_after_answers(session: Session, actor: Any, voucher_ids: list[int], *, now: datetime) -> None:
    """Seats were confirmed: their vouchers may now be really used up."""
    for voucher_id in sorted(set(voucher_ids)):  # a fixed order, as when booking
        voucher = session.get(Voucher, voucher_id)
        if voucher is not None and voucher.status == "in_progress":
            lock_row(session, voucher)
            complete_if_used_up(session, actor, voucher, now=now)
    session.flush()




def confirm_by_silence(session: Session, *, today: date, now: datetime) -> list[int]:
    """Seats not answered by their deadline (5 Belgian working days) count as confirmed. Safe to run twice."""
    seats = session.scalars(select(SessionSeat).where(SessionSeat.confirmation == "pending",
                                                      SessionSeat.attendance.is_not(None),
                                                      SessionSeat.confirm_by_on < today)).all()
    for seat in seats:
        seat.confirmation = "confirmed"
        seat.confirmed_at = now
        seat.confirmed_by_silence = True
        audit.record(session, actor=None, object_type="session_seat", object_id=seat.id, action="confirmed",
                     from_state="pending", to_state="confirmed", reason="no answer within 5 working days", now=now)
    session.flush()
    _complete_after_answers(session, None, [s.voucher_id for s in seats], now=now)
    return [s.id for s in seats]
