"""Unit tests for the pure voucher rules (no app, no database)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, timedelta
from itertools import product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.be import ssn

from portal.rules import DEFAULT_RULES, FundRules
from vouchers.requests.domain import (
    INSURERS,
    OPEN_REQUEST_STATES,
    OPEN_VOUCHER_STATES,
    REASON_MESSAGES,
    REQUEST_TRANSITIONS,
    VOUCHER_TRANSITIONS,
    DecisionClock,
    EligibilityFacts,
    EligibilityVerdict,
    IllegalTransition,
    Reason,
    add_months,
    appeal_deadline,
    check_eligibility,
    check_transition,
    decision_clock,
    decision_due_on,
    validate_niss,
    voucher_validity,
)

R = DEFAULT_RULES
D = date.fromisoformat
no_db = settings(database=None, deadline=None)


def route_a(end: date | None, **kw) -> EligibilityFacts:
    base = dict(force_majeure=True, contract_end_on=end, incapacity_start_on=None, benefits_scheme="employee")
    return EligibilityFacts(**{**base, **kw})


def route_b(start: date | None, scheme: str | None = "employee", **kw) -> EligibilityFacts:
    base = dict(force_majeure=False, contract_end_on=None, incapacity_start_on=start, benefits_scheme=scheme)
    return EligibilityFacts(**{**base, **kw})


def check(facts: EligibilityFacts, today: str, rules: FundRules = R) -> EligibilityVerdict:
    return check_eligibility(facts, today=D(today), rules=rules)


def codes(v: EligibilityVerdict) -> list[str]:
    return [r.code for r in v.reasons]


# --- add_months -------------------------------------------------------------


@pytest.mark.parametrize(
    "start, months, expected",
    [
        ("2024-08-31", 6, "2025-02-28"),  # end-of-month clamp
        ("2023-08-29", 6, "2024-02-29"),  # lands on a leap day
        ("2023-08-31", 6, "2024-02-29"),  # clamp in a leap year
        ("2024-01-31", 1, "2024-02-29"),
        ("2024-02-29", 12, "2025-02-28"),
        ("2025-01-10", 6, "2025-07-10"),
        ("2024-10-31", 3, "2025-01-31"),  # across the year end
        ("2024-03-31", -1, "2024-02-29"),
        ("2024-05-15", 0, "2024-05-15"),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(D(start), months) == D(expected)


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))


@no_db
@given(a=dates, b=dates, months=st.integers(min_value=0, max_value=36))
def test_add_months_is_monotonic(a, b, months):
    lo, hi = sorted((a, b))
    assert add_months(lo, months) <= add_months(hi, months)


@no_db
@given(d=dates, months=st.integers(min_value=-36, max_value=36))
def test_add_months_moves_exact_months_and_never_overflows(d, months):
    out = add_months(d, months)
    assert (out.year * 12 + out.month) - (d.year * 12 + d.month) == months
    assert out.day == d.day or (out.day < d.day and (out + timedelta(days=1)).day == 1)


# --- route A ----------------------------------------------------------------


def test_route_a_day_zero_is_eligible():
    v = check(route_a(D("2024-08-31")), "2024-08-31")
    assert (v.eligible, v.route, v.apply_by_on, v.reasons) == (True, "A", D("2025-02-28"), ())


def test_route_a_last_day_inclusive_with_end_of_month_clamp():
    v = check(route_a(D("2024-08-31")), "2025-02-28")
    assert v.eligible and v.route == "A"


def test_route_a_day_after_last_day_is_closed():
    v = check(route_a(D("2024-08-31")), "2025-03-01")
    assert not v.eligible and v.route is None
    assert codes(v) == ["route_a_window_closed"]
    assert v.reasons[0].params == {"apply_by_on": "2025-02-28"}
    assert "2025-02-28" in v.reasons[0].message
    assert v.apply_by_on == D("2025-02-28")


def test_route_a_ordinary_six_month_window():
    assert check(route_a(D("2024-05-15")), "2024-11-15").eligible
    assert codes(check(route_a(D("2024-05-15")), "2024-11-16")) == ["route_a_window_closed"]


def test_contract_end_before_route_a_start_is_refused():
    v = check(route_a(D("2024-03-31")), "2024-04-02")
    assert codes(v) == ["contract_end_too_early"]
    assert v.reasons[0].params == {"contract_end_on": "2024-03-31", "route_a_start_on": "2024-04-01"}


def test_contract_end_on_route_a_start_is_eligible():
    v = check(route_a(D("2024-04-01")), "2024-04-02")
    assert v.eligible and v.route == "A"


def test_early_contract_end_and_closed_window_are_both_reported():
    v = check(route_a(D("2024-01-15")), "2025-01-15")
    assert codes(v) == ["contract_end_too_early", "route_a_window_closed"]


def test_contract_ending_in_the_future_is_not_yet_eligible():
    v = check(route_a(D("2025-06-30")), "2025-06-29")
    assert codes(v) == ["contract_not_ended"]
    assert v.apply_by_on == D("2025-12-30")
    assert "2025-06-30" in v.reasons[0].message


def test_missing_contract_end_on():
    v = check(route_a(None), "2025-06-01")
    assert codes(v) == ["missing_contract_end_on"]
    assert v.apply_by_on is None


def test_route_a_needs_no_benefits_scheme():
    assert check(route_a(D("2025-01-10"), benefits_scheme=None), "2025-02-01").route == "A"


def test_route_a_window_is_a_setting():
    rules = dataclasses.replace(R, route_a_window_months=3)
    v = check(route_a(D("2024-06-10")), "2024-09-11", rules)
    assert v.apply_by_on == D("2024-09-10") and codes(v) == ["route_a_window_closed"]


def test_route_a_has_priority_over_route_b():
    facts = route_a(D("2025-05-01"), incapacity_start_on=D("2023-01-01"))
    assert check(facts, "2025-05-20").route == "A"


def test_route_a_fails_but_route_b_passes():
    facts = route_a(D("2024-05-01"), incapacity_start_on=D("2023-01-01"))
    v = check(facts, "2025-05-20")
    assert (v.eligible, v.route, v.reasons) == (True, "B", ())
    assert v.apply_by_on == D("2024-11-01")  # still told, for information


def test_route_a_and_b_both_fail_reports_both():
    facts = route_a(D("2024-05-01"), incapacity_start_on=D("2024-10-01"))
    v = check(facts, "2025-05-20")
    assert codes(v) == ["route_a_window_closed", "incapacity_too_short"]


def test_failed_route_a_without_incapacity_date_does_not_try_route_b():
    assert codes(check(route_a(D("2024-05-01")), "2025-05-20")) == ["route_a_window_closed"]


def test_contract_end_is_ignored_without_force_majeure():
    facts = route_b(None, contract_end_on=D("2025-05-01"))
    v = check(facts, "2025-05-20")
    assert codes(v) == ["missing_incapacity_start_on"]
    assert v.apply_by_on is None


# --- route B ----------------------------------------------------------------


def test_route_b_eligible_for_employee_and_job_seeker():
    for scheme in ("employee", "job_seeker"):
        v = check(route_b(D("2024-01-15"), scheme), "2025-04-10")
        assert (v.eligible, v.route, v.apply_by_on) == (True, "B", None)


def test_route_b_exactly_one_year_is_not_enough():
    v = check(route_b(D("2024-05-10")), "2025-05-10")
    assert codes(v) == ["incapacity_too_short"]
    assert v.reasons[0].params == {"incapacity_start_on": "2024-05-10", "eligible_from_on": "2025-05-11"}


def test_route_b_one_year_and_one_day_is_eligible():
    assert check(route_b(D("2024-05-10")), "2025-05-11").route == "B"


def test_route_b_closed_on_2025_03_31():
    v = check(route_b(D("2020-01-01")), "2025-03-31")
    assert codes(v) == ["route_b_not_open"]
    assert v.reasons[0].params == {"route_b_start_on": "2025-04-01"}


def test_route_b_open_on_2025_04_01():
    assert check(route_b(D("2020-01-01")), "2025-04-01").route == "B"


def test_route_b_leap_day_incapacity_start_default_rules():
    assert check(route_b(D("2024-02-29")), "2025-04-01").route == "B"


def test_route_b_leap_day_anniversary_is_28_february():
    rules = dataclasses.replace(R, route_b_start_on=D("2024-01-01"))
    v = check(route_b(D("2024-02-29")), "2025-02-28", rules)
    assert codes(v) == ["incapacity_too_short"]
    assert v.reasons[0].params["eligible_from_on"] == "2025-03-01"
    assert check(route_b(D("2024-02-29")), "2025-03-01", rules).route == "B"


def test_route_b_minimum_years_is_a_setting():
    rules = dataclasses.replace(R, route_b_min_incapacity_years=2)
    assert codes(check(route_b(D("2023-06-01")), "2025-06-01", rules)) == ["incapacity_too_short"]
    assert check(route_b(D("2023-06-01")), "2025-06-02", rules).eligible


def test_incapacity_starting_in_the_future_is_too_short():
    assert codes(check(route_b(D("2025-09-01")), "2025-06-01")) == ["incapacity_too_short"]


def test_missing_incapacity_start_on():
    assert codes(check(route_b(None), "2025-06-01")) == ["missing_incapacity_start_on"]


def test_missing_benefits_scheme_blocks_route_b():
    assert codes(check(route_b(D("2020-01-01"), None), "2025-06-01")) == ["missing_benefits_scheme"]


# --- exclusions -------------------------------------------------------------


def test_self_employed_is_refused_on_route_b():
    v = check(route_b(D("2020-01-01"), "self_employed"), "2025-06-01")
    assert codes(v) == ["self_employed"]
    assert "self-employed" in v.reasons[0].message.lower()


def test_self_employed_is_refused_on_route_a_too():
    v = check(route_a(D("2025-05-01"), benefits_scheme="self_employed"), "2025-05-02")
    assert not v.eligible and codes(v) == ["self_employed"]


def test_unknown_benefits_scheme_is_a_reason_not_a_crash():
    assert codes(check(route_b(D("2020-01-01"), "pensioner"), "2025-06-01")) == ["unknown_benefits_scheme"]


@pytest.mark.parametrize("flag", ["in_approved_retraining", "in_professional_rehabilitation"])
def test_programmes_exclude_both_routes(flag):
    assert codes(check(route_a(D("2025-05-01"), **{flag: True}), "2025-05-02")) == [flag]
    assert codes(check(route_b(D("2020-01-01"), **{flag: True}), "2025-06-01")) == [flag]


def test_every_failed_condition_is_reported_in_order():
    facts = route_b(
        D("2024-06-01"),
        "self_employed",
        in_approved_retraining=True,
        in_professional_rehabilitation=True,
    )
    v = check(facts, "2025-03-01")
    assert codes(v) == [
        "self_employed",
        "in_approved_retraining",
        "in_professional_rehabilitation",
        "incapacity_too_short",
        "route_b_not_open",
    ]


def test_missing_facts_are_all_reported():
    v = check(route_b(None, None), "2025-03-01")
    assert codes(v) == ["missing_benefits_scheme", "missing_incapacity_start_on", "route_b_not_open"]


# --- reasons, messages, JSON --------------------------------------------------


def test_reason_messages_are_snake_case_and_filled_in():
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in REASON_MESSAGES)
    v = check(route_a(D("2024-01-15"), incapacity_start_on=D("2024-12-01"), in_approved_retraining=True), "2025-03-01")
    for r in v.reasons:
        assert r.message == REASON_MESSAGES[r.code].format(**r.params)
        assert "{" not in r.message and r.message.endswith(".")
        assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) for value in r.params.values())


def test_reason_is_immutable():
    r = Reason("self_employed", "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.code = "other"  # type: ignore[misc]


def test_verdict_as_json_matches_the_api_shape():
    v = check(route_a(D("2024-08-31")), "2025-03-01")
    assert v.as_json() == {
        "eligible": False,
        "route": None,
        "apply_by_on": "2025-02-28",
        "reasons": [
            {
                "code": "route_a_window_closed",
                "message": REASON_MESSAGES["route_a_window_closed"].format(apply_by_on="2025-02-28"),
            }
        ],
    }
    assert check(route_b(D("2020-01-01")), "2025-06-01").as_json() == {
        "eligible": True, "route": "B", "apply_by_on": None, "reasons": [],
    }


facts_strategy = st.builds(
    EligibilityFacts,
    force_majeure=st.booleans(),
    contract_end_on=st.none() | st.dates(date(2023, 6, 1), date(2026, 6, 1)),
    incapacity_start_on=st.none() | st.dates(date(2022, 1, 1), date(2026, 6, 1)),
    benefits_scheme=st.sampled_from([None, "employee", "job_seeker", "self_employed", "other"]),
    in_approved_retraining=st.booleans(),
    in_professional_rehabilitation=st.booleans(),
)


@no_db
@given(facts=facts_strategy, today=st.dates(date(2024, 1, 1), date(2026, 12, 31)))
def test_eligible_iff_no_reasons(facts, today):
    v = check_eligibility(facts, today=today, rules=R)
    assert v.eligible == (not v.reasons)
    assert (v.route is not None) == v.eligible
    assert len({r.code for r in v.reasons}) == len(v.reasons)
    assert all(r.code in REASON_MESSAGES for r in v.reasons)
    if facts.force_majeure and facts.contract_end_on:
        assert v.apply_by_on == add_months(facts.contract_end_on, 6)
    else:
        assert v.apply_by_on is None


@no_db
@given(end=st.dates(date(2024, 4, 1), date(2026, 6, 1)), offset=st.integers(0, 400), start=st.none() | dates)
def test_route_a_wins_whenever_it_holds(end, offset, start):
    today = end + timedelta(days=offset)
    v = check_eligibility(route_a(end, incapacity_start_on=start), today=today, rules=R)
    assert (v.route == "A") == (today <= add_months(end, 6))


# --- the 45-day clock ---------------------------------------------------------

SUB = D("2025-01-01")


def test_decision_due_on_is_day_45():
    assert decision_due_on(SUB, rules=R) == D("2025-02-15")


def test_decision_due_on_adds_paused_days():
    assert decision_due_on(SUB, paused_days=10, rules=R) == D("2025-02-25")


def test_decision_due_on_rejects_negative_pause():
    with pytest.raises(ValueError):
        decision_due_on(SUB, paused_days=-1, rules=R)


@pytest.mark.parametrize(
    "day, state, days_left",
    [(0, "on_time", 45), (34, "on_time", 11), (35, "due_soon", 10), (45, "due_soon", 0), (46, "overdue", -1), (60, "overdue", -15)],
)
def test_clock_days(day, state, days_left):
    c = decision_clock(SUB, SUB + timedelta(days=day), rules=R)
    assert c == DecisionClock(due_on=D("2025-02-15"), days_left=days_left, day=day, state=state)


@pytest.mark.parametrize("calendar_day, state", [(39, "on_time"), (40, "due_soon"), (50, "due_soon"), (51, "overdue")])
def test_clock_with_finished_pause(calendar_day, state):
    c = decision_clock(SUB, SUB + timedelta(days=calendar_day), paused_days=5, rules=R)
    assert c.state == state
    assert c.day == calendar_day - 5
    assert c.due_on == D("2025-02-20")


def test_clock_running_pause_freezes_days_left():
    paused_since = SUB + timedelta(days=20)
    for today in (paused_since, paused_since + timedelta(days=10), paused_since + timedelta(days=60)):
        c = decision_clock(SUB, today, paused_since=paused_since, rules=R)
        assert (c.state, c.day, c.days_left) == ("paused", 20, 25)
        assert c.due_on == today + timedelta(days=25)


def test_clock_running_pause_adds_to_finished_pauses():
    c = decision_clock(SUB, D("2025-02-10"), paused_days=3, paused_since=D("2025-02-01"), rules=R)
    assert (c.state, c.day, c.due_on) == ("paused", 28, D("2025-02-27"))


def test_clock_pause_starting_after_today_counts_nothing():
    c = decision_clock(SUB, D("2025-01-10"), paused_since=D("2025-01-12"), rules=R)
    assert (c.state, c.day, c.days_left) == ("paused", 9, 36)


def test_clock_settings_are_used():
    rules = dataclasses.replace(R, decision_days=30, decision_warning_day=20)
    assert decision_clock(SUB, SUB + timedelta(days=19), rules=rules).state == "on_time"
    assert decision_clock(SUB, SUB + timedelta(days=20), rules=rules).state == "due_soon"
    assert decision_clock(SUB, SUB + timedelta(days=31), rules=rules).state == "overdue"


@no_db
@given(offset=st.integers(0, 200), paused=st.integers(0, 60))
def test_clock_day_plus_days_left_is_45(offset, paused):
    c = decision_clock(SUB, SUB + timedelta(days=offset), paused_days=paused, rules=R)
    assert c.day + c.days_left == 45
    assert (c.state == "overdue") == (c.days_left < 0)


# --- validity and appeal --------------------------------------------------------


def test_validity_from_decision_without_planned_start():
    assert voucher_validity(D("2025-01-10"), None, rules=R) == (D("2025-01-10"), D("2025-07-09"))


def test_validity_from_future_planned_start():
    assert voucher_validity(D("2025-01-10"), D("2025-02-03"), rules=R) == (D("2025-02-03"), D("2025-08-02"))


def test_validity_ignores_planned_start_in_the_past():
    assert voucher_validity(D("2025-01-10"), D("2025-01-09"), rules=R) == (D("2025-01-10"), D("2025-07-09"))


def test_validity_planned_start_on_decision_day():
    assert voucher_validity(D("2025-01-10"), D("2025-01-10"), rules=R)[0] == D("2025-01-10")


@pytest.mark.parametrize(
    "start, until",
    [("2024-08-31", "2025-02-28"), ("2024-03-01", "2024-08-31"), ("2023-08-29", "2024-02-28"), ("2023-08-30", "2024-02-29")],
)
def test_validity_end_of_month(start, until):
    assert voucher_validity(D(start), None, rules=R) == (D(start), D(until))


def test_validity_months_is_a_setting():
    rules = dataclasses.replace(R, voucher_validity_months=12)
    assert voucher_validity(D("2025-01-10"), None, rules=rules)[1] == D("2026-01-09")


@no_db
@given(decision=dates, planned=st.none() | dates)
def test_validity_bounds(decision, planned):
    valid_from, valid_until = voucher_validity(decision, planned, rules=R)
    assert valid_from >= decision and valid_from in (decision, planned)
    six = add_months(valid_from, 6)
    assert six - timedelta(days=1) <= valid_until <= six


@pytest.mark.parametrize("decided, deadline", [("2025-01-10", "2025-04-10"), ("2024-11-30", "2025-02-28"), ("2023-11-29", "2024-02-29")])
def test_appeal_deadline(decided, deadline):
    assert appeal_deadline(D(decided), R) == D(deadline)
    assert appeal_deadline(D(decided), rules=R) == D(deadline)


# --- lifecycle ------------------------------------------------------------------

REQUEST_LEGAL = {
    ("draft", "submitted"),
    ("draft", "withdrawn"),
    ("submitted", "info_requested"),
    ("submitted", "approved"),
    ("submitted", "waitlisted"),
    ("submitted", "rejected"),
    ("submitted", "withdrawn"),
    ("info_requested", "submitted"),
    ("info_requested", "withdrawn"),
    ("waitlisted", "approved"),
    ("waitlisted", "withdrawn"),
}
VOUCHER_LEGAL = {
    ("approved", "in_progress"),
    ("approved", "expired"),
    ("approved", "withdrawn"),
    ("in_progress", "completed"),
    ("in_progress", "expired"),
    ("in_progress", "withdrawn"),
}
REQUEST_STATES = ["draft", "submitted", "info_requested", "approved", "waitlisted", "rejected", "withdrawn"]
VOUCHER_STATES = ["approved", "in_progress", "completed", "expired", "withdrawn"]


def test_status_names_match_the_api():
    assert set(REQUEST_TRANSITIONS) == set(REQUEST_STATES)
    assert set(VOUCHER_TRANSITIONS) == set(VOUCHER_STATES)
    for machine in (REQUEST_TRANSITIONS, VOUCHER_TRANSITIONS):
        assert all(t in machine for targets in machine.values() for t in targets)


def test_machines_list_exactly_the_legal_transitions():
    assert {(a, b) for a, bs in REQUEST_TRANSITIONS.items() for b in bs} == REQUEST_LEGAL
    assert {(a, b) for a, bs in VOUCHER_TRANSITIONS.items() for b in bs} == VOUCHER_LEGAL


@pytest.mark.parametrize("current, target", sorted(REQUEST_LEGAL))
def test_legal_request_transitions(current, target):
    check_transition(REQUEST_TRANSITIONS, current, target)


@pytest.mark.parametrize("current, target", sorted(VOUCHER_LEGAL))
def test_legal_voucher_transitions(current, target):
    check_transition(VOUCHER_TRANSITIONS, current, target)


@pytest.mark.parametrize(
    "machine, current, target",
    [(REQUEST_TRANSITIONS, a, b) for a, b in product(REQUEST_STATES, repeat=2) if (a, b) not in REQUEST_LEGAL]
    + [(VOUCHER_TRANSITIONS, a, b) for a, b in product(VOUCHER_STATES, repeat=2) if (a, b) not in VOUCHER_LEGAL]
    + [(REQUEST_TRANSITIONS, "nonsense", "submitted"), (REQUEST_TRANSITIONS, "draft", "nonsense"), (VOUCHER_TRANSITIONS, "submitted", "approved")],
)
def test_illegal_transitions(machine, current, target):
    with pytest.raises(IllegalTransition) as exc:
        check_transition(machine, current, target)
    assert (exc.value.from_state, exc.value.to_state) == (current, target)
    assert current in str(exc.value) and target in str(exc.value)


def test_open_states():
    assert OPEN_REQUEST_STATES == {"draft", "submitted", "info_requested", "waitlisted"}
    assert OPEN_VOUCHER_STATES == {"approved", "in_progress"}


def test_machines_are_immutable_values():
    assert all(isinstance(v, frozenset) for v in REQUEST_TRANSITIONS.values())
    assert all(isinstance(v, frozenset) for v in VOUCHER_TRANSITIONS.values())


# --- insurers and NISS ------------------------------------------------------------


def test_insurers():
    assert sorted(INSURERS) == [100, 200, 300, 400, 500, 600, 900]
    assert "Solidaris" in INSURERS[300]
    assert "Mutualités Libres" in INSURERS[500]
    assert "HR Rail" in INSURERS[900]
    assert all(isinstance(name, str) and name for name in INSURERS.values())


def make_niss(birth: date, serial: int, *, bis: bool = False) -> str:
    """A valid NISS (or BIS: month + 40) computed with the official mod-97 rule."""
    month = birth.month + (40 if bis else 0)
    first9 = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial:03d}"
    base = int(("2" if birth.year >= 2000 else "") + first9)
    number = f"{first9}{97 - base % 97:02d}"
    assert ssn.validate(number) == number
    return number


def test_validate_niss_accepts_national_number():
    n = make_niss(D("1985-07-30"), 33)
    assert validate_niss(n) == n


def test_validate_niss_accepts_born_after_2000():
    n = make_niss(D("2003-11-02"), 122)
    assert validate_niss(n) == n


def test_validate_niss_accepts_bis_number():
    n = make_niss(D("1998-07-28"), 997, bis=True)
    assert ssn.guess_type(n) == "bis"
    assert validate_niss(n) == n


def test_validate_niss_compacts_separators():
    n = make_niss(D("1985-07-30"), 33)
    formatted = f"{n[0:2]}.{n[2:4]}.{n[4:6]}-{n[6:9]}.{n[9:]}"
    assert validate_niss(f"  {formatted} ") == n


@pytest.mark.parametrize("bad", ["", "123", "1234567890123", "85O73003328", "abcdefghijk", None])
def test_validate_niss_rejects_malformed(bad):
    with pytest.raises(ValueError, match="11 digits"):
        validate_niss(bad)  # type: ignore[arg-type]


def test_validate_niss_rejects_wrong_check_digits():
    n = make_niss(D("1985-07-30"), 33)
    wrong = n[:9] + f"{(int(n[9:]) % 97) + 1:02d}"
    with pytest.raises(ValueError, match="not correct"):
        validate_niss(wrong)


@no_db
@given(birth=st.dates(date(1920, 1, 1), date(2024, 12, 31)), serial=st.integers(1, 998), bis=st.booleans())
def test_validate_niss_accepts_any_well_formed_number(birth, serial, bis):
    n = make_niss(birth, serial, bis=bis)
    assert validate_niss(n) == n
