"""The reconciliation of a period: what was expected from employers, what came in and went out,
and where the fund stands, every figure a sum over the ledger or the records it stands for.

The figures of a period ``from_on``..``to_on`` (both days included):

- **Contributions expected** are the contributions *due* in the period (``due_on`` in it), of
  declarations that are not cancelled: what the fund could count on receiving in those days.
  Each is then classified by the money booked for it up to the *as-of day* (``to_on``, or today
  when the period has not ended yet), with the same rule as its status
  (``vouchers.employers.domain.contribution_status``): ``unpaid`` (nothing received),
  ``processing`` (a card payment in flight; known only for today), ``partially_paid``, ``paid``,
  ``overpaid`` and ``refunded``. These six add up to ``expected``. ``overdue`` is the unpaid or
  partly paid ones whose due day had passed on the as-of day (``is_overdue``).
- **Money in and out** are the cash entries of the ledger booked in the period: contributions
  received, refunds, the fund's own funding, and claims paid to providers. With the cash held the
  day before the period (opening) they add up to the cash held on ``to_on`` (closing).
- **Claims approved and paid** are the ledger's ``claim_approved`` (payable) and ``claim_paid``
  (cash) entries booked in the period, one per claim.
- **The balance** is ``ledger.fund_position`` on ``to_on``: cash, committed voucher value, owed to
  providers, and the fund balance (cash - committed - payable) that route-B approvals draw on.
- **Unmatched money** is the bank-statement credit lines of the period that no contribution
  took (``vouchers.bank_statements.services.unmatched_money``).

When the figures are judged: unmatched money and the bank payments of contributions reflect the
matches known when the figures are computed, not when the period ended. A bank line matched late
(by hand, after the period) is booked on the line's own booking day, so it leaves the past
period's unmatched figure and joins its money received and its contributions' payments: the same
past period computed again shows different figures. Contribution states, in contrast, are judged
as of the period's last day (the as-of day above): money booked after it does not count for them,
though a late match of a line booked by then does, as said.

Each figure names its rows (``figure_rows``), so a page can list the records behind it.
The ledger's sums read the stored closings of the past months and the entries of the rest (``closings``); the
closings a reader makes on the way (the past months not closed yet) are the only thing written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from coaching.claims.models import Claim
from coaching.providers.models import Provider
from portal.db import prepared
from portal.errors import N_, Forbidden, NotFound
from portal.permissions import Permission, can
from vouchers.employers.models import Declaration, Employer
from vouchers.ledger.domain import Period
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import closings
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.reconciliation_sql import (
    contribution_cohort,
    overdue_condition,
    period_parameters,
)

CONTRIBUTION_STATES = ("unpaid", "processing", "partially_paid", "paid", "overpaid", "refunded")


CONTRIBUTION_FIGURES = ("expected", *CONTRIBUTION_STATES, "overdue")


# Cash movements of the period, by ledger kind.
MONEY_FIGURES = {"received": "contribution_paid", "refunds": "contribution_refunded", "funding": "funding"}


CLAIM_FIGURES = {"claims_approved": ("payable", "claim_approved"), "claims_paid": ("cash", "claim_paid")}


BALANCE_FIGURES = ("cash", "committed", "payable")


FIGURES = (*CONTRIBUTION_FIGURES, *MONEY_FIGURES, *CLAIM_FIGURES, *BALANCE_FIGURES)








@dataclass(frozen=True)
class Figure:
    count: int = 0
    cents: int = 0


@dataclass(frozen=True)
class ContributionFigures:
    """The contributions due in the period, by what had been paid on the as-of day.

    ``cents`` of each figure: ``expected`` the amounts due; ``unpaid``/``processing`` the amounts
    still owed; ``partially_paid``, ``paid`` and ``overpaid`` the money received (net of refunds);
    ``refunded`` the money given back; ``overdue`` what is still owed on the late ones.
    """

    expected: Figure
    unpaid: Figure
    processing: Figure
    partially_paid: Figure
    paid: Figure
    overpaid: Figure
    refunded: Figure
    overdue: Figure
    received_cents: int  # net of refunds, over all the contributions expected
    outstanding_cents: int  # still owed on the unpaid, processing and partly paid ones
    excess_cents: int  # received beyond the amount due, on the overpaid ones


@dataclass(frozen=True)
class CashFigures:
    """The cash account over the period: opening + movements = closing."""

    opening_cents: int
    received: Figure
    refunds: Figure  # cents as a positive amount given back
    funding: Figure
    paid_out: Figure  # claims paid to providers, as a positive amount
    other_cents: int  # any other cash movement (none in normal operation)
    closing_cents: int

    @property
    def movements_cents(self) -> int:
        return (self.received.cents - self.refunds.cents + self.funding.cents - self.paid_out.cents
                + self.other_cents)


@dataclass(frozen=True)
class Reconciliation:
    period: Period
    as_of_on: date
    contributions: ContributionFigures
    cash: CashFigures
    claims_approved: Figure
    claims_paid: Figure
    unmatched: Figure
    position: ledger.FundPosition  # on to_on

    def figure(self, key: str) -> Figure:
        """Any figure by its key in ``FIGURES`` (the rows pages name them so)."""
        if key in CONTRIBUTION_FIGURES:
            return getattr(self.contributions, key)
        if key in ("received", "refunds", "funding"):
            return getattr(self.cash, key)
        if key in CLAIM_FIGURES:
            return getattr(self, key)
        sums = {"cash": self.position.cash_cents, "committed": self.position.committed_cents,
                "payable": self.position.payable_cents}
        return Figure(0, sums[key])


def contribution_figures(session: Session, period: Period, *, today: date) -> ContributionFigures:
    return contribution_and_unmatched_figures(session, period, today=today)[0]


def contribution_and_unmatched_figures(session: Session, period: Period, *,
                                       today: date) -> tuple[ContributionFigures, Figure]:
    """The contributions due in the period, and the period's unmatched bank money (``unmatched_money``), in one
    statement: the one-row unmatched sum, outer-joined to the contributions' groups (none for an empty period)."""
    from vouchers.banking.services.lines import unmatched_lines_query

    as_of = period.as_of(today)
    running = as_of >= today

    def build() -> Any:  # once per process (and per ``running``): the days are bind parameters
        days, on = period_parameters()
        cohort = contribution_cohort(days, on, today, running=running)
        overdue = overdue_condition(cohort, on)
        groups = (select(cohort.c.state.label("state"), overdue.label("overdue"), func.count().label("number"),
                         func.sum(cohort.c.amount).label("amount"), func.sum(cohort.c.received).label("received"),
                         func.sum(cohort.c.refunded).label("refunded"))
                  .group_by(cohort.c.state, overdue).subquery())
        lines = unmatched_lines_query(days.from_on, days.to_on).order_by(None).subquery()
        unmatched = select(func.count().label("number"),
                           func.coalesce(func.sum(lines.c.amount_cents), 0).label("cents")).subquery()
        return (select(unmatched.c.number, unmatched.c.cents, groups.c.state, groups.c.overdue, groups.c.number,
                       groups.c.amount, groups.c.received, groups.c.refunded)
                .select_from(unmatched.outerjoin(groups, true())))

    found = session.execute(prepared(("reconciliation_contributions", running), build),
                            {"from_on": period.from_on, "to_on": period.to_on, "as_of": as_of}).all()
    rows = [row[2:] for row in found if row[2] is not None]
    return _contribution_figures(rows), Figure(int(found[0][0]), int(found[0][1]))


