"""Pure rules of offers: hour mixes and their cost, and the problems every coaching rule reports.

Nothing here touches Flask, the database or the clock: every date and every
number comes in as a parameter (numbers through ``FundRules``), so the rules can
be tested in isolation and replayed for any date. The database layer must still
enforce the balance caps atomically (row lock or constraint); ``check_can_log``
is the rule it applies under that lock, not a substitute for it.

Money is integer cents, durations are integer minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

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
