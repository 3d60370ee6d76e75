"""The fund's numeric rules, as one immutable value.

Every number in DOMAIN.md is a setting with a start date. The database keeps
them in ``fund_settings`` rows (see ``portal.settings``); the pure domain
functions receive the ``FundRules`` in force on the relevant date, so they never
read the database or a literal of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class FundRules:
    # Vouchers
    voucher_value_cents: int = 180_000
    voucher_validity_months: int = 6
    decision_days: int = 45
    decision_warning_day: int = 35
    route_a_start_on: date = date(2024, 4, 1)
    route_a_window_months: int = 6
    route_b_start_on: date = date(2025, 4, 1)
    route_b_min_incapacity_years: int = 1
    appeal_months: int = 3
    # Offers and sessions
    max_individual_hours: int = 12
    collective_session_minutes: int = 210
    default_individual_unit_cents: int = 15_000
    default_collective_unit_cents: int = 15_000
    individual_session_min_minutes: int = 60
    individual_session_max_minutes: int = 120
    session_step_minutes: int = 15
    confirmation_working_days: int = 5
    # Employers
    contribution_cents: int = 180_000
    declaration_days: int = 45
    contribution_due_days: int = 45
    physician_appeal_days: int = 21
    # Days before the contribution's due day when its employer is reminded [D]
    contribution_reminder_days: int = 7
    # Providers
    label_warning_days: int = 60


DEFAULT_RULES = FundRules()
