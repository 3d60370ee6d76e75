"""Pure rules of the fund's books: periods and months of reconciliation and reports.

No database and no clock: days come in as parameters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from portal.errors import N_, ValidationFailed

# A period is at most a leap year long: the whole year's reconciliation is one request.
MAX_PERIOD_DAYS = 366


# Dates outside these bounds are typing mistakes, not periods of the fund (which started in 2024).
EARLIEST_ON = date(2000, 1, 1)


LATEST_ON = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    from_on: date
    to_on: date

    @property
    def days(self) -> int:
        return (self.to_on - self.from_on).days + 1

    def as_of(self, today: date) -> date:
        """The day the states are judged on: the period's last day, or today while it runs."""
        return min(self.to_on, today)


def check_period(from_on: date | None, to_on: date | None) -> Period:
    """Both days given, in order, within ``MAX_PERIOD_DAYS``; otherwise 422 with a reason per field."""
    problems: dict[str, list[str]] = {}
    for name, value, missing in (("from_on", from_on, N_("Give the first day of the period.")),
                                 ("to_on", to_on, N_("Give the last day of the period."))):
        if value is None:
            problems[name] = [missing]
        elif not EARLIEST_ON <= value <= LATEST_ON:
            problems[name] = [N_("Give a date between 2000-01-01 and 2099-12-31.")]
    if not problems:
        assert from_on is not None and to_on is not None
        if to_on < from_on:
            problems["to_on"] = [N_("The last day must be on or after the first day.")]
        elif (to_on - from_on).days + 1 > MAX_PERIOD_DAYS:
            problems["to_on"] = [N_("A period covers at most 366 days.")]
    if problems:
        raise ValidationFailed(N_("The period is not valid."), code="invalid_period", fields=problems)
    assert from_on is not None and to_on is not None
    return Period(from_on, to_on)


def month_of(day: date) -> Period:
    """The calendar month around ``day``: the default period of the pages."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_month(month: date, count: int = 1) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_of(period: Period) -> list[date]:
    """The first day of every month the period touches, in order."""
    months, month = [], first_of_month(period.from_on)
    while month <= period.to_on:
        months.append(month)
        month = add_month(month)
    return months


def last_twelve_months(today: date) -> Period:
    """The default period of the monthly reports: this month and the eleven before it."""
    return Period(add_month(first_of_month(today), -11), add_month(first_of_month(today)) - timedelta(days=1))


def _percent(part: int, whole: int) -> int | None:
    """part / whole in whole percent, rounded half up; None when there is nothing to divide."""
    return (200 * part + whole) // (2 * whole) if whole else None
