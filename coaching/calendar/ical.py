"""A coach's calendar as an iCalendar feed, and the week view's data."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.providers.models import Coach
from coaching.providers.services.offers import get_coach
from portal import audit
from portal.auth.models import User
from portal.db import UTCDateTime, lock_row, prepared
from portal.errors import N_, NotFound
from portal.permissions import Permission, can
from vouchers.requests.models import Beneficiary, Voucher

#: Longer than any session (the rules allow 3.5 hours at most): sessions overlapping a period start
#: after its start minus this, so the (coach_id, starts_at) index bounds the scan on both sides
#: instead of reading the coach's whole history before the period.
LONGEST_SESSION = timedelta(days=1)


def sessions_between(session: Session, coach_id: int, start: datetime, end: datetime) -> list[CoachingSession]:
    return list(session.scalars(
        select(CoachingSession).where(CoachingSession.coach_id == coach_id, CoachingSession.starts_at < end,
                                      CoachingSession.starts_at > start - LONGEST_SESSION,
                                      CoachingSession.ends_at > start, CoachingSession.status != "cancelled")
        .order_by(CoachingSession.starts_at)))


def week_with_people(session: Session, coach_id: int, start: datetime,
                      end: datetime) -> list[tuple[CoachingSession, list[str]]]:
    """The week view's sessions (as ``sessions_between``), each with the names of the beneficiaries seated, by
    voucher: one statement (seats, vouchers and their holders' names joined)."""

    def build() -> Any:
        first, last = bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
        earliest = bindparam("earliest", type_=UTCDateTime())
        return (select(CoachingSession, User.first_name, User.last_name)
                .outerjoin(SessionSeat, SessionSeat.session_id == CoachingSession.id)
                .outerjoin(Voucher, Voucher.id == SessionSeat.voucher_id)
                .outerjoin(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
                .outerjoin(User, User.id == Beneficiary.user_id)
                .where(CoachingSession.coach_id == bindparam("coach_id", type_=Integer), CoachingSession.starts_at < last,
                       CoachingSession.starts_at > earliest, CoachingSession.ends_at > first,
                       CoachingSession.status != "cancelled")
                .order_by(CoachingSession.starts_at, SessionSeat.voucher_id))

    week: dict[int, tuple[CoachingSession, list[str]]] = {}
    for booked, first_name, last_name in session.execute(prepared("week_with_people", build),
                                                         {"coach_id": coach_id, "start": start, "end": end,
                                                          "earliest": start - LONGEST_SESSION}):
        names = week.setdefault(booked.id, (booked, []))[1]
        if first_name is not None or last_name is not None:
            names.append(f"{first_name or ''} {last_name or ''}".strip())
    return list(week.values())


def week_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the coach's zone (a DST week is 167 or 169 hours)."""
    monday = day - timedelta(days=day.weekday())
    zone = ZoneInfo(tz)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone)
    return start, end


def ical_feed(session: Session, coach: Coach, *, now: datetime, base_url: str) -> bytes:
    """Sessions from a month ago to six months ahead. No beneficiary names: the feed may leave the portal."""
    calendar = Calendar()
    calendar.add("prodid", "-//Fonds Retour au Travail//Portal//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Coaching · {coach.display_name}")
    for booked in sessions_between(session, coach.id, now - timedelta(days=31), now + timedelta(days=183)):
        event = Event()
        event.add("uid", f"session-{booked.id}@tnw-portal")
        event.add("dtstamp", now)
        event.add("dtstart", booked.starts_at)
        event.add("dtend", booked.ends_at)
        kind = "Individual coaching" if booked.kind == "individual" else "Group session"
        event.add("summary", f"{kind}{' · ' + booked.theme if booked.theme else ''}")
        if booked.location:
            event.add("location", booked.location)
        event.add("url", f"{base_url.rstrip('/')}/coach/sessions/{booked.id}")
        calendar.add_component(event)
    return calendar.to_ical()


def reset_calendar_token(session: Session, actor: Any, coach_id: int, *, now: datetime) -> Coach:
    """A new secret for the coach's feed URL: calendar apps subscribed with the old link stop receiving it.

    The coach resets their own link, a provider administrator any of the provider's coaches;
    anyone else finds no such coach.
    """
    if not can(actor, Permission.CALENDAR_MANAGE):
        raise NotFound(N_("This coach does not exist."))
    coach = get_coach(session, actor, coach_id)
    lock_row(session, coach)
    coach.calendar_token = secrets.token_urlsafe(24)
    audit.record(session, actor=actor, object_type="coach", object_id=coach.id, action="calendar_token_reset",
                 now=now)
    session.flush()
    return coach
