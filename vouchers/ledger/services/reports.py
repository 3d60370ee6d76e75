"""The fund's reports: figures a person reads as a table or a chart, and exports as CSV.

- ``money-in-out``: per month, the cash the fund received (contributions, funding), gave back
  (refunds) and paid out (claims), from the ledger's cash entries.
- ``contribution-aging``: the contributions still unpaid on a day, by how long their due day is past.
- ``decision-compliance``: per month of submission, the requests decided within the 45 days
  (``decision_due_on``, which already counts the days the clock stood still) and those decided
  late or still undecided after it.
- ``provider-volumes``: per provider, the vouchers issued in the period and how they ended, the
  sessions held, and the claims approved and paid.
- ``waiting-list``: the route-B requests approved onto the waiting list, their value, the oldest,
  per month of submission.
- ``reconciliation``: the figures of ``vouchers.reconciliation``, one per line.

Every figure is a sum over the ledger or the records; nothing is stored. The CSV is UTF-8 with a
header row; money is in integer cents with a euro column beside it; text cells that a
spreadsheet would run as a formula are defused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, false, func, select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.claims.models import Claim
from coaching.marketplace.services.search import CLOSED_VOUCHER_STATUSES
from coaching.providers.models import Provider
from portal import audit
from portal.clock import BRUSSELS
from portal.fund_settings import RulesBook
from vouchers.employers.models import Contribution, Declaration
from vouchers.ledger.domain import Period, _percent, first_of_month, months_of
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.reconciliation import Figure
from vouchers.ledger.services.reconciliation_sql import payments_until, state_expression
from vouchers.requests.models import Voucher, VoucherRequest

REPORTS = ("money-in-out", "contribution-aging", "decision-compliance", "provider-volumes", "waiting-list",
           "reconciliation")












@dataclass
class MonthMoney:
    month: date
    received: Figure = field(default_factory=Figure)
    refunds: Figure = field(default_factory=Figure)  # positive: money given back
    funding: Figure = field(default_factory=Figure)
    paid_out: Figure = field(default_factory=Figure)  # positive: claims paid to providers
    other_cents: int = 0

    @property
    def money_in_cents(self) -> int:
        return self.received.cents - self.refunds.cents + self.funding.cents

    @property
    def net_cents(self) -> int:
        return self.money_in_cents - self.paid_out.cents + self.other_cents


@dataclass
class MoneyInOut:
    period: Period
    months: list[MonthMoney]

    @property
    def total(self) -> MonthMoney:
        def add(name: str) -> Figure:
            return Figure(sum(getattr(m, name).count for m in self.months),
                          sum(getattr(m, name).cents for m in self.months))

        return MonthMoney(self.period.from_on, add("received"), add("refunds"), add("funding"), add("paid_out"),
                          sum(m.other_cents for m in self.months))

    def table(self) -> tuple[list[str], list[list[Any]]]:
        header = ["month", "contributions_received_count", "contributions_received_cents", "refunds_count",
                  "refunds_cents", "funding_cents", "money_in_cents", "claims_paid_count", "money_out_cents",
                  "net_cents"]
        rows = [[m.month.strftime("%Y-%m"), m.received.count, m.received.cents, m.refunds.count, m.refunds.cents,
                 m.funding.cents, m.money_in_cents, m.paid_out.count, m.paid_out.cents, m.net_cents]
                for m in self.months]
        return header, rows


_MONEY_KINDS = {"contribution_paid": ("received", 1), "contribution_refunded": ("refunds", -1),
                "funding": ("funding", 1), "claim_paid": ("paid_out", -1)}


def money_in_out(session: Session, period: Period) -> MoneyInOut:
    """The cash entries of the ledger in the period, per month and kind (over ix_ledger_entries_account_on)."""
    months = {m: MonthMoney(m) for m in months_of(period)}
    rows = session.execute(
        select(LedgerEntry.booked_on, LedgerEntry.kind, func.count(), func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.account == "cash", LedgerEntry.booked_on >= period.from_on,
               LedgerEntry.booked_on <= period.to_on)
        .group_by(LedgerEntry.booked_on, LedgerEntry.kind))
    for booked_on, kind, number, total in rows:
        month = months[first_of_month(booked_on)]
        if kind in _MONEY_KINDS:
            name, sign = _MONEY_KINDS[kind]
            before = getattr(month, name)
            setattr(month, name, Figure(before.count + int(number), before.cents + sign * int(total or 0)))
        else:
            month.other_cents += int(total or 0)
    return MoneyInOut(period, list(months.values()))


#: (key, first day past due, last day past due); "not yet due" is 0 days or fewer.
AGING_BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("not_yet_due", None, 0), ("1_30", 1, 30), ("31_45", 31, 45), ("46_90", 46, 90), ("over_90", 91, None))


@dataclass
class AgingBucket:
    key: str
    count: int = 0
    outstanding_cents: int = 0


@dataclass
class ContributionAging:
    on: date
    buckets: list[AgingBucket]
    processing: Figure  # card payments in flight: not counted as unpaid
    oldest_due_on: date | None

    @property
    def total(self) -> AgingBucket:
        return AgingBucket("total", sum(b.count for b in self.buckets), sum(b.outstanding_cents for b in self.buckets))

    @property
    def overdue(self) -> AgingBucket:
        late = [b for b in self.buckets if b.key != "not_yet_due"]
        return AgingBucket("overdue", sum(b.count for b in late), sum(b.outstanding_cents for b in late))

    def table(self) -> tuple[list[str], list[list[Any]]]:
        header = ["on", "bucket", "days_past_due_from", "days_past_due_to", "count", "outstanding_cents"]
        bounds = {key: (low, high) for key, low, high in AGING_BUCKETS}
        rows = [[self.on.isoformat(), b.key, _blank(bounds[b.key][0]), _blank(bounds[b.key][1]), b.count,
                 b.outstanding_cents] for b in self.buckets]
        rows.append([self.on.isoformat(), "total", "", "", self.total.count, self.total.outstanding_cents])
        return header, rows


def _blank(value: Any) -> Any:
    return "" if value is None else value


def contribution_aging(session: Session, *, on: date, today: date) -> ContributionAging:
    """The contributions declared by ``on`` and unpaid or partly paid on that day (money booked up to
    it), grouped by the days their due day is past. What is still owed is the amount less the money
    received net of refunds."""
    sums = payments_until(on)
    received = func.coalesce(sums.c.received, 0)
    refunded = func.coalesce(sums.c.refunded, 0)
    in_flight = Contribution.status == "processing" if on >= today else false()
    state = state_expression(Contribution.amount_cents, received, refunded, in_flight)
    whens = []
    for key, low, high in AGING_BUCKETS:
        # days past due = on - due_on, so "at least low" is due_on <= on - low, "at most high" due_on >= on - high
        conditions = []
        if low is not None:
            conditions.append(Contribution.due_on <= on - timedelta(days=low))
        if high is not None:
            conditions.append(Contribution.due_on >= on - timedelta(days=high))
        whens.append((and_(*conditions), key))
    bucket = case(*whens)
    unpaid = (select(state.label("state"), bucket.label("bucket"), Contribution.due_on.label("due_on"),
                     (Contribution.amount_cents - received + refunded).label("outstanding"))
              .join(Declaration, Declaration.id == Contribution.declaration_id)
              .outerjoin(sums, sums.c.contribution_id == Contribution.id)
              .where(Declaration.status == "declared", Declaration.declared_on <= on).subquery())
    rows = session.execute(
        select(unpaid.c.state, unpaid.c.bucket, func.count(), func.sum(unpaid.c.outstanding), func.min(unpaid.c.due_on))
        .where(unpaid.c.state.in_(("unpaid", "partially_paid", "processing")))
        .group_by(unpaid.c.state, unpaid.c.bucket))
    buckets = {key: AgingBucket(key) for key, _, _ in AGING_BUCKETS}
    processing = Figure()
    oldest: date | None = None
    for state_name, key, number, outstanding, first_due in rows:
        if state_name == "processing":
            processing = Figure(processing.count + int(number), processing.cents + int(outstanding or 0))
            continue
        buckets[key].count += int(number)
        buckets[key].outstanding_cents += int(outstanding or 0)
        oldest = first_due if oldest is None or first_due < oldest else oldest
    return ContributionAging(on, list(buckets.values()), processing, oldest)


@dataclass
class ComplianceMonth:
    month: date
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0  # waiting for a decision after its day 45
    open_in_time: int = 0  # waiting, before its day 45 or paused for information
    withdrawn: int = 0  # withdrawn before any decision

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def compliance_percent(self) -> int | None:
        """Decided within the 45 days, among those decided or overdue."""
        return _percent(self.on_time, self.on_time + self.late + self.open_overdue)


@dataclass
class DecisionCompliance:
    period: Period
    today: date
    months: list[ComplianceMonth]

    @property
    def total(self) -> ComplianceMonth:
        total = ComplianceMonth(self.period.from_on)
        for m in self.months:
            for name in ("submitted", "on_time", "late", "open_overdue", "open_in_time", "withdrawn"):
                setattr(total, name, getattr(total, name) + getattr(m, name))
        return total

    def table(self) -> tuple[list[str], list[list[Any]]]:
        header = ["month", "submitted", "decided_on_time", "decided_late", "open_overdue", "open_in_time",
                  "withdrawn_before_decision", "compliance_percent"]
        rows = [[m.month.strftime("%Y-%m"), m.submitted, m.on_time, m.late, m.open_overdue, m.open_in_time,
                 m.withdrawn, _blank(m.compliance_percent)] for m in [*self.months, self.total]]
        rows[-1][0] = "total"
        return header, rows


DECIDED_STATUSES = ("approved", "waitlisted", "rejected")


def decision_compliance(session: Session, period: Period, *, today: date) -> DecisionCompliance:
    """Requests submitted in the period, per month, against their day 45.

    A request approved onto the waiting list was decided that day, even if it was served (and its
    ``decided_on`` moved) later: that first decision is read from the audit log.
    """
    waitlisted_at = (select(audit.AuditEntry.object_id.label("request_id"),
                            func.min(audit.AuditEntry.at).label("at"))
                     .where(audit.AuditEntry.object_type == "voucher_request",
                            audit.AuditEntry.from_state == "submitted", audit.AuditEntry.to_state == "waitlisted")
                     .group_by(audit.AuditEntry.object_id).subquery())
    rows = session.execute(
        select(VoucherRequest.submitted_on, VoucherRequest.decision_due_on, VoucherRequest.decided_on,
               VoucherRequest.status, waitlisted_at.c.at)
        .outerjoin(waitlisted_at, waitlisted_at.c.request_id == VoucherRequest.id)
        .where(VoucherRequest.submitted_on >= period.from_on, VoucherRequest.submitted_on <= period.to_on,
               VoucherRequest.status != "draft"))
    months = {m: ComplianceMonth(m) for m in months_of(period)}
    for submitted_on, due_on, decided_on, status, first_waitlisted in rows:
        month = months[first_of_month(submitted_on)]
        month.submitted += 1
        if first_waitlisted is not None:
            waitlisted_on = first_waitlisted.astimezone(BRUSSELS).date()
            decided_on = waitlisted_on if decided_on is None else min(decided_on, waitlisted_on)
        if decided_on is not None and (status in DECIDED_STATUSES or status == "withdrawn"):
            if due_on is None or decided_on <= due_on:
                month.on_time += 1
            else:
                month.late += 1
        elif status == "withdrawn":
            month.withdrawn += 1
        elif status == "submitted" and due_on is not None and due_on < today:
            month.open_overdue += 1
        else:
            month.open_in_time += 1
    return DecisionCompliance(period, today, list(months.values()))


@dataclass
class ProviderVolume:
    provider_id: int | None
    name: str
    vouchers_issued: int = 0
    voucher_value_cents: int = 0
    open: int = 0
    completed: int = 0
    expired: int = 0
    withdrawn: int = 0
    sessions_held: int = 0
    attendances: int = 0
    claims_approved: Figure = field(default_factory=Figure)
    claims_paid: Figure = field(default_factory=Figure)

    @property
    def closed(self) -> int:
        return self.completed + self.expired + self.withdrawn

    @property
    def completion_percent(self) -> int | None:
        """Completed among the closed vouchers (as on the providers' public profiles)."""
        return _percent(self.completed, self.closed)


@dataclass
class ProviderVolumes:
    period: Period
    providers: list[ProviderVolume]

    @property
    def total(self) -> ProviderVolume:
        total = ProviderVolume(None, "total")
        for p in self.providers:
            for name in ("vouchers_issued", "voucher_value_cents", "open", "completed", "expired", "withdrawn",
                         "sessions_held", "attendances"):
                setattr(total, name, getattr(total, name) + getattr(p, name))
            total.claims_approved = Figure(total.claims_approved.count + p.claims_approved.count,
                                           total.claims_approved.cents + p.claims_approved.cents)
            total.claims_paid = Figure(total.claims_paid.count + p.claims_paid.count,
                                       total.claims_paid.cents + p.claims_paid.cents)
        return total

    def table(self) -> tuple[list[str], list[list[Any]]]:
        header = ["provider_id", "provider", "vouchers_issued", "voucher_value_cents", "open", "completed",
                  "expired", "withdrawn", "completion_percent", "sessions_held", "attendances",
                  "claims_approved_count", "claims_approved_cents", "claims_paid_count", "claims_paid_cents"]
        rows = [[_blank(p.provider_id), p.name, p.vouchers_issued, p.voucher_value_cents, p.open, p.completed,
                 p.expired, p.withdrawn, _blank(p.completion_percent), p.sessions_held, p.attendances,
                 p.claims_approved.count, p.claims_approved.cents, p.claims_paid.count, p.claims_paid.cents]
                for p in [*self.providers, self.total]]
        return header, rows


def _start_of(day: date) -> datetime:
    """Midnight in Brussels, as the UTC instant sessions are stored in."""
    return datetime.combine(day, time(0), tzinfo=BRUSSELS).astimezone(UTC)


def provider_volumes(session: Session, period: Period) -> ProviderVolumes:
    """Per provider: vouchers issued in the period and their state now, sessions held in the period
    (logged, with their attended seats), claims approved and paid in the period (from the ledger)."""
    volumes: dict[int, ProviderVolume] = {}

    def of(provider_id: int) -> ProviderVolume:
        return volumes.setdefault(provider_id, ProviderVolume(provider_id, ""))

    for provider_id, status, number, value in session.execute(
            select(Voucher.provider_id, Voucher.status, func.count(), func.sum(Voucher.value_cents))
            .where(Voucher.issued_on >= period.from_on, Voucher.issued_on <= period.to_on)
            .group_by(Voucher.provider_id, Voucher.status)):
        volume = of(provider_id)
        volume.vouchers_issued += int(number)
        volume.voucher_value_cents += int(value or 0)
        name = status if status in CLOSED_VOUCHER_STATUSES else "open"
        setattr(volume, name, getattr(volume, name) + int(number))
    start, end = _start_of(period.from_on), _start_of(period.to_on + timedelta(days=1))
    attended = (select(SessionSeat.session_id, func.count().label("seats"))
                .where(SessionSeat.attendance == "attended").group_by(SessionSeat.session_id).subquery())
    for provider_id, held, seats in session.execute(
            select(CoachingSession.provider_id, func.count(), func.coalesce(func.sum(attended.c.seats), 0))
            .outerjoin(attended, attended.c.session_id == CoachingSession.id)
            .where(CoachingSession.status == "logged", CoachingSession.starts_at >= start,
                   CoachingSession.starts_at < end)
            .group_by(CoachingSession.provider_id)):
        of(provider_id).sessions_held += int(held)
        of(provider_id).attendances += int(seats)
    for provider_id, account, number, total in session.execute(
            select(Claim.provider_id, LedgerEntry.account, func.count(), func.sum(LedgerEntry.amount_cents))
            .join(Claim, Claim.id == LedgerEntry.claim_id)
            .where(LedgerEntry.booked_on >= period.from_on, LedgerEntry.booked_on <= period.to_on,
                   ((LedgerEntry.account == "payable") & (LedgerEntry.kind == "claim_approved"))
                   | ((LedgerEntry.account == "cash") & (LedgerEntry.kind == "claim_paid")))
            .group_by(Claim.provider_id, LedgerEntry.account)):
        if account == "payable":
            of(provider_id).claims_approved = Figure(int(number), int(total or 0))
        else:
            of(provider_id).claims_paid = Figure(int(number), -int(total or 0))
    for provider_id, name, listed in session.execute(select(Provider.id, Provider.name, Provider.is_listed)):
        if provider_id in volumes or listed:
            of(provider_id).name = name
    return ProviderVolumes(period, sorted(volumes.values(), key=lambda v: (v.name.casefold(), v.provider_id or 0)))


@dataclass
class WaitingMonth:
    month: date
    count: int = 0
    value_cents: int = 0


@dataclass
class WaitingList:
    today: date
    count: int
    value_cents: int  # the vouchers' value in force on each request's date
    oldest_on: date | None
    available_cents: int  # the fund balance on ``today``: what the next approvals can draw on
    months: list[WaitingMonth] = field(default_factory=list)

    @property
    def oldest_days(self) -> int | None:
        return (self.today - self.oldest_on).days if self.oldest_on else None

    @property
    def shortfall_cents(self) -> int:
        """What the fund lacks to serve the whole list now."""
        return max(0, self.value_cents - max(0, self.available_cents))

    def table(self) -> tuple[list[str], list[list[Any]]]:
        header = ["month", "waiting", "value_cents", "oldest_on"]
        rows: list[list[Any]] = [[m.month.strftime("%Y-%m"), m.count, m.value_cents, ""] for m in self.months]
        rows.append(["total", self.count, self.value_cents, self.oldest_on.isoformat() if self.oldest_on else ""])
        return header, rows


def waiting_list(session: Session, *, today: date) -> WaitingList:
    """The requests on the waiting list now (served oldest first), counted per day of submission."""
    book = RulesBook(session)
    per_day = session.execute(
        select(VoucherRequest.submitted_on, func.count()).where(VoucherRequest.status == "waitlisted")
        .group_by(VoucherRequest.submitted_on).order_by(VoucherRequest.submitted_on)).all()
    months: dict[date, WaitingMonth] = {}
    count = value = 0
    for submitted_on, number in per_day:
        day = submitted_on or today
        cents = book.on(day).voucher_value_cents * int(number)
        month = months.setdefault(first_of_month(day), WaitingMonth(first_of_month(day)))
        month.count += int(number)
        month.value_cents += cents
        count += int(number)
        value += cents
    oldest = next((day for day, _ in per_day if day is not None), None)
    available = ledger.fund_position(session, on=today).available_cents
    return WaitingList(today, count, value, oldest, available, list(months.values()))
