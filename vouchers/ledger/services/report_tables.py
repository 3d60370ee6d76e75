from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from portal.errors import N_, NotFound
from vouchers.ledger.domain import Period, last_twelve_months, month_of
from vouchers.ledger.services.reconciliation import (
    CONTRIBUTION_STATES,
    Reconciliation,
    reconcile,
    require_reports,
)
from vouchers.ledger.services.reports import (
    REPORTS,
    contribution_aging,
    decision_compliance,
    money_in_out,
    provider_volumes,
    waiting_list,
)


def reconciliation_table(figures: Reconciliation) -> tuple[list[str], list[list[Any]]]:
    header = ["from_on", "to_on", "as_of_on", "section", "figure", "count", "cents"]
    period = [figures.period.from_on.isoformat(), figures.period.to_on.isoformat(), figures.as_of_on.isoformat()]
    c = figures.contributions
    lines: list[tuple[str, str, int | str, int]] = [
        ("contributions", "expected", c.expected.count, c.expected.cents),
        *[("contributions", state, getattr(c, state).count, getattr(c, state).cents) for state in CONTRIBUTION_STATES],
        ("contributions", "overdue", c.overdue.count, c.overdue.cents),
        ("contributions", "received", "", c.received_cents),
        ("contributions", "outstanding", "", c.outstanding_cents),
        ("contributions", "excess", "", c.excess_cents),
        ("cash", "opening", "", figures.cash.opening_cents),
        ("cash", "contributions_received", figures.cash.received.count, figures.cash.received.cents),
        ("cash", "refunds", figures.cash.refunds.count, figures.cash.refunds.cents),
        ("cash", "funding", figures.cash.funding.count, figures.cash.funding.cents),
        ("cash", "claims_paid", figures.cash.paid_out.count, figures.cash.paid_out.cents),
        ("cash", "other", "", figures.cash.other_cents),
        ("cash", "closing", "", figures.cash.closing_cents),
        ("unmatched", "bank_lines", figures.unmatched.count, figures.unmatched.cents),
        ("claims", "approved", figures.claims_approved.count, figures.claims_approved.cents),
        ("claims", "paid", figures.claims_paid.count, figures.claims_paid.cents),
        ("balance", "cash", "", figures.position.cash_cents),
        ("balance", "committed", "", figures.position.committed_cents),
        ("balance", "payable", "", figures.position.payable_cents),
        ("balance", "fund_balance", "", figures.position.available_cents),
    ]
    return header, [[*period, *line] for line in lines]


def default_period(name: str, today: date) -> Period:
    """The reconciliation shows this month; the monthly reports the last twelve months."""
    return month_of(today) if name == "reconciliation" else last_twelve_months(today)


def report_table(session: Session, actor: Any, name: str, *, today: date, period: Period | None = None,
                 on: date | None = None) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of a report (``REPORTS``); 404 for an unknown name. ``period`` defaults
    to ``default_period``; ``on`` (the aging's day) to today; the waiting list is always today's."""
    require_reports(actor)
    if name not in REPORTS:
        raise NotFound(N_("There is no report with this name."))
    period = period or default_period(name, today)
    if name == "money-in-out":
        return money_in_out(session, period).table()
    if name == "contribution-aging":
        return contribution_aging(session, on=on or today, today=today).table()
    if name == "decision-compliance":
        return decision_compliance(session, period, today=today).table()
    if name == "provider-volumes":
        return provider_volumes(session, period).table()
    if name == "waiting-list":
        return waiting_list(session, today=today).table()
    return reconciliation_table(reconcile(session, actor, period, today=today))


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (OWASP).

    Only text (names, free text) is defused: numbers the reports write (counts, cents, and euros, a
    ``Decimal``) are left alone, so a negative amount stays ``-5000.00``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def euros(cents: int) -> Decimal:
    """1800.00: a plain decimal amount with two decimals, the same in every locale. A number, not text,
    so that ``safe_cell`` leaves a negative one alone."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def with_euros(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[list[str], list[list[Any]]]:
    """After each ``*_cents`` column (or ``cents``), the same amount in euros."""
    money = [i for i, name in enumerate(header) if name == "cents" or name.endswith("_cents")]
    out_header: list[str] = []
    for i, name in enumerate(header):
        out_header.append(name)
        if i in money:
            out_header.append("euros" if name == "cents" else name[: -len("_cents")] + "_euros")
    out_rows = []
    for row in rows:
        line: list[Any] = []
        for i, value in enumerate(row):
            line.append(value)
            if i in money:
                line.append(euros(value) if isinstance(value, int) else "")
        out_rows.append(line)
    return out_header, out_rows


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    header, rows = with_euros(header, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue()
