"""Pure rules of the employers' side: deadlines, warnings, the structured reference and
the contribution's payment state.

No Flask, no database, no clock: callers pass ``today`` and the ``FundRules`` in force.
All dates are calendar dates; a deadline day is still on time ("inclusive").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from stdnum.be import ogm_vcs

from vouchers.requests.domain import add_months

if TYPE_CHECKING:
    from portal.rules import FundRules

__all__ = [
    "UNPAID_STATUSES",
    "WARNING_MESSAGES",
    "DeclarationProblem",
    "PaymentSums",
    "Warning",
    "apply_by_on",
    "check_declaration_dates",
    "contribution_due_on",
    "contribution_status",
    "declaration_due_on",
    "declaration_warnings",
    "format_structured_reference",
    "is_overdue",
    "physician_appeal_ends_on",
    "reference_for",
    "reminder_window",
    "status_after_intent",
    "structured_reference",
]


# --- deadlines ---------------------------------------------------------------------------------


def declaration_due_on(contract_end_on: date, rules: FundRules) -> date:
    """The last day to declare: contract end + 45 calendar days (a setting)."""
    return contract_end_on + timedelta(days=rules.declaration_days)


def contribution_due_on(contract_end_on: date, rules: FundRules) -> date:
    """The last day to pay the contribution: contract end + 45 calendar days (a setting)."""
    return contract_end_on + timedelta(days=rules.contribution_due_days)


def apply_by_on(contract_end_on: date, rules: FundRules) -> date:
    """The worker's last day to ask for a voucher (route A): contract end + 6 months, inclusive."""
    return _months_after(contract_end_on, rules.route_a_window_months)


@lru_cache(maxsize=4096)
def _months_after(day: date, months: int) -> date:
    # Remembered: a list of 50 declarations asks for many of the same days, and relativedelta is slow.
    return add_months(day, months)


def physician_appeal_ends_on(physician_decision_on: date, rules: FundRules) -> date:
    """The first day the contract may end once the 21-day appeal period after the occupational
    physician's decision has run (Codex I.4-82/1): decision + 21 days."""
    return physician_decision_on + timedelta(days=rules.physician_appeal_days)


# --- warnings (never blocking) -----------------------------------------------------------------

#: English templates by code; placeholders are ISO dates. The web layer translates by code.
WARNING_MESSAGES: dict[str, str] = {
    "late_declaration": (
        "This declaration is late: it was due by {declaration_due_on}, 45 days after the end of the contract. "
        "It is recorded, but a late declaration can lead to a sanction."
    ),
    "physician_appeal_period": (
        "The contract ended on {contract_end_on}, before the 21-day appeal period after the occupational "
        "physician's decision was over ({appeal_ends_on}). Please check the date of the decision."
    ),
}


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return WARNING_MESSAGES[self.code].format(**self.params)


def declaration_warnings(contract_end_on: date, physician_decision_on: date | None, *, declared_on: date,
                         rules: FundRules) -> list[Warning]:
    warnings: list[Warning] = []
    due = declaration_due_on(contract_end_on, rules)
    if declared_on > due:
        warnings.append(Warning("late_declaration", {"declaration_due_on": due.isoformat()}))
    if physician_decision_on is not None:
        appeal_ends = physician_appeal_ends_on(physician_decision_on, rules)
        if contract_end_on < appeal_ends:
            warnings.append(Warning("physician_appeal_period", {"contract_end_on": contract_end_on.isoformat(),
                                                                "appeal_ends_on": appeal_ends.isoformat()}))
    return warnings


# --- blocking checks ---------------------------------------------------------------------------

PROBLEM_MESSAGES: dict[str, str] = {
    "contract_end_too_early": "Only contracts that ended on or after {route_a_start_on} can be declared.",
    "contract_end_in_future": "The contract must have ended: declare it from its last day on.",
    "physician_decision_in_future": "The occupational physician's decision cannot be in the future.",
}


@dataclass(frozen=True, slots=True)
class DeclarationProblem:
    field: str
    code: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return PROBLEM_MESSAGES[self.code].format(**self.params)


