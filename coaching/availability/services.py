"""A coach's availability: the weekly pattern and its exceptions, edited by the coach or by a
provider administrator, and read by the week view, the API and the booking warning.

The rules (steps of 15 minutes, no overlaps, daylight saving) are in ``coaching.availability``;
these use cases load, check ownership, lock the coach row while editing (two editors queue up
instead of both passing the overlap check), write, and audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    cast,
    delete,
    exists,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from coaching.availability import domain as calendar_rules
from coaching.availability.models import Availability, AvailabilityException
from coaching.calendar.models import CoachingSession
from coaching.providers.domain import Problem
from coaching.providers.models import Coach
from coaching.providers.services.offers import get_coach
from portal import audit
from portal.clock import today_in_brussels
from portal.db import lock_row
from portal.errors import N_, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, can

#: The longest stretch of days the interval query answers at once.
MAX_INTERVAL_DAYS = 62


OUTSIDE_AVAILABILITY = N_("This session is outside the coach's availability (it is booked all the same).")


@dataclass(frozen=True)
class WeeklyInput:
    weekday: int
    start_time: time
    end_time: time


@dataclass(frozen=True)
class ExceptionInput:
    from_on: date
    until_on: date | None = None
    available: bool = False
    start_time: time | None = None
    end_time: time | None = None
    reason: str = ""


@dataclass
class CoachAvailability:
    coach: Coach
    weekly: list[Availability]
    exceptions: list[AvailabilityException]


def _fields(problems: list[Problem]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.field, []).append(problem.message)
    return fields


def calendar_coach(session: Session, actor: Any, coach_id: int) -> Coach:
    """The coach whose calendar ``actor`` may edit: their own, or one of their provider's (admins)."""
    if not can(actor, Permission.CALENDAR_MANAGE):
        raise NotFound(N_("This coach does not exist."))
    return get_coach(session, actor, coach_id)


def _weekly_rules(rows: list[Availability]) -> list[calendar_rules.WeeklyRange]:
    return [calendar_rules.WeeklyRange(r.weekday, r.start_time, r.end_time) for r in rows]


def _exception_rule(row: AvailabilityException) -> calendar_rules.ExceptionRule:
    return calendar_rules.ExceptionRule(row.on_date, row.until_on, row.available, row.start_time, row.end_time)


def _weekly_rows(session: Session, coach_id: int) -> list[Availability]:
    return list(session.scalars(select(Availability).where(Availability.coach_id == coach_id)
                                .order_by(Availability.weekday, Availability.start_time)))


def _exception_rows(session: Session, coach_id: int, first: date, last: date | None = None) -> list[AvailabilityException]:
    query = select(AvailabilityException).where(AvailabilityException.coach_id == coach_id,
                                                AvailabilityException.until_on >= first)
    if last is not None:
        query = query.where(AvailabilityException.on_date <= last)
    return list(session.scalars(query.order_by(AvailabilityException.on_date, AvailabilityException.start_time,
                                               AvailabilityException.id)))


def coach_availability(session: Session, actor: Any, coach_id: int, *, today: date) -> CoachAvailability:
    """The weekly pattern and the exceptions not over yet (past ones are history, kept but not shown)."""
    coach = calendar_coach(session, actor, coach_id)
    return CoachAvailability(coach, _weekly_rows(session, coach.id), _exception_rows(session, coach.id, today))