def _contribution_figures(rows: list[Any]) -> ContributionFigures:
    counts = {state: 0 for state in CONTRIBUTION_STATES}
    cents = dict(counts)
    late = Figure()
    expected = Figure()
    received_total = outstanding = excess = 0
    for state, is_late, number, amount_sum, received_sum, refunded_sum in rows:
        number, amount, refunded = int(number), int(amount_sum or 0), int(refunded_sum or 0)
        net = int(received_sum or 0) - refunded
        counts[state] += number
        expected = Figure(expected.count + number, expected.cents + amount)
        received_total += net
        if state in ("unpaid", "processing", "partially_paid"):
            outstanding += amount - net
            cents[state] += amount - net if state != "partially_paid" else net
        elif state == "refunded":
            cents[state] += refunded
        else:
            cents[state] += net
            if state == "overpaid":
                excess += net - amount
        if is_late:
            late = Figure(late.count + number, late.cents + amount - net)
    return ContributionFigures(expected=expected, overdue=late, received_cents=received_total,
                               outstanding_cents=outstanding, excess_cents=excess,
                               **{state: Figure(counts[state], cents[state]) for state in CONTRIBUTION_STATES})


def cash_and_claims(session: Session, period: Period, *,
                    today: date) -> tuple[CashFigures, Figure, Figure, ledger.FundPosition]:
    """Balances by account up to ``to_on``, and the period's movements by kind: the stored closings of the whole
    months before the period ends, and the entries of the rest (``closings.period_sums``)."""
    rows = closings.period_sums(session, period, today=today).rows
    closing: dict[str, int] = {}
    moved: dict[tuple[str, str], Figure] = {}
    for account, kind, total, number, in_period_cents in rows:
        closing[account] = closing.get(account, 0) + int(total or 0)
        if number:
            moved[(account, kind)] = Figure(int(number), int(in_period_cents or 0))
    cash_moves = {kind: figure for (account, kind), figure in moved.items() if account == "cash"}

    def cash(kind: str, sign: int = 1) -> Figure:
        figure = cash_moves.get(kind, Figure())
        return Figure(figure.count, sign * figure.cents)

    known = set(MONEY_FIGURES.values()) | {"claim_paid"}
    movement = sum(f.cents for f in cash_moves.values())
    cash_figures = CashFigures(
        opening_cents=closing.get("cash", 0) - movement, received=cash("contribution_paid"),
        refunds=cash("contribution_refunded", -1), funding=cash("funding"), paid_out=cash("claim_paid", -1),
        other_cents=sum(f.cents for kind, f in cash_moves.items() if kind not in known),
        closing_cents=closing.get("cash", 0))
    approved = moved.get(CLAIM_FIGURES["claims_approved"], Figure())
    paid = moved.get(CLAIM_FIGURES["claims_paid"], Figure())
    position = ledger.FundPosition(closing.get("cash", 0), closing.get("committed", 0), closing.get("payable", 0))
    return cash_figures, approved, Figure(paid.count, -paid.cents), position


