"""Scheduled jobs of the coaching package: silent confirmations, reminders, quality labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar.domain import MODE_TEXTS
from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services.sessions import confirm_by_silence
from coaching.providers.models import Coach
from portal.auth.models import User
from portal.errors import N_
from portal.notifications.services import Msg, notify, page
from portal.scheduler import scheduled
from vouchers.requests.models import Voucher


@scheduled("confirm_by_silence", trigger="cron", hour=1, minute=0,
           description=N_("Logged sessions without an answer after 5 Belgian working days count as confirmed."))
def silent_confirmations(session: Session, *, today: date, now: datetime) -> str:
    return f"{len(confirm_by_silence(session, today=today, now=now))} confirmed"


@scheduled("session_reminders", period="hour", trigger="interval", hours=1,
           description=N_("Remind beneficiaries and coaches of sessions starting in about 24 hours."))
def session_reminders(session: Session, *, today: date, now: datetime) -> str:
    window = session.scalars(select(CoachingSession).where(
        CoachingSession.status == "scheduled", CoachingSession.starts_at >= now + timedelta(hours=23),
        CoachingSession.starts_at < now + timedelta(hours=25))).all()
    sent = 0
    for booked in window:
        where = booked.location or Msg(MODE_TEXTS.get(booked.mode, booked.mode))
        people = []
        for seat in session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)):
            voucher = session.get(Voucher, seat.voucher_id)
            if voucher is not None:
                people.append(voucher.beneficiary.user)
                sent += notify(session, [voucher.beneficiary.user], "session_reminder", key=f"reminder-seat-{seat.id}",
                               link=page("agenda.agenda"), object_type="coaching_session", object_id=booked.id,
                               starts_at=booked.starts_at, mode=where)
        coach = session.get(Coach, booked.coach_id)
        coach_user = session.get(User, coach.user_id) if coach is not None and coach.user_id else None
        if coach_user is not None:
            sent += notify(session, [coach_user], "session_reminder_coach", key=f"reminder-session-{booked.id}",
                           link=page("calendar.session_detail", session_id=booked.id), object_type="coaching_session",
                           object_id=booked.id, starts_at=booked.starts_at, mode=where,
                           people=", ".join(person.display_name for person in people))
    return f"{sent} reminders"