def replace_weekly(session: Session, actor: Any, coach_id: int, ranges: list[WeeklyInput], *,
                   timezone: str | None = None, now: datetime) -> CoachAvailability:
    """Set the whole weekly pattern at once (and, optionally, the coach's time zone).

    The times stay wall-clock times in the coach's zone, so they follow daylight saving.
    """
    coach = calendar_coach(session, actor, coach_id)
    lock_row(session, coach)
    if timezone is not None and timezone != coach.timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValidationFailed(N_("Unknown time zone."),
                                   fields={"timezone": [N_("Use a time zone such as Europe/Brussels.")]}) from exc
    step = rules_on(session, today_in_brussels(now)).session_step_minutes
    problems = calendar_rules.validate_weekly([calendar_rules.WeeklyRange(r.weekday, r.start_time, r.end_time) for r in ranges],
                                      step_minutes=step)
    if problems:
        raise ValidationFailed(N_("These hours cannot be saved."), code="invalid_availability",
                               fields=_fields(problems))
    before = _summary(_weekly_rows(session, coach.id))
    session.execute(delete(Availability).where(Availability.coach_id == coach.id))
    for item in sorted(ranges, key=lambda r: (r.weekday, r.start_time)):
        session.add(Availability(coach_id=coach.id, weekday=item.weekday, start_time=item.start_time,
                                 end_time=item.end_time))
    changes = []
    if timezone is not None and timezone != coach.timezone:
        changes.append(f"time zone {coach.timezone} -> {timezone}")
        coach.timezone = timezone
    session.flush()
    weekly = _weekly_rows(session, coach.id)
    after = _summary(weekly)
    audit.record(session, actor=actor, object_type="coach", object_id=coach.id, action="availability_changed",
                 reason="; ".join(changes + [f"weekly {after or 'none'} (was {before or 'none'})"])[:2000], now=now)
    return CoachAvailability(coach, weekly, _exception_rows(session, coach.id, today_in_brussels(now)))


def _summary(rows: list[Availability]) -> str:
    """``"0: 09:00-12:00; 2: 13:00-17:00"`` (weekday 0 is Monday), for the audit log."""
    return "; ".join(f"{r.weekday}: {r.start_time:%H:%M}-{r.end_time:%H:%M}" for r in rows)


def add_exception(session: Session, actor: Any, coach_id: int, data: ExceptionInput, *, today: date,
                  now: datetime) -> AvailabilityException:
    """A day or days off, hours off, or extra hours. Refused when it clashes with another exception."""
    coach = calendar_coach(session, actor, coach_id)
    lock_row(session, coach)
    until_on = data.until_on or data.from_on
    rule = calendar_rules.ExceptionRule(data.from_on, until_on, data.available, data.start_time, data.end_time)
    existing = [_exception_rule(row) for row in _exception_rows(session, coach.id, data.from_on, until_on)]
    problems = calendar_rules.validate_exception(rule, existing, today=today,
                                         step_minutes=rules_on(session, today).session_step_minutes)
    reason = (data.reason or "").strip()
    if len(reason) > 200:
        problems.append(Problem("reason", "too_long", "Keep the reason short (200 characters at most)."))
    if problems:
        raise ValidationFailed(N_("This exception cannot be saved."), code="invalid_exception",
                               fields=_fields(problems))
    row = AvailabilityException(coach_id=coach.id, on_date=data.from_on, until_on=until_on,
                                available=data.available, start_time=data.start_time, end_time=data.end_time,
                                reason=reason)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, object_type="coach", object_id=coach.id, action="availability_exception_added",
                 reason=_describe(row), now=now)
    return row


def remove_exception(session: Session, actor: Any, coach_id: int, exception_id: int, *, now: datetime) -> None:
    coach = calendar_coach(session, actor, coach_id)
    row = session.get(AvailabilityException, exception_id)
    if row is None or row.coach_id != coach.id:
        raise NotFound(N_("This exception does not exist."))
    description = _describe(row)
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, object_type="coach", object_id=coach.id,
                 action="availability_exception_removed", reason=description, now=now)


def _describe(row: AvailabilityException) -> str:
    days = row.on_date.isoformat() if row.until_on == row.on_date else f"{row.on_date}..{row.until_on}"
    hours = "all day" if row.start_time is None else f"{row.start_time:%H:%M}-{row.end_time:%H:%M}"
    return f"{'extra' if row.available else 'off'} {days} {hours}" + (f" ({row.reason})" if row.reason else "")


