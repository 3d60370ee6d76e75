"""The coach's week as a time grid (coaching.calendar.week_grid): which quarter-hours are shaded as the coach's hours,
which hold a session and for how long, which free hours can be booked, and where each goes on the grid."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from coaching.availability.domain import ExceptionRule, WeeklyRange
from coaching.calendar.week_grid import (
    Span,
    belgian_holiday_names,
    holidays_of_week,
    week_grid,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = date(2026, 6, 8)  # summer time: 09:00 in Brussels is 07:00 UTC
WEDNESDAY = MONDAY + timedelta(days=2)


@dataclass
class Booked:
    id: int
    starts_at: datetime
    ends_at: datetime


def booked(n: int, day: date, at: time, minutes: int, zone: ZoneInfo = BRUSSELS) -> Booked:
    start = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
    return Booked(n, start, start + timedelta(minutes=minutes))


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=BRUSSELS).astimezone(UTC)


WEEKDAYS_9_TO_17 = [WeeklyRange(d, time(9), time(17)) for d in range(5)]
BEFORE_THE_WEEK = local(MONDAY, time(0)) - timedelta(days=3)


def grid(**kwargs):
    options = {"tz": "Europe/Brussels", "weekly": WEEKDAYS_9_TO_17, "exceptions": [], "sessions": [],
               "now": BEFORE_THE_WEEK}
    return week_grid(kwargs.pop("day", WEDNESDAY), **{**options, **kwargs})


def starts(column) -> list[str]:
    return [f"{slot.starts:%H:%M}" for slot in column.free]


def test_seven_days_monday_first_with_the_asked_day_in_focus():
    week = grid()
    assert [c.day for c in week.days] == [MONDAY + timedelta(days=n) for n in range(7)]
    assert [c.is_focus for c in week.days] == [False, False, True, False, False, False, False]
    assert week.focus.day == WEDNESDAY
    assert not any(c.is_today for c in week.days)
    today = grid(now=local(WEDNESDAY, time(8)))
    assert [c.day for c in today.days if c.is_today] == [WEDNESDAY]


def test_the_hours_shaded_are_the_pattern_minus_the_exceptions():
    exceptions = [ExceptionRule(MONDAY, MONDAY),  # the whole Monday off
                  ExceptionRule(WEDNESDAY, WEDNESDAY, start=time(12), end=time(14)),  # lunch off
                  ExceptionRule(MONDAY + timedelta(days=5), MONDAY + timedelta(days=5), available=True,
                                start=time(10), end=time(12))]  # extra hours on Saturday
    week = grid(exceptions=exceptions)
    monday, wednesday, saturday, sunday = (week.column(MONDAY + timedelta(days=n)) for n in (0, 2, 5, 6))
    assert monday.open == [] and monday.free == [] and monday.state(time(10)) == "closed"
    assert [(o.starts, o.ends) for o in wednesday.open] == [(time(9), time(12)), (time(14), time(17))]
    assert wednesday.state(time(12, 30)) == "closed" and wednesday.state(time(11, 45)) == "free"
    assert starts(wednesday) == ["09:00", "10:00", "11:00", "14:00", "15:00", "16:00"]
    assert starts(saturday) == ["10:00", "11:00"] and sunday.open == []
    assert week.has_availability


def test_no_hours_set_is_said_and_nothing_is_bookable():
    week = grid(weekly=[], sessions=[booked(1, WEDNESDAY, time(10), 60)])
    assert not week.has_availability
    assert all(c.open == [] and c.free == [] for c in week.days)
    assert week.column(WEDNESDAY).state(time(10, 15)) == "session"


def test_a_session_takes_its_hours_and_the_next_free_hour_starts_when_it_ends():
    week = grid(sessions=[booked(1, WEDNESDAY, time(10), 60), booked(2, WEDNESDAY, time(13, 15), 90)])
    wednesday = week.column(WEDNESDAY)
    assert starts(wednesday) == ["09:00", "11:00", "12:00", "14:45", "15:45"]
    assert [(p.item.id, p.start, p.end) for p in wednesday.sessions] == [(1, 600, 660), (2, 795, 885)]
    assert wednesday.state(time(10)) == "session" and wednesday.state(time(10, 45)) == "session"
    assert wednesday.state(time(11)) == "free"
    # 16:45-17:00 is the coach's, but too short for a session: shaded, not offered.
    assert wednesday.state(time(16, 45)) == "open"
    # Screen readers read the day in time order: sessions and free hours mixed.
    assert [getattr(e, "item", None) and e.item.id for e in wednesday.entries] == [None, 1, None, None, 2, None, None]


def test_the_height_of_a_session_is_its_length():
    """Rows are quarters of an hour from 07:00: an individual hour is 4 rows, a group session of 3.5 h 14."""
    week = grid(sessions=[booked(1, MONDAY, time(9), 60), booked(2, WEDNESDAY, time(13, 30), 210)])
    assert (week.first_hour, week.last_hour, week.rows) == (7, 20, 52)
    assert week.column(MONDAY).sessions[0].span == Span(9, 4)  # 09:00 is the 9th row
    assert week.column(WEDNESDAY).sessions[0].span == Span(27, 14)
    assert week.column(WEDNESDAY).open[0].span == Span(9, 32)  # 09:00-17:00
    assert week.hours[0] == (time(7), Span(1, 4)) and week.hours[-1] == (time(19), Span(49, 4))


def test_the_grid_grows_for_early_and_late_hours():
    week = grid(weekly=[WeeklyRange(1, time(6, 30), time(8))], sessions=[booked(1, MONDAY, time(20, 15), 90)])
    assert (week.first_hour, week.last_hour) == (6, 22)
    assert week.column(MONDAY).sessions[0].span == Span((20 * 60 + 15 - 360) // 15 + 1, 6)
    assert starts(week.column(MONDAY + timedelta(days=1))) == ["06:30"]


def test_a_session_over_midnight_shows_on_both_days():
    late = booked(1, WEDNESDAY, time(23), 90)
    week = grid(sessions=[late])
    wednesday, thursday = week.column(WEDNESDAY), week.column(WEDNESDAY + timedelta(days=1))
    assert (wednesday.sessions[0].start, wednesday.sessions[0].end, wednesday.sessions[0].continues) == (1380, 1440, True)
    assert (thursday.sessions[0].start, thursday.sessions[0].end, thursday.sessions[0].continued) == (0, 30, True)
    assert (week.first_hour, week.last_hour) == (0, 24)
    assert wednesday.sessions[0].span.row + wednesday.sessions[0].span.rows == week.rows + 1  # to the grid's end
    ending_at_midnight = grid(sessions=[booked(2, WEDNESDAY, time(23), 60)])
    assert ending_at_midnight.column(WEDNESDAY + timedelta(days=1)).sessions == []


def test_sessions_are_placed_in_the_coachs_own_time_zone():
    london = grid(tz="Europe/London", sessions=[booked(1, WEDNESDAY, time(10), 60)])  # 10:00 Brussels = 09:00 London
    placed = london.column(WEDNESDAY).sessions[0]
    assert (placed.start, placed.end) == (540, 600)
    assert starts(london.column(WEDNESDAY))[:2] == ["10:00", "11:00"]


def test_hours_begun_or_past_are_not_offered():
    now = local(WEDNESDAY, time(10, 20))
    week = grid(now=now)
    assert starts(week.column(WEDNESDAY)) == ["11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
    assert week.column(WEDNESDAY).state(time(9)) == "open"  # still shaded as the coach's hours
    assert week.column(MONDAY).free == [] and starts(week.column(MONDAY + timedelta(days=3)))[0] == "09:00"


def test_the_fund_rules_give_the_length_of_a_free_hour_and_the_step():
    week = grid(slot_minutes=90, sessions=[booked(1, WEDNESDAY, time(9, 50), 60)], step_minutes=30)
    # After the session ends at 10:50 the next slot starts on the next step (11:00), then every 90 minutes.
    assert starts(week.column(WEDNESDAY)) == ["11:00", "12:30", "14:00", "15:30"]
    assert week.rows == 26 and week.column(WEDNESDAY).sessions[0].span == Span(6, 3)


def test_the_hour_skipped_in_spring_is_never_offered():
    spring = date(2026, 3, 29)  # a Sunday: 02:00 becomes 03:00 in Brussels
    week = week_grid(spring, tz="Europe/Brussels", weekly=[WeeklyRange(6, time(1), time(5))], exceptions=[],
                     sessions=[], now=datetime(2026, 3, 1, tzinfo=UTC))
    assert starts(week.column(spring)) == ["01:00", "03:00", "04:00"]


def test_public_holidays_are_named_in_the_pages_language():
    week = grid(day=date(2026, 5, 14), holidays=holidays_of_week(date(2026, 5, 14), "en"),  # Ascension Thursday
                now=datetime(2026, 5, 1, tzinfo=UTC))
    assert week.column(date(2026, 5, 14)).holiday == "Ascension Day"
    assert week.column(date(2026, 5, 14)).free  # the coach's hours stand: an exception takes the day off
    assert belgian_holiday_names(2026, "fr")[date(2026, 12, 25)] == "Noël"
    assert belgian_holiday_names(2026, "nl")[date(2026, 12, 25)] == "Kerstmis"
    # A week across the new year names the holidays of both years.
    assert date(2027, 1, 1) in holidays_of_week(date(2026, 12, 31), "en")
