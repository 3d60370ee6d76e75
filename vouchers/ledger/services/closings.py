"""Closed months of the ledger: each past month's totals by account and kind, stored once, so that a period's
figures (the reconciliation) sum the entries of at most a month or two and read the closings for the rest.

- **Which month an entry belongs to:** the month of its ``booked_on``, the day every figure is judged by; never
  when it was written (``created_at``). An entry can be written into a past month (a bank line matched late is
  booked on the line's own day, a statement imported late books its days, a pending line books when it is
  booked): the database then reopens that month in the same transaction (a trigger deletes its closing,
  migration f4a000000030), and the month is closed again later. So a stored closing is always the sum of the
  entries that the same snapshot sees, and the figures are those of the full sums, to the cent.
- **Race-safety (PostgreSQL):** a month is closed under ``LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE
  MODE``: the lock waits for the transactions writing entries to finish, so the sums see all of them, and holds
  new ones back until the closing is committed, so an entry written next into a closed month finds the closing
  and reopens it. Closers exclude each other the same way; ``ON CONFLICT DO NOTHING`` keeps a closing made by
  another from being written twice. SQLite takes the database's write lock at BEGIN (``portal.db``). This
  relies on READ COMMITTED writers (PostgreSQL's default, the portal's only level).
- **When:** every night (``tasks.ledger_period_closings``), and lazily by the first reader that finds a past
  month not closed (``period_sums``), so a fresh database or the demo needs no job run. A reader does not wait
  long for the lock: when the ledger is busy it sums the entries instead, which is slower but as right.
- **Checked:** ``closing_problems`` (part of ``check-ledger``) compares each closing with its month's entries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from portal.db import prepared
from vouchers.ledger.domain import (
    LedgerSplit,
    Period,
    add_month,
    first_of_month,
    ledger_split,
    months_between,
)
from vouchers.ledger.models import LedgerClosingTotal, LedgerEntry, LedgerPeriodClosing
from vouchers.ledger.services.reconciliation_sql import period_parameters

#: How long a reader waits for the ledger's lock before it sums the entries instead (which takes about as long).
READER_LOCK_TIMEOUT = "200ms"

#: (account, kind) -> (entries, cents)
Totals = dict[tuple[str, str], tuple[int, int]]


# --- closing months ---------------------------------------------------------------------------------------


def close_months(session: Session, *, today: date, now: datetime | None = None, wait: bool = True) -> int | None:
    """Close every month before today's that has entries or follows one, and has no closing (never closed, or
    reopened by a late entry). Safe to run twice and at the same time as another closer. Returns how many months
    it closed; None when ``wait`` is false and the ledger was busy (nothing is written then)."""
    try:
        with session.begin_nested():
            _lock_ledger(session, wait=wait)
            months = _months_to_close(session, first_of_month(today))
            return _write_closings(session, months, now=now)
    except OperationalError as error:
        code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if wait or code != "55P03":  # lock_not_available: the ledger is busy, nothing is broken
            raise
        return None


def recompute_closings(session: Session, months: list[date], *, today: date, now: datetime | None = None) -> int:
    """The explicit recompute: forget the closings of ``months`` (first days) and close them again from the
    entries. The only way a closing changes (the database refuses an UPDATE of one)."""
    with session.begin_nested():
        _lock_ledger(session, wait=True)
        session.execute(delete(LedgerClosingTotal).where(LedgerClosingTotal.month_on.in_(months)))
        session.execute(delete(LedgerPeriodClosing).where(LedgerPeriodClosing.month_on.in_(months)))
    return close_months(session, today=today, now=now) or 0


def _lock_ledger(session: Session, *, wait: bool) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: every transaction holds the database's write lock from its BEGIN
    if wait:
        session.execute(text("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"))
        return
    before = session.scalar(text("SELECT current_setting('lock_timeout')"))
    session.execute(text("SELECT set_config('lock_timeout', :timeout, true)"), {"timeout": READER_LOCK_TIMEOUT})
    session.execute(text("LOCK TABLE ledger_entries IN SHARE ROW EXCLUSIVE MODE"))
    session.execute(text("SELECT set_config('lock_timeout', :timeout, true)"), {"timeout": before})


def _months_to_close(session: Session, cut_on: date) -> list[date]:
    earliest = session.scalar(select(func.min(LedgerEntry.booked_on)))
    if earliest is None or earliest >= cut_on:
        return []
    closed = set(session.scalars(select(LedgerPeriodClosing.month_on).where(LedgerPeriodClosing.month_on < cut_on)))
    months, month = [], first_of_month(earliest)
    while month < cut_on:
        if month not in closed:
            months.append(month)
        month = add_month(month)
    return months


def _runs(months: list[date]) -> list[tuple[date, date]]:
    """Consecutive months as [first day, first day after) ranges: one read per run, not per month."""
    runs: list[tuple[date, date]] = []
    for month in months:
        if runs and runs[-1][1] == month:
            runs[-1] = (runs[-1][0], add_month(month))
        else:
            runs.append((month, add_month(month)))
    return runs


def month_totals(session: Session, from_on: date, until_on: date) -> dict[date, Totals]:
    """The entries booked from ``from_on`` up to (not including) ``until_on``, per month, account and kind."""
    found: dict[date, Totals] = defaultdict(dict)
    rows = session.execute(
        select(LedgerEntry.booked_on, LedgerEntry.account, LedgerEntry.kind, func.count(),
               func.sum(LedgerEntry.amount_cents))
        .where(LedgerEntry.booked_on >= from_on, LedgerEntry.booked_on < until_on)
        .group_by(LedgerEntry.booked_on, LedgerEntry.account, LedgerEntry.kind))
    for booked_on, account, kind, number, cents in rows:  # days, not months: the same SQL on both databases
        month = found[first_of_month(booked_on)]
        before = month.get((account, kind), (0, 0))
        month[(account, kind)] = (before[0] + int(number), before[1] + int(cents or 0))
    return found


def _insert(session: Session) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)


def _write_closings(session: Session, months: list[date], *, now: datetime | None) -> int:
    if not months:
        return 0
    totals: dict[date, Totals] = {}
    for from_on, until_on in _runs(months):
        totals.update(month_totals(session, from_on, until_on))
    headers = [{"month_on": month, "entry_count": sum(n for n, _ in totals.get(month, {}).values()),
                **({"closed_at": now} if now is not None else {})} for month in months]
    written = set(session.scalars(_insert(session)(LedgerPeriodClosing).values(headers)
                                  .on_conflict_do_nothing().returning(LedgerPeriodClosing.month_on)))
    if not written:
        return 0
    # Totals left from an earlier closing of these months would otherwise stand beside the new ones.
    session.execute(delete(LedgerClosingTotal).where(LedgerClosingTotal.month_on.in_(written)))
    rows = [{"month_on": month, "account": account, "kind": kind, "entry_count": number, "amount_cents": cents}
            for month in sorted(written) for (account, kind), (number, cents) in totals.get(month, {}).items()]
    if rows:
        session.execute(insert(LedgerClosingTotal).values(rows))
    return len(written)


# --- reading a period ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerSums:
    """Per (account, kind): the sum of every entry up to ``to_on``, and the count and sum of those in the period."""

    rows: list[tuple[str, str, int, int, int]]


def period_sums(session: Session, period: Period, *, today: date) -> LedgerSums:
    """The period's ledger sums from the closings of the whole months before it ends and the entries of the rest
    (``domain.ledger_split``), in one statement; identical to summing every entry (``full_sums``). Past months not
    closed yet (never, or reopened by a late entry) are closed on the way when the ledger is free; when it is busy
    and the closings miss a month the period needs, every entry is summed instead (slower, as right)."""
    split = ledger_split(period, today)
    sums, counts = _read_split(session, split)
    if not counts.complete:
        closed = close_months(session, today=today, wait=False)
        if closed and not counts.correct:
            sums, counts = _read_split(session, split)
    if not counts.correct:  # a month the sums need has no closing, and none could be made now
        return full_sums(session, period)
    return sums


@dataclass(frozen=True)
class _Counts:
    correct: bool  # every month with entries before until_on is closed: the sums are right
    complete: bool  # and every past month is: nothing left for a closer to do


def _split_statement() -> Any:
    """The statement of ``_read_split``, with the days as bind parameters (built once per process)."""
    days, _on = period_parameters()
    until, cut, live_from, live_to = (bindparam(name, type_=Date) for name in (
        "until_on", "cut_on", "live_from_on", "live_to_on"))
    closing, total, entry = LedgerPeriodClosing, LedgerClosingTotal, LedgerEntry
    first = select(func.min(closing.month_on)).scalar_subquery()
    in_period = entry.booked_on >= days.from_on
    # The days of a month split at from_on count for the movements only: its closing gives the balances.
    after_closings = entry.booked_on >= until
    live = (select(entry.account.label("account"), entry.kind.label("kind"),
                   func.sum(entry.amount_cents).filter(after_closings).label("total"),
                   func.count().filter(in_period).label("number"),
                   func.sum(entry.amount_cents).filter(in_period).label("moved"))
            .where(entry.booked_on <= days.to_on,
                   or_(entry.booked_on >= until, and_(entry.booked_on >= live_from, entry.booked_on <= live_to)))
            .group_by(entry.account, entry.kind))
    month_in_period = total.month_on >= days.from_on
    stored = (select(total.account, total.kind, func.sum(total.amount_cents),
                     func.sum(total.entry_count).filter(month_in_period),
                     func.sum(total.amount_cents).filter(month_in_period))
              .join(closing, closing.month_on == total.month_on)  # a month's totals count with its closing only
              .where(total.month_on < until)
              .group_by(total.account, total.kind))
    parts = union_all(live, stored).subquery()

    def closed_before(day: Any) -> Any:
        return select(func.count()).select_from(closing).where(closing.month_on < day).scalar_subquery()

    # Whether the closings cover every month before until_on is judged from these, in Python (``_read_split``):
    # the ledger's first day (the first row of its index), the first closing, and how many there are.
    earliest = select(func.min(entry.booked_on)).scalar_subquery()
    checks = select(first.label("first"), closed_before(until).label("until"), closed_before(cut).label("cut"),
                    earliest.label("earliest")).subquery()
    return (select(checks.c.first, checks.c.until, checks.c.cut, checks.c.earliest, parts.c.account, parts.c.kind,
                   parts.c.total, parts.c.number, parts.c.moved)
            .select_from(checks.outerjoin(parts, true())))


def _read_split(session: Session, split: LedgerSplit) -> tuple[LedgerSums, _Counts]:
    params = {name: getattr(split, name) for name in ("from_on", "to_on", "until_on", "cut_on", "live_from_on",
                                                      "live_to_on")}
    found = session.execute(prepared("ledger_period_sums", _split_statement), params).all()
    first, until_count, cut_count, earliest = found[0][:4]

    def closed_up_to(day: date, count: int) -> bool:
        """Every month from the ledger's first up to ``day`` (not included) has its closing."""
        if earliest is None or earliest >= day:
            return True
        return first is not None and earliest >= first and count == months_between(first, day)

    counts = _Counts(correct=closed_up_to(split.until_on, until_count), complete=closed_up_to(split.cut_on, cut_count))
    merged: dict[tuple[str, str], list[int]] = {}
    for *_checks, account, kind, total, number, moved in found:
        if account is None:
            continue
        sums = merged.setdefault((account, kind), [0, 0, 0])
        sums[0] += int(total or 0)
        sums[1] += int(number or 0)
        sums[2] += int(moved or 0)
    return LedgerSums([(account, kind, sums[0], sums[1], sums[2]) for (account, kind), sums in merged.items()]), counts