def intervals_for(session: Session, coach: Coach, first: date, last: date) -> list[tuple[datetime, datetime]]:
    """The coach's availability from local day ``first`` to ``last`` as aware UTC intervals."""
    weekly = _weekly_rules(_weekly_rows(session, coach.id))
    exceptions = [_exception_rule(row) for row in _exception_rows(session, coach.id, first, last)]
    return calendar_rules.availability_intervals(first, last, coach.timezone, weekly, exceptions)


def rules_between(session: Session, coach: Coach, first: date,
                  last: date) -> tuple[list[calendar_rules.WeeklyRange], list[calendar_rules.ExceptionRule]]:
    """The coach's weekly pattern and the exceptions touching local days ``first`` to ``last``, as the pure rules
    read them (for the week's grid), in one statement: the weekly rows and the exceptions' rows one after the other."""
    weekly_rows = select(literal(0).label("exception"), Availability.weekday.label("weekday"),
                         cast(null(), Date).label("on_date"), cast(null(), Date).label("until_on"),
                         cast(literal(False), Boolean).label("available"), Availability.start_time.label("start_time"),
                         Availability.end_time.label("end_time")).where(Availability.coach_id == coach.id)
    exception_rows = select(literal(1), cast(null(), Integer), AvailabilityException.on_date,
                            AvailabilityException.until_on, AvailabilityException.available,
                            AvailabilityException.start_time, AvailabilityException.end_time).where(
        AvailabilityException.coach_id == coach.id, AvailabilityException.until_on >= first,
        AvailabilityException.on_date <= last)
    both = union_all(weekly_rows, exception_rows).subquery()
    weekly: list[calendar_rules.WeeklyRange] = []
    exceptions: list[calendar_rules.ExceptionRule] = []
    for row in session.execute(select(both).order_by(both.c.exception, both.c.weekday, both.c.on_date,
                                                    both.c.start_time)):
        if row.exception:
            exceptions.append(calendar_rules.ExceptionRule(row.on_date, row.until_on, bool(row.available),
                                                           row.start_time, row.end_time))
        else:
            weekly.append(calendar_rules.WeeklyRange(row.weekday, row.start_time, row.end_time))
    return weekly, exceptions


def availability_between(session: Session, actor: Any, coach_id: int, from_on: date,
                         to_on: date) -> tuple[Coach, list[tuple[datetime, datetime]]]:
    coach = calendar_coach(session, actor, coach_id)
    if to_on < from_on:
        raise ValidationFailed(N_("The last day must not come before the first."),
                               fields={"to_on": [N_("The last day must not come before the first.")]})
    if (to_on - from_on).days + 1 > MAX_INTERVAL_DAYS:
        raise ValidationFailed(N_("Ask for two months at most at once."),
                               fields={"to_on": [N_("Ask for two months at most at once.")]})
    return coach, intervals_for(session, coach, from_on, to_on)


def has_availability(session: Session, coach_id: int) -> bool:
    """Whether the coach has said anything about their hours (no pattern at all: nothing to warn about)."""
    return bool(session.scalar(select(exists().where(Availability.coach_id == coach_id)))
                or session.scalar(select(exists().where(AvailabilityException.coach_id == coach_id))))


def booking_warnings(session: Session, booked: CoachingSession) -> list[dict[str, str]]:
    """Warnings, never refusals, about a booked session: outside the coach's availability.

    DOMAIN.md makes no rule of availability (only that a coach is never booked twice): a session
    agreed with the beneficiary outside the usual hours stays possible, and the person booking
    it is told. A coach who set no hours at all gets no warning.
    """
    coach = session.get(Coach, booked.coach_id)
    if coach is None or not has_availability(session, coach.id):
        return []
    zone = ZoneInfo(coach.timezone)
    first = booked.starts_at.astimezone(zone).date() - timedelta(days=1)
    last = booked.ends_at.astimezone(zone).date()
    if calendar_rules.is_within(intervals_for(session, coach, first, last), booked.starts_at, booked.ends_at):
        return []
    return [{"code": "outside_availability", "message": OUTSIDE_AVAILABILITY}]
