"""The coach's week as a time grid: hours down, the seven days across.

Which quarter-hours the coach is available (the weekly pattern with its exceptions, as
``coaching.availability.domain.day_ranges`` reads them), where each session sits (its start and its
length, on each local day it touches), and which free hours can be booked straight from the grid:
an hour inside the availability, with no session in it, that has not started yet.

Pure: the week, the rules, the sessions and ``now`` come in; the page only draws what this returns.
Everything is wall-clock time in the coach's zone, so 09:00 stays 09:00 across daylight saving.
Rows are steps of ``step_minutes`` (a quarter of an hour); row 1 is ``first_hour`` o'clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import holidays as public_holidays

from coaching.availability.domain import ExceptionRule, WeeklyRange, day_ranges

MINUTES_PER_DAY = 24 * 60

#: The hours the grid always shows (07:00 to 20:00); it grows to take in earlier or later hours and sessions.
FIRST_HOUR, LAST_HOUR = 7, 20


class Timed(Protocol):
    """A booked session as the grid needs it: aware start and end instants."""

    @property
    def starts_at(self) -> datetime: ...

    @property
    def ends_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Span:
    """Rows of the grid: the first one (1-based, as a CSS grid line) and how many."""

    row: int
    rows: int


@dataclass(frozen=True, slots=True)
class PlacedSession:
    """The part of a session that falls on one day, in minutes since that day's midnight (wall clock)."""

    item: Any
    start: int
    end: int
    span: Span
    continued: bool = False  # it began on an earlier day
    continues: bool = False  # it goes on after midnight


@dataclass(frozen=True, slots=True)
class FreeSlot:
    """A free hour in the coach's availability, still to come: booking it opens the form at this date and time."""

    start: int
    end: int
    span: Span

    @property
    def starts(self) -> time:
        return _time(self.start)


@dataclass(frozen=True, slots=True)
class OpenSpan:
    """A range of the coach's availability that day (shaded on the grid)."""

    start: int
    end: int
    span: Span

    @property
    def starts(self) -> time:
        return _time(self.start)

    @property
    def ends(self) -> time:
        return _time(self.end)


@dataclass(frozen=True, slots=True)
class DayColumn:
    day: date
    is_today: bool
    is_focus: bool  # the day shown on a phone, one day at a time
    holiday: str | None
    open: list[OpenSpan]
    sessions: list[PlacedSession]
    free: list[FreeSlot]

    @property
    def entries(self) -> list[PlacedSession | FreeSlot]:
        """Sessions and free hours in time order: what a screen reader reads down the day."""
        return sorted([*self.sessions, *self.free], key=lambda entry: (entry.start, isinstance(entry, FreeSlot)))

    def state(self, at: time) -> str:
        """What the quarter-hour starting at ``at`` shows: ``session``, ``free`` (bookable), ``open`` (available
        but not bookable from the grid: past, or too short for a session) or ``closed``."""
        minute = at.hour * 60 + at.minute
        for kind, spans in (("session", self.sessions), ("free", self.free), ("open", self.open)):
            if any(span.start <= minute < span.end for span in spans):
                return kind
        return "closed"


@dataclass(frozen=True, slots=True)
class WeekGrid:
    first_hour: int
    last_hour: int
    step_minutes: int
    has_availability: bool
    days: list[DayColumn] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return (self.last_hour - self.first_hour) * 60 // self.step_minutes

    @property
    def hours(self) -> list[tuple[time, Span]]:
        """The label of each hour and its rows (the grid's left column)."""
        per_hour = 60 // self.step_minutes
        return [(time(hour), Span((hour - self.first_hour) * per_hour + 1, per_hour))
                for hour in range(self.first_hour, self.last_hour)]

    @property
    def focus(self) -> DayColumn:
        return next(column for column in self.days if column.is_focus)

    def column(self, day: date) -> DayColumn:
        return next(column for column in self.days if column.day == day)


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60) if minutes < MINUTES_PER_DAY else time(0)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _piece(item: Timed, day: date, zone: ZoneInfo) -> tuple[int, int, bool, bool] | None:
    """The minutes of ``day`` (wall clock) that ``item`` covers, or None when it does not touch the day."""
    begins, ends = item.starts_at.astimezone(zone), item.ends_at.astimezone(zone)
    if begins.date() > day or ends.date() < day:
        return None
    start = 0 if begins.date() < day else _minutes(begins.time())
    end = MINUTES_PER_DAY if ends.date() > day else _minutes(ends.time())
    if ends.date() == day and end == 0:
        return None  # it ended at midnight, on the day before
    return start, max(end, start + 1), begins.date() < day, ends.date() > day  # an autumn hour may run "backwards"


