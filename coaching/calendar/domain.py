from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays

from coaching.providers.domain import (
    MINUTES_PER_HOUR,
    SESSION_KINDS,
    Mix,
    Problem,
    _is_int,
    format_eur,
)
from portal.errors import N_
from portal.rules import DEFAULT_RULES, FundRules

# How a session's mode and a seat's attendance read, as msgids: the pages' labels (coaching.calendar.forms) and
# the notices (coaching.calendar.services.notices) translate these same words.
MODE_TEXTS: Mapping[str, str] = MappingProxyType({"onsite": N_("On site"), "online": N_("Online")})
ATTENDANCE_TEXTS: Mapping[str, str] = MappingProxyType({
    "attended": N_("Attended"), "no_show": N_("Did not come (no-show)"), "late_cancel": N_("Cancelled late")})


def validate_session_duration(kind: str, minutes: int, rules: FundRules = DEFAULT_RULES) -> list[Problem]:
    """Individual sessions last between the min and max in whole steps (1-2 h by
    15 min); a collective session has one fixed length (3.5 h)."""
    if kind not in SESSION_KINDS:
        return [Problem("kind", "unknown", "A session is either individual or collective.")]
    if not _is_int(minutes):
        return [Problem("minutes", "not_integer", "A duration must be a whole number of minutes.")]
    if kind == "collective":
        fixed = rules.collective_session_minutes
        if minutes != fixed:
            return [Problem("minutes", "collective_length", f"A collective session lasts exactly {fixed} minutes.")]
        return []
    low, high, step = (
        rules.individual_session_min_minutes,
        rules.individual_session_max_minutes,
        rules.session_step_minutes,
    )
    problems: list[Problem] = []
    if minutes < low or minutes > high:
        problems.append(
            Problem("minutes", "out_of_range", f"An individual session lasts between {low} and {high} minutes.")
        )
    if minutes % step:
        problems.append(Problem("minutes", "not_step", f"An individual session lasts a multiple of {step} minutes."))
    return problems


def individual_session_cost_cents(minutes: int, individual_unit_cents: int) -> int:
    """Individual time is paid pro rata per minute of the hourly price.

    Rounding: half up to the cent, in integer arithmetic
    (``(unit * minutes + 30) // 60``), so no float ever touches money. With
    15-minute steps the exact value is a multiple of a quarter cent.
    """
    return (individual_unit_cents * minutes + MINUTES_PER_HOUR // 2) // MINUTES_PER_HOUR


def session_cost_cents(kind: str, minutes: int, unit_cents: int) -> int:
    """Cost of one attended session: pro rata for individual time, one unit
    price per collective session whatever its length."""
    if kind == "individual":
        return individual_session_cost_cents(minutes, unit_cents)
    if kind == "collective":
        return unit_cents
    raise ValueError(f"unknown session kind: {kind!r}")


@dataclass(frozen=True, slots=True)
class VoucherUsage:
    """What a voucher has consumed so far (sums over logged sessions; never a
    stored counter)."""

    individual_minutes_used: int = 0
    collective_sessions_used: int = 0
    spent_cents: int = 0


@dataclass(frozen=True, slots=True)
class Balance:
    """What is left on a voucher, for the beneficiary's and coach's screens."""

    individual_minutes_left: int
    collective_sessions_left: int
    cents_left: int


def remaining_balance(mix: Mix, usage: VoucherUsage, value_cents: int) -> Balance:
    """Left = planned mix / voucher value minus usage (floored at zero, because a
    re-planned smaller mix never un-spends what was delivered)."""
    return Balance(
        max(0, mix.individual_minutes - usage.individual_minutes_used),
        max(0, mix.collective_sessions - usage.collective_sessions_used),
        max(0, value_cents - usage.spent_cents),
    )


def check_can_log(
    mix: Mix,
    usage: VoucherUsage,
    kind: str,
    minutes: int,
    unit_cents: int,
    value_cents: int,
    *,
    rules: FundRules = DEFAULT_RULES,
) -> list[Problem]:
    """Every reason this session cannot be added to the voucher (empty = it can).

    Checks the duration rule, then that the mix's individual minutes, its
    collective sessions and the voucher value in cents are never exceeded.
    ``unit_cents`` is the unit price for ``kind``.
    """
    problems = validate_session_duration(kind, minutes, rules)
    if not _is_int(unit_cents) or unit_cents <= 0:
        problems.append(Problem("unit_cents", "not_positive", "A unit price must be positive whole cents."))
    if problems:
        return problems

    left = remaining_balance(mix, usage, value_cents)
    if kind == "individual" and minutes > left.individual_minutes_left:
        problems.append(
            Problem(
                "minutes",
                "individual_exceeded",
                f"Only {left.individual_minutes_left} individual minutes are left in the plan.",
            )
        )
    if kind == "collective" and left.collective_sessions_left < 1:
        problems.append(Problem("kind", "collective_exceeded", "No collective session is left in the plan."))
    cost = session_cost_cents(kind, minutes, unit_cents)
    if cost > left.cents_left:
        problems.append(
            Problem(
                "cost",
                "value_exceeded",
                f"This session costs {format_eur(cost)}; "
                f"only {format_eur(left.cents_left)} is left on the voucher.",
            )
        )
    return problems


def apply_log(usage: VoucherUsage, kind: str, minutes: int, unit_cents: int) -> VoucherUsage:
    """Usage after one more attended session (call only once ``check_can_log``
    returned no problem)."""
    cost = session_cost_cents(kind, minutes, unit_cents)
    usage = replace(usage, spent_cents=usage.spent_cents + cost)
    if kind == "individual":
        return replace(usage, individual_minutes_used=usage.individual_minutes_used + minutes)
    return replace(usage, collective_sessions_used=usage.collective_sessions_used + 1)


@lru_cache(maxsize=64)
def belgian_public_holidays(year: int) -> Mapping[date, str]:
    """Belgian public holidays of one year (French names), read-only and cached:
    the ``holidays`` package rebuilds its tables on every call otherwise."""
    return MappingProxyType(dict(holidays.country_holidays("BE", years=year, language="fr")))


def is_working_day(d: date) -> bool:
    """Monday to Friday, except Belgian public holidays."""
    return d.weekday() < 5 and d not in belgian_public_holidays(d.year)


def add_working_days(d: date, n: int) -> date:
    """The ``n``-th working day after ``d`` (before it when ``n`` is negative);
    ``d`` itself never counts, so ``n == 0`` returns ``d`` unchanged."""
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return d


def confirmation_deadline(
    logged_on: date, working_days: int = DEFAULT_RULES.confirmation_working_days
) -> date:
    """Last day the beneficiary may confirm or dispute a logged session; silence
    until the end of that day confirms it. It is the ``working_days``-th working
    day after the logging day (pass ``rules.confirmation_working_days``)."""
    return add_working_days(logged_on, working_days)
