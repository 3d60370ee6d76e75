"""Pure voucher rules: eligibility, the 45-day decision clock, validity,
appeal deadline, lifecycle state machines and reference data.

Nothing here touches Flask, the database or the clock: the caller passes
``today`` and the ``FundRules`` in force, so every rule is testable with plain
dates and a rule change is a new ``FundRules`` value, not a code change.
All dates are calendar dates; "inclusive" means the named day still counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from dateutil.relativedelta import relativedelta
from stdnum.be import ssn
from stdnum.exceptions import InvalidChecksum, ValidationError

if TYPE_CHECKING:  # only for annotations: keeps this module free of the portal package
    from portal.rules import FundRules

Route = Literal["A", "B"]


ClockState = Literal["on_time", "due_soon", "overdue", "paused"]


def add_months(d: date, months: int) -> date:
    """``d`` plus ``months`` calendar months, clamped to the month's last day.

    Legal deadlines run "from date to same date"; when the target month is too
    short the deadline is its last day (2024-08-31 + 6 = 2025-02-28,
    2023-08-29 + 6 = 2024-02-29). Negative ``months`` go back in time.
    """
    return d + relativedelta(months=months)


BENEFITS_SCHEMES: frozenset[str] = frozenset({"employee", "job_seeker", "self_employed"})


_ROUTE_B_SCHEMES = frozenset({"employee", "job_seeker"})


#: English message templates by reason code. Placeholders are ISO dates
#: (``YYYY-MM-DD``) named after ``Reason.params`` keys; the web layer
#: translates by code and may re-format the params for the reader's language.
REASON_MESSAGES: dict[str, str] = {
    "self_employed": (
        "Self-employed people cannot get a coaching voucher from this fund. "
        "The fund only helps employees and job seekers."
    ),
    "unknown_benefits_scheme": (
        "We did not understand how you receive your benefits. "
        "Please choose employee, job seeker or self-employed."
    ),
    "in_approved_retraining": (
        "You already follow a retraining programme approved by INAMI/RIZIV, "
        "so you cannot get a coaching voucher at the same time."
    ),
    "in_professional_rehabilitation": (
        "You already follow a professional rehabilitation programme of INAMI/RIZIV, "
        "so you cannot get a coaching voucher at the same time."
    ),
    "missing_contract_end_on": "Please tell us the date your work contract ended.",
    "contract_end_too_early": (
        "Your contract ended on {contract_end_on}. Only contracts that ended "
        "on or after {route_a_start_on} give a right to a voucher."
    ),
    "contract_not_ended": (
        "Your contract ends on {contract_end_on}. You can ask for a voucher "
        "from that day on."
    ),
    "route_a_window_closed": (
        "The last day to ask for a voucher after your contract ended was "
        "{apply_by_on}. That day has passed."
    ),
    "missing_incapacity_start_on": (
        "Please tell us the date you became unable to work, or tell us if your "
        "employer ended your contract for medical force majeure."
    ),
    "missing_benefits_scheme": (
        "Please tell us if you are an employee, a job seeker or self-employed."
    ),
    "incapacity_too_short": (
        "You must have been unable to work for more than one year. You have been "
        "unable to work since {incapacity_start_on}, so you can ask from "
        "{eligible_from_on}."
    ),
    "route_b_not_open": (
        "People who have been unable to work for more than one year can ask for "
        "a voucher from {route_b_start_on}."
    ),
}


@dataclass(frozen=True, slots=True)
class EligibilityFacts:
    """What the person tells us: only dates and yes/no facts, never medical details."""

    force_majeure: bool
    contract_end_on: date | None
    incapacity_start_on: date | None
    benefits_scheme: str | None  # "employee" | "job_seeker" | "self_employed" | None
    in_approved_retraining: bool = False
    in_professional_rehabilitation: bool = False


@dataclass(frozen=True, slots=True)
class Reason:
    """One failed condition: a stable code for programs and translators, an
    English sentence for people, and the ISO-date params the sentence uses."""

    code: str
    message: str
    params: dict[str, str] = field(default_factory=dict, hash=False)


def _reason(code: str, **dates: date) -> Reason:
    params = {k: v.isoformat() for k, v in dates.items()}
    return Reason(code, REASON_MESSAGES[code].format(**params), params)


@dataclass(frozen=True, slots=True)
class EligibilityVerdict:
    """The answer of ``check_eligibility``.

    ``eligible`` is true exactly when ``reasons`` is empty. ``route`` is the
    route that makes the person eligible (None when not eligible).
    ``apply_by_on`` is the last day (inclusive) to apply on route A, given
    whenever the facts state a force-majeure contract end, eligible or not.
    """

    eligible: bool
    route: Route | None
    apply_by_on: date | None
    reasons: tuple[Reason, ...]

    def as_json(self) -> dict[str, Any]:
        """The ``POST /eligibility`` response body (English messages)."""
        return {
            "eligible": self.eligible,
            "route": self.route,
            "apply_by_on": self.apply_by_on.isoformat() if self.apply_by_on else None,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
        }


def _route_a_reasons(facts: EligibilityFacts, today: date, rules: FundRules) -> list[Reason]:
    end = facts.contract_end_on
    if end is None:
        return [_reason("missing_contract_end_on")]
    reasons = []
    if end < rules.route_a_start_on:
        reasons.append(
            _reason("contract_end_too_early", contract_end_on=end, route_a_start_on=rules.route_a_start_on)
        )
    if end > today:
        reasons.append(_reason("contract_not_ended", contract_end_on=end))
    apply_by = add_months(end, rules.route_a_window_months)
    if today > apply_by:
        reasons.append(_reason("route_a_window_closed", apply_by_on=apply_by))
    return reasons


def _route_b_reasons(facts: EligibilityFacts, today: date, rules: FundRules) -> list[Reason]:
    reasons = []
    if facts.benefits_scheme is None:
        reasons.append(_reason("missing_benefits_scheme"))
    # self_employed / unknown schemes are refused globally, not repeated here.
    start = facts.incapacity_start_on
    if start is None:
        reasons.append(_reason("missing_incapacity_start_on"))
    else:
        mark = add_months(start, 12 * rules.route_b_min_incapacity_years)
        if not mark < today:  # "more than one year": the anniversary itself is too early
            reasons.append(
                _reason("incapacity_too_short", incapacity_start_on=start, eligible_from_on=mark + timedelta(days=1))
            )
    if today < rules.route_b_start_on:
        reasons.append(_reason("route_b_not_open", route_b_start_on=rules.route_b_start_on))
    return reasons


def check_eligibility(facts: EligibilityFacts, *, today: date, rules: FundRules) -> EligibilityVerdict:
    """Judge a voucher request made on ``today`` (the request date).

    Route A (force majeure) is tried first and wins when both pass. Route B is
    tried when the person did not claim force majeure, or gave an incapacity
    start date (so a late route-A applicant may still pass on route B).
    Exclusions (self-employed, unknown scheme, retraining, rehabilitation)
    apply to both routes. When not eligible, the verdict lists every failed
    condition: exclusions, then route A's, then route B's (for the routes tried).
    A contract ending today counts as ended (day 0 of the route-A window).
    """
    excluded: list[Reason] = []
    scheme = facts.benefits_scheme
    if scheme == "self_employed":
        excluded.append(_reason("self_employed"))
    elif scheme is not None and scheme not in BENEFITS_SCHEMES:
        excluded.append(_reason("unknown_benefits_scheme"))
    if facts.in_approved_retraining:
        excluded.append(_reason("in_approved_retraining"))
    if facts.in_professional_rehabilitation:
        excluded.append(_reason("in_professional_rehabilitation"))

    apply_by_on = None
    tried: list[tuple[Route, list[Reason]]] = []
    if facts.force_majeure:
        if facts.contract_end_on is not None:
            apply_by_on = add_months(facts.contract_end_on, rules.route_a_window_months)
        tried.append(("A", _route_a_reasons(facts, today, rules)))
    if not facts.force_majeure or facts.incapacity_start_on is not None:
        tried.append(("B", _route_b_reasons(facts, today, rules)))

    if not excluded:
        for route, failed in tried:
            if not failed:
                return EligibilityVerdict(True, route, apply_by_on, ())
    reasons = tuple(excluded + [r for _, failed in tried for r in failed])
    return EligibilityVerdict(False, None, apply_by_on, reasons)


def decision_due_on(submitted_on: date, *, paused_days: int = 0, rules: FundRules) -> date:
    """Day 45: the last day (inclusive) for the fund's decision.

    ``submitted_on`` + ``rules.decision_days`` + the days the clock stood still
    while information was requested (an incomplete request stops the clock).
    """
    if paused_days < 0:
        raise ValueError("paused_days cannot be negative")
    return submitted_on + timedelta(days=rules.decision_days + paused_days)


@dataclass(frozen=True, slots=True)
class DecisionClock:
    """Where a request stands on the 45-day clock on a given day.

    ``day``: clock days elapsed (today - submitted_on - all paused days);
    ``days_left``: due_on - today, 0 on day 45, negative once overdue;
    ``state``: "paused" while information is requested; otherwise "overdue"
    when today > due_on (day 46 on), "due_soon" from the warning day (35)
    through day 45, else "on_time". Overdue is shown, never a decision.
    """

    due_on: date
    days_left: int
    day: int
    state: ClockState


def decision_clock(
    submitted_on: date,
    today: date,
    *,
    paused_days: int = 0,
    paused_since: date | None = None,
    rules: FundRules,
) -> DecisionClock:
    """The clock for a request submitted on ``submitted_on``, seen on ``today``.

    ``paused_days`` counts finished pauses: each lasts (resumed date - pause
    date) days. ``paused_since`` is the start of a pause still running (status
    ``info_requested``); it adds (today - paused_since) days, so while paused
    ``due_on`` moves with today and ``days_left`` stays put.
    """
    running = max(0, (today - paused_since).days) if paused_since is not None else 0
    due_on = decision_due_on(submitted_on, paused_days=paused_days + running, rules=rules)
    day = (today - submitted_on).days - paused_days - running
    state: ClockState
    if paused_since is not None:
        state = "paused"
    elif today > due_on:
        state = "overdue"
    elif day >= rules.decision_warning_day:
        state = "due_soon"
    else:
        state = "on_time"
    return DecisionClock(due_on=due_on, days_left=(due_on - today).days, day=day, state=state)


def voucher_validity(decision_on: date, planned_start_on: date | None, *, rules: FundRules) -> tuple[date, date]:
    """``(valid_from, valid_until)``, both inclusive.

    Valid from the planned start when one is given and it is not before the
    decision date, else from the decision date. A validity of N months ends the
    day before the same date N months later (2025-01-10 -> 2025-07-09); when
    that month has no such date, it ends on the month's last day
    (2024-08-31 -> 2025-02-28, not 02-27).
    """
    valid_from = planned_start_on if planned_start_on and planned_start_on >= decision_on else decision_on
    end = add_months(valid_from, rules.voucher_validity_months)
    valid_until = end if end.day != valid_from.day else end - timedelta(days=1)
    return valid_from, valid_until


def appeal_deadline(decision_on: date, rules: FundRules) -> date:
    """Last day (inclusive) to appeal to the labour court: decision + 3 months."""
    return add_months(decision_on, rules.appeal_months)


#: Voucher-request statuses (API.md) -> statuses reachable in one step.
#: "Any open state -> withdrawn" (DOMAIN.md) includes an unsent draft.
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"submitted", "withdrawn"}),
    "submitted": frozenset({"info_requested", "approved", "waitlisted", "rejected", "withdrawn"}),
    "info_requested": frozenset({"submitted", "withdrawn"}),
    "waitlisted": frozenset({"approved", "withdrawn"}),
    "approved": frozenset(),
    "rejected": frozenset(),
    "withdrawn": frozenset(),
}


#: Voucher statuses (API.md) -> statuses reachable in one step. A voucher is
#: only completed after coaching started (in_progress), per DOMAIN.md.
VOUCHER_TRANSITIONS: dict[str, frozenset[str]] = {
    "approved": frozenset({"in_progress", "expired", "withdrawn"}),
    "in_progress": frozenset({"completed", "expired", "withdrawn"}),
    "completed": frozenset(),
    "expired": frozenset(),
    "withdrawn": frozenset(),
}


#: Non-terminal states: an open request or voucher blocks a second one.
OPEN_REQUEST_STATES: frozenset[str] = frozenset(s for s, nxt in REQUEST_TRANSITIONS.items() if nxt)


OPEN_VOUCHER_STATES: frozenset[str] = frozenset(s for s, nxt in VOUCHER_TRANSITIONS.items() if nxt)


class IllegalTransition(Exception):
    """A status change the machine does not list (the API answers 409)."""

    def __init__(self, from_state: str, to_state: str) -> None:
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"cannot go from {from_state!r} to {to_state!r}")


def check_transition(machine: dict[str, frozenset[str]], current: str, target: str) -> None:
    """Raise ``IllegalTransition`` unless ``current -> target`` is listed.

    Unknown states are illegal too, so a typo can never slip through.
    """
    if target not in machine.get(current, frozenset()):
        raise IllegalTransition(current, target)


#: Belgian mutual insurers by their national number (the form's choice list).
INSURERS: dict[int, str] = {
    100: "Christelijke Mutualiteit / Mutualité chrétienne",
    200: "Neutrale Ziekenfondsen / Mutualités neutres",
    300: "Solidaris",
    400: "Liberale Mutualiteit / Mutualité libérale",
    500: "Mutualités Libres / Onafhankelijke Ziekenfondsen",
    600: "CAAMI / HZIV",
    900: "HR Rail",
}


def validate_niss(value: str) -> str:
    """The compact 11-digit national register (NISS) or BIS number.

    Accepts the usual separators (``85.07.30-033.28``). Raises ``ValueError``
    with a sentence fit to show the person when the number is not valid.
    """
    try:
        return ssn.validate(value)
    except InvalidChecksum:
        raise ValueError(
            "This national register number is not correct. "
            "Please check the 11 digits on your identity card."
        ) from None
    except (ValidationError, TypeError, AttributeError):
        raise ValueError(
            "A national register number has 11 digits, for example 85.07.30-033.28. "
            "You find it on your identity card."
        ) from None
