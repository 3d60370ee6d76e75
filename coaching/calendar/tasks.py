"""Scheduled jobs of the coaching package: silent confirmations, reminders, quality labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import confirm_by_silence
from coaching.providers.models import Coach
from portal.auth.models import User
from portal.clock import BRUSSELS
from portal.errors import N_
from portal.notify import notify_user
from portal.scheduler import scheduled
from vouchers.requests.models import Voucher


@scheduled("confirm_by_silence", trigger="cron", hour=1, minute=0,
           description="Logged sessions without an answer after 5 Belgian working days count as confirmed.")
def silent_confirmations(session: Session, *, today: date, now: datetime) -> str:
    return f"{len(confirm_by_silence(session, today=today, now=now))} confirmed"


@scheduled("session_reminders", period="hour", trigger="interval", hours=1,
           description="Remind beneficiaries and coaches of sessions starting in about 24 hours.")
def session_reminders(session: Session, *, today: date, now: datetime) -> str:
    window = session.scalars(select(CoachingSession).where(
        CoachingSession.status == "scheduled", CoachingSession.starts_at >= now + timedelta(hours=23),
        CoachingSession.starts_at < now + timedelta(hours=25))).all()
    sent = 0
    for booked in window:
        local = booked.starts_at.astimezone(BRUSSELS).strftime("%d/%m/%Y %H:%M")
        coach = session.get(Coach, booked.coach_id)
        if coach is not None and coach.user_id:
            coach_user = session.get(User, coach.user_id)
            if coach_user is not None:
                sent += notify_user(session, coach_user, key=f"reminder-session-{booked.id}",
                                    subject=N_("Tomorrow: coaching session at %(when)s"),
                                    body=N_("Reminder: you have a coaching session on %(when)s (%(where)s)."),
                                    when=local, where=booked.location or booked.mode)
        for seat in session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)):
            voucher = session.get(Voucher, seat.voucher_id)
            if voucher is not None:
                sent += notify_user(session, voucher.beneficiary.user, key=f"reminder-seat-{seat.id}",
                                    subject=N_("Tomorrow: coaching session at %(when)s"),
                                    body=N_("Reminder: you have a coaching session on %(when)s (%(where)s)."),
                                    when=local, where=booked.location or booked.mode)
    return f"{sent} reminders"