def check_declaration_dates(contract_end_on: date, physician_decision_on: date | None, *, today: date,
                            rules: FundRules) -> list[DeclarationProblem]:
    """What makes a declaration impossible (422). The contract end must be on or after the route-A
    start (2024-04-01) and not after today; the physician's decision, if given, not after today."""
    problems: list[DeclarationProblem] = []
    if contract_end_on < rules.route_a_start_on:
        problems.append(DeclarationProblem("contract_end_on", "contract_end_too_early",
                                           {"route_a_start_on": rules.route_a_start_on.isoformat()}))
    elif contract_end_on > today:
        problems.append(DeclarationProblem("contract_end_on", "contract_end_in_future"))
    if physician_decision_on is not None and physician_decision_on > today:
        problems.append(DeclarationProblem("physician_decision_on", "physician_decision_in_future"))
    return problems


# --- the structured reference (+++xxx/xxxx/xxxxx+++) ---------------------------------------------


def structured_reference(base: int) -> str:
    """12 digits: a 10-digit base and its mod-97 check digits (97 when the rest is 0)."""
    if not 0 < base < 10**10:
        raise ValueError("the base of a structured reference has 1 to 10 digits and is not 0")
    digits = f"{base:010d}"
    return ogm_vcs.validate(digits + ogm_vcs.calc_check_digits(digits))


#: Odd and not a multiple of 5, so multiplying by it modulo 10^10 is a bijection of 1..10^10-1.
_SCATTER = 7_919_384_261


def reference_for(declaration_id: int) -> str:
    """The contribution's reference, derived from its declaration's id: unique by construction (no
    collision to check, even in a bulk import), yet scattered over the whole range, so that a mistyped
    reference is as unlikely to hit another contribution as with random references."""
    if not 0 < declaration_id < 10**10:
        raise ValueError("declaration ids for references run from 1 to 9,999,999,999")
    return structured_reference(declaration_id * _SCATTER % 10**10)


def format_structured_reference(reference: str) -> str:
    """``+++010/8068/17183+++``, as Belgian banks print and expect it."""
    if len(reference) == 12 and reference.isascii() and reference.isdigit():
        # As stored: cut here (ogm_vcs.format cleans the text first, ten times slower: a list writes 50).
        return f"+++{reference[:3]}/{reference[3:7]}/{reference[7:]}+++"
    return f"+++{ogm_vcs.format(reference)}+++"


# --- the contribution's payment state ----------------------------------------------------------

UNPAID_STATUSES = frozenset({"due", "processing", "partially_paid"})


@dataclass(frozen=True, slots=True)
class PaymentSums:
    """Sums over the append-only payments: money received (less what the bank reversed) and money the fund
    refunded (as a positive number)."""

    received_cents: int = 0
    refunded_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.received_cents - self.refunded_cents


def contribution_status(amount_cents: int, sums: PaymentSums, *, in_flight: bool) -> str:
    """The status from the money alone; ``in_flight`` is a card payment that Stripe is still processing.

    Money received always wins over an in-flight signal, so a late "processing"
    can never move a paid contribution back.
    """
    net = sums.net_cents
    if sums.refunded_cents > 0 and net <= 0:
        return "refunded"
    if net <= 0:
        return "processing" if in_flight else "due"
    if net < amount_cents:
        return "partially_paid"
    if net == amount_cents:
        return "paid"
    return "overpaid"


#: What a PaymentIntent's current status says about money still on its way.
_IN_FLIGHT_INTENT_STATUSES = frozenset({"processing", "requires_capture"})


def status_after_intent(current_status: str, amount_cents: int, sums: PaymentSums, intent_status: str) -> str:
    """The next status once a PaymentIntent's *current* state is known (re-read from the gateway).

    Moves only forward: due → processing → paid; a failed or canceled intent takes
    ``processing`` back to ``due``; ``paid`` only leaves for ``refunded`` (or
    ``partially_paid``/``overpaid`` when the sums say so). ``sums`` already holds
    this intent's money if it succeeded.
    """
    in_flight = intent_status in _IN_FLIGHT_INTENT_STATUSES
    if intent_status in {"requires_action", "requires_confirmation"}:
        in_flight = current_status == "processing"  # nothing new: keep what we had
    return contribution_status(amount_cents, sums, in_flight=in_flight)


def is_overdue(status: str, due_on: date, today: date) -> bool:
    """Unpaid after the due day. A card payment Stripe is still processing is not overdue yet."""
    return status in {"due", "partially_paid"} and today > due_on


def reminder_window(today: date, rules: FundRules) -> tuple[date, date]:
    """Due days that get their reminder today: from today to today + 7 days (a setting), inclusive.

    Seven days leaves a payroll clerk a working week to pay by transfer before day 45 [D]. An
    overdue contribution (due day already past) gets the overdue notice instead."""
    return today, today + timedelta(days=rules.contribution_reminder_days)
