"""Pure rules of the employers' side: every date boundary, the reference, the payment state."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from stdnum.be import ogm_vcs

from portal.rules import DEFAULT_RULES
from vouchers.employers import domain
from vouchers.employers.domain import PaymentSums

R = DEFAULT_RULES
D = date.fromisoformat


@pytest.mark.parametrize("end,due", [
    ("2025-01-01", "2025-02-15"),   # 45 days later
    ("2024-12-31", "2025-02-14"),   # across the new year
    ("2024-02-15", "2024-03-31"),   # through a leap February
    ("2025-02-15", "2025-04-01"),
])
def test_declaration_and_contribution_are_due_45_days_after_the_contract_end(end, due):
    assert domain.declaration_due_on(D(end), R) == D(due)
    assert domain.contribution_due_on(D(end), R) == D(due)


def test_deadlines_follow_the_settings():
    rules = dataclasses.replace(R, declaration_days=30, contribution_due_days=60)
    assert domain.declaration_due_on(D("2025-01-01"), rules) == D("2025-01-31")
    assert domain.contribution_due_on(D("2025-01-01"), rules) == D("2025-03-02")


@pytest.mark.parametrize("end,apply_by", [
    ("2025-01-15", "2025-07-15"),
    ("2024-08-31", "2025-02-28"),   # clamped to the shorter month
    ("2023-08-29", "2024-02-29"),   # leap year
    ("2025-08-31", "2026-02-28"),
    ("2024-04-01", "2024-10-01"),
])
def test_the_worker_may_apply_until_contract_end_plus_six_months(end, apply_by):
    assert domain.apply_by_on(D(end), R) == D(apply_by)


def test_late_declaration_warning_boundary():
    end = D("2025-01-01")
    due = D("2025-02-15")
    assert domain.declaration_warnings(end, None, declared_on=due, rules=R) == []
    late = domain.declaration_warnings(end, None, declared_on=D("2025-02-16"), rules=R)
    assert [w.code for w in late] == ["late_declaration"]
    assert "2025-02-15" in late[0].message


def test_physician_appeal_warning_boundary():
    decision = D("2025-03-01")
    assert domain.physician_appeal_ends_on(decision, R) == D("2025-03-22")
    on_day_21 = domain.declaration_warnings(D("2025-03-22"), decision, declared_on=D("2025-03-25"), rules=R)
    assert on_day_21 == []
    on_day_20 = domain.declaration_warnings(D("2025-03-21"), decision, declared_on=D("2025-03-25"), rules=R)
    assert [w.code for w in on_day_20] == ["physician_appeal_period"]
    before_decision = domain.declaration_warnings(D("2025-02-20"), decision, declared_on=D("2025-03-25"), rules=R)
    assert [w.code for w in before_decision] == ["physician_appeal_period"]


def test_both_warnings_at_once():
    warnings = domain.declaration_warnings(D("2025-01-10"), D("2025-01-01"), declared_on=D("2025-04-01"), rules=R)
    assert [w.code for w in warnings] == ["late_declaration", "physician_appeal_period"]


def test_contract_end_must_be_from_the_scheme_start_and_not_in_the_future():
    today = D("2025-06-01")
    check = domain.check_declaration_dates
    assert check(D("2024-04-01"), None, today=today, rules=R) == []
    assert [p.code for p in check(D("2024-03-31"), None, today=today, rules=R)] == ["contract_end_too_early"]
    assert check(today, None, today=today, rules=R) == []
    assert [p.code for p in check(D("2025-06-02"), None, today=today, rules=R)] == ["contract_end_in_future"]
    assert check(D("2025-05-01"), today, today=today, rules=R) == []
    assert [p.field for p in check(D("2025-05-01"), D("2025-06-02"), today=today, rules=R)] == [
        "physician_decision_on"]


@pytest.mark.parametrize("base", [1, 108068171, 9_999_999_999, 1234567890])
def test_structured_references_have_valid_check_digits(base):
    reference = domain.structured_reference(base)
    assert len(reference) == 12 and reference.isdigit()
    assert ogm_vcs.is_valid(reference)


def test_structured_reference_format_and_the_zero_rest():
    assert domain.format_structured_reference("010806817183") == "+++010/8068/17183+++"
    # base % 97 == 0 -> check digits 97
    assert domain.structured_reference(97).endswith("97")
    with pytest.raises(ValueError):
        domain.structured_reference(0)


def test_references_from_declaration_ids_are_valid_distinct_and_scattered():
    refs = [domain.reference_for(i) for i in range(1, 2001)]
    assert len(set(refs)) == 2000
    assert all(ogm_vcs.is_valid(r) for r in refs)
    # neighbours are far apart: a slip of one digit does not land on the next declaration
    assert all(abs(int(a[:10]) - int(b[:10])) > 1000 for a, b in zip(refs, refs[1:]))
    assert domain.reference_for(9_999_999_999) != domain.reference_for(1)
    with pytest.raises(ValueError):
        domain.reference_for(0)


AMOUNT = 180_000


@pytest.mark.parametrize("received,refunded,in_flight,status", [
    (0, 0, False, "due"),
    (0, 0, True, "processing"),
    (50_000, 0, False, "partially_paid"),
    (50_000, 0, True, "partially_paid"),
    (AMOUNT, 0, False, "paid"),
    (AMOUNT, 0, True, "paid"),          # money wins over a stale "processing"
    (AMOUNT + 1, 0, False, "overpaid"),
    (AMOUNT, AMOUNT, False, "refunded"),
    (AMOUNT, 80_000, False, "partially_paid"),
    (AMOUNT + 20_000, 20_000, False, "paid"),  # the excess given back
])
def test_status_comes_from_the_sums(received, refunded, in_flight, status):
    assert domain.contribution_status(AMOUNT, PaymentSums(received, refunded), in_flight=in_flight) == status


def test_intent_signals_only_move_forward():
    nothing = PaymentSums()
    paid = PaymentSums(AMOUNT, 0)
    after = domain.status_after_intent
    assert after("due", AMOUNT, nothing, "processing") == "processing"
    assert after("processing", AMOUNT, nothing, "requires_payment_method") == "due"   # failed: back to due
    assert after("processing", AMOUNT, nothing, "canceled") == "due"
    assert after("processing", AMOUNT, nothing, "requires_action") == "processing"
    assert after("due", AMOUNT, nothing, "requires_confirmation") == "due"
    assert after("processing", AMOUNT, paid, "succeeded") == "paid"
    # a late "processing" or "failed" never takes a paid contribution back
    assert after("paid", AMOUNT, paid, "processing") == "paid"
    assert after("paid", AMOUNT, paid, "requires_payment_method") == "paid"
    assert after("paid", AMOUNT, PaymentSums(AMOUNT, AMOUNT), "succeeded") == "refunded"


@pytest.mark.parametrize("status,due,today,overdue", [
    ("due", "2025-02-15", "2025-02-15", False),   # the due day is still on time
    ("due", "2025-02-15", "2025-02-16", True),
    ("partially_paid", "2025-02-15", "2025-02-16", True),
    ("processing", "2025-02-15", "2025-03-01", False),
    ("paid", "2025-02-15", "2025-03-01", False),
    ("refunded", "2025-02-15", "2025-03-01", False),
])
def test_overdue_is_a_separate_flag(status, due, today, overdue):
    assert domain.is_overdue(status, D(due), D(today)) is overdue