def require_reports(actor: Any) -> None:
    """The figures of the whole fund are for its administrators only."""
    if not can(actor, Permission.ADMIN_REPORTS_VIEW):
        raise Forbidden(N_("Only the fund's administrators may see this."))


def reconcile(session: Session, actor: Any, period: Period, *, today: date) -> Reconciliation:
    """Every figure of the period (see the module's docstring for what each one means)."""
    require_reports(actor)
    cash, approved, paid, position = cash_and_claims(session, period, today=today)
    contributions, unmatched = contribution_and_unmatched_figures(session, period, today=today)
    return Reconciliation(period=period, as_of_on=period.as_of(today), contributions=contributions, cash=cash,
                          claims_approved=approved, claims_paid=paid, unmatched=unmatched, position=position)


@dataclass(frozen=True)
class ContributionRow:
    id: int
    declaration_id: int
    employer_name: str
    reference: str
    due_on: date
    amount_cents: int
    received_cents: int  # net of refunds, on the as-of day
    refunded_cents: int
    state: str
    is_overdue: bool

    @property
    def outstanding_cents(self) -> int:
        return max(0, self.amount_cents - self.received_cents) if self.state != "refunded" else 0


@dataclass(frozen=True)
class EntryRow:
    id: int
    booked_on: date
    account: str
    kind: str
    amount_cents: int
    voucher_id: int | None
    contribution_id: int | None
    claim_id: int | None
    memo: str | None


@dataclass(frozen=True)
class ClaimRow:
    id: int
    booked_on: date  # the day the ledger booked the approval or the payment
    amount_cents: int
    status: str
    provider_id: int
    provider_name: str
    voucher_id: int
    payout_batch_id: int | None


@dataclass
class RowsPage:
    figure: str
    kind: str  # "contribution", "ledger_entry" or "claim"
    rows: list[Any] = field(default_factory=list)
    next_after: int | None = None  # the id to continue after, when there are more rows


def figure_kind(figure: str) -> str:
    if figure in CONTRIBUTION_FIGURES:
        return "contribution"
    if figure in CLAIM_FIGURES:
        return "claim"
    return "ledger_entry"


