"""Pure rules of a coach's availability: a weekly pattern and dated exceptions, in local time.

A coach says "Mondays 09:00–12:00" in their own IANA time zone. The pattern is kept as wall-clock
times, so it follows daylight saving: 09:00 in Brussels is 08:00 UTC in winter and 07:00 UTC in
summer. Only when a calendar needs instants are the wall-clock ranges turned into aware UTC
intervals, one local day at a time (``availability_intervals``).

Where the clocks change, a range spans from the first moment the wall clock shows its start to
the last moment it shows its end: in the hour repeated in autumn a start means the first time
round and an end the second; a time skipped in spring starts or ends the range at the jump.

Like ``coaching.domain``, nothing here touches Flask, the database or the clock: the step and the
longest exception come in as parameters (from ``FundRules``), today as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from coaching.providers.domain import Problem


def N_(message: str) -> str:
    return message


MINUTES_PER_DAY: Final = 24 * 60


#: The longest exception, in days (a long leave is one exception, not a hundred).
MAX_EXCEPTION_DAYS: Final = 366


#: How far ahead an exception may start, in days.
MAX_EXCEPTION_AHEAD_DAYS: Final = 3 * 366


WEEKDAYS: Final[tuple[int, ...]] = tuple(range(7))  # Monday = 0, as date.weekday()


@dataclass(frozen=True, slots=True)
class WeeklyRange:
    """Available every ``weekday`` (0 = Monday) from ``start`` to ``end``, wall-clock time."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ExceptionRule:
    """From ``first_on`` to ``last_on`` (inclusive): off all day (no times), off from ``start`` to
    ``end``, or, when ``available``, extra hours from ``start`` to ``end`` beyond the pattern."""

    first_on: date
    last_on: date
    available: bool = False
    start: time | None = None
    end: time | None = None

    @property
    def whole_day(self) -> bool:
        return self.start is None and self.end is None

    def covers(self, day: date) -> bool:
        return self.first_on <= day <= self.last_on


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