def _exists(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """The instant the wall clock shows ``minute`` on ``day``, or None in the hour skipped in spring."""
    wall = datetime.combine(day, _time(minute))
    instant = wall.replace(tzinfo=zone).astimezone(UTC)
    return instant if instant.astimezone(zone).replace(tzinfo=None) == wall else None


def free_slots(day: date, open_ranges: Sequence[tuple[int, int]], busy: Sequence[tuple[int, int]], zone: ZoneInfo,
               *, now: datetime, slot_minutes: int, step_minutes: int) -> list[tuple[int, int]]:
    """Hours of availability a session of ``slot_minutes`` fits in, from each range's start: after a session
    the next one starts at its end (on the step); an hour already begun, or one the clocks skip, is not offered."""
    slots = []
    for low, high in open_ranges:
        cursor = low
        while cursor + slot_minutes <= high:
            clash = [end for start, end in busy if start < cursor + slot_minutes and cursor < end]
            if clash:
                cursor = -(-max(clash) // step_minutes) * step_minutes
                continue
            instant = _exists(day, cursor, zone)
            if instant is None:
                cursor += step_minutes
                continue
            if instant > now:
                slots.append((cursor, cursor + slot_minutes))
            cursor += slot_minutes
    return slots


def week_grid(day: date, *, tz: str, weekly: Sequence[WeeklyRange], exceptions: Sequence[ExceptionRule],
              sessions: Sequence[Timed], now: datetime, slot_minutes: int = 60, step_minutes: int = 15,
              holidays: Mapping[date, str] | None = None) -> WeekGrid:
    """The week (Monday to Sunday) that holds ``day``, with ``day`` as the day a phone shows."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    monday = day - timedelta(days=day.weekday())
    days = [monday + timedelta(days=n) for n in range(7)]
    opened = {d: [(_minutes(a), _minutes(b)) for a, b in day_ranges(d, weekly, exceptions)] for d in days}
    pieces = {d: [(item, piece) for item in sessions if (piece := _piece(item, d, zone)) is not None] for d in days}
    starts = [low for d in days for low, _ in opened[d]] + [p[0] for d in days for _, p in pieces[d]]
    ends = [high for d in days for _, high in opened[d]] + [p[1] for d in days for _, p in pieces[d]]
    first_hour = min([FIRST_HOUR, *(minute // 60 for minute in starts)])
    last_hour = max([LAST_HOUR, *(-(-minute // 60) for minute in ends)])
    origin = first_hour * 60

    def span(start: int, end: int) -> Span:
        row = (start - origin) // step_minutes + 1
        last_line = -(-(end - origin) // step_minutes) + 1
        return Span(row, max(1, last_line - row))

    columns = []
    for d in days:
        busy = [(p[0], p[1]) for _, p in pieces[d]]
        placed = [PlacedSession(item, start, end, span(start, end), before, after)
                  for item, (start, end, before, after) in pieces[d]]
        free = free_slots(d, opened[d], busy, zone, now=now, slot_minutes=slot_minutes, step_minutes=step_minutes)
        columns.append(DayColumn(
            day=d, is_today=d == today, is_focus=d == day, holiday=(holidays or {}).get(d),
            open=[OpenSpan(low, high, span(low, high)) for low, high in opened[d]],
            sessions=sorted(placed, key=lambda p: p.start),
            free=[FreeSlot(low, high, span(low, high)) for low, high in free]))
    return WeekGrid(first_hour, last_hour, step_minutes, bool(weekly or exceptions), columns)


#: The ``holidays`` package's names for the portal's languages.
_HOLIDAY_LANGUAGES = {"fr": "fr", "nl": "nl", "de": "de", "en": "en_US"}


@lru_cache(maxsize=32)
def belgian_holiday_names(year: int, language: str) -> Mapping[date, str]:
    """Belgian public holidays of ``year`` named in the page's language (French for a language it lacks); read-only
    and cached, as ``coaching.calendar.domain.belgian_public_holidays``. The grid names them; it does not take the
    coach's availability away on those days (the coach's own exceptions do)."""
    names = public_holidays.country_holidays("BE", years=year, language=_HOLIDAY_LANGUAGES.get(language, "fr"))
    return MappingProxyType(dict(names))


def holidays_of_week(day: date, language: str) -> Mapping[date, str]:
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    return {**belgian_holiday_names(monday.year, language), **belgian_holiday_names(sunday.year, language)}
