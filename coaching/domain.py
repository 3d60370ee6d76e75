"""Pure coaching rules: offers (hour mixes), sessions, balances, claims, places.

Nothing here touches Flask, the database or the clock: every date and every
number comes in as a parameter (numbers through ``FundRules``), so the rules can
be tested in isolation and replayed for any date. The database layer must still
enforce the balance caps atomically (row lock or constraint); ``check_can_log``
is the rule it applies under that lock, not a substitute for it.

Money is integer cents, durations are integer minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Final, Literal

import holidays

from portal.rules import DEFAULT_RULES, FundRules

SessionKind = Literal["individual", "collective"]
SESSION_KINDS: Final[tuple[str, ...]] = ("individual", "collective")
MINUTES_PER_HOUR: Final = 60


@dataclass(frozen=True, slots=True)
class Problem:
    """One failed rule: which input (``field``), a stable ``code`` for code and
    tests, and an English ``message`` (translated by the caller, keyed on code)."""

    field: str
    code: str
    message: str


def _is_int(value: object) -> bool:
    # bool is an int subclass; True hours or True cents are a bug, not a number.
    return isinstance(value, int) and not isinstance(value, bool)


# --- Offers: hour mixes ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mix:
    """What a provider delivers for one voucher: whole individual hours plus a
    number of collective sessions (each ``rules.collective_session_minutes``)."""

    individual_hours: int
    collective_sessions: int

    @property
    def individual_minutes(self) -> int:
        """Individual sessions are logged in minutes, so balances compare minutes."""
        return self.individual_hours * MINUTES_PER_HOUR

    def total_minutes(self, rules: FundRules = DEFAULT_RULES) -> int:
        """Total coaching time, as shown to the beneficiary (e.g. 7+5 = 24.5 h)."""
        return self.individual_minutes + self.collective_sessions * rules.collective_session_minutes


# The seed provider's six mixes (DOMAIN.md); each costs exactly the voucher
# value at the default unit prices.
STANDARD_MIXES: Final[tuple[Mix, ...]] = (
    Mix(7, 5),
    Mix(8, 4),
    Mix(9, 3),
    Mix(10, 2),
    Mix(11, 1),
    Mix(12, 0),
)


def offer_cost_cents(
    individual_hours: int,
    collective_sessions: int,
    individual_unit_cents: int,
    collective_unit_cents: int,
) -> int:
    """Price of a full mix: the provider must state it in advance and it must fit
    within the voucher value."""
    return individual_hours * individual_unit_cents + collective_sessions * collective_unit_cents


def validate_offer(
    individual_hours: int,
    collective_sessions: int,
    individual_unit_cents: int,
    collective_unit_cents: int,
    *,
    rules: FundRules = DEFAULT_RULES,
    voucher_value_cents: int | None = None,
) -> list[Problem]:
    """Every reason an offer is not acceptable (empty list = acceptable).

    ``voucher_value_cents`` defaults to the rules' voucher value; pass the value
    in force for the voucher being planned when it differs.
    """
    value = rules.voucher_value_cents if voucher_value_cents is None else voucher_value_cents
    problems: list[Problem] = []
    max_hours = rules.max_individual_hours

    if not _is_int(individual_hours):
        problems.append(Problem("individual_hours", "not_integer", "Individual hours must be a whole number."))
    elif individual_hours < 0:
        problems.append(Problem("individual_hours", "negative", "Individual hours cannot be negative."))
    elif individual_hours > max_hours:
        problems.append(
            Problem("individual_hours", "too_many", f"At most {max_hours} individual hours may be offered.")
        )

    if not _is_int(collective_sessions):
        problems.append(
            Problem("collective_sessions", "not_integer", "Collective sessions must be a whole number.")
        )
    elif collective_sessions < 0:
        problems.append(Problem("collective_sessions", "negative", "Collective sessions cannot be negative."))

    if individual_hours == 0 and collective_sessions == 0:
        problems.append(Problem("offer", "empty", "An offer must include individual hours or collective sessions."))

    for field, unit in (
        ("individual_unit_cents", individual_unit_cents),
        ("collective_unit_cents", collective_unit_cents),
    ):
        if not _is_int(unit):
            problems.append(Problem(field, "not_integer", "A unit price must be a whole number of cents."))
        elif unit <= 0:
            problems.append(Problem(field, "not_positive", "A unit price must be greater than zero."))

    if not problems:
        cost = offer_cost_cents(
            individual_hours, collective_sessions, individual_unit_cents, collective_unit_cents
        )
        if cost > value:
            message = f"The offer costs {format_eur(cost)}, more than the voucher value of {format_eur(value)}."
            problems.append(Problem("cost", "above_voucher_value", message))
    return problems


def format_eur(cents: int) -> str:
    """Plain English amount for messages, e.g. ``€1,800.00`` (UI formats by locale)."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}€{euros:,}.{rest:02d}"