def figure_rows(session: Session, actor: Any, period: Period, figure: str, *, today: date, limit: int = 50,
                after_id: int | None = None) -> RowsPage:
    """The records behind one figure, ``limit`` at a time in id order, after ``after_id``."""
    require_reports(actor)
    if figure not in FIGURES:
        raise NotFound(N_("There is no such figure."))
    kind = figure_kind(figure)
    if kind == "contribution":
        rows: list[Any] = _contribution_rows(session, period, figure, today=today, limit=limit + 1,
                                             after_id=after_id)
    elif kind == "claim":
        rows = _claim_rows(session, period, figure, limit=limit + 1, after_id=after_id)
    else:
        rows = _entry_rows(session, period, figure, limit=limit + 1, after_id=after_id)
    more = len(rows) > limit
    rows = rows[:limit]
    return RowsPage(figure, kind, rows, rows[-1].id if more and rows else None)


def _contribution_rows(session: Session, period: Period, figure: str, *, today: date, limit: int,
                       after_id: int | None) -> list[ContributionRow]:
    as_of = period.as_of(today)
    cohort = contribution_cohort(period, as_of, today)
    overdue = overdue_condition(cohort, as_of)
    query = (select(cohort.c.id, cohort.c.declaration_id, Employer.company_name, cohort.c.reference,
                    cohort.c.due_on, cohort.c.amount, cohort.c.received, cohort.c.refunded, cohort.c.state,
                    overdue.label("overdue"))
             .join(Declaration, Declaration.id == cohort.c.declaration_id)
             .join(Employer, Employer.id == Declaration.employer_id))
    if figure == "overdue":
        query = query.where(overdue)
    elif figure != "expected":
        query = query.where(cohort.c.state == figure)
    if after_id is not None:
        query = query.where(cohort.c.id > after_id)
    return [ContributionRow(row[0], row[1], row[2], row[3], row[4], int(row[5]), int(row[6]) - int(row[7]),
                            int(row[7]), row[8], bool(row[9]))
            for row in session.execute(query.order_by(cohort.c.id).limit(limit))]


def _entry_rows(session: Session, period: Period, figure: str, *, limit: int,
                after_id: int | None) -> list[EntryRow]:
    query = select(LedgerEntry)
    if figure in MONEY_FIGURES:
        query = query.where(LedgerEntry.account == "cash", LedgerEntry.kind == MONEY_FIGURES[figure],
                            LedgerEntry.booked_on >= period.from_on, LedgerEntry.booked_on <= period.to_on)
    else:  # a balance on to_on: every entry of the account up to that day
        query = query.where(LedgerEntry.account == figure, LedgerEntry.booked_on <= period.to_on)
    if after_id is not None:
        query = query.where(LedgerEntry.id > after_id)
    return [EntryRow(e.id, e.booked_on, e.account, e.kind, e.amount_cents, e.voucher_id, e.contribution_id,
                     e.claim_id, e.memo)
            for e in session.scalars(query.order_by(LedgerEntry.id).limit(limit))]


def _claim_rows(session: Session, period: Period, figure: str, *, limit: int, after_id: int | None) -> list[ClaimRow]:
    account, kind = CLAIM_FIGURES[figure]
    query = (select(Claim.id, LedgerEntry.booked_on, Claim.amount_cents, Claim.status, Provider.id, Provider.name,
                    Claim.voucher_id, Claim.payout_batch_id)
             .join(LedgerEntry, LedgerEntry.claim_id == Claim.id)
             .join(Provider, Provider.id == Claim.provider_id)
             .where(LedgerEntry.account == account, LedgerEntry.kind == kind,
                    LedgerEntry.booked_on >= period.from_on, LedgerEntry.booked_on <= period.to_on))
    if after_id is not None:
        query = query.where(Claim.id > after_id)
    return [ClaimRow(*row) for row in session.execute(query.order_by(Claim.id).limit(limit))]


def unmatched_lines_link(period: Period) -> dict[str, str]:
    """The query of the bank-lines queue that lists the period's unmatched money."""
    return {"status": "unmatched", "from_on": period.from_on.isoformat(), "to_on": period.to_on.isoformat()}