def full_sums(session: Session, period: Period) -> LedgerSums:
    """Every entry up to ``to_on`` summed, the closings unread: what ``period_sums`` must always equal."""

    def build() -> Any:
        days, _on = period_parameters()
        in_period = LedgerEntry.booked_on >= days.from_on
        return (select(LedgerEntry.account, LedgerEntry.kind, func.sum(LedgerEntry.amount_cents),
                       func.count().filter(in_period), func.sum(LedgerEntry.amount_cents).filter(in_period))
                .where(LedgerEntry.booked_on <= days.to_on)
                .group_by(LedgerEntry.account, LedgerEntry.kind))

    rows = session.execute(prepared("reconciliation_ledger", build), {"from_on": period.from_on, "to_on": period.to_on})
    return LedgerSums([(account, kind, int(total or 0), int(number or 0), int(moved or 0))
                       for account, kind, total, number, moved in rows])


# --- the consistency check --------------------------------------------------------------------------------


def closing_problems(session: Session) -> list[str]:
    """Each closed month against its entries: the same totals per account and kind, and the same count."""
    stored: dict[date, Totals] = defaultdict(dict)
    counted = {month: int(number) for month, number in
               session.execute(select(LedgerPeriodClosing.month_on, LedgerPeriodClosing.entry_count))}
    if not counted:
        return []
    for month, account, kind, number, cents in session.execute(
            select(LedgerClosingTotal.month_on, LedgerClosingTotal.account, LedgerClosingTotal.kind,
                   LedgerClosingTotal.entry_count, LedgerClosingTotal.amount_cents)
            .join(LedgerPeriodClosing, LedgerPeriodClosing.month_on == LedgerClosingTotal.month_on)):
        stored[month][(account, kind)] = (int(number), int(cents))
    actual = month_totals(session, min(counted), add_month(max(counted)))
    problems = []
    for month in sorted(counted):
        label = month.strftime("%Y-%m")
        found = actual.get(month, {})
        for key in sorted(set(found) | set(stored.get(month, {}))):
            want, have = found.get(key, (0, 0)), stored.get(month, {}).get(key, (0, 0))
            if want != have:
                problems.append(f"ledger closing of {label}: {key[0]}/{key[1]} holds {have[0]} entries, {have[1]} "
                                f"cents; its entries are {want[0]}, {want[1]} cents")
        entries = sum(n for n, _ in found.values())
        if counted[month] != entries:
            problems.append(f"ledger closing of {label}: counts {counted[month]} entries; the month has {entries}")
    return problems