def _range_problems(start: time, end: time, field: str, step_minutes: int) -> list[Problem]:
    problems = []
    for value in (start, end):
        if value.second or value.microsecond or _minutes(value) % step_minutes:
            problems.append(Problem(field, "not_step", f"Times go in steps of {step_minutes} minutes "
                                                       f"(for example 09:00, 09:15, 09:30)."))
            break
    if end <= start:
        problems.append(Problem(field, "ends_before_start", N_("The end must come after the start.")))
    return problems


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Half-open ranges: 09:00–12:00 and 12:00–17:00 touch but do not overlap."""
    return a[0] < b[1] and b[0] < a[1]


def validate_weekly(ranges: Sequence[WeeklyRange], *, step_minutes: int) -> list[Problem]:
    """Every reason this weekly pattern is refused (empty = it is fine): a known weekday, the end
    after the start, times on the step, and no two ranges of one day overlapping."""
    problems: list[Problem] = []
    by_day: dict[int, list[tuple[int, int]]] = {}
    for item in ranges:
        field = f"weekday_{item.weekday}"
        if item.weekday not in WEEKDAYS:
            problems.append(Problem("weekday", "unknown", N_("A weekday is 0 (Monday) to 6 (Sunday).")))
            continue
        found = _range_problems(item.start, item.end, field, step_minutes)
        problems.extend(found)
        if not found:
            by_day.setdefault(item.weekday, []).append((_minutes(item.start), _minutes(item.end)))
    for weekday, spans in sorted(by_day.items()):
        spans.sort()
        if any(_overlap(a, b) for a, b in zip(spans, spans[1:])):
            problems.append(Problem(f"weekday_{weekday}", "overlap", N_("Two ranges of the same day overlap.")))
    return problems


def _exceptions_clash(a: ExceptionRule, b: ExceptionRule) -> bool:
    """Two exceptions contradict each other on a shared day. Off all day plus extra hours is the one
    combination allowed: it means "only these hours that day"."""
    if a.last_on < b.first_on or b.last_on < a.first_on:
        return False
    if a.whole_day and b.whole_day:
        return True
    if a.whole_day or b.whole_day:
        ranged = b if a.whole_day else a
        return not ranged.available
    assert a.start and a.end and b.start and b.end
    return _overlap((_minutes(a.start), _minutes(a.end)), (_minutes(b.start), _minutes(b.end)))


def validate_exception(rule: ExceptionRule, existing: Iterable[ExceptionRule], *, today: date,
                       step_minutes: int, max_days: int = MAX_EXCEPTION_DAYS) -> list[Problem]:
    """Every reason this exception is refused: its days in order, not over already, not too long;
    both times or neither (extra hours need both); the times valid; no clash with ``existing``."""
    problems: list[Problem] = []
    if rule.last_on < rule.first_on:
        problems.append(Problem("until_on", "ends_before_start", N_("The last day must not come before the first.")))
    elif rule.last_on < today:
        problems.append(Problem("until_on", "in_the_past", N_("This exception would be over already.")))
    elif (rule.last_on - rule.first_on).days + 1 > max_days:
        problems.append(Problem("until_on", "too_long", f"An exception lasts {max_days} days at most."))
    elif (rule.first_on - today).days > MAX_EXCEPTION_AHEAD_DAYS:
        problems.append(Problem("from_on", "too_far", N_("An exception starts within three years.")))
    if (rule.start is None) != (rule.end is None):
        problems.append(Problem("start_time", "half_range",
                                N_("Give both the start and the end time, or neither for the whole day.")))
    elif rule.whole_day and rule.available:
        problems.append(Problem("start_time", "missing", N_("Give the extra hours: a start and an end time.")))
    elif not rule.whole_day:
        assert rule.start is not None and rule.end is not None
        problems.extend(_range_problems(rule.start, rule.end, "start_time", step_minutes))
    if not problems and any(_exceptions_clash(rule, other) for other in existing):
        problems.append(Problem("from_on", "overlap", N_("This exception overlaps another one on the same days.")))
    return problems


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif end > start:
            merged.append((start, end))
    return merged


def _subtract(spans: list[tuple[int, int]], hole: tuple[int, int]) -> list[tuple[int, int]]:
    left = []
    for start, end in spans:
        if not _overlap((start, end), hole):
            left.append((start, end))
            continue
        if start < hole[0]:
            left.append((start, hole[0]))
        if hole[1] < end:
            left.append((hole[1], end))
    return left


def day_ranges(day: date, weekly: Iterable[WeeklyRange], exceptions: Iterable[ExceptionRule]) -> list[tuple[time, time]]:
    """The wall-clock ranges a coach is available on ``day``: the weekly pattern of that weekday,
    unless an exception takes the day off, minus the hours off, plus the extra hours."""
    today_rules = [e for e in exceptions if e.covers(day)]
    if any(e.whole_day and not e.available for e in today_rules):
        spans: list[tuple[int, int]] = []
    else:
        spans = _merge((_minutes(w.start), _minutes(w.end)) for w in weekly if w.weekday == day.weekday())
    for rule in today_rules:
        if not rule.whole_day and not rule.available:
            assert rule.start is not None and rule.end is not None
            spans = _subtract(spans, (_minutes(rule.start), _minutes(rule.end)))
    extra = [(_minutes(r.start), _minutes(r.end)) for r in today_rules
             if r.available and r.start is not None and r.end is not None]
    return [(_time(start), _time(end)) for start, end in _merge(spans + extra)]


def wall_to_utc(day: date, wall: time, zone: ZoneInfo, *, last: bool = False) -> datetime:
    """The instant the wall clock of ``zone`` shows ``wall`` on ``day``, in UTC.

    In the hour repeated when clocks go back, the first occurrence (``last=False``) or the second.
    A time skipped when clocks go forward gives the instant of the jump itself.
    """
    local = datetime.combine(day, wall, tzinfo=zone).replace(fold=1 if last else 0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Skipped: fold=1 reads it with the offset after the jump (an instant before the jump), fold=0
    # with the one before (after the jump). The jump lies between; find its minute.
    early = local.replace(fold=1).astimezone(UTC)
    late = local.replace(fold=0).astimezone(UTC)
    offset = early.astimezone(zone).utcoffset()
    moment = early
    while moment < late and moment.astimezone(zone).utcoffset() == offset:
        moment += timedelta(minutes=1)
    return moment


def availability_intervals(first: date, last: date, tz: str, weekly: Sequence[WeeklyRange],
                           exceptions: Sequence[ExceptionRule]) -> list[tuple[datetime, datetime]]:
    """The coach's availability from local day ``first`` to ``last`` (inclusive) as aware UTC
    intervals, in order, touching ones joined."""
    zone = ZoneInfo(tz)
    intervals: list[tuple[datetime, datetime]] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for start, end in day_ranges(day, weekly, exceptions):
            begins, ends = wall_to_utc(day, start, zone), wall_to_utc(day, end, zone, last=True)
            if ends <= begins:
                continue  # wholly inside the skipped hour: no such time that day
            if intervals and begins <= intervals[-1][1]:
                intervals[-1] = (intervals[-1][0], max(intervals[-1][1], ends))
            else:
                intervals.append((begins, ends))
    return intervals


def is_within(intervals: Iterable[tuple[datetime, datetime]], starts_at: datetime, ends_at: datetime) -> bool:
    """Whether ``[starts_at, ends_at)`` lies inside one availability interval."""
    return any(begins <= starts_at and ends_at <= ends for begins, ends in intervals)


def parse_ranges(text: str) -> list[tuple[time, time]]:
    """``"09:00-12:00, 13:30–17:00"`` into ranges (for a form field). Raises ``ValueError`` with
    the piece that could not be read; an empty text is no range."""
    ranges = []
    for piece in (text or "").replace(";", ",").split(","):
        piece = piece.strip()
        if not piece:
            continue
        normalised = piece.replace("–", "-").replace("—", "-").replace(" to ", "-").replace(" ", "")
        parts = normalised.split("-")
        if len(parts) != 2:
            raise ValueError(piece)
        try:
            start, end = (_parse_time(part) for part in parts)
        except ValueError as exc:
            raise ValueError(piece) from exc
        ranges.append((start, end))
    return ranges


def _parse_time(text: str) -> time:
    text = text.lower().replace("h", ":").replace(".", ":")
    if text.endswith(":"):
        text += "00"
    hours, _, minutes = text.partition(":")
    if not hours.isdigit() or (minutes and not minutes.isdigit()) or len(hours) > 2 or len(minutes) > 2:
        raise ValueError(text)
    return time(int(hours), int(minutes or 0))


def format_ranges(ranges: Iterable[tuple[time, time]]) -> str:
    """The inverse of ``parse_ranges``: ``"09:00-12:00, 13:30-17:00"``."""
    return ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in ranges)