# --- Sessions --------------------------------------------------------------


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


# --- Balances --------------------------------------------------------------


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


# --- Claims ----------------------------------------------------------------


def claim_amount_cents(
    session_costs: Iterable[int],
    *,
    already_claimed_cents: int,
    voucher_value_cents: int,
) -> int:
    """Amount of a provider claim: the sum of its sessions' prices, capped so that
    everything claimed on the voucher never exceeds its value ("up to" €1,800;
    partial delivery is paid pro rata by construction)."""
    costs = list(session_costs)
    if any(not _is_int(c) or c < 0 for c in costs):
        raise ValueError("session costs must be non-negative integer cents")
    if already_claimed_cents < 0:
        raise ValueError("already_claimed_cents must be non-negative")
    room = max(0, voucher_value_cents - already_claimed_cents)
    return min(sum(costs), room)


# --- Working days and the confirmation deadline ----------------------------


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


# --- Places ----------------------------------------------------------------

# (first postcode, last postcode, region code); also used as search filters.
POSTCODE_RANGES: Final[tuple[tuple[int, int, str], ...]] = (
    (1000, 1299, "brussels"),
    (1300, 1499, "walloon_brabant"),
    (1500, 1999, "flemish_brabant"),
    (2000, 2999, "antwerp"),
    (3000, 3499, "flemish_brabant"),
    (3500, 3999, "limburg"),
    (4000, 4999, "liege"),
    (5000, 5999, "namur"),
    (6000, 6599, "hainaut"),
    (6600, 6999, "luxembourg"),
    (7000, 7999, "hainaut"),
    (8000, 8999, "west_flanders"),
    (9000, 9999, "east_flanders"),
)

REGION_NAMES: Final[Mapping[str, str]] = MappingProxyType({
    "brussels": "Brussels-Capital", "walloon_brabant": "Walloon Brabant", "flemish_brabant": "Flemish Brabant",
    "antwerp": "Antwerp", "limburg": "Limburg", "liege": "Liège", "namur": "Namur", "hainaut": "Hainaut",
    "luxembourg": "Luxembourg", "west_flanders": "West Flanders", "east_flanders": "East Flanders",
})  # fmt: skip
REGION_CODES: Final[tuple[str, ...]] = tuple(REGION_NAMES)

# Language suggested by each region: FR in Wallonia, NL in Flanders, both in Brussels.
REGION_LANGUAGES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {code: ("fr",) for code in ("walloon_brabant", "liege", "namur", "hainaut", "luxembourg")}
    | {code: ("nl",) for code in ("flemish_brabant", "antwerp", "limburg", "west_flanders", "east_flanders")}
    | {"brussels": ("fr", "nl")}
)
GERMAN_POSTCODES: Final = (4700, 4791)  # the German-speaking municipalities (in Liège province)


def _postcode_number(postcode: str | int) -> int | None:
    """A Belgian postcode is exactly four digits, 1000-9999; anything else is None."""
    if _is_int(postcode):
        number = postcode
    elif isinstance(postcode, str) and len(s := postcode.strip()) == 4 and s.isascii() and s.isdigit():
        number = int(s)
    else:
        return None
    return number if 1000 <= number <= 9999 else None


def region_for_postcode(postcode: str | int) -> str | None:
    """Region/province code for a Belgian postcode, or None if it is not one."""
    number = _postcode_number(postcode)
    if number is None:
        return None
    for low, high, code in POSTCODE_RANGES:
        if low <= number <= high:
            return code
    return None


def suggested_languages(postcode: str | int) -> tuple[str, ...]:
    """Page languages the place suggests, best first; the person's own choice
    always wins. Empty when the postcode is not Belgian."""
    number = _postcode_number(postcode)
    if number is None:
        return ()
    if GERMAN_POSTCODES[0] <= number <= GERMAN_POSTCODES[1]:
        return ("de",)
    region = region_for_postcode(number)
    return REGION_LANGUAGES[region] if region else ()
